"""How the window tells a person that something went wrong.

Domain errors carry sentences written for people; anything else is logged
with its traceback and shown as a short, calm message, never a traceback.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from casebook.errors import CasebookError, ConflictError, PermissionDenied, ValidationError

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


def describe(exc: BaseException) -> str:
    """One paragraph for a person: the domain message, or a generic one."""
    if isinstance(exc, ValidationError):
        return "\n".join(f"• {text}" for text in exc.field_errors.values()) or exc.message
    if isinstance(exc, CasebookError):
        return exc.message
    from casebook.db import is_driver_error

    if is_driver_error(exc):
        text = str(getattr(exc, "orig", exc)).lower()
        if "full" in text:
            return _tr("The disk is full, so nothing was saved. Free some space and try again.")
        if "i/o error" in text:
            # A write refused by the disk (full, a file-size limit, failing hardware):
            # the transaction was rolled back, so what was saved before is intact.
            return _tr(
                "The disk refused the write (it may be full or failing), so nothing was "
                "saved. Earlier work is safe. Free some space or tell your administrator."
            )
        if "locked" in text or "busy" in text:
            return _tr("The database is busy in another window; try again in a moment.")
    log.error("unexpected error", exc_info=exc)
    return _tr(
        "Something unexpected went wrong and nothing was saved. The details were "
        "written to the log; please tell your administrator."
    )


def show_error(parent: QWidget | None, exc: BaseException, title: str | None = None) -> None:
    """A modal message for *exc*; conflicts and refusals get their own titles."""
    if isinstance(exc, ConflictError):
        title = title or _tr("Saved by someone else")
        icon = QMessageBox.Icon.Warning
    elif isinstance(exc, PermissionDenied):
        title = title or _tr("Not available to you")
        icon = QMessageBox.Icon.Information
    elif isinstance(exc, ValidationError):
        title = title or _tr("Please check")
        icon = QMessageBox.Icon.Warning
    else:
        title = title or _tr("Could not complete")
        icon = QMessageBox.Icon.Warning
    box = QMessageBox(icon, title, describe(exc), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorMessage")
    box.exec()
