"""Password hashing, password rules and the failed-login policy."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from casebook.errors import ValidationError
from casebook.security import passwords
from casebook.security.passwords import (
    LOCKOUT_MINUTES,
    LOCKOUT_THRESHOLD,
    LOGIN_DELAY_SECONDS,
    check_password_rules,
    failed_login_delay,
    hash_password,
    is_locked_out,
    lockout_ends_at,
    needs_rehash,
    use_fast_hashing_for_tests,
    use_password_hasher,
    verify_password,
)


@pytest.fixture
def fast_hashing() -> Iterator[None]:
    """Cheap Argon2 parameters for tests where the hashing cost does not matter."""
    previous = use_fast_hashing_for_tests()
    try:
        yield
    finally:
        use_password_hasher(previous)


# ------------------------------------------------------------------------ hashing


def test_hash_round_trip(fast_hashing: None) -> None:
    encoded = hash_password("blue kettle sings at dawn")
    assert encoded.startswith("$argon2id$")
    assert verify_password(encoded, "blue kettle sings at dawn")
    assert not verify_password(encoded, "blue kettle sings at dusk")
    assert not verify_password(encoded, "")


def test_each_hash_is_salted(fast_hashing: None) -> None:
    assert hash_password("blue kettle sings at dawn") != hash_password("blue kettle sings at dawn")


def test_unicode_forms_verify_alike(fast_hashing: None) -> None:
    composed = unicodedata.normalize("NFC", "Café Ñandú säger hej")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(hash_password(composed), decomposed)


@pytest.mark.parametrize(
    "bad_hash",
    ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$garbage", "$2b$12$abcdefghijklmnopqrstuv"],
)
def test_verify_with_invalid_hash_is_false(fast_hashing: None, bad_hash: str) -> None:
    assert verify_password(bad_hash, "blue kettle sings at dawn") is False


def test_default_parameters_are_argon2_cffi_defaults() -> None:
    # The real hasher, on purpose: the production parameters are what is tested
    # (the suite otherwise runs with cheap ones, see conftest.py).
    previous = use_password_hasher(passwords._default_hasher)
    try:
        encoded = hash_password("blue kettle sings at dawn")
        assert encoded.startswith("$argon2id$")
        assert not PasswordHasher().check_needs_rehash(encoded)
        assert not needs_rehash(encoded)
        assert verify_password(encoded, "blue kettle sings at dawn")
    finally:
        use_password_hasher(previous)


def test_rehash_detected_when_parameters_differ(fast_hashing: None) -> None:
    cheap = hash_password("blue kettle sings at dawn")
    other = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("x" * 12)
    assert not needs_rehash(cheap)
    assert needs_rehash(other)
    # Back on the production parameters, the cheap hash must be upgraded at next login.
    fast = use_password_hasher(PasswordHasher())
    try:
        assert needs_rehash(cheap)
        assert verify_password(cheap, "blue kettle sings at dawn")
    finally:
        use_password_hasher(fast)


def test_unreadable_hash_needs_rehash() -> None:
    assert needs_rehash("garbage")
    assert needs_rehash("")


def test_fast_hashing_switch_restores(fast_hashing: None) -> None:
    current = passwords._hasher
    previous = use_fast_hashing_for_tests()
    assert previous is current
    assert passwords._hasher is not current
    use_password_hasher(previous)
    assert passwords._hasher is current


# -------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "password",
    [
        "casebook-demo",  # the demo database's password
        "blue kettle sings at dawn",
        "Tür öffnet sich leise 7",
        "наш дом у реки",
        "correct-horse-battery-staple-42",
        "lopez family beach house",  # a surname inside a real passphrase is fine
        "a" * 11 + "b",  # nothing but length is required
        "x" * 255 + "y",
    ],
)
def test_good_passwords_accepted(password: str) -> None:
    check_password_rules(password, username="mlopez", display_name="Maria Lopez")


def _refusal(password: str, **context: str) -> str:
    with pytest.raises(ValidationError) as caught:
        check_password_rules(password, **context)
    assert set(caught.value.field_errors) == {"password"}
    return caught.value.field_errors["password"]


def test_too_short_refused() -> None:
    message = _refusal("short pass1")  # 11 characters
    assert "at least 12 characters" in message


def test_too_long_refused() -> None:
    assert "at most 256 characters" in _refusal("ab" * 129)


def test_username_refused() -> None:
    assert "username" in _refusal("Supervisor.North", username="supervisor.north")
    assert "username" in _refusal("peer12 loves long walks", username="peer12")
    # The password being part of a (long) username counts too.
    assert "username" in _refusal("jonathan.q.public", username="jonathan.q.public.staff")


def test_short_username_not_checked_for_containment() -> None:
    # "al" is in too many words to refuse every password containing it.
    check_password_rules("totally normal phrase", username="al")


def test_own_name_refused() -> None:
    assert "name" in _refusal("Maria Lopez 2024", display_name="Maria Lopez")
    assert "name" in _refusal("maria2024maria!", display_name="Maria Lopez")


def test_single_character_refused() -> None:
    assert "single character" in _refusal("zzzzzzzzzzzzzz")


def test_repeated_pattern_refused() -> None:
    assert "pattern" in _refusal("abcabcabcabc")
    assert "pattern" in _refusal("ab12ab12ab12")


def test_sequence_refused() -> None:
    assert "neighbouring" in _refusal("123456789012")
    assert "neighbouring" in _refusal("qwertyuiopasdf")
    assert "neighbouring" in _refusal("ZYXWVUTSRQPONM")


def test_common_password_refused() -> None:
    for common in ("password1234", "Password2024!", "casebook12345", "P@ssw0rd!!!!!"):
        assert "commonly used" in _refusal(common)


def test_field_name_can_be_chosen() -> None:
    with pytest.raises(ValidationError) as caught:
        check_password_rules("short", field="passphrase")
    assert set(caught.value.field_errors) == {"passphrase"}


@given(password=st.text(max_size=300), username=st.text(max_size=40), name=st.text(max_size=60))
def test_rules_only_ever_raise_validation_error(password: str, username: str, name: str) -> None:
    try:
        check_password_rules(password, username=username, display_name=name)
    except ValidationError as error:
        assert set(error.field_errors) == {"password"}
        assert error.field_errors["password"].strip()


@given(password=st.text(min_size=1, max_size=50))
def test_round_trip_any_text(password: str) -> None:
    previous = use_fast_hashing_for_tests()
    try:
        assert verify_password(hash_password(password), password)
    finally:
        use_password_hasher(previous)


# ------------------------------------------------------------ delay and lockout


def test_first_failure_costs_nothing() -> None:
    assert failed_login_delay(0) == 0.0
    assert failed_login_delay(1) == 0.0


def test_delay_grows_and_is_capped() -> None:
    delays = [failed_login_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[1] > 0
    assert max(delays) == LOGIN_DELAY_SECONDS
    assert LOGIN_DELAY_SECONDS <= 5.0
    assert failed_login_delay(10**9) == LOGIN_DELAY_SECONDS


def test_lockout_policy() -> None:
    assert LOCKOUT_THRESHOLD == 5
    assert LOCKOUT_MINUTES == 15
    last = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert lockout_ends_at(LOCKOUT_THRESHOLD - 1, last) is None
    assert lockout_ends_at(LOCKOUT_THRESHOLD, None) is None
    assert lockout_ends_at(LOCKOUT_THRESHOLD, last) == last + timedelta(minutes=15)
    assert not is_locked_out(LOCKOUT_THRESHOLD - 1, last, last)
    assert is_locked_out(LOCKOUT_THRESHOLD, last, last + timedelta(minutes=14, seconds=59))
    assert not is_locked_out(LOCKOUT_THRESHOLD, last, last + timedelta(minutes=15))
