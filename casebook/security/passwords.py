"""Staff password hashing, password rules and the failed-login policy.

Hashes are Argon2id with argon2-cffi's default parameters, so that when the
library raises its defaults ``needs_rehash`` turns true and the login service
re-hashes the password while it has it in hand.

Password rules follow NIST SP 800-63B: a length minimum, a blocklist of
obvious choices and context-specific words (username, the person's name), and
no composition rules ("one upper case, one digit, one symbol"), because those
push people towards ``Password1!`` and sticky notes rather than towards
passphrases.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casebook.errors import ValidationError
from casebook.i18n import tr

__all__ = [
    "LOCKOUT_MINUTES",
    "LOCKOUT_THRESHOLD",
    "LOGIN_DELAY_BASE_SECONDS",
    "LOGIN_DELAY_SECONDS",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_password_rules",
    "failed_login_delay",
    "hash_password",
    "is_locked_out",
    "lockout_ends_at",
    "needs_rehash",
    "use_fast_hashing_for_tests",
    "use_password_hasher",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
# Argon2 accepts any length; the cap only stops someone pasting megabytes into
# the login field to make every attempt expensive.
MAX_PASSWORD_LENGTH = 256

# Consecutive failed logins after which the account is locked ...
LOCKOUT_THRESHOLD = 5
# ... and for how long. Long enough to stop guessing, short enough that a
# specialist who mistyped five times is back before the next appointment.
LOCKOUT_MINUTES = 15

# The longest pause after a failed login (the cap of ``failed_login_delay``).
LOGIN_DELAY_SECONDS = 5.0
# The pause after the second consecutive failure; it doubles from there.
LOGIN_DELAY_BASE_SECONDS = 0.5

# A name shorter than this is not checked for being *contained* in the
# password: a two-letter username like "al" occurs in too many ordinary words.
_MIN_CONTAINED_NAME_LENGTH = 4
# A password that is mostly the person's name: fewer than this many letters and
# digits remain once the name parts are taken out.
_MIN_REST_WITHOUT_NAME = 8
# A password that is one short unit repeated ("abcabcabcabc", "ab12ab12ab12").
_MAX_REPEATED_UNIT = 4

_default_hasher = PasswordHasher()
_hasher: PasswordHasher = _default_hasher


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Make *hasher* the one used by every later call; return the one it replaces.

    Exists so tests can restore the previous hasher after
    ``use_fast_hashing_for_tests``; the application never calls it.
    """
    global _hasher
    previous = _hasher
    _hasher = hasher
    return previous


def use_fast_hashing_for_tests() -> PasswordHasher:
    """Switch to very cheap Argon2id parameters; **for tests only**.

    The production parameters cost tens of milliseconds and 64 MiB per hash on
    purpose; a test suite that creates hundreds of users does not need that.
    Returns the hasher that was in use so a fixture can restore it with
    ``use_password_hasher``. Hashes made this way report ``needs_rehash`` once
    the default hasher is back.
    """
    return use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _normalize(password: str) -> str:
    # NFKC (as NIST 800-63B asks) so the same password typed on a keyboard that
    # produces a precomposed "é" and one that produces "e" + combining accent
    # hashes and verifies the same.
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """Return the encoded Argon2id hash of *password* (after Unicode NFKC normalisation)."""
    return _hasher.hash(_normalize(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether *password* matches *password_hash*.

    Returns False, never raises, for a wrong password and for a hash that is
    empty, damaged or not Argon2 at all, so a corrupt account row reads as
    "wrong password" rather than a crash on the login screen.
    """
    try:
        return _hasher.verify(password_hash, _normalize(password))
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        # VerifyMismatchError is a VerificationError; InvalidHashError is a
        # ValueError. TypeError covers a NULL hash column passed in as None.
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether *password_hash* was made with other parameters than the current ones.

    The login service calls this after a successful ``verify_password`` and
    stores a fresh ``hash_password`` when it is true. An unreadable hash also
    counts as needing a rehash, since it can only be replaced.
    """
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError, TypeError):
        return True


# Passwords of at least 12 characters that appear near the top of breach
# corpora; anything shorter is already refused by the length rule.
_COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910111213",
        "1q2w3e4r5t6y",
        "1q2w3e4r5t6y7u",
        "1qaz2wsx3edc",
        "1qaz2wsx3edc4rfv",
        "abc123456789",
        "abcd12345678",
        "aaaaaaaaaaaa",
        "correcthorsebatterystaple",
        "correct horse battery staple",
        "iloveyouforever",
        "ihateyou1234",
        "letmeinletmein",
        "passwordpassword",
        "qwertyuiop123",
        "qwertyuiopasdfghjkl",
        "qwerty123456",
        "qwerty12345678",
        "zaq12wsxcde3",
        "zaq1zaq1zaq1",
        "trustno1trustno1",
        "thisismypassword",
        "mypassword123",
        "changemenow123",
        "welcometoclinic",
    }
)

# A common word (or the program's own name) with only digits and symbols
# around it: "Password2024!", "!!casebook123", "welcome12345". These are what
# a length-only rule lets through and what guessing tools try first.
_COMMON_BASE_WORDS = (
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "p@$$w0rd",
    "pa$$word",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "letmein",
    "welcome",
    "changeme",
    "iloveyou",
    "admin",
    "administrator",
    "casebook",
    "recovery",
    "secret",
    "sunshine",
    "football",
    "baseball",
    "princess",
    "dragon",
    "monkey",
    "master",
    "superman",
    "starwars",
    "trustno1",
    "summer",
    "winter",
    "spring",
    "autumn",
)
_COMMON_PATTERN = re.compile(
    r"[\W\d_]*(?:" + "|".join(re.escape(word) for word in _COMMON_BASE_WORDS) + r")+[\W\d_]*"
)

# Runs of neighbouring characters: the alphabet, digits and keyboard rows,
# forwards and backwards. Repeated so runs that wrap ("7890123456789") match.
_SEQUENCES = tuple(
    text * 3
    for base in (
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
        "qwertyuiopasdfghjklzxcvbnm",
        "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "qazwsxedcrfvtgbyhnujmikolp",
        "1q2w3e4r5t6y7u8i9o0p",
    )
    for text in (base, base[::-1])
)


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_repeated_unit(text: str) -> bool:
    # The smallest period of a string is the first place it reappears in
    # itself doubled; "abcabcabc" reappears at 3.
    period = (text + text).find(text, 1)
    return 1 < period <= _MAX_REPEATED_UNIT and len(text) % period == 0


def _is_sequence(text: str) -> bool:
    return any(text in sequence for sequence in _SEQUENCES)


def _mostly_name(folded_password: str, display_name: str) -> bool:
    name = _letters_and_digits(display_name)
    if len(name) < _MIN_CONTAINED_NAME_LENGTH:
        return False
    rest = _letters_and_digits(folded_password)
    # The whole name, then its parts, so "Maria2024Maria" is caught for "Maria Lopez".
    # Parts under three letters ("Al", "Jo") occur in too many ordinary words.
    words = (_letters_and_digits(word) for word in re.split(r"[\s\-.,'_]+", display_name))
    parts = [name, *sorted((word for word in words if len(word) >= 3), key=len, reverse=True)]
    if not any(part in rest for part in parts):
        return False
    for part in parts:
        rest = rest.replace(part, "")
    return len(rest) < _MIN_REST_WITHOUT_NAME


def check_password_rules(
    password: str,
    *,
    username: str = "",
    display_name: str = "",
    field: str = "password",
) -> None:
    """Refuse a password a clinic should not accept; return None when it is fine.

    Raises ``ValidationError({field: message})`` for the first rule broken,
    where the message says how to choose a better one. The rules: at least
    ``MIN_PASSWORD_LENGTH`` and at most ``MAX_PASSWORD_LENGTH`` characters; not
    the username, part of it, or containing it; not mostly the person's
    display name; not one character repeated, a short pattern repeated, or a
    run like ``123456789012``; not a commonly used password. There are no
    composition rules. *field* names the form field the message belongs to
    (``"passphrase"`` for the key-recovery passphrase).
    """
    normalized = _normalize(password)
    folded = normalized.casefold()

    def refuse(message: str) -> NoReturn:
        raise ValidationError({field: message})

    if len(normalized) < MIN_PASSWORD_LENGTH:
        refuse(
            tr(
                "Use at least {minimum} characters; a few unrelated words make a long "
                "password that is still easy to remember."
            ).format(minimum=MIN_PASSWORD_LENGTH)
        )
    if len(normalized) > MAX_PASSWORD_LENGTH:
        refuse(tr("Use at most {maximum} characters.").format(maximum=MAX_PASSWORD_LENGTH))

    folded_username = _normalize(username).strip().casefold()
    if folded_username and (
        folded == folded_username
        or folded in folded_username
        or (len(folded_username) >= _MIN_CONTAINED_NAME_LENGTH and folded_username in folded)
    ):
        refuse(
            tr(
                "Do not use the username in the password; choose words that have "
                "nothing to do with the account."
            )
        )
    if display_name.strip() and _mostly_name(folded, _normalize(display_name)):
        refuse(
            tr(
                "Do not build the password from your own name; choose words that "
                "have nothing to do with you."
            )
        )
    if len(set(folded)) == 1:
        refuse(tr("Do not repeat a single character; use a few unrelated words instead."))
    if _is_repeated_unit(folded):
        refuse(
            tr(
                "Do not repeat a short pattern such as “abcabcabc”; use a few unrelated "
                "words instead."
            )
        )
    if _is_sequence(folded):
        refuse(
            tr(
                "Do not use a run of neighbouring keys or characters such as "
                "“123456789012” or “qwertyuiop”; use a few unrelated words instead."
            )
        )
    if folded in _COMMON_PASSWORDS or _COMMON_PATTERN.fullmatch(folded):
        refuse(
            tr(
                "This is one of the most commonly used passwords, which attackers try "
                "first; choose something else, for example a few unrelated words."
            )
        )


def failed_login_delay(failures: int) -> float:
    """Seconds to wait before answering a login after *failures* consecutive failures.

    *failures* counts the failed attempts so far, including the one just made.
    The first failure costs nothing (everyone mistypes); from the second on the
    pause starts at ``LOGIN_DELAY_BASE_SECONDS`` and doubles, capped at
    ``LOGIN_DELAY_SECONDS``, which slows guessing without punishing a typo.
    """
    if failures <= 1:
        return 0.0
    # Cap the exponent before raising 2 to it so a huge counter cannot overflow.
    exponent = min(failures - 2, 16)
    return min(LOGIN_DELAY_BASE_SECONDS * 2.0**exponent, LOGIN_DELAY_SECONDS)


def lockout_ends_at(failures: int, last_failure_at: datetime | None) -> datetime | None:
    """When a lockout caused by *failures* consecutive failures ends, or None if there is none.

    An account is locked once ``LOCKOUT_THRESHOLD`` consecutive logins failed,
    for ``LOCKOUT_MINUTES`` after the last failure. The result has the same
    timezone awareness as *last_failure_at* (store UTC).
    """
    if failures < LOCKOUT_THRESHOLD or last_failure_at is None:
        return None
    return last_failure_at + timedelta(minutes=LOCKOUT_MINUTES)


def is_locked_out(failures: int, last_failure_at: datetime | None, now: datetime) -> bool:
    """Tell whether an account with this failure record is locked at *now*."""
    ends = lockout_ends_at(failures, last_failure_at)
    return ends is not None and now < ends
