"""The database key: keyring storage (in-memory, failing, locked, hanging and the real
Secret Service), explicit keys from the environment or a file, and the recovery copy."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyring.backends import fail, null

from casebook.errors import KeyringError, ValidationError
from casebook.security.keystore import (
    KEY_ENV_VAR,
    KEYRING_SERVICE,
    RecoveryKeyError,
    backend_description,
    delete_key,
    export_recovery_key,
    generate_key,
    import_recovery_key,
    key_entry_name,
    key_from_environment,
    load_key,
    raw_key_literal,
    read_key_file,
    store_key,
)
from casebook.security.memory_keyring import (
    HangingKeyring,
    LockedKeyring,
    MemoryKeyring,
    installed_keyring,
)

PASSPHRASE = "orange lanterns over the harbour"
# Cheap Argon2 settings so the recovery tests stay quick; the defaults are
# exercised once in test_recovery_defaults_are_strong.
FAST_KDF = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test runs against an in-memory keyring unless it installs another, so no
    test can write into the real keyring of whoever runs the suite."""
    with installed_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


def _assert_helpful(message: str) -> None:
    """Keyring failures must say what to do, including the explicit-key way out."""
    assert KEY_ENV_VAR in message
    assert "--key-file" in message
    assert "Traceback" not in message
    assert "\n" not in message


# --------------------------------------------------------------------------- keys


def test_generate_key() -> None:
    first, second = generate_key(), generate_key()
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != second


def test_entry_name_per_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = key_entry_name(tmp_path / "clinic.db")
    assert re.fullmatch(r"db-key:[0-9a-f]{16}", name)
    assert "clinic" not in name
    assert key_entry_name(tmp_path / "other.db") != name
    monkeypatch.chdir(tmp_path)
    # A relative path and a detour through ".." name the same file, so the same entry.
    assert key_entry_name(Path("clinic.db")) == name
    assert key_entry_name(tmp_path / "sub" / ".." / "clinic.db") == name


def test_raw_key_literal() -> None:
    key = generate_key()
    assert raw_key_literal(key.upper()) == f"\"x'{key}'\""
    with pytest.raises(KeyringError):
        raw_key_literal("'; DROP TABLE participant; --")


# ------------------------------------------------------------ in-memory keyring


def test_store_load_delete(memory_keyring: MemoryKeyring) -> None:
    entry = key_entry_name(Path("/srv/casebook/clinic.db"))
    key = generate_key()
    assert load_key(entry) is None
    store_key(entry, key)
    assert memory_keyring.passwords == {(KEYRING_SERVICE, entry): key}
    assert load_key(entry) == key
    assert delete_key(entry) is True
    assert load_key(entry) is None
    assert delete_key(entry) is False


def test_store_normalises_and_replaces(memory_keyring: MemoryKeyring) -> None:
    first, second = generate_key(), generate_key()
    store_key("db-key:x", first)
    store_key("db-key:x", f"  {second.upper()}\n")
    assert load_key("db-key:x") == second


def test_store_refuses_invalid_key(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(KeyringError, match="64"):
        store_key("db-key:x", "abc")
    assert memory_keyring.passwords == {}


def test_damaged_stored_key(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.passwords[(KEYRING_SERVICE, "db-key:x")] = "not a key"
    with pytest.raises(KeyringError) as caught:
        load_key("db-key:x")
    assert "damaged" in caught.value.message
    assert "not a key" not in caught.value.message
    _assert_helpful(caught.value.message)


def test_backend_description_memory() -> None:
    assert "in-memory" in backend_description()


# ------------------------------------------------------------ unusable keyrings


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_usable_keyring(backend: fail.Keyring | null.Keyring) -> None:
    with installed_keyring(backend):
        for call in (
            lambda: store_key("db-key:x", generate_key()),
            lambda: load_key("db-key:x"),
            lambda: delete_key("db-key:x"),
        ):
            with pytest.raises(KeyringError) as caught:
                call()
            message = caught.value.message
            assert message.startswith("No usable keyring")
            assert "gnome-keyring" in message
            _assert_helpful(message)
        assert backend_description().startswith("none")


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring."""


def test_plaintext_keyring_refused() -> None:
    backend = PlaintextKeyring()
    with installed_keyring(backend):
        with pytest.raises(KeyringError) as caught:
            store_key("db-key:x", generate_key())
        assert "plain text" in caught.value.message
        _assert_helpful(caught.value.message)
    assert backend.passwords == {}


def test_locked_keyring() -> None:
    with installed_keyring(LockedKeyring()):
        with pytest.raises(KeyringError) as caught:
            load_key("db-key:x")
        assert "locked" in caught.value.message
        _assert_helpful(caught.value.message)
        with pytest.raises(KeyringError, match="locked"):
            store_key("db-key:x", generate_key())


def test_hanging_keyring_times_out() -> None:
    backend = HangingKeyring()
    try:
        with installed_keyring(backend):
            started = time.monotonic()
            with pytest.raises(KeyringError) as caught:
                load_key("db-key:x", timeout=0.2)
            assert time.monotonic() - started < 2.0
            assert backend.entered.is_set()
            assert "did not answer within 0.2 seconds" in caught.value.message
            _assert_helpful(caught.value.message)
            # Describing the backend does not call into it, so it answers at once.
            assert backend_description(timeout=0.2).endswith("HangingKeyring")
    finally:
        backend.release()


class DbusBrokenKeyring(MemoryKeyring):
    """Raises what secretstorage raises when no Secret Service answers on D-Bus."""

    def get_password(self, service: str, username: str) -> str | None:
        from secretstorage.exceptions import SecretServiceNotAvailableException

        raise SecretServiceNotAvailableException("Can not connect to the session bus")


class SurprisingKeyring(MemoryKeyring):
    """A third-party backend failing in some way nobody planned for."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("backend exploded")


class ForgetfulKeyring(MemoryKeyring):
    """Accepts every secret and keeps none."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


def test_unreachable_dbus() -> None:
    with installed_keyring(DbusBrokenKeyring()), pytest.raises(KeyringError) as caught:
        load_key("db-key:x")
    message = caught.value.message
    assert "could not be reached" in message
    assert "SecretServiceNotAvailableException" in message
    _assert_helpful(message)
    assert caught.value.__cause__ is not None  # the original stays available for logs


def test_unexpected_backend_error() -> None:
    with installed_keyring(SurprisingKeyring()), pytest.raises(KeyringError) as caught:
        load_key("db-key:x")
    assert "failed while reading" in caught.value.message
    _assert_helpful(caught.value.message)


def test_key_not_kept_is_detected() -> None:
    with installed_keyring(ForgetfulKeyring()), pytest.raises(KeyringError) as caught:
        store_key("db-key:x", generate_key())
    assert "did not give it back" in caught.value.message
    _assert_helpful(caught.value.message)


# ---------------------------------------------------------------- explicit keys


def test_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    assert key_from_environment() is None
    monkeypatch.setenv(KEY_ENV_VAR, f" {key.upper()}\n")
    assert key_from_environment() == key
    assert key_from_environment({}) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc123", "has 6 characters"),
        ("g" * 64, "other than 0–9 and a–f"),
        ("x'" + "a" * 64 + "'", "has 67 characters"),
        ("   ", "set but empty"),
    ],
)
def test_environment_key_invalid(value: str, problem: str) -> None:
    with pytest.raises(KeyringError) as caught:
        key_from_environment({KEY_ENV_VAR: value})
    message = caught.value.message
    assert KEY_ENV_VAR in message
    assert problem in message
    if value.strip():
        assert value not in message  # never echo what may be a real key


def test_key_file(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "db.key"
    path.write_text(key + "\n", encoding="ascii")
    assert read_key_file(path) == key


def test_key_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "missing.key"
    with pytest.raises(KeyringError, match="does not exist"):
        read_key_file(missing)

    wrong = tmp_path / "wrong.key"
    wrong.write_text("hunter2\n", encoding="ascii")
    with pytest.raises(KeyringError) as caught:
        read_key_file(wrong)
    assert str(wrong) in caught.value.message
    assert "hunter2" not in caught.value.message

    binary = tmp_path / "binary.key"
    binary.write_bytes(os.urandom(32) + b"\xff")
    with pytest.raises(KeyringError, match="not plain text"):
        read_key_file(binary)

    huge = tmp_path / "huge.key"
    huge.write_bytes(b"a" * 100_000)
    with pytest.raises(KeyringError, match="too large"):
        read_key_file(huge)

    with pytest.raises(KeyringError, match="cannot be read"):
        read_key_file(tmp_path)  # a directory


# ----------------------------------------------------------------- recovery copy


def test_recovery_round_trip() -> None:
    key = generate_key()
    data = export_recovery_key(key, PASSPHRASE, **FAST_KDF)
    document = json.loads(data)
    assert document["format"] == "casebook-key-recovery"
    assert document["version"] == 1
    assert document["kdf"] == "argon2id"
    assert document["cipher"] == "AES-256-GCM"
    assert (document["time_cost"], document["memory_cost"], document["parallelism"]) == (1, 1024, 1)
    for field in ("salt", "nonce", "ciphertext"):
        base64.b64decode(document[field], validate=True)
    assert key not in data.decode()
    assert import_recovery_key(data, PASSPHRASE) == key
    assert import_recovery_key(data.decode(), PASSPHRASE) == key


def test_recovery_defaults_are_strong() -> None:
    key = generate_key()
    data = export_recovery_key(key, PASSPHRASE)
    document = json.loads(data)
    assert document["time_cost"] >= 3
    assert document["memory_cost"] >= 64 * 1024
    assert import_recovery_key(data, PASSPHRASE) == key


def test_recovery_copies_differ() -> None:
    key = generate_key()
    first = json.loads(export_recovery_key(key, PASSPHRASE, **FAST_KDF))
    second = json.loads(export_recovery_key(key, PASSPHRASE, **FAST_KDF))
    assert first["salt"] != second["salt"]
    assert first["ciphertext"] != second["ciphertext"]


def test_recovery_weak_passphrase_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        export_recovery_key(generate_key(), "short", **FAST_KDF)
    assert set(caught.value.field_errors) == {"passphrase"}
    assert "12 characters" in caught.value.field_errors["passphrase"]


def test_recovery_wrong_passphrase() -> None:
    data = export_recovery_key(generate_key(), PASSPHRASE, **FAST_KDF)
    with pytest.raises(RecoveryKeyError) as caught:
        import_recovery_key(data, "orange lanterns over the harbor")
    assert caught.value.message.startswith("Wrong passphrase or damaged recovery file")
    assert isinstance(caught.value, KeyringError)


def _tampered(data: bytes, field: str) -> bytes:
    document = json.loads(data)
    raw = bytearray(base64.b64decode(document[field]))
    raw[0] ^= 0x01
    document[field] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(document).encode()


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "salt"])
def test_recovery_tampering_refused(field: str) -> None:
    data = export_recovery_key(generate_key(), PASSPHRASE, **FAST_KDF)
    with pytest.raises(RecoveryKeyError, match="Wrong passphrase or damaged recovery file"):
        import_recovery_key(_tampered(data, field), PASSPHRASE)


def test_recovery_tampered_parameters_refused() -> None:
    document = json.loads(export_recovery_key(generate_key(), PASSPHRASE, **FAST_KDF))
    document["time_cost"] = 2
    with pytest.raises(RecoveryKeyError, match="Wrong passphrase or damaged"):
        import_recovery_key(json.dumps(document).encode(), PASSPHRASE)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x00\xff\xfe garbage", "not a Casebook key recovery file"),
        (b"hello", "not JSON"),
        (b"[1, 2, 3]", "format tag"),
        (b'{"format": "something-else", "version": 1}', "format tag"),
        (b'{"format": "casebook-key-recovery", "version": 2}', "newer Casebook"),
        (b'{"format": "casebook-key-recovery", "version": 1, "kdf": "scrypt"}', "unknown"),
        (b"{" + b" " * 70_000 + b"}", "too large"),
    ],
)
def test_recovery_garbage_refused(data: bytes, expected: str) -> None:
    with pytest.raises(RecoveryKeyError, match=expected):
        import_recovery_key(data, PASSPHRASE)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_cost", 2**40),  # would ask for a petabyte before the tag check
        ("time_cost", 10**6),
        ("time_cost", True),
        ("parallelism", 0),
        ("salt", "***not base64***"),
        ("nonce", None),
    ],
)
def test_recovery_malformed_fields_refused(field: str, value: object) -> None:
    document = json.loads(export_recovery_key(generate_key(), PASSPHRASE, **FAST_KDF))
    document[field] = value
    started = time.monotonic()
    with pytest.raises(RecoveryKeyError, match=field):
        import_recovery_key(json.dumps(document).encode(), PASSPHRASE)
    assert time.monotonic() - started < 2.0


@settings(max_examples=200)
@given(data=st.binary(max_size=2000))
def test_recovery_import_only_raises_recovery_error(data: bytes) -> None:
    with pytest.raises(RecoveryKeyError):
        import_recovery_key(data, PASSPHRASE)


# ------------------------------------------------------------------ real keyring


@pytest.mark.real_keyring
def test_real_secret_service(tmp_path: Path) -> None:
    from keyring.backends import SecretService

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); run under "
            "dbus-run-session with an unlocked gnome-keyring-daemon"
        )
    try:
        SecretService.Keyring.priority  # noqa: B018 - raises when no Secret Service answers
    except Exception as exc:
        pytest.skip(f"no Secret Service reachable on the session bus: {exc}")

    # A fresh path per run, so the entry can never be a real database's key.
    entry = key_entry_name(tmp_path / "real-keyring-test.db")
    key = generate_key()
    with installed_keyring(SecretService.Keyring()):
        try:
            store_key(entry, key)
            assert load_key(entry) == key
            assert backend_description().startswith("Secret Service")
        finally:
            delete_key(entry)
        assert load_key(entry) is None
