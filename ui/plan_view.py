"""One recovery plan version drawn as the participant would read it: goals by life
domain with their steps and progress, strengths and barriers, and the
relapse-prevention (WRAP) section.

The view only shows and asks; ``PlanTab`` does the saving. On a draft every goal
and step has its edit buttons; on the active plan steps can be ticked done and
goals rated; any other version is read-only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from casebook.services import plans
from casebook.services.plans import RATING_MAX, RATING_MIN, GoalView, PlanDetail
from ui.form_parts import ntr, repolish
from ui.icons import icon

_CONTEXT = "PlanView"


def _label(text: str, role: str = "", selectable: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        label.setProperty("role", role)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 8, 10, 8)
    layout.setSpacing(4)
    return frame, layout


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


class Sparkline(QWidget):
    """Progress ratings over time as a small line, 0 at the bottom, 10 at the top."""

    def __init__(self, values: Sequence[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = list(values)
        self.setMinimumSize(self.sizeHint())
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(140, 30)

    def points(self) -> list[QPointF]:
        """Where each rating is drawn (oldest on the left)."""
        area = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        count = len(self.values)
        span = RATING_MAX - RATING_MIN
        result = []
        for position, value in enumerate(self.values):
            x = area.left() + (area.width() * position / (count - 1) if count > 1 else 0)
            y = area.bottom() - area.height() * (value - RATING_MIN) / span
            result.append(QPointF(x, y))
        return result

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(self.rect().bottomLeft(), self.rect().bottomRight())
        points = self.points()
        dark = palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5
        # As in the trend chart: the link blue reads better than the highlight on dark.
        accent = palette.color(QPalette.ColorRole.Link if dark else QPalette.ColorRole.Highlight)
        painter.setPen(QPen(accent, 2))
        for first, second in itertools.pairwise(points):
            painter.drawLine(first, second)
        painter.setBrush(accent)
        for point in points:
            painter.drawEllipse(point, 2.5, 2.5)
        painter.end()


class PlanView(QWidget):
    """Shows a ``PlanDetail``; emits what the user asked for by id."""

    add_goal = Signal(str)  # domain
    edit_goal = Signal(int)
    remove_goal = Signal(int)
    move_goal = Signal(int, int)  # goal id, -1 up / +1 down
    rate_goal = Signal(int)
    add_step = Signal(int)  # goal id
    edit_step = Signal(int)
    remove_step = Signal(int)
    move_step = Signal(int, int)
    step_done = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planView")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._content: QWidget | None = None
        self.plan: PlanDetail | None = None
        #: Buttons by (goal id, action) and step boxes by step id, for keyboard and tests.
        self.goal_buttons: dict[tuple[int, str], QToolButton] = {}
        self.step_buttons: dict[tuple[int, str], QToolButton] = {}
        self.step_boxes: dict[int, QCheckBox] = {}
        self.add_goal_buttons: dict[str, QToolButton] = {}
        self.review_label: QLabel | None = None
        self.sparklines: dict[int, Sparkline] = {}

    # -- building ------------------------------------------------------------------------

    def show_plan(self, plan: PlanDetail, *, current: bool, today: date) -> None:
        """Draw *plan*; *current* says whether it is the participant's current version
        (only then do the progress controls work)."""
        self.plan = plan
        self.goal_buttons.clear()
        self.step_buttons.clear()
        self.step_boxes.clear()
        self.add_goal_buttons.clear()
        self.sparklines.clear()
        if self._content is not None:
            self._layout.removeWidget(self._content)
            self._content.deleteLater()
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        editable = current and plan.editable
        progress = current and plan.progress_editable
        layout.addWidget(self._summary(plan, today))
        for group in plan.goals_by_domain:
            if not group.goals and not editable:
                continue
            header = QHBoxLayout()
            title = _label(
                f"{group.label} · " + ntr(_CONTEXT, "%n goal(s)", len(group.goals)), "subheading"
            )
            header.addWidget(title, 1)
            if editable:
                add = self._button(
                    "plus", self.tr("Add goal"), self.tr("Add a goal to {d}").format(d=group.label)
                )
                add.clicked.connect(lambda _c=False, d=group.domain: self.add_goal.emit(d))
                self.add_goal_buttons[group.domain] = add
                header.addWidget(add)
            layout.addLayout(header)
            if not group.goals:
                layout.addWidget(_label(self.tr("No goals in this domain yet."), "hint"))
            for number, goal in enumerate(group.goals):
                layout.addWidget(
                    self._goal_card(goal, editable, progress, today, number, len(group.goals))
                )
        if not plan.goals and not editable:
            layout.addWidget(_label(self.tr("This version has no goals."), "hint"))
        layout.addWidget(self._person_section(plan))
        layout.addWidget(self._wrap_section(plan))
        layout.addStretch(1)
        self._content = content
        self._layout.addWidget(content)

    def _button(self, icon_name: str, text: str, tip: str = "") -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setToolTip(tip or text)
        button.setAccessibleName(tip or text)
        button.setAutoRaise(True)
        return button

    def _text_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        return button

    def _summary(self, plan: PlanDetail, today: date) -> QFrame:
        frame, layout = _card()
        frame.setObjectName("planSummary")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        state = plans.plan_state_labels().get(plan.state, plan.state)
        review = _day(plan.review_date)
        overdue = (
            plan.status == "active"
            and not plan.entered_in_error
            and plan.review_date is not None
            and plan.review_date < today
        )
        if overdue and plan.review_date is not None:
            review = self.tr("{date} — review overdue by {days}").format(
                date=review, days=ntr(_CONTEXT, "%n day(s)", (today - plan.review_date).days)
            )
        elif plan.status == "draft" and plan.review_date is None:
            review = self.tr("90 days after activation")
        if plan.agreement_date is None:
            agreement = self.tr("not yet agreed")
        elif plan.agreement_signed_on_paper:
            agreement = self.tr("agreed on {date}, signed on paper").format(
                date=plan.agreement_date.isoformat()
            )
        else:
            agreement = self.tr("agreed on {date} (not signed on paper)").format(
                date=plan.agreement_date.isoformat()
            )
        activated = plan.activated_at.astimezone().date() if plan.activated_at else None
        rows = [
            (self.tr("State"), self.tr("{state}, version {v}").format(state=state, v=plan.version)),
            (self.tr("Activated"), _day(activated)),
            (self.tr("Review by"), review),
            (self.tr("Agreement"), agreement),
            (
                self.tr("Life domains"),
                plans.domain_set_labels().get(plan.domain_set, plan.domain_set),
            ),
            (
                self.tr("Written by"),
                self.tr("{name}, started {date}").format(
                    name=plan.created_by_name or "—",
                    date=plan.created_at.astimezone().date().isoformat(),
                ),
            ),
        ]
        if plan.superseded_at is not None and not plan.entered_in_error:
            rows.append((self.tr("Superseded"), plan.superseded_at.astimezone().date().isoformat()))
        if plan.entered_in_error:
            rows.append((self.tr("Entered in error"), plan.entered_in_error_reason))
        for index, (caption, value) in enumerate(rows):
            column = (index % 3) * 2
            row = index // 3
            caption_label = _label(caption, "hint", selectable=False)
            value_label = _label(value)
            if caption == self.tr("Review by"):
                value_label.setObjectName("reviewDate")
                self.review_label = value_label
                if overdue:
                    value_label.setProperty("flag", "overdue")
                    repolish(value_label)
            grid.addWidget(caption_label, row * 2, column // 2)
            grid.addWidget(value_label, row * 2 + 1, column // 2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        return frame

    def _goal_card(
        self, goal: GoalView, editable: bool, progress: bool, today: date, number: int, count: int
    ) -> QFrame:
        frame, layout = _card()
        frame.setObjectName(f"goal{goal.id}")
        top = QHBoxLayout()
        statement = _label(goal.statement)
        statement.setStyleSheet("font-weight: 600;")
        top.addWidget(statement, 1)
        status = _label(
            plans.goal_status_labels().get(goal.status, goal.status), "hint", selectable=False
        )
        status.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        top.addWidget(status)
        layout.addLayout(top)
        target = goal.measurable_target or self.tr("no measurable target yet")
        line = self.tr("Target: {target}").format(target=target)
        if goal.target_date:
            line += "  ·  " + self.tr("by {date}").format(date=goal.target_date.isoformat())
        layout.addWidget(_label(line))
        if goal.rating_history or not editable:
            layout.addLayout(self._progress_row(goal))
        for index, step in enumerate(goal.steps):
            layout.addLayout(self._step_row(goal, step, editable, progress, today, index))
        if not goal.steps:
            layout.addWidget(_label(self.tr("No action steps yet."), "hint"))
        buttons = QHBoxLayout()
        buttons.setSpacing(2)

        def add(key: str, button: QToolButton, signal: SignalInstance, *args: int) -> None:
            button.clicked.connect(lambda _c=False: signal.emit(goal.id, *args))
            self.goal_buttons[(goal.id, key)] = button
            buttons.addWidget(button)

        if progress and not editable:
            add("rate", self._button("chart-line", self.tr("Rate progress…")), self.rate_goal)
        if editable:
            add("add_step", self._button("plus", self.tr("Add step…")), self.add_step)
            add("edit", self._button("pen-line", self.tr("Edit goal…")), self.edit_goal)
            # Always present (disabled at the ends), so the buttons keep their places.
            add("up", self._text_button("↑", self.tr("Move goal up")), self.move_goal, -1)
            add("down", self._text_button("↓", self.tr("Move goal down")), self.move_goal, 1)
            self.goal_buttons[(goal.id, "up")].setEnabled(number > 0)
            self.goal_buttons[(goal.id, "down")].setEnabled(number < count - 1)
            add("remove", self._button("x", self.tr("Remove goal")), self.remove_goal)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return frame

    def _progress_row(self, goal: GoalView) -> QHBoxLayout:
        row = QHBoxLayout()
        history = goal.rating_history
        if not history:
            row.addWidget(_label(self.tr("Progress: not rated yet"), "hint"))
            return row
        spark = Sparkline([r.rating for r in history])
        spark.setAccessibleName(self.tr("Progress ratings over time"))
        self.sparklines[goal.id] = spark
        row.addWidget(_label(self.tr("Progress:"), "hint", selectable=False), 0)
        row.addWidget(spark)
        entries = []
        for rating in history[-4:]:
            text = self.tr("{date}: {r}/{max}").format(
                date=rating.rated_at.astimezone().date().isoformat(),
                r=rating.rating,
                max=RATING_MAX,
            )
            if rating.comment:
                text += f" ({rating.comment})"
            entries.append(text)
        if len(history) > 4:
            entries.insert(0, ntr(_CONTEXT, "%n earlier rating(s)", len(history) - 4))
        ratings = _label("  ·  ".join(entries))
        ratings.setObjectName(f"ratings{goal.id}")
        ratings.setToolTip(
            "\n".join(
                f"{r.rated_at.astimezone().date().isoformat()}: {r.rating}/{RATING_MAX} "
                f"{r.rated_by_name} {r.comment}".strip()
                for r in history
            )
        )
        row.addWidget(ratings, 1)
        return row

    def _step_row(
        self,
        goal: GoalView,
        step: plans.ActionStepView,
        editable: bool,
        progress: bool,
        today: date,
        index: int,
    ) -> QHBoxLayout:
        row = QHBoxLayout()
        box = QCheckBox()
        box.setChecked(step.done)
        # On a card (base colour) Fusion's indicator, also base-coloured, all but vanishes
        # in the dark palette; the button colour keeps its square visible in both.
        box_palette = box.palette()
        box_palette.setColor(QPalette.ColorRole.Base, box_palette.color(QPalette.ColorRole.Button))
        box.setPalette(box_palette)
        box.setEnabled(progress)
        box.setAccessibleName(self.tr("Done: {step}").format(step=step.description))
        box.setToolTip(self.tr("Tick when done") if progress else "")
        box.toggled.connect(lambda checked, s=step.id: self.step_done.emit(s, checked))
        self.step_boxes[step.id] = box
        row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
        who = plans.responsible_labels().get(step.responsible, step.responsible)
        if step.responsible_name:
            who = f"{who}: {step.responsible_name}"
        facts = [who]
        if step.due_date:
            facts.append(self.tr("due {date}").format(date=step.due_date.isoformat()))
        if step.done_date:
            facts.append(self.tr("done {date}").format(date=step.done_date.isoformat()))
        text = _label(f"{step.description}\n" + "  ·  ".join(facts))
        text.setObjectName(f"step{step.id}")
        if progress and step.due_date and not step.done and step.due_date < today:
            text.setProperty("flag", "due")
        row.addWidget(text, 1)
        if editable:
            for key, button, signal, args in (
                ("edit", self._button("pen-line", "", self.tr("Edit step")), self.edit_step, ()),
                ("up", self._text_button("↑", self.tr("Move step up")), self.move_step, (-1,)),
                ("down", self._text_button("↓", self.tr("Move step down")), self.move_step, (1,)),
                ("remove", self._button("x", "", self.tr("Remove step")), self.remove_step, ()),
            ):
                button.setEnabled(
                    not (key == "up" and index == 0)
                    and not (key == "down" and index == len(goal.steps) - 1)
                )
                button.setToolButtonStyle(
                    Qt.ToolButtonStyle.ToolButtonIconOnly
                    if key in ("edit", "remove")
                    else Qt.ToolButtonStyle.ToolButtonTextOnly
                )
                button.clicked.connect(
                    lambda _c=False, sig=signal, s=step.id, a=args: sig.emit(s, *a)
                )
                self.step_buttons[(step.id, key)] = button
                row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _person_section(self, plan: PlanDetail) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for title, text in (
            (self.tr("Strengths"), plan.strengths),
            (self.tr("Barriers"), plan.barriers),
        ):
            frame, layout = _card()
            layout.addWidget(_label(title, "subheading", selectable=False))
            layout.addWidget(_label(text or "—"))
            layout.addStretch(1)
            row.addWidget(frame, 1)
        return holder

    def _wrap_section(self, plan: PlanDetail) -> QFrame:
        frame, layout = _card()
        frame.setObjectName("wrapSection")
        layout.addWidget(_label(self.tr("Relapse prevention and wellness"), "subheading", False))
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        items = (
            (self.tr("Triggers"), plan.triggers),
            (self.tr("Early warning signs"), plan.early_warning_signs),
            (self.tr("Coping strategies"), plan.coping_strategies),
            (self.tr("Crisis plan"), plan.crisis_plan),
        )
        for index, (title, text) in enumerate(items):
            grid.addWidget(_label(title, "hint", False), (index // 2) * 2, index % 2)
            grid.addWidget(_label(text or "—"), (index // 2) * 2 + 1, index % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        layout.addWidget(_label(self.tr("Supports"), "hint", False))
        if plan.supports:
            lines = []
            for support in plan.supports:
                parts = [support.name]
                if support.relationship:
                    parts.append(support.relationship)
                if support.phone:
                    parts.append(support.phone)
                lines.append(" · ".join(parts))
            supports = _label("\n".join(lines))
        else:
            supports = _label("—")
        supports.setObjectName("supportsList")
        layout.addWidget(supports)
        return frame


__all__ = ["PlanView", "Sparkline"]
