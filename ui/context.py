"""The signed-in session every screen shares: database, acting user, tasks.

Screens call services only through here, so each call is one unit of work
with the acting user attached, and slow calls go to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from casebook.database import Database
from casebook.security.actor import Actor
from ui.tasks import Progress, TaskHandle, TaskRunner, task_runner

T = TypeVar("T")


class AppContext(QObject):
    """Holds the open database and the signed-in staff member."""

    #: Something changed: (area, participant_id or 0). Views showing that area reload.
    changed = Signal(str, int)
    #: The acting user changed (sign-in, switch user) or signed out (None).
    actor_changed = Signal(object)

    def __init__(
        self, db: Database, runner: TaskRunner | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner or task_runner()
        self._actor: Actor | None = None
        self.demo_logins: tuple[str, ...] = ()

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("no one is signed in")
        return self._actor

    @property
    def signed_in(self) -> bool:
        return self._actor is not None

    def set_actor(self, actor: Actor | None) -> None:
        self._actor = actor
        self.actor_changed.emit(actor)

    def call(self, fn: Callable[..., T], *args: Any, read_only: bool = False, **kwargs: Any) -> T:
        """Run ``fn(session, actor, *args)`` now, in its own unit of work."""
        actor = self.actor
        with self.db.session(read_only=read_only) as session:
            return fn(session, actor, *args, **kwargs)

    def call_anonymous(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, *args)`` for calls made before sign-in (login, first run)."""
        with self.db.session() as session:
            return fn(session, *args, **kwargs)

    def submit(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None = None,
        read_only: bool = True,
        label: str = "",
        **kwargs: Any,
    ) -> TaskHandle[T]:
        """Run the service call on a worker; writes go to the single write thread."""
        actor = self.actor

        def work(_progress: Progress) -> T:
            with self.db.session(read_only=read_only) as session:
                return fn(session, actor, *args, **kwargs)

        submit = self.runner.run if read_only else self.runner.run_write
        return submit(work, on_done, on_error, None, label)

    def notify(self, area: str, participant_id: int = 0) -> None:
        self.changed.emit(area, participant_id)
