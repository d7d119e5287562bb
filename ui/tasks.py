"""Slow work off the GUI thread, with results, errors and progress posted back to it.

A task is a plain callable that takes a ``Progress`` and returns a value. It runs on a
worker thread, so it must not touch widgets or Qt models: it talks to ``casebook``
services with its own Session and returns read models. Everything it produces (return
value, exception, progress) reaches the GUI thread through queued signals, where the
callbacks given to ``TaskRunner.run`` are called.

Database writes go through ``run_write``, whose pool has a single thread: writes run one
after another in the order they were asked for, so two of them never wait on SQLite's
write lock at the same time ("database is locked").

Cancelling is cooperative: the task checks ``progress.cancelled`` (or calls
``progress.check()``) between steps. Once a task has been cancelled its result is thrown
away; a failure is still reported unless it is ``TaskCancelled``.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEvent,
    QObject,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressBar, QProgressDialog, QWidget

from casebook.errors import CasebookError

T = TypeVar("T")

_log = logging.getLogger(__name__)


class TaskCancelled(Exception):
    """Raised inside a task by ``Progress.check()`` once the user has asked it to stop."""


class Progress:
    """What a running task gets to report progress and to learn that it should stop.

    Safe to use from the worker thread. ``report`` may be called as often as convenient:
    updates closer together than ``MIN_INTERVAL`` seconds are dropped, except the one
    that reaches the total, so a tight loop cannot flood the GUI thread.
    """

    MIN_INTERVAL = 0.05

    def __init__(
        self, emit: Callable[[int, int, str], None], cancel_event: threading.Event
    ) -> None:
        self._emit = emit
        self._cancel_event = cancel_event
        self._lock = threading.Lock()
        self._last_sent = float("-inf")

    @property
    def cancelled(self) -> bool:
        """True once the task has been asked to stop."""
        return self._cancel_event.is_set()

    def check(self) -> None:
        """Raise ``TaskCancelled`` if the task has been asked to stop."""
        if self._cancel_event.is_set():
            raise TaskCancelled

    def report(self, done: int, total: int, text: str = "") -> None:
        """Say that *done* of *total* steps are finished (total 0: unknown)."""
        now = time.monotonic()
        finished = total > 0 and done >= total
        with self._lock:
            if not finished and now - self._last_sent < self.MIN_INTERVAL:
                return
            self._last_sent = now
        self._emit(done, total, text)


class Notifier:
    """A tiny signal for GUI-thread listeners: ``connect(slot)`` and ``emit()``.

    Used instead of a Qt signal on ``TaskHandle`` so that a handle is a plain Python
    object: a QObject per task, deleted later while a worker could still hold it,
    corrupted memory inside PySide under load ("shared QObject was deleted directly").
    A slot whose widget is already gone is skipped.
    """

    def __init__(self) -> None:
        self._slots: list[Callable[[], object]] = []

    def connect(self, slot: Callable[[], object]) -> None:
        self._slots.append(slot)

    def disconnect_all(self) -> None:
        self._slots = []

    def emit(self) -> None:
        for slot in list(self._slots):
            owner = getattr(slot, "__self__", None)
            if isinstance(owner, QObject) and not shiboken6.isValid(owner):
                continue
            slot()


class TaskHandle(Generic[T]):
    """One submitted task, as seen from the GUI thread.

    ``finished`` is emitted on the GUI thread once the task is over, however it ended,
    just before its callbacks run; a dialog or a disabled button can follow it.

    The worker thread never touches the Qt side of anything: it reports through the
    runner by task number, and the runner (which outlives every task) finds the handle.
    """

    def __init__(
        self,
        runner: TaskRunner,
        number: int,
        fn: Callable[[Progress], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, int, str], None] | None,
        label: str,
    ) -> None:
        self.finished = Notifier()
        self._runner = runner
        self._number = number
        self._fn: Callable[[Progress], T] | None = fn
        self._on_done = on_done
        self._on_error = on_error
        self._on_progress = on_progress
        self._label = label
        self._cancel_event = threading.Event()
        self._finished = False

    @property
    def label(self) -> str:
        return self._label

    @property
    def cancelled(self) -> bool:
        return self._cancel_event.is_set()

    @property
    def is_finished(self) -> bool:
        """True once the outcome has been delivered (or discarded) on the GUI thread."""
        return self._finished

    def cancel(self) -> None:
        """Ask the task to stop; it is up to the task to notice. Safe from any thread."""
        self._cancel_event.set()

    # -- worker thread ---------------------------------------------------------------------

    def _emit_progress(self, done: int, total: int, text: str) -> None:
        self._runner._progressed.emit(self._number, done, total, text)

    def _execute(self) -> None:
        fn = self._fn
        if fn is None or self._cancel_event.is_set():
            self._runner._errored.emit(self._number, TaskCancelled())
            return
        # Made here rather than kept on the handle: a handle <-> progress reference cycle
        # would leave the handle to the cyclic garbage collector, which may run on any
        # thread.
        progress = Progress(self._emit_progress, self._cancel_event)
        try:
            result = fn(progress)
        # A worker has no caller to pass anything on to; whatever escapes must be
        # delivered, or the runner would wait for this task forever.
        except BaseException as exc:
            self._runner._errored.emit(self._number, exc)
        else:
            self._runner._succeeded.emit(self._number, result)

    # -- GUI thread ------------------------------------------------------------------------

    def _deliver_progress(self, done: int, total: int, text: str) -> None:
        if self._on_progress is not None and not self._finished and not self.cancelled:
            self._on_progress(done, total, text)

    def _deliver_result(self, result: Any) -> None:
        self._finish()
        try:
            if self._on_done is not None and not self.cancelled and not self._runner.closing:
                self._on_done(result)
        finally:
            self._release()

    def _deliver_error(self, error: BaseException) -> None:
        self._finish()
        try:
            if isinstance(error, TaskCancelled) or self._runner.closing:
                return
            if not isinstance(error, CasebookError):
                # Expected failures carry their own message; anything else is a bug, and
                # its traceback belongs in the log, not in front of the user.
                _log.error("task %r failed", self._label, exc_info=error)
            if self._on_error is not None:
                self._on_error(error)
            else:
                self._runner.failed.emit(str(error) or type(error).__name__)
        finally:
            self._release()

    def _finish(self) -> None:
        self._finished = True
        self.finished.emit()

    def _release(self) -> None:
        # The worker's reference to this handle may be the last one and is dropped on
        # the worker thread. Letting go of the callables here, on the GUI thread, keeps
        # a widget they capture from being destroyed over there.
        self._fn = None
        self._on_done = None
        self._on_error = None
        self._on_progress = None
        self.finished.disconnect_all()
        self._runner._forget(self._number)


class TaskRunner(QObject):
    """Runs tasks on worker threads and calls their callbacks on the GUI thread.

    ``failed`` carries the message of a failed task that had no ``on_error``; the main
    window shows it. ``idle`` is emitted when the last outstanding task has been
    delivered, which is what tests wait for.

    Call ``shutdown`` before the runner is destroyed (the application-wide runner does
    so on quit): its workers report through it, so it must outlive them.
    """

    failed = Signal(str)
    idle = Signal()

    # Worker-to-GUI-thread channel: emitted on worker threads, delivered queued to the
    # slots below on the runner's own (GUI) thread.
    _succeeded = Signal(int, object)
    _errored = Signal(int, object)
    _progressed = Signal(int, object, object, str)

    def __init__(self, parent: QObject | None = None, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        if max_threads is not None:
            self._pool.setMaxThreadCount(max_threads)
        self._write_pool = QThreadPool(self)
        self._write_pool.setMaxThreadCount(1)
        self._tasks: dict[int, TaskHandle[Any]] = {}
        self._numbers = itertools.count(1)
        self._closing = False
        queued = Qt.ConnectionType.QueuedConnection
        self._succeeded.connect(self._on_succeeded, queued)
        self._errored.connect(self._on_errored, queued)
        self._progressed.connect(self._on_progressed, queued)

    @Slot(int, object)
    def _on_succeeded(self, number: int, result: object) -> None:
        handle = self._tasks.get(number)
        if handle is not None:
            handle._deliver_result(result)

    @Slot(int, object)
    def _on_errored(self, number: int, error: BaseException) -> None:
        handle = self._tasks.get(number)
        if handle is not None:
            handle._deliver_error(error)

    @Slot(int, object, object, str)
    def _on_progressed(self, number: int, done: int, total: int, text: str) -> None:
        handle = self._tasks.get(number)
        if handle is not None:
            handle._deliver_progress(done, total, text)

    @property
    def closing(self) -> bool:
        """True after ``shutdown``: outcomes are no longer delivered."""
        return self._closing

    @property
    def active_count(self) -> int:
        """Tasks submitted whose outcome has not been delivered yet."""
        return len(self._tasks)

    def run(
        self,
        fn: Callable[[Progress], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        label: str = "",
    ) -> TaskHandle[T]:
        """Run ``fn(progress)`` on a worker thread; see the module docstring."""
        return self._submit(self._pool, fn, on_done, on_error, on_progress, label)

    def run_write(
        self,
        fn: Callable[[Progress], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        label: str = "",
    ) -> TaskHandle[T]:
        """Like ``run``, but on the single write thread, after every earlier write."""
        return self._submit(self._write_pool, fn, on_done, on_error, on_progress, label)

    def _submit(
        self,
        pool: QThreadPool,
        fn: Callable[[Progress], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, int, str], None] | None,
        label: str,
    ) -> TaskHandle[T]:
        # Callbacks run on the runner's thread, and the handle is the runner's child (Qt
        # refuses a parent on another thread); starting from elsewhere is a bug.
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("tasks must be started from the thread that owns the TaskRunner")
        if self._closing:
            raise RuntimeError("the TaskRunner has been shut down")
        number = next(self._numbers)
        handle = TaskHandle(self, number, fn, on_done, on_error, on_progress, label)
        self._tasks[number] = handle
        pool.start(handle._execute)
        return handle

    def _forget(self, number: int) -> None:
        self._tasks.pop(number, None)
        if not self._tasks:
            self.idle.emit()

    def cancel_all(self) -> None:
        """Ask every outstanding task to stop."""
        for handle in list(self._tasks.values()):
            handle.cancel()

    def wait_all(self, timeout_ms: int = 30_000) -> bool:
        """Join the worker threads, then deliver the outcomes they left behind.

        Returns False if some task was still running after *timeout_ms*. Only this
        runner's own queued calls are delivered, not other pending events, so waiting
        here cannot re-enter unrelated parts of the window.
        """
        deadline = QDeadlineTimer(timeout_ms)
        joined = self._pool.waitForDone(deadline) and self._write_pool.waitForDone(deadline)
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return joined

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, wait for the workers, and drop their outcomes (on quit)."""
        self._closing = True
        self.cancel_all()
        return self.wait_all(timeout_ms)


class GuiThreadCollector(QObject):
    """Python's cycle collector, run only on the GUI thread.

    The collector runs in whichever thread happens to allocate when it triggers. If
    that is a worker, a widget caught in a reference cycle (a lambda slot that refers
    to its own widget is enough) is destroyed on the worker, which Qt does not allow
    and which corrupts memory. So automatic collection is switched off and a timer
    applies the same thresholds on the GUI thread instead.
    """

    INTERVAL_MS = 500

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    @Slot()
    def collect(self) -> None:
        # Python's own policy, run here: the oldest generation whose count has passed
        # its threshold. Usually nothing or the cheap young generation; a full pass over
        # a large heap (10,000 caseload rows) only as often as Python itself would.
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def freeze_survivors(self) -> None:
        """Collect once, then leave everything alive now out of later collections.

        Called when the window is up: the modules, classes and widgets made at start-up
        live as long as the program, and a full pass no longer walks them (a shorter
        pause each time the caseload's 10,000 rows are replaced).
        """
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


_app_runner: TaskRunner | None = None


def task_runner() -> TaskRunner:
    """The application-wide ``TaskRunner`` (created on first use, owned by the application)."""
    global _app_runner
    if _app_runner is None:
        app = QCoreApplication.instance()
        _app_runner = TaskRunner(app)
        if app is not None:
            app.aboutToQuit.connect(_app_runner.shutdown)
    return _app_runner


class ProgressDialog(QProgressDialog):
    """A window-modal progress dialog that follows one task.

    It appears only if the task is still running after ``SHOW_DELAY_MS``, so quick work
    does not flash a window. Progress goes to the bar directly rather than through
    ``QProgressDialog.setValue``, which spins a nested event loop once the dialog is
    visible and could deliver the task's result in the middle of an update.
    """

    SHOW_DELAY_MS = 400
    _STEPS = 1000

    def __init__(self, parent: QWidget | None, label: str, cancellable: bool = True) -> None:
        super().__init__(parent)
        self._label = label
        self._cancellable = cancellable
        self._handle: TaskHandle[Any] | None = None
        self._done = False
        self._bar = QProgressBar(self)
        self.setBar(self._bar)
        self.setWindowTitle(label)
        self.setLabelText(label)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAutoReset(False)
        self.setAutoClose(False)
        if not cancellable:
            self.setCancelButton(None)
        self.setRange(0, 0)  # a busy indicator until the task reports a total
        self.setMinimumDuration(self.SHOW_DELAY_MS)
        # At the minimum, setValue() (re)starts Qt's timer that shows the dialog after
        # the minimum duration; later updates bypass it (see the class docstring).
        self.setValue(0)

    def attach(self, handle: TaskHandle[Any]) -> None:
        """Follow *handle*: close when it finishes, cancel it when the user cancels."""
        self._handle = handle
        handle.finished.connect(self.finish)
        if self._cancellable:
            self.canceled.connect(handle.cancel)

    @Slot(int, int, str)
    def show_progress(self, done: int, total: int, text: str = "") -> None:
        if self._done:
            return
        if total > 0:
            self._bar.setRange(0, self._STEPS)
            self._bar.setValue(round(self._STEPS * min(max(done, 0), total) / total))
        else:
            self._bar.setRange(0, 0)
        self.setLabelText(text or self._label)

    @Slot()
    def finish(self) -> None:
        """Hide for good: the task is over."""
        if self._done:
            return
        self._done = True
        self.reset()  # also stops the pending show timer
        self.hide()
        self.deleteLater()

    def reject(self) -> None:
        # Escape: the same as the Cancel button, or nothing when there is no Cancel.
        if self._cancellable and not self._done:
            self.canceled.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._done or self._cancellable:
            super().closeEvent(event)
        else:
            event.ignore()


def run_with_progress(
    parent: QWidget | None,
    label: str,
    fn: Callable[[Progress], T],
    on_done: Callable[[T], None] | None,
    cancellable: bool = True,
    on_error: Callable[[BaseException], None] | None = None,
    runner: TaskRunner | None = None,
    write: bool = False,
) -> TaskHandle[T]:
    """Run *fn* like ``TaskRunner.run`` (``run_write`` if *write*) behind a progress dialog.

    The dialog closes before ``on_done``/``on_error`` run, so a message box they show is
    not stacked under it.
    """
    runner = runner if runner is not None else task_runner()
    dialog = ProgressDialog(parent, label, cancellable)
    submit = runner.run_write if write else runner.run
    handle = submit(fn, on_done, on_error, dialog.show_progress, label)
    dialog.attach(handle)
    return handle
