"""The wellness and crisis card: the participant's WRAP section on one page.

The participant keeps this card on the fridge or in a wallet, so it must be one
page. Layouts are tried from the most readable down: one column at body size,
then two columns at 10, 9 and 8 point. When even the smallest does not fit (a very
long plan), the card continues on a second page at 9 point rather than clipping or
shrinking the text below what a person in distress can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.reports.base import usable_height, usable_width
from casebook.reports.documents import audit_print, make_meta, write
from casebook.reports.plan_sections import wrap_rows
from casebook.reports.styles import ACCENT, FONT_BOLD, GRID, INK, styles
from casebook.reports.text_block import text_block
from casebook.security.permissions import Actor
from casebook.services import participants, plans
from casebook.services.plans import PlanDetail

# (columns, font size): tried in order; the first that fits one page wins.
_LAYOUTS: tuple[tuple[int, float], ...] = ((1, 10.0), (2, 10.0), (2, 9.0), (2, 8.0))
_OVERFLOW_LAYOUT = (1, 9.0)
_GUTTER = 14.0
_CRISIS_LINE = "988"


@dataclass(frozen=True)
class _Styles:
    heading: ParagraphStyle
    body: ParagraphStyle


def _styles(size: float) -> _Styles:
    base = styles().body
    body = ParagraphStyle(
        f"CardBody{size}", parent=base, fontSize=size, leading=size * 1.3, spaceAfter=size * 0.3
    )
    heading = ParagraphStyle(
        f"CardHeading{size}",
        parent=body,
        fontName=FONT_BOLD,
        textColor=ACCENT,
        fontSize=size + 1.5,
        leading=(size + 1.5) * 1.25,
        spaceBefore=size * 0.6,
        spaceAfter=size * 0.2,
        keepWithNext=1,
    )
    return _Styles(heading, body)


def _p(text: str, style: ParagraphStyle) -> Flowable:
    return text_block(text, style)


def _block(title: str, text: str, st: _Styles) -> list[Flowable]:
    body = text.strip() or tr("(not filled in yet)")
    return [_p(title, st.heading), _p(body, st.body)]


def _supports(plan: PlanDetail, st: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [_p(tr("People I can call"), st.heading)]
    if not plan.supports:
        return [*story, _p(tr("(not filled in yet)"), st.body)]
    rows = [
        [_p(s.name, st.body), _p(s.relationship, st.body), _p(s.phone, st.body)]
        for s in plan.supports
    ]
    table = Table(rows, colWidths=[width * 0.4, width * 0.28, width * 0.32], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [*story, table]


def _crisis_box(plan: PlanDetail, st: _Styles, width: float) -> Table:
    crisis = plan.crisis_plan.strip() or tr("(not filled in yet)")
    cells = [
        _p(tr("If I am in crisis"), st.heading),
        _p(crisis, st.body),
        _p(
            tr(
                "Call or text {line} (Suicide & Crisis Lifeline). In immediate danger, call 911."
            ).format(line=_CRISIS_LINE),
            st.body,
        ),
    ]
    box = Table([[cells]], colWidths=[width], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def _story(plan: PlanDetail, name: str, columns: int, size: float, width: float) -> list[Flowable]:
    st = _styles(size)
    title_style = ParagraphStyle(
        "CardTitle",
        parent=st.heading,
        fontSize=size + 6,
        leading=(size + 6) * 1.2,
        textColor=INK,
        spaceBefore=0,
        spaceAfter=size * 0.6,
    )
    story: list[Flowable] = [
        _p(tr("My wellness plan — {name}").format(name=name), title_style),
        _crisis_box(plan, st, width),
        Spacer(0, size * 0.4),
    ]
    rows = wrap_rows(plan)
    blocks = [_block(title, text, st) for title, text in rows if title != tr("Crisis plan")]
    if columns == 1:
        for block in blocks:
            story += block
        story += _supports(plan, st, width)
        return story
    col = (width - _GUTTER) / 2
    parts = [*blocks, _supports(plan, st, col)]
    # Sections stay in reading order, down the left column and on into the right;
    # the break goes where the taller column is shortest.
    heights = [_height(part, col) for part in parts]
    cut = min(
        range(1, len(parts)),
        key=lambda k: max(sum(heights[:k]), sum(heights[k:])),
    )
    left: list[Flowable] = [f for part in parts[:cut] for f in part]
    right: list[Flowable] = [f for part in parts[cut:] for f in part]
    grid = Table([[left, right]], colWidths=[col + _GUTTER, col], hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), _GUTTER),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(grid)
    return story


def _height(story: Sequence[Flowable], width: float) -> float:
    total = 0.0
    for flowable in story:
        _, h = flowable.wrap(width, 100_000)
        total += h + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


def build_wellness_card(
    session: Session,
    actor: Actor,
    participant_id: int,
    path: Path,
    *,
    locale_name: str | None = None,
) -> Path:
    """Write the participant's wellness and crisis card to *path* and audit the print.

    ValidationError when the participant has no current plan; PermissionDenied when
    the participant is not on the actor's caseload.
    """
    p = participants.get_participant(session, actor, participant_id, audit_view=False)
    plan = plans.get_plan(session, actor, participant_id, audit_view=False)
    if plan is None:
        raise ValidationError(
            {
                "plan": tr(
                    "{name} has no recovery plan yet; the wellness card prints the "
                    "relapse-prevention section of the plan"
                ).format(name=p.display_name)
            }
        )
    meta = make_meta(
        actor,
        tr("Wellness and crisis card — {name}").format(name=p.display_name),
        subject=tr("Wellness and crisis card"),
        locale_name=locale_name,
    )
    width, room = usable_width(meta), usable_height(meta)
    chosen: tuple[int, float] = _OVERFLOW_LAYOUT
    for columns, size in _LAYOUTS:
        # Laid out once to measure; reportlab changes flowables while splitting, so
        # the story that is built is a fresh one.
        if _height(_story(plan, p.display_name, columns, size, width), width) <= room - 2:
            chosen = (columns, size)
            break
    story = _story(plan, p.display_name, chosen[0], chosen[1], width)
    if chosen == _OVERFLOW_LAYOUT:
        # A single box or two-column table cannot break across pages; the long
        # version flows as plain paragraphs instead.
        story = _flowing(plan, p.display_name, width)
    audit_print(
        session,
        actor,
        "wellness_card",
        participant_id=participant_id,
        entity_type="recovery_plan",
        entity_id=plan.id,
        details={"columns": chosen[0], "font_size": chosen[1]},
    )
    return write(path, meta, story)


def _flowing(plan: PlanDetail, name: str, width: float) -> list[Flowable]:
    st = _styles(_OVERFLOW_LAYOUT[1])
    story: list[Flowable] = [_p(tr("My wellness plan — {name}").format(name=name), st.heading)]
    story += _block(tr("If I am in crisis"), plan.crisis_plan, st)
    story.append(
        _p(
            tr(
                "Call or text {line} (Suicide & Crisis Lifeline). In immediate danger, call 911."
            ).format(line=_CRISIS_LINE),
            st.body,
        )
    )
    for title, text in wrap_rows(plan):
        if title != tr("Crisis plan"):
            story += _block(title, text, st)
    story += _supports(plan, st, width)
    return story
