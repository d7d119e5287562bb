"""Keyring backends for tests: in memory, locked, and hanging.

These live in the package (not under ``tests/``) so the tests of any module
that needs a database key can use them. The application itself never imports
this module. Every backend here has a negative priority: ``keyring`` registers
each subclass it sees and picks the highest priority, and the always-present
"fail" backend has priority 0, so none of these can ever be chosen
automatically — a test has to install one explicitly, best with
``installed_keyring``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import KeyringLocked, PasswordDeleteError

__all__ = ["HangingKeyring", "LockedKeyring", "MemoryKeyring", "installed_keyring"]


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict for the life of the object; nothing reaches the disk."""

    @properties.classproperty
    def priority(cls) -> float:
        """Below the "fail" backend, so never picked automatically."""
        return -10

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        # Tests of other modules may use the keystore from worker threads.
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored password or None."""
        with self._lock:
            return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store *password*, replacing any earlier one."""
        with self._lock:
            self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove the password; raise PasswordDeleteError, as real backends do, if absent."""
        with self._lock:
            try:
                del self.passwords[(service, username)]
            except KeyError:
                raise PasswordDeleteError("No such password!") from None


class LockedKeyring(KeyringBackend):
    """Behaves like a Secret Service collection whose unlock prompt was dismissed."""

    @properties.classproperty
    def priority(cls) -> float:
        """Below the "fail" backend, so never picked automatically."""
        return -10

    def get_password(self, service: str, username: str) -> str | None:
        """Always raise KeyringLocked."""
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Always raise KeyringLocked."""
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        """Always raise KeyringLocked."""
        raise KeyringLocked("Failed to unlock the collection!")


class HangingKeyring(KeyringBackend):
    """Every call blocks until ``release()`` (or *max_block_seconds*), like a keyring
    waiting on an unlock prompt nobody will answer.

    ``entered`` is set as soon as a call has started blocking. Call ``release()``
    in teardown so the blocked threads finish instead of lingering.
    """

    @properties.classproperty
    def priority(cls) -> float:
        """Below the "fail" backend, so never picked automatically."""
        return -10

    def __init__(self, max_block_seconds: float = 60.0) -> None:
        super().__init__()
        self.max_block_seconds = max_block_seconds
        self.entered = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        """Let every blocked and future call return (get returns None)."""
        self._released.set()

    def _block(self) -> None:
        self.entered.set()
        # Bounded even if a test forgets release(), so no thread outlives the run by much.
        self._released.wait(self.max_block_seconds)

    def get_password(self, service: str, username: str) -> str | None:
        """Block, then return None."""
        self._block()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Block, then store nothing."""
        self._block()

    def delete_password(self, service: str, username: str) -> None:
        """Block, then delete nothing."""
        self._block()


@contextmanager
def installed_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make *backend* the active keyring for the ``with`` block, then restore the previous one.

    Reads the previous backend from keyring's module state rather than calling
    ``keyring.get_keyring()``, because that would run backend detection — which
    talks to D-Bus and can itself hang — just to put it back afterwards.
    """
    previous: KeyringBackend | None = getattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        # None means "not detected yet"; restoring None makes keyring detect
        # again on next use, exactly as before the block.
        keyring.core._keyring_backend = previous  # type: ignore[assignment]
