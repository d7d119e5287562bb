"""Print preview: build a report off the UI thread, show it, print it or save it.

``open_report`` builds the PDF on the write worker (the build writes its audit
event) into a private temporary folder (mode 0700, the file 0600), then shows it in
a preview with page navigation and zoom, Print… (the system print dialog; each page
is rendered at the printer's resolution) and Save as PDF…. The temporary copy is
deleted when the preview closes, or at once if the build fails or is cancelled, so
no health information is left behind in the temp folder.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QPointF, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import CasebookError
from casebook.reports.documents import record_output
from casebook.security.permissions import Actor
from ui.context import AppContext
from ui.icons import icon
from ui.messages import show_error
from ui.tasks import Progress, run_with_progress

Build = Callable[[Any, Actor, Path], Path]

_ZOOM_STEPS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
_live_folders: set[str] = set()


def _tr(text: str) -> str:
    return QCoreApplication.translate("PrintPreview", text)


def _remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _live_folders.discard(folder)


@atexit.register
def _remove_leftovers() -> None:
    # A preview still open when the program quits, or a build still running.
    for folder in list(_live_folders):
        _remove(folder)


def _private_pdf_path() -> tuple[str, Path]:
    folder = tempfile.mkdtemp(prefix="casebook-print-")  # 0700: only this user
    _live_folders.add(folder)
    return folder, Path(folder) / "report.pdf"


def safe_file_name(title: str) -> str:
    """A file name offered in the save dialog, made from the document title."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip().rstrip(".")
    return (name or "report")[:120] + ".pdf"


def open_report(parent: QWidget, ctx: AppContext, title: str, build: Build) -> None:
    """Build a report with ``build(session, actor, path)`` off the UI thread and preview it.

    A refusal or failure is shown as a message (never a traceback); cancelling the
    progress dialog discards the result.
    """
    folder, path = _private_pdf_path()
    actor = ctx.actor
    claimed = [False]

    def work(_progress: Progress) -> Path:
        with ctx.db.session() as session:
            return build(session, actor, path)

    def done(result: Path) -> None:
        claimed[0] = True
        dialog = PrintPreviewDialog(ctx, title, result, folder, parent)
        dialog.open()

    def failed(exc: BaseException) -> None:
        _remove(folder)
        show_error(parent, exc, _tr("Could not prepare the document"))

    def finished() -> None:
        # The result (if any) is delivered just after ``finished``; look once it has been.
        QTimer.singleShot(0, lambda: None if claimed[0] else _remove(folder))

    handle = run_with_progress(
        parent,
        _tr("Preparing {title}…").format(title=title),
        work,
        done,
        cancellable=True,
        on_error=failed,
        runner=ctx.runner,
        write=True,  # the build records its print in the audit log
    )
    handle.finished.connect(finished)


class PrintPreviewDialog(QDialog):
    """The built PDF with page navigation, zoom, Print… and Save as PDF…."""

    def __init__(
        self, ctx: AppContext, title: str, pdf: Path, folder: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("printPreview")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(_tr("Print preview — {title}").format(title=title))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._ctx = ctx
        self._title = title
        self._pdf = pdf
        self._folder = folder
        self.finished.connect(self._discard)

        self.document = QPdfDocument(self)
        self.document.load(str(pdf))
        self.view = QPdfView(self)
        self.view.setObjectName("previewView")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(_tr("Document preview"))

        bar = QToolBar(self)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.print_action = bar.addAction(icon("printer"), _tr("&Print…"), self.choose_printer)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.save_action = bar.addAction(icon("file-down"), _tr("&Save as PDF…"), self.choose_file)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        bar.addSeparator()
        self.previous_action = bar.addAction(_tr("Previous page"), self.previous_page)
        self.previous_action.setShortcut(QKeySequence(Qt.Key.Key_PageUp))
        self.page_box = QSpinBox(self)
        self.page_box.setAccessibleName(_tr("Page"))
        self.page_box.setRange(1, max(1, self.page_count))
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.page_total = QLabel(_tr("of {n}").format(n=self.page_count), self)
        bar.addWidget(self.page_box)
        bar.addWidget(self.page_total)
        self.next_action = bar.addAction(_tr("Next page"), self.next_page)
        self.next_action.setShortcut(QKeySequence(Qt.Key.Key_PageDown))
        bar.addSeparator()
        self.zoom_out_action = bar.addAction(_tr("Zoom out"), self.zoom_out)
        self.zoom_out_action.setShortcut(QKeySequence.StandardKey.ZoomOut)
        self.zoom_in_action = bar.addAction(_tr("Zoom in"), self.zoom_in)
        self.zoom_in_action.setShortcut(QKeySequence.StandardKey.ZoomIn)
        self.fit_action = bar.addAction(_tr("Fit width"), self.fit_width)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.view.pageNavigator().currentPageChanged.connect(self._page_changed)
        self._page_changed(0)
        self.resize(900, 700)

    def _discard(self, _result: int = 0) -> None:
        # The preview was the only reason to keep the temporary copy.
        self.document.close()
        _remove(self._folder)

    # -- navigation and zoom -------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return int(self.document.pageCount())

    @property
    def current_page(self) -> int:
        return int(self.view.pageNavigator().currentPage())

    def go_to_page(self, page: int) -> None:
        page = min(max(page, 0), self.page_count - 1)
        if page != self.current_page:
            self.view.pageNavigator().jump(page, QPointF(), self.view.zoomFactor())

    def previous_page(self) -> None:
        self.go_to_page(self.current_page - 1)

    def next_page(self) -> None:
        self.go_to_page(self.current_page + 1)

    def _page_changed(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.previous_action.setEnabled(page > 0)
        self.next_action.setEnabled(page < self.page_count - 1)

    def _set_zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(factor)

    def zoom_in(self) -> None:
        current = self.view.zoomFactor()
        self._set_zoom(next((z for z in _ZOOM_STEPS if z > current + 0.01), _ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        current = self.view.zoomFactor()
        smaller = [z for z in _ZOOM_STEPS if z < current - 0.01]
        self._set_zoom(smaller[-1] if smaller else _ZOOM_STEPS[0])

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    # -- printing ------------------------------------------------------------------------

    def choose_printer(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self._title)
        printer.setFromTo(1, self.page_count)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_tr("Print {title}").format(title=self._title))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Render the chosen pages at the printer's resolution; returns pages printed."""
        first, last = printer.fromPage(), printer.toPage()
        if first == 0 and last == 0:  # "all pages"
            first, last = 1, self.page_count
        painter = QPainter()
        if not painter.begin(printer):
            show_error(
                self,
                CasebookError(
                    _tr(
                        "The printer could not be opened. Check that it is switched on and "
                        "try again."
                    )
                ),
            )
            return 0
        printed = 0
        try:
            dpi = printer.resolution()
            area = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            for index in range(first - 1, min(last, self.page_count)):
                if printed:
                    printer.newPage()
                points = self.document.pagePointSize(index)
                size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
                image = self.document.render(index, size)
                target = QRect(0, 0, area.width(), area.height())
                scaled = size.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(target.topLeft(), scaled), image)
                printed += 1
        finally:
            painter.end()
        self._audit("printer")
        return printed

    # -- saving --------------------------------------------------------------------------

    def choose_file(self) -> None:
        start = str(Path.home() / safe_file_name(self._title))
        name, _filter = QFileDialog.getSaveFileName(
            self, _tr("Save as PDF"), start, _tr("PDF documents (*.pdf)")
        )
        if name:
            target = Path(name)
            if target.suffix.lower() != ".pdf":
                target = target.with_name(target.name + ".pdf")
            self.save_to(target)

    def save_to(self, target: Path) -> bool:
        """Copy the built PDF to *target* atomically; False (after a message) on failure."""
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(self._pdf.read_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            show_error(
                self,
                CasebookError(
                    _tr(
                        "Could not save {path}: {reason}. Choose another folder or file name."
                    ).format(path=target, reason=exc.strerror or exc)
                ),
            )
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._audit("file")
        return True

    def _audit(self, output: str) -> None:
        # The PDF's subject says which kind of document it is without naming anyone.
        kind = self.document.metaData(QPdfDocument.MetaDataField.Subject) or "report"
        self._ctx.submit(
            record_output,
            str(kind),
            output=output,
            on_done=None,
            on_error=lambda exc: show_error(self, exc),
            read_only=False,
        )


class SummaryOptionsDialog(QDialog):
    """How many recent notes the participant summary includes, then the preview."""

    def __init__(
        self, ctx: AppContext, participant_id: int, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("summaryOptions")
        self.setMinimumWidth(460)
        self.setWindowTitle(_tr("Print summary — {name}").format(name=name))
        self._ctx = ctx
        self._participant_id = participant_id
        self._name = name
        self.notes_box = QSpinBox(self)
        self.notes_box.setRange(0, 50)
        self.notes_box.setValue(5)
        self.notes_box.setAccessibleName(_tr("Recent notes to include"))
        label = QLabel(_tr("Recent signed notes to include (0 for none):"), self)
        label.setBuddy(self.notes_box)
        explain = QLabel(
            _tr(
                "The summary holds the profile, the current recovery plan, milestones, assessment "
                "trends, open referrals and consents on file. Notes add the most private detail: "
                "include only as many as the meeting needs."
            ),
            self,
        )
        explain.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.notes_box)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        preview = QPushButton(icon("printer"), _tr("&Preview…"), self)
        preview.setDefault(True)
        buttons.addButton(preview, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.accepted.connect(self._preview)

    def _preview(self) -> None:
        from casebook.reports.participant_summary import build_participant_summary

        count = self.notes_box.value()
        pid = self._participant_id

        def build(session: Any, actor: Actor, path: Path) -> Path:
            return build_participant_summary(session, actor, pid, path, last_notes=count)

        host = self.parentWidget() or self
        open_report(
            host, self._ctx, _tr("Participant summary — {name}").format(name=self._name), build
        )
