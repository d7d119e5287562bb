from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from casebook.errors import CasebookError
from ui.tasks import (
    Progress,
    ProgressDialog,
    TaskCancelled,
    TaskRunner,
    run_with_progress,
)

WAIT_MS = 10_000


@pytest.fixture
def runner(qapp: QApplication) -> Iterator[TaskRunner]:
    task_runner = TaskRunner()
    yield task_runner
    # Teardown joins the workers, so no thread outlives its test.
    assert task_runner.shutdown(WAIT_MS)


def test_result_is_delivered_on_the_gui_thread(
    qapp: QApplication, qtbot: QtBot, runner: TaskRunner
) -> None:
    worker_threads: list[QThread] = []
    delivered: list[tuple[int, QThread]] = []

    def work(progress: Progress) -> int:
        worker_threads.append(QThread.currentThread())
        return 6 * 7

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        handle = runner.run(
            work, lambda value: delivered.append((value, QThread.currentThread())), label="sum"
        )

    assert worker_threads and worker_threads[0] is not qapp.thread()
    assert delivered == [(42, qapp.thread())]
    assert handle.is_finished
    assert handle.label == "sum"
    assert runner.active_count == 0


def test_exception_is_delivered_to_on_error(
    qapp: QApplication, qtbot: QtBot, runner: TaskRunner
) -> None:
    boom = ValueError("the backup folder disappeared")
    errors: list[tuple[BaseException, QThread]] = []
    results: list[object] = []

    def work(progress: Progress) -> None:
        raise boom

    with qtbot.assertNotEmitted(runner.failed), qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        runner.run(
            work, results.append, on_error=lambda exc: errors.append((exc, QThread.currentThread()))
        )

    assert errors == [(boom, qapp.thread())]
    assert results == []


def test_without_on_error_the_runner_reports_the_message(qtbot: QtBot, runner: TaskRunner) -> None:
    def work(progress: Progress) -> None:
        raise CasebookError("The backup folder is not writable.")

    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as blocker:
        runner.run(work, None)

    assert blocker.args == ["The backup folder is not writable."]


def test_progress_is_delivered_on_the_gui_thread(
    qapp: QApplication, qtbot: QtBot, runner: TaskRunner
) -> None:
    updates: list[tuple[int, int, str]] = []
    threads: set[int] = set()

    def on_progress(done: int, total: int, text: str) -> None:
        threads.add(id(QThread.currentThread()))
        updates.append((done, total, text))

    def work(progress: Progress) -> str:
        for page in range(1, 6):
            time.sleep(Progress.MIN_INTERVAL * 1.5)
            progress.report(page, 5, f"page {page}")
        return "done"

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        runner.run(work, None, on_progress=on_progress)

    assert updates == [(page, 5, f"page {page}") for page in range(1, 6)]
    assert threads == {id(qapp.thread())}


def test_progress_is_throttled_but_the_last_update_arrives(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    updates: list[tuple[int, int, str]] = []

    def work(progress: Progress) -> None:
        for row in range(1, 20_001):
            progress.report(row, 20_000)

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        runner.run(work, None, on_progress=lambda *update: updates.append(update))

    assert updates[0] == (1, 20_000, "")
    assert updates[-1] == (20_000, 20_000, "")
    assert len(updates) < 50


def test_cancel_stops_a_cooperative_loop_and_drops_the_result(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    started = threading.Event()
    iterations: list[int] = []
    results: list[int] = []

    def work(progress: Progress) -> int:
        started.set()
        count = 0
        while not progress.cancelled and count < 1000:
            count += 1
            time.sleep(0.01)
        iterations.append(count)
        return count

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        handle = runner.run(work, results.append)
        assert started.wait(5)
        handle.cancel()

    assert handle.cancelled
    assert iterations and iterations[0] < 1000
    assert results == []


def test_task_cancelled_is_not_reported_as_a_failure(qtbot: QtBot, runner: TaskRunner) -> None:
    errors: list[BaseException] = []
    started = threading.Event()

    def work(progress: Progress) -> None:
        started.set()
        while True:
            progress.check()
            time.sleep(0.01)

    with qtbot.assertNotEmitted(runner.failed), qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        handle = runner.run(work, None, on_error=errors.append)
        assert started.wait(5)
        handle.cancel()

    assert errors == []


def test_check_raises_once_cancelled() -> None:
    cancel = threading.Event()
    progress = Progress(lambda done, total, text: None, cancel)
    progress.check()
    cancel.set()
    assert progress.cancelled
    with pytest.raises(TaskCancelled):
        progress.check()


def test_a_task_cancelled_before_it_starts_never_runs(qtbot: QtBot, runner: TaskRunner) -> None:
    release = threading.Event()
    ran: list[str] = []

    def blocker(progress: Progress) -> None:
        release.wait(5)

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        runner.run_write(blocker, None)
        queued = runner.run_write(lambda progress: ran.append("queued"), None)
        queued.cancel()
        release.set()

    assert ran == []
    assert queued.is_finished


def test_writes_are_serialised_in_order(qtbot: QtBot, runner: TaskRunner) -> None:
    lock = threading.Lock()
    running = 0
    most_at_once = 0
    order: list[int] = []

    def write(number: int, progress: Progress) -> None:
        nonlocal running, most_at_once
        with lock:
            running += 1
            most_at_once = max(most_at_once, running)
        time.sleep(0.02)
        order.append(number)
        with lock:
            running -= 1

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        for number in range(8):
            runner.run_write(partial(write, number), None)

    assert most_at_once == 1
    assert order == list(range(8))


def test_reads_may_run_side_by_side(qtbot: QtBot, runner: TaskRunner) -> None:
    # Two reads that each wait for the other can only finish if both run at once.
    barrier = threading.Barrier(2, timeout=5)
    results: list[int] = []

    def read(progress: Progress) -> int:
        return barrier.wait()

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        runner.run(read, results.append)
        runner.run(read, results.append)

    assert sorted(results) == [0, 1]


def test_wait_all_joins_workers_and_delivers_their_outcomes(runner: TaskRunner) -> None:
    finished_work: list[int] = []
    delivered: list[int] = []

    def slow(number: int, progress: Progress) -> int:
        time.sleep(0.2)
        finished_work.append(number)
        return number

    for number in range(3):
        runner.run(partial(slow, number), delivered.append)
    runner.run_write(partial(slow, 99), delivered.append)

    assert runner.wait_all(WAIT_MS)
    assert sorted(finished_work) == [0, 1, 2, 99]
    assert sorted(delivered) == [0, 1, 2, 99]
    assert runner.active_count == 0


def test_shutdown_drops_outcomes_and_refuses_new_work(runner: TaskRunner) -> None:
    delivered: list[object] = []
    runner.run(lambda progress: time.sleep(0.05), delivered.append)
    assert runner.shutdown(WAIT_MS)
    assert delivered == []
    with pytest.raises(RuntimeError):
        runner.run(lambda progress: None, None)


def test_progress_dialog_stays_hidden_for_quick_work(qtbot: QtBot, runner: TaskRunner) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    results: list[str] = []

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        run_with_progress(parent, "Saving", lambda progress: "saved", results.append, runner=runner)
        dialog = parent.findChild(ProgressDialog)
        assert dialog is not None
        assert not dialog.isVisible()

    assert results == ["saved"]
    # Longer than the show delay: a finished task's dialog must not pop up late.
    qtbot.wait(ProgressDialog.SHOW_DELAY_MS + 200)
    assert not any(child.isVisible() for child in parent.findChildren(ProgressDialog))


def test_progress_dialog_appears_for_slow_work_and_cancel_reaches_the_task(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    qtbot.waitExposed(parent)
    results: list[int] = []

    def work(progress: Progress) -> int:
        for step in range(500):
            if progress.cancelled:
                return step
            progress.report(step, 500, f"participant {step}")
            time.sleep(0.01)
        return 500

    handle = run_with_progress(
        parent, "Exporting participants", work, results.append, runner=runner
    )
    dialog = parent.findChild(ProgressDialog)
    assert dialog is not None
    assert not dialog.isVisible()
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert dialog.labelText().startswith("participant ")

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        dialog.canceled.emit()  # what the Cancel button does

    assert handle.cancelled
    assert results == []
    qtbot.waitUntil(lambda: not parent.findChildren(ProgressDialog), timeout=WAIT_MS)


def test_progress_dialog_without_cancel_ignores_escape(qtbot: QtBot, runner: TaskRunner) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    release = threading.Event()
    results: list[str] = []

    def work(progress: Progress) -> str:
        release.wait(5)
        return "restored"

    handle = run_with_progress(
        parent, "Restoring backup", work, results.append, cancellable=False, runner=runner
    )
    dialog = parent.findChild(ProgressDialog)
    assert dialog is not None
    dialog.reject()
    assert not handle.cancelled

    with qtbot.waitSignal(runner.idle, timeout=WAIT_MS):
        release.set()
    assert results == ["restored"]


def test_cycles_are_collected_on_the_gui_thread_only(qapp: object) -> None:
    import gc
    import weakref

    from ui.tasks import GuiThreadCollector

    class Node:
        other: object = None

    was_enabled = gc.isenabled()
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()  # no collection can start on a worker thread
        gc.collect()  # start from empty generations
        c, d = Node(), Node()
        c.other, d.other = d, c
        gone = weakref.ref(c)
        del c, d
        collector.collect()
        assert gone() is not None  # below the threshold: nothing to do yet
        keep: list[list[int]] = [[] for _ in range(gc.get_threshold()[0] + 10)]
        collector.collect()
        assert gone() is None
        del keep
    finally:
        collector.stop()
        collector.deleteLater()
    assert gc.isenabled() == was_enabled


def test_freezing_the_survivors_of_start_up_still_collects_later_garbage(
    qapp: QApplication,
) -> None:
    import gc
    import weakref

    from ui.tasks import GuiThreadCollector

    class Node:
        other: object = None

    collector = GuiThreadCollector()
    try:
        collector.freeze_survivors()
        assert gc.get_freeze_count() > 0  # start-up's objects are out of later passes
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        keep: list[list[int]] = [[] for _ in range(gc.get_threshold()[0] + 10)]
        collector.collect()
        assert gone() is None  # a cycle made afterwards is still collected
        del keep
    finally:
        gc.unfreeze()
        collector.stop()
        collector.deleteLater()
