"""The domain exceptions every caller (window, command line, reports) handles.

Services raise these and nothing else for expected problems, so the window can
show a message next to a field and the command line can print one line and exit
non-zero, without either knowing about SQLAlchemy or sqlite.
"""

from __future__ import annotations

from collections.abc import Mapping


class CasebookError(Exception):
    """Base of every expected, user-explainable failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(CasebookError):
    """Invalid input. ``field_errors`` maps a field name to what is wrong and how to fix it."""

    def __init__(self, field_errors: Mapping[str, str], message: str | None = None) -> None:
        self.field_errors: dict[str, str] = dict(field_errors)
        if message is None:
            message = "; ".join(f"{name}: {text}" for name, text in self.field_errors.items())
        super().__init__(message)


class PermissionDenied(CasebookError):
    """The acting user may not do this (minimum-necessary access).

    ``audit`` holds the audit event to record for the refusal; the unit of work
    records it in its own transaction after rolling back, so the refusal is on
    record even though nothing else was saved.
    """

    def __init__(self, message: str, audit: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.audit: dict[str, object] | None = dict(audit) if audit else None


class NotFound(CasebookError):
    """The record does not exist (or is not visible to the acting user)."""


class ConflictError(CasebookError):
    """Someone else saved the record first (optimistic locking)."""

    def __init__(
        self, message: str, changed_fields: Mapping[str, tuple[object, object]] | None = None
    ) -> None:
        super().__init__(message)
        self.changed_fields: dict[str, tuple[object, object]] = dict(changed_fields or {})


class AuthenticationError(CasebookError):
    """Wrong username or password, or a locked account."""


class DatabaseError(CasebookError):
    """The database file or server cannot be used (missing, corrupt, wrong key, newer schema...)."""


class KeyringError(CasebookError):
    """The operating-system keyring cannot give or keep the database key."""
