"""The SQLCipher database key: making it, keeping it in the OS keyring, and its recovery copy.

A database key is 32 random bytes, handled everywhere as 64 lower-case hex
characters because SQLCipher takes a raw key as ``"x'<hex>'"`` and that skips
its own (slow, pointless for a random key) key derivation.

The key lives in the operating system's keyring under ``KEYRING_SERVICE`` and
an entry name derived from the database path. If no usable keyring exists,
every function here raises ``KeyringError`` with one sentence saying what to
install or unlock, or how to hand the key over explicitly (``CASEBOOK_DB_KEY``
or ``--key-file``). Nothing here ever falls back to keeping the key in plain
text.

Every keyring call runs in a daemon thread with a timeout: a Secret Service
collection that is locked may wait forever on an unlock prompt nobody sees
(for example over SSH), and the window must not freeze on it.

The recovery copy is the key encrypted with AES-256-GCM under a key derived
from an administrator's passphrase with Argon2id, written as a small JSON
document an administrator can keep offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import keyring
from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordDeleteError

from casebook.errors import KeyringError
from casebook.i18n import tr
from casebook.security.passwords import check_password_rules

__all__ = [
    "DEFAULT_KEYRING_TIMEOUT",
    "KEYRING_SERVICE",
    "KEY_BYTES",
    "KEY_ENV_VAR",
    "RECOVERY_FORMAT",
    "RECOVERY_MEMORY_COST_KIB",
    "RECOVERY_PARALLELISM",
    "RECOVERY_TIME_COST",
    "RECOVERY_VERSION",
    "RecoveryKeyError",
    "backend_description",
    "delete_key",
    "export_recovery_key",
    "generate_key",
    "import_recovery_key",
    "key_entry_name",
    "key_from_environment",
    "load_key",
    "raw_key_literal",
    "read_key_file",
    "store_key",
    "validate_key_hex",
]

KEYRING_SERVICE = "Casebook"
KEY_ENV_VAR = "CASEBOOK_DB_KEY"
KEY_BYTES = 32
_KEY_HEX_LENGTH = 2 * KEY_BYTES
_HEX_DIGITS = frozenset("0123456789abcdef")
# Long enough for a desktop keyring that is merely slow to start over D-Bus,
# short enough that a hidden unlock prompt does not look like a frozen program.
DEFAULT_KEYRING_TIMEOUT = 10.0
# A key file holds 64 characters and perhaps a newline; anything this big is
# the wrong file, and reading it whole would only waste memory.
_MAX_KEY_FILE_BYTES = 4096

RECOVERY_FORMAT = "casebook-key-recovery"
RECOVERY_VERSION = 1
# RFC 9106's second recommended Argon2id setting (t=3, 64 MiB, p=4): costly
# for an attacker guessing passphrases offline, about a tenth of a second for
# the administrator who opens the file once in a blue moon.
RECOVERY_TIME_COST = 3
RECOVERY_MEMORY_COST_KIB = 64 * 1024
RECOVERY_PARALLELISM = 4
_SALT_BYTES = 16
_NONCE_BYTES = 12  # the size AES-GCM is designed for
_GCM_TAG_BYTES = 16
# A damaged or hostile recovery file must not be able to make the import ask
# for terabytes of memory or hours of CPU before the tag check refuses it.
_MAX_RECOVERY_FILE_BYTES = 64 * 1024
_MAX_TIME_COST = 64
_MAX_MEMORY_COST_KIB = 1024 * 1024  # 1 GiB
_MAX_PARALLELISM = 64
# Binds the ciphertext to this purpose and format version.
_RECOVERY_AAD = f"{RECOVERY_FORMAT}:{RECOVERY_VERSION}".encode("ascii")

_T = TypeVar("_T")


class RecoveryKeyError(KeyringError):
    """A key recovery file that cannot be read, or a passphrase that does not open it."""


# --------------------------------------------------------------------------- keys


def generate_key() -> str:
    """Return a new random 256-bit database key as 64 lower-case hex characters."""
    return secrets.token_bytes(KEY_BYTES).hex()


def validate_key_hex(text: str, *, source: str) -> str:
    """Return *text* as a normalised key (stripped, lower case) or raise ``KeyringError``.

    *source* names where the key came from ("CASEBOOK_DB_KEY", "the key file
    /x/y") for the message. The message never repeats the value, since it may
    be (most of) a real key.
    """
    candidate = text.strip().lower()
    if len(candidate) != _KEY_HEX_LENGTH:
        problem = tr("it has {count} characters").format(count=len(candidate))
    elif not set(candidate) <= _HEX_DIGITS:
        problem = tr("it contains characters other than 0–9 and a–f")
    else:
        return candidate
    raise KeyringError(
        tr(
            "The database key in {source} is not valid: it must be exactly {length} "
            "hexadecimal characters (0–9, a–f), but {problem}."
        ).format(source=source, length=_KEY_HEX_LENGTH, problem=problem)
    )


def raw_key_literal(key_hex: str) -> str:
    """Return the key as SQLCipher's raw-key literal, ready for ``PRAGMA key = <literal>``.

    The result is ``"x'<64 hex>'"`` including the double quotes. The key is
    validated first, which is also what makes it safe to put into SQL text.
    """
    key = validate_key_hex(key_hex, source=tr("the key given to the database"))
    return f"\"x'{key}'\""


def key_entry_name(db_path: Path | str) -> str:
    """Return the keyring entry name for the database file at *db_path*.

    Derived from the resolved absolute path, so two databases never share an
    entry, while the name itself ("db-key:" and 16 hex characters of a SHA-256)
    does not reveal where the database is or what it is called to someone
    browsing the keyring. Moving the file changes the name: the key then has
    to be stored again for the new place.
    """
    resolved = Path(db_path).expanduser().resolve()
    # normcase folds case on Windows, where C:\Data and c:\data are one file;
    # it changes nothing elsewhere. fsencode keeps undecodable names stable.
    path_bytes = os.fsencode(os.path.normcase(str(resolved)))
    return "db-key:" + hashlib.sha256(path_bytes).hexdigest()[:16]


def key_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the key from ``CASEBOOK_DB_KEY``, or None when the variable is not set.

    Meant for automation (backups, scheduled reports) where no keyring is
    unlocked. Raises ``KeyringError`` when the variable is set but empty or not
    64 hex characters, rather than silently trying the keyring instead.
    """
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV_VAR)
    if value is None:
        return None
    if not value.strip():
        raise KeyringError(
            tr(
                "{name} is set but empty; set it to the 64-character hexadecimal database "
                "key, or unset it to use the keyring."
            ).format(name=KEY_ENV_VAR)
        )
    return validate_key_hex(value, source=KEY_ENV_VAR)


def read_key_file(path: Path | str) -> str:
    """Return the key held in the text file at *path* (64 hex characters, surrounding
    whitespace ignored).

    Raises ``KeyringError`` naming the file when it is missing, unreadable,
    too large, not text, or does not hold a valid key.
    """
    file_path = Path(path)
    try:
        with file_path.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyringError(
            tr("The key file {path} does not exist; check the path given to --key-file.").format(
                path=file_path
            )
        ) from None
    except OSError as exc:
        raise KeyringError(
            tr(
                "The key file {path} cannot be read ({reason}); check the path and its permissions."
            ).format(path=file_path, reason=exc.strerror or type(exc).__name__)
        ) from exc
    source = tr("the key file {path}").format(path=file_path)
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise KeyringError(
            tr(
                "The key file {path} is far too large to hold a database key; check that "
                "--key-file names the right file."
            ).format(path=file_path)
        )
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyringError(
            tr(
                "The database key in {source} is not valid: it must be exactly {length} "
                "hexadecimal characters (0–9, a–f), but the file is not plain text."
            ).format(source=source, length=_KEY_HEX_LENGTH)
        ) from None
    return validate_key_hex(text, source=source)


# ------------------------------------------------------------------------ keyring


def _explicit_key_hint() -> str:
    return tr(
        "supply the key explicitly with the {name} environment variable (64 hexadecimal "
        "characters, meant for automation) or with --key-file FILE"
    ).format(name=KEY_ENV_VAR)


def _class_path(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _chained(backend: KeyringBackend) -> list[KeyringBackend]:
    # The chainer stores in its first backend and reads from all of them.
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return list(cast(list[KeyringBackend], backend.backends))
    return [backend]


def _short_description(backend: KeyringBackend) -> str:
    """A user-facing name for *backend* without talking to it."""
    chain = _chained(backend)
    if not chain:
        return tr("none")
    first = chain[0]
    names = {
        "keyring.backends.SecretService.Keyring": tr("Secret Service"),
        "keyring.backends.libsecret.Keyring": tr("Secret Service (libsecret)"),
        "keyring.backends.kwallet.DBusKeyring": tr("KWallet"),
        "keyring.backends.kwallet.DBusKeyringKWallet4": tr("KWallet 4"),
        "keyring.backends.Windows.WinVaultKeyring": tr("Windows Credential Manager"),
        "keyring.backends.macOS.Keyring": tr("macOS Keychain"),
        "keyring.backends.fail.Keyring": tr("none (no usable keyring is installed)"),
        "keyring.backends.null.Keyring": tr("none (the keyring is disabled in its settings)"),
        "casebook.security.memory_keyring.MemoryKeyring": tr(
            "in-memory test keyring (nothing is kept)"
        ),
    }
    return names.get(_class_path(first), _class_path(first))


def _secret_service_provider() -> str | None:
    """Which program answers for the Secret Service on the session bus, if that can be told."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(
                message_bus.GetConnectionUnixProcessID("org.freedesktop.secrets"), timeout=2
            )
        pid = int(unwrap_msg(reply)[0])
        program = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except Exception:
        # Only a nicety for the description; sandboxes and other platforms
        # cannot tell, and that must never stop the keyring from being used.
        return None
    known = {
        "gnome-keyring-d": "gnome-keyring",  # /proc/…/comm is cut at 15 characters
        "kwalletd5": "KWallet",
        "kwalletd6": "KWallet",
        "ksecretd": "KWallet",
        "keepassxc": "KeePassXC",
    }
    return known.get(program, program or None)


def _refuse_unusable(backend: KeyringBackend) -> None:
    """Raise ``KeyringError`` if *backend* cannot keep a secret, or would keep it in plain text."""
    from keyring.backends import fail, null

    chain = _chained(backend)
    if not chain or any(isinstance(b, fail.Keyring | null.Keyring) for b in chain):
        raise NoKeyringError("no usable keyring backend")
    for member in chain:
        # keyrings.alt's PlaintextKeyring writes the secret into a file in the
        # clear; keeping the database key there would undo the encryption.
        if "plaintext" in type(member).__name__.lower():
            raise KeyringError(
                tr(
                    "The configured keyring ({name}) keeps secrets as plain text, which "
                    "Casebook refuses for the database key; configure a real keyring "
                    "(gnome-keyring or KWallet on Linux; Windows and macOS have one built "
                    "in), or {hint}."
                ).format(name=_class_path(member), hint=_explicit_key_hint())
            )


def _detail(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return detail if len(detail) <= 200 else detail[:197] + "..."


def _from_dbus_stack(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.split(".")[0] in {"secretstorage", "jeepney", "dbus"}


def _translate(exc: Exception, backend: KeyringBackend | None, action: str) -> KeyringError:
    """Turn whatever a keyring backend raised into one sentence for the user."""
    where = _short_description(backend) if backend is not None else tr("unknown")
    hint = _explicit_key_hint()
    locked_types: tuple[type[BaseException], ...] = (KeyringLocked,)
    try:
        from secretstorage.exceptions import LockedException, PromptDismissedException

        locked_types = (KeyringLocked, LockedException, PromptDismissedException)
    except ImportError:  # secretstorage is only installed on Linux
        pass
    if isinstance(exc, NoKeyringError):
        message = tr(
            "No usable keyring was found to keep the database key; install and unlock one "
            "(gnome-keyring or KWallet on Linux; Windows and macOS have one built in), or {hint}."
        ).format(hint=hint)
    elif isinstance(exc, locked_types):
        message = tr(
            "The keyring ({where}) is locked and was not unlocked; unlock it (for example "
            "in the desktop's passwords and keys tool, or by logging in to the desktop) and "
            "try again, or {hint}."
        ).format(where=where, hint=hint)
    elif isinstance(exc, InitError | OSError) or _from_dbus_stack(exc):
        message = tr(
            "The keyring ({where}) could not be reached ({detail}); make sure a keyring "
            "service such as gnome-keyring or KWallet is installed, running and unlocked "
            "in this desktop session, or {hint}."
        ).format(where=where, detail=_detail(exc), hint=hint)
    else:
        message = tr(
            "The keyring ({where}) failed while {action} the database key ({detail}); make "
            "sure it is running and unlocked, or {hint}."
        ).format(where=where, action=action, detail=_detail(exc), hint=hint)
    return KeyringError(message)


def _call_keyring(
    operation: Callable[[KeyringBackend], _T],
    *,
    action: str,
    timeout: float,
    refuse_unusable: bool = True,
) -> _T:
    """Run *operation* on the active keyring backend in a daemon thread, waiting *timeout* s.

    Backend detection itself happens in the thread too, since probing the
    Secret Service over D-Bus can hang as well. On timeout the thread is left
    behind (a daemon, so it cannot keep the program from exiting); a store
    that hung may therefore still complete later, which is harmless because
    the same key is stored again next time.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            backend = keyring.get_keyring()
            box["backend"] = backend
            if refuse_unusable:
                _refuse_unusable(backend)
            box["result"] = operation(backend)
        except Exception as exc:  # handed over to the calling thread below
            box["error"] = exc

    thread = threading.Thread(target=worker, name="casebook-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        backend = box.get("backend")
        where = _short_description(backend) if backend is not None else tr("unknown")
        raise KeyringError(
            tr(
                "The keyring ({where}) did not answer within {seconds:g} seconds, which "
                "usually means it is locked and waiting for an unlock prompt; unlock it and "
                "try again, or {hint}."
            ).format(where=where, seconds=timeout, hint=_explicit_key_hint())
        )
    error = box.get("error")
    if isinstance(error, KeyringError):
        raise error
    if error is not None:
        raise _translate(error, box.get("backend"), action) from error
    return cast(_T, box["result"])


def store_key(entry: str, key_hex: str, *, timeout: float = DEFAULT_KEYRING_TIMEOUT) -> None:
    """Keep *key_hex* in the OS keyring under *entry* (see ``key_entry_name``).

    The key is read back after writing, because a database whose key was
    silently not kept can never be opened again. Raises ``KeyringError`` when
    the keyring is missing, locked, unreachable, plain text, does not answer
    within *timeout* seconds, or does not return what was stored.
    """
    key = validate_key_hex(key_hex, source=tr("the key to store"))

    def operation(backend: KeyringBackend) -> None:
        backend.set_password(KEYRING_SERVICE, entry, key)
        stored = backend.get_password(KEYRING_SERVICE, entry)
        if stored is None or stored.strip().lower() != key:
            raise KeyringError(
                tr(
                    "The keyring ({where}) accepted the database key but did not give it "
                    "back when read again; use another keyring, or {hint}."
                ).format(where=_short_description(backend), hint=_explicit_key_hint())
            )

    _call_keyring(operation, action=tr("storing"), timeout=timeout)


def load_key(entry: str, *, timeout: float = DEFAULT_KEYRING_TIMEOUT) -> str | None:
    """Return the key kept under *entry*, or None when the keyring has no such entry.

    Raises ``KeyringError`` for the same keyring problems as ``store_key``,
    and when the stored value is not a valid key.
    """
    value = _call_keyring(
        lambda backend: backend.get_password(KEYRING_SERVICE, entry),
        action=tr("reading"),
        timeout=timeout,
    )
    if value is None:
        return None
    try:
        return validate_key_hex(value, source=tr("the keyring"))
    except KeyringError:
        raise KeyringError(
            tr(
                "The database key stored in the keyring is damaged; import the recovery copy "
                "of the key, or {hint}."
            ).format(hint=_explicit_key_hint())
        ) from None


def delete_key(entry: str, *, timeout: float = DEFAULT_KEYRING_TIMEOUT) -> bool:
    """Remove the key kept under *entry*; return False if there was none.

    Raises ``KeyringError`` for the same keyring problems as ``store_key``.
    """

    def operation(backend: KeyringBackend) -> bool:
        try:
            backend.delete_password(KEYRING_SERVICE, entry)
        except PasswordDeleteError:
            # Every bundled backend raises this for "no such entry".
            return False
        return True

    return _call_keyring(operation, action=tr("deleting"), timeout=timeout)


def backend_description(*, timeout: float = DEFAULT_KEYRING_TIMEOUT) -> str:
    """Name the secret store that holds database keys, e.g. "Secret Service (gnome-keyring)".

    Meant for display (about box, ``db check``), so it never raises: when the
    keyring cannot be determined the text says so.
    """

    def operation(backend: KeyringBackend) -> str:
        description = _short_description(backend)
        chain = _chained(backend)
        if chain and _class_path(chain[0]) in {
            "keyring.backends.SecretService.Keyring",
            "keyring.backends.libsecret.Keyring",
        }:
            provider = _secret_service_provider()
            if provider:
                description = f"{tr('Secret Service')} ({provider})"
        return description

    try:
        # Unusable backends are not refused here: "none (no usable keyring is
        # installed)" is exactly the description the user needs then.
        return _call_keyring(
            operation, action=tr("describing"), timeout=timeout, refuse_unusable=False
        )
    except KeyringError as exc:
        return tr("none usable ({reason})").format(reason=exc.message)


# ------------------------------------------------------------------ recovery copy


def _derive_wrapping_key(
    passphrase: str, salt: bytes, time_cost: int, memory_cost: int, parallelism: int
) -> bytes:
    # NFKC so the passphrase opens the file whichever way an accented letter is typed.
    secret = unicodedata.normalize("NFKC", passphrase).encode("utf-8")
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def export_recovery_key(
    key_hex: str,
    passphrase: str,
    *,
    time_cost: int = RECOVERY_TIME_COST,
    memory_cost: int = RECOVERY_MEMORY_COST_KIB,
    parallelism: int = RECOVERY_PARALLELISM,
) -> bytes:
    """Return a recovery copy of *key_hex*, encrypted under *passphrase*, as UTF-8 JSON bytes.

    The document records ``format`` ("casebook-key-recovery"), ``version`` (1),
    ``kdf`` ("argon2id") with base64 ``salt``, ``time_cost``, ``memory_cost``
    (KiB) and ``parallelism``, and ``cipher`` ("AES-256-GCM") with base64
    ``nonce`` and ``ciphertext`` (key and tag). The passphrase must pass
    ``check_password_rules`` (``ValidationError`` on the "passphrase" field).
    The KDF parameters may be lowered only by tests.
    """
    key = bytes.fromhex(validate_key_hex(key_hex, source=tr("the key to export")))
    check_password_rules(passphrase, field="passphrase")
    if not (
        1 <= time_cost <= _MAX_TIME_COST
        and 1 <= parallelism <= _MAX_PARALLELISM
        and 8 * parallelism <= memory_cost <= _MAX_MEMORY_COST_KIB
    ):
        raise ValueError("Argon2 parameters out of range")
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    wrapping_key = _derive_wrapping_key(passphrase, salt, time_cost, memory_cost, parallelism)
    ciphertext = AESGCM(wrapping_key).encrypt(nonce, key, _RECOVERY_AAD)
    document = {
        "format": RECOVERY_FORMAT,
        "version": RECOVERY_VERSION,
        # Informational only (not authenticated): lets an administrator tell copies apart.
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "kdf": "argon2id",
        "salt": _b64(salt),
        "time_cost": time_cost,
        "memory_cost": memory_cost,
        "parallelism": parallelism,
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _not_a_recovery_file(reason: str) -> RecoveryKeyError:
    return RecoveryKeyError(
        tr(
            "This file is not a Casebook key recovery file ({reason}); choose the file that "
            "was saved when the recovery copy was exported."
        ).format(reason=reason)
    )


def _damaged() -> RecoveryKeyError:
    return RecoveryKeyError(
        tr(
            "Wrong passphrase or damaged recovery file: the key could not be recovered; check "
            "the passphrase (letter case matters) and that this is the right file."
        )
    )


def _int_field(document: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = document.get(name)
    # bool is an int in Python; true/false in the file is damage, not a number.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _not_a_recovery_file(tr("“{name}” is missing or out of range").format(name=name))
    return value


def _bytes_field(document: Mapping[str, Any], name: str, length: int | None = None) -> bytes:
    value = document.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        data = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise _not_a_recovery_file(
            tr("“{name}” is missing or not base64").format(name=name)
        ) from None
    if length is not None and len(data) != length:
        raise _damaged()
    return data


def import_recovery_key(data: bytes | str, passphrase: str) -> str:
    """Return the database key (64 hex characters) from a recovery file made by
    ``export_recovery_key``.

    Raises ``RecoveryKeyError`` (a ``KeyringError``): "not a Casebook key
    recovery file" for something that is not JSON or has the wrong format tag,
    a "newer Casebook" message for an unknown version, and "wrong passphrase or
    damaged recovery file" when decryption fails.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > _MAX_RECOVERY_FILE_BYTES:
        raise _not_a_recovery_file(tr("it is far too large"))
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _not_a_recovery_file(tr("it is not JSON text")) from None
    if not isinstance(document, dict) or document.get("format") != RECOVERY_FORMAT:
        raise _not_a_recovery_file(tr("its format tag is missing or different"))
    version = document.get("version")
    if version != RECOVERY_VERSION:
        raise RecoveryKeyError(
            tr(
                "This key recovery file has format version {version}, which this version of "
                "Casebook cannot read; open it with a newer Casebook."
            ).format(version=version)
        )
    if document.get("kdf") != "argon2id" or document.get("cipher") != "AES-256-GCM":
        raise _not_a_recovery_file(tr("it names an unknown key derivation or cipher"))
    parallelism = _int_field(document, "parallelism", 1, _MAX_PARALLELISM)
    time_cost = _int_field(document, "time_cost", 1, _MAX_TIME_COST)
    memory_cost = _int_field(document, "memory_cost", 8 * parallelism, _MAX_MEMORY_COST_KIB)
    salt = _bytes_field(document, "salt")
    if len(salt) < 8:  # argon2's minimum
        raise _damaged()
    nonce = _bytes_field(document, "nonce", _NONCE_BYTES)
    ciphertext = _bytes_field(document, "ciphertext", KEY_BYTES + _GCM_TAG_BYTES)
    try:
        wrapping_key = _derive_wrapping_key(passphrase, salt, time_cost, memory_cost, parallelism)
        key = AESGCM(wrapping_key).decrypt(nonce, ciphertext, _RECOVERY_AAD)
    except (InvalidTag, HashingError):
        raise _damaged() from None
    return key.hex()
