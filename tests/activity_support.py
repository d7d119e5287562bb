"""The definitions the caseload's activity columns must agree with, helpers to compare
``participant_activity`` with them, and ``Workday``: the changes staff make, through
the services, for the activity tests to drive."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from conftest import Staff
from sqlalchemy import Select, select, text
from sqlalchemy.engine import Connection

from casebook.database import Database
from casebook.errors import ValidationError
from casebook.security.permissions import Actor
from casebook.services import (
    assessments,
    assignments,
    caseload,
    note_groups,
    notes,
    participants,
    plans,
)
from casebook.services import consents as K
from casebook.services import counselors as C
from casebook.services import plan_editing as E
from casebook.services import referral_status as RS
from casebook.services import referrals as R
from casebook.services.plan_editing import GoalInput, PlanFields
from models import Assessment, RecoveryPlan, Referral, SessionNote

# (last contact, plan review date, open referrals, latest BARC-10)
Activity = tuple[datetime | None, date | None, int, int | None]
NO_ACTIVITY: Activity = (None, None, 0, None)

# The reference: the caseload's four correlated subqueries as they were before the
# table existed (casebook/services/caseload.py at 82ff185), written out in SQL here so
# that the test does not share a definition with the code under test.
_REFERENCE = text(
    """
    SELECT p.id,
        (SELECT n.occurred_at FROM session_note n
          WHERE n.participant_id = p.id
            AND n.kind != 'outreach'
            AND n.entered_in_error_at IS NULL
          ORDER BY n.occurred_at DESC LIMIT 1),
        (SELECT min(rp.review_date) FROM recovery_plan rp
          WHERE rp.participant_id = p.id AND rp.status = 'active'),
        (SELECT count(*) FROM referral r
          WHERE r.participant_id = p.id
            AND r.status IN ('requested', 'accepted', 'in-progress', 'on-hold')),
        (SELECT a.total FROM assessment a
          WHERE a.participant_id = p.id
            AND a.instrument = 'BARC-10'
            AND a.entered_in_error_at IS NULL
          ORDER BY a.administered_at DESC, a.total DESC LIMIT 1)
    FROM participant p
    """
)
# Read by table name, not through the ORM class: what the triggers wrote, as stored.
_TABLE = text(
    "SELECT participant_id, last_contact_at, plan_review_date, open_referrals, latest_barc10 "
    "FROM participant_activity"
)


def _moment(value: object) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite keeps UTC text without offset)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), f"not a moment: {value!r}"
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value)
    assert type(value) is date, f"not a date: {value!r}"
    return value


def _activity(row: Sequence[Any]) -> Activity:
    return (
        _moment(row[0]),
        _day(row[1]),
        int(row[2]),
        None if row[3] is None else int(row[3]),
    )


def reference_activity(conn: Connection) -> dict[int, Activity]:
    """Every participant's columns computed from the records."""
    return {int(r[0]): _activity(r[1:]) for r in conn.execute(_REFERENCE)}


def stored_activity(conn: Connection) -> dict[int, Activity]:
    """What participant_activity holds (participants without a row are absent)."""
    return {int(r[0]): _activity(r[1:]) for r in conn.execute(_TABLE)}


def assert_activity_true(
    db: Database, after: str, history: Sequence[str] = ()
) -> dict[int, Activity]:
    """participant_activity says what the records say, for every participant (which
    is returned)."""
    with db.engine.connect() as conn:
        truth = reference_activity(conn)
        held = stored_activity(conn)
    assert set(held) <= set(truth), f"rows for participants that do not exist: {held}"
    wrong = {
        pid: {"table": held.get(pid, NO_ACTIVITY), "records": expected}
        for pid, expected in truth.items()
        if held.get(pid, NO_ACTIVITY) != expected
    }
    recent = "\n  ".join(history[-10:])
    assert not wrong, (
        f"after {after}, participant_activity is wrong: {wrong}\nlast steps:\n  {recent}"
    )
    return truth


def caseload_columns(db: Database, actor: Actor) -> dict[int, Activity]:
    """The four columns of every caseload row the actor sees, discharged included."""
    with db.session(read_only=True) as s:
        rows = caseload.caseload_rows(s, actor, include_discharged=True)
    return {
        r.participant_id: (r.last_contact_at, r.plan_review_date, r.open_referrals, r.latest_barc10)
        for r in rows
    }


def assert_caseload_true(db: Database, supervisor: Actor, after: str) -> None:
    """The supervisor's caseload shows, for each participant, what the records say."""
    with db.engine.connect() as conn:
        truth = reference_activity(conn)
    shown = caseload_columns(db, supervisor)
    assert set(shown) == set(truth), f"after {after}: the caseload lists {sorted(shown)}"
    wrong = {pid: (shown[pid], truth[pid]) for pid in truth if shown[pid] != truth[pid]}
    assert not wrong, f"after {after}, caseload (shown, records): {wrong}"


# ------------------------------------------------------------------------------ helpers

NOTE_KINDS = ("individual", "individual", "check_in", "collateral", "outreach")
SECTIONS = {
    "goal": "Housing",
    "intervention": "Went through the voucher forms together",
    "response": "Engaged, asked good questions",
    "plan": "Meet next week",
}
CATEGORIES = ("contact_details", "substance_use")
CLOSING_OUTCOMES = tuple(o for o in R.OUTCOME_LABELS if o != "other")
ANSWER_RANGES = {"BARC-10": (10, 1, 6), "PHQ-9": (9, 0, 3), "GAD-7": (7, 0, 3)}


def note_content(occurred_at: datetime, kind: str = "individual") -> notes.NoteContent:
    return notes.NoteContent(
        occurred_at=occurred_at, kind=kind, duration_minutes=30, sections=SECTIONS
    )


def referral_fields(counselor_id: int) -> R.ReferralFields:
    return R.ReferralFields(
        counselor_id=counselor_id,
        reason="Asked for trauma-focused counseling",
        information_shared="Contact details and substance use history.",
        information_categories=CATEGORIES,
    )


def barc10(total: int) -> list[int]:
    """Ten BARC-10 answers (1-6 each) adding up to *total*."""
    assert 10 <= total <= 60
    answers = [1] * 10
    left = total - 10
    for i in range(10):
        step = min(5, left)
        answers[i] += step
        left -= step
    return answers


class Workday:
    """A seeded run of the changes a supervisor and two specialists make, through the
    services; each step picks something that can be done now and does it."""

    def __init__(self, db: Database, staff: Staff, seed: int) -> None:
        self.db = db
        self.supervisor = staff.supervisor
        self.peers = (staff.peer1, staff.peer2)
        self.staff_by_id = {a.id: a for a in (staff.supervisor, staff.peer1, staff.peer2)}
        self.rng = random.Random(seed)
        # A minute back, so that no moment is "in the future" for the services.
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        self.today = date.today()
        self.moments: list[datetime] = []
        self.history: list[str] = []
        self.done: Counter[str] = Counter()
        self.specialist: dict[int, Actor] = {}  # participant id -> assigned specialist
        counselor = C.parse_counselor_fields(
            {"name": "Dr Ana Lima", "credentials": "LCSW", "organisation": "Riverbend Clinic"}
        )
        with db.session() as s:
            self.counselor = C.create_counselor(s, staff.peer1, counselor).id
        self.steps: dict[str, tuple[Callable[[], str | None], int]] = {
            "write note": (self.write_note, 6),
            "edit draft note": (self.edit_draft_note, 5),
            "sign draft note": (self.sign_draft_note, 3),
            "discard draft note": (self.discard_draft_note, 2),
            "note entered in error": (self.note_in_error, 2),
            "group session": (self.group_session, 1),
            "move group session": (self.move_group_session, 1),
            "sign group session": (self.sign_group_session, 1),
            "start plan": (self.start_plan, 2),
            "set plan review date": (self.set_plan_review_date, 1),
            "activate plan": (self.activate_plan, 2),
            "discard plan draft": (self.discard_plan_draft, 1),
            "plan entered in error": (self.plan_in_error, 1),
            "new referral": (self.new_referral, 3),
            "referral status": (self.referral_status, 4),
            "close referral": (self.close_referral, 2),
            "assessment": (self.assessment, 5),
            "assessment entered in error": (self.assessment_in_error, 2),
            "transfer": (self.transfer, 1),
            "intake": (self.intake_another, 1),
        }
        self._deck: list[str] = []

    # -- choosing

    def moment(self) -> datetime:
        """A past moment in whole seconds: now and then one used before (ties), often
        within the last two days (so the newest record keeps changing hands)."""
        chance = self.rng.random()
        if self.moments and chance < 0.3:
            return self.rng.choice(self.moments)
        back = 2 * 86400 if chance < 0.55 else 90 * 86400
        m = self.now - timedelta(seconds=self.rng.randrange(back))
        self.moments.append(m)
        return m

    def participant(self) -> int:
        return self.rng.choice(sorted(self.specialist))

    def someone_for(self, pid: int) -> Actor:
        """The participant's specialist or the supervisor, who both may write."""
        return self.rng.choice((self.specialist[pid], self.supervisor))

    def may_act(self, author_id: int, pid: int) -> bool:
        return author_id in (self.supervisor.id, self.specialist[pid].id)

    def rows(self, stmt: Select[Any]) -> list[Any]:
        with self.db.session(read_only=True) as s:
            return list(s.execute(stmt).all())

    def pick(self, rows: Sequence[Any], competing: Sequence[Any]) -> Any:
        """One of *rows* (id, participant id, moment, ...); half the time, when one of
        them is, the one the caseload shows: the newest of a participant's *competing*
        rows (sorted so that the shown one of a tie comes last). A change to it that the
        table missed would leave it showing."""
        candidates = {row[0] for row in rows}
        newest = {row[1]: row for row in sorted(competing, key=lambda row: row[2])}
        shown = [row for row in newest.values() if row[0] in candidates]
        if shown and self.rng.random() < 0.5:
            return self.rng.choice(shown)
        return self.rng.choice(rows)

    def step(self) -> str:
        """Do one random change (the kinds come round like a shuffled deck, so every
        kind is tried in a run); returns what was done."""
        for _ in range(100):
            if not self._deck:
                self._deck = [name for name, (_, n) in self.steps.items() for _ in range(n)]
                self.rng.shuffle(self._deck)
            name = self._deck.pop()
            what = self.steps[name][0]()
            if what is not None:
                self.done[name] += 1
                self.history.append(what)
                return what
        raise AssertionError("nothing could be done")

    # -- participants

    def intake(self, specialist: Actor) -> int:
        name = f"Participant {len(self.specialist) + 1}"
        fields = participants.parse_participant_fields(
            {
                "legal_name": name,
                "date_of_birth": "1990-01-02",
                "intake_date": (self.today - timedelta(days=400)).isoformat(),
            }
        )
        with self.db.session() as s:
            p = participants.create_participant(s, specialist, fields)
            consent = K.ConsentFields(
                patient_name=name,
                discloser="Riverbend Peer Recovery Center, peer support program",
                information="Name and contact details; substance use history.",
                information_categories=CATEGORIES,
                recipient_counselor_id=self.counselor,
                purpose="Referral to counseling and follow-up on whether it happened.",
                revocation_statement=K.STANDARD_REVOCATION_STATEMENT,
                expires_on=self.today + timedelta(days=365),
                signed_by=name,
                signer_relationship="self",
                signed_on=self.today - timedelta(days=30),
            )
            K.create_consent(s, specialist, p.id, consent, today=self.today)
        self.specialist[p.id] = specialist
        return p.id

    def intake_another(self) -> str | None:
        if len(self.specialist) >= 4:
            return None
        peer = self.rng.choice(self.peers)
        pid = self.intake(peer)
        return f"intake of {pid} by {peer.username}"

    def transfer(self) -> str | None:
        pid = self.participant()
        to = self.peers[1] if self.specialist[pid] == self.peers[0] else self.peers[0]
        with self.db.session() as s:
            assignments.assign(s, self.supervisor, pid, to.id, reason="Caseload balancing")
        self.specialist[pid] = to
        return f"transfer of {pid} to {to.username}"

    # -- notes

    def write_note(self) -> str | None:
        pid, kind, at = self.participant(), self.rng.choice(NOTE_KINDS), self.moment()
        actor = self.someone_for(pid)
        with self.db.session() as s:
            note_id = notes.save_draft(s, actor, pid, note_content(at, kind)).note_id
        signed = self.rng.random() < 0.5
        if signed:
            with self.db.session() as s:
                notes.sign_note(s, actor, note_id)
        state = "signed" if signed else "draft"
        return f"{state} {kind} note {note_id} for {pid} at {at} by {actor.username}"

    def _notes(self) -> list[Any]:
        """(id, participant id, occurred at, kind, author id, status, group session id)
        of every note not entered in error."""
        return self.rows(
            select(
                SessionNote.id,
                SessionNote.participant_id,
                SessionNote.occurred_at,
                SessionNote.kind,
                SessionNote.author_id,
                SessionNote.status,
                SessionNote.group_session_id,
            ).where(SessionNote.entered_in_error_at.is_(None))
        )

    def _drafts(self, standing: Sequence[Any], *, group: bool = True) -> list[Any]:
        """The drafts whose author may still open them (a transfer can take that away)."""
        return [
            r
            for r in standing
            if r[5] == "draft" and self.may_act(r[4], r[1]) and (group or r[6] is None)
        ]

    def pick_note(self, candidates: Sequence[Any], standing: Sequence[Any]) -> Any:
        return self.pick(candidates, [r for r in standing if r[3] != "outreach"])

    def edit_draft_note(self) -> str | None:
        standing = self._notes()
        drafts = self._drafts(standing, group=False)
        if not drafts:
            return None
        note_id, pid, at, kind, author_id, *_ = self.pick_note(drafts, standing)
        change = self.rng.choice(("kind", "time", "both"))
        if change != "time":
            # Mostly across the line between an outreach attempt and a contact.
            if kind == "outreach":
                kind = self.rng.choice(NOTE_KINDS[:-1])
            else:
                kind = self.rng.choice(("outreach", "outreach", "collateral"))
        if change != "kind":
            at = self.moment()
        with self.db.session() as s:
            author = self.staff_by_id[author_id]
            notes.save_draft(s, author, pid, note_content(at, kind), note_id=note_id)
        return f"draft note {note_id} of {pid} changed to {kind} at {at}"

    def sign_draft_note(self) -> str | None:
        drafts = self._drafts(self._notes())
        if not drafts:
            return None
        note_id, pid, _, _, author_id, *_ = self.rng.choice(drafts)
        with self.db.session() as s:
            notes.sign_note(s, self.staff_by_id[author_id], note_id)
        return f"draft note {note_id} of {pid} signed"

    def discard_draft_note(self) -> str | None:
        standing = self._notes()
        drafts = self._drafts(standing)
        if not drafts:
            return None
        note_id, pid, _, _, author_id, *_ = self.pick_note(drafts, standing)
        with self.db.session() as s:
            notes.discard_draft(s, self.staff_by_id[author_id], note_id)
        return f"draft note {note_id} of {pid} discarded"

    def note_in_error(self) -> str | None:
        standing = self._notes()
        signed = [r for r in standing if r[5] == "signed"]
        if not signed:
            return None
        note_id, pid, *_ = self.pick_note(signed, standing)
        with self.db.session() as s:
            notes.mark_entered_in_error(
                s, self.supervisor, note_id, reason="Written for the wrong participant"
            )
        return f"note {note_id} of {pid} marked entered in error"

    # -- group sessions (the supervisor facilitates: they may see every attendee)

    def group_session(self) -> str | None:
        everyone = sorted(self.specialist)
        attendees = self.rng.sample(everyone, k=self.rng.randint(1, min(3, len(everyone))))
        at = self.moment()
        with self.db.session() as s:
            group = note_groups.create_group_session(
                s,
                self.supervisor,
                topic="Getting through the weekend",
                occurred_at=at,
                duration_minutes=60,
                location="Room 2",
                group_text="We shared plans for the weekend.",
                attendees=[(pid, "Shared a plan for Saturday") for pid in attendees],
            )
        return f"group session {group.id} at {at} for {attendees}"

    def _groups(self) -> dict[int, set[str]]:
        statuses: dict[int, set[str]] = {}
        for gid, status in self.rows(
            select(SessionNote.group_session_id, SessionNote.status).where(
                SessionNote.group_session_id.is_not(None)
            )
        ):
            statuses.setdefault(gid, set()).add(status)
        return statuses

    def move_group_session(self) -> str | None:
        unsigned = [gid for gid, st in self._groups().items() if st == {"draft"}]
        if not unsigned:
            return None
        gid, at = self.rng.choice(sorted(unsigned)), self.moment()
        with self.db.session() as s:
            note_groups.update_group_session(
                s,
                self.supervisor,
                gid,
                topic="Getting through the weekend",
                occurred_at=at,
                duration_minutes=60,
                location="Room 2",
                group_text="We shared plans for the weekend.",
            )
        return f"group session {gid} moved to {at}"

    def sign_group_session(self) -> str | None:
        waiting = [gid for gid, st in self._groups().items() if "draft" in st]
        if not waiting:
            return None
        gid = self.rng.choice(sorted(waiting))
        with self.db.session() as s:
            note_groups.sign_group_session(s, self.supervisor, gid)
        return f"group session {gid} signed"

    # -- recovery plans

    def review_date(self) -> date | None:
        """A review date to type in, or None (activation then sets 90 days out)."""
        if self.rng.random() < 0.25:
            return None
        return self.today + timedelta(days=self.rng.randrange(1, 200))

    def _plans(self, status: str) -> list[Any]:
        return self.rows(
            select(RecoveryPlan.id, RecoveryPlan.participant_id).where(
                RecoveryPlan.status == status, RecoveryPlan.entered_in_error_at.is_(None)
            )
        )

    def start_plan(self) -> str | None:
        with_draft = {pid for _, pid in self._plans("draft")}
        free = [pid for pid in sorted(self.specialist) if pid not in with_draft]
        if not free:
            return None
        pid = self.rng.choice(free)
        actor = self.someone_for(pid)
        active = {pid for _, pid in self._plans("active")}
        review = self.review_date()
        with self.db.session() as s:
            if pid in active:
                plan = plans.revise_plan(s, actor, pid)
            else:
                plan = plans.create_plan(s, actor, pid)
                plan = E.add_goal(s, actor, plan.id, GoalInput("home", "A place of my own"))
            if review is not None:
                E.update_plan(s, actor, plan.id, PlanFields(review_date=review))
        how = "revision" if pid in active else "plan"
        return f"{how} {plan.id} drafted for {pid}, review {review}"

    def set_plan_review_date(self) -> str | None:
        drafts = self._plans("draft")
        if not drafts:
            return None
        plan_id, pid = self.rng.choice(drafts)
        review = self.review_date()
        with self.db.session() as s:
            E.update_plan(s, self.someone_for(pid), plan_id, PlanFields(review_date=review))
        return f"draft plan {plan_id} of {pid}: review {review}"

    def activate_plan(self) -> str | None:
        drafts = self._plans("draft")
        if not drafts:
            return None
        plan_id, pid = self.rng.choice(drafts)
        with self.db.session() as s:
            plan = plans.activate_plan(s, self.someone_for(pid), plan_id)
        return f"plan {plan_id} of {pid} activated, review {plan.review_date}"

    def discard_plan_draft(self) -> str | None:
        drafts = self._plans("draft")
        if not drafts:
            return None
        plan_id, pid = self.rng.choice(drafts)
        with self.db.session() as s:
            plans.discard_draft(s, self.someone_for(pid), plan_id)
        return f"draft plan {plan_id} of {pid} discarded"

    def plan_in_error(self) -> str | None:
        active = self._plans("active")
        if not active:
            return None
        plan_id, pid = self.rng.choice(active)
        with self.db.session() as s:
            plans.mark_plan_entered_in_error(
                s, self.supervisor, plan_id, reason="Agreed with the wrong participant"
            )
        return f"active plan {plan_id} of {pid} marked entered in error"

    # -- referrals

    def new_referral(self) -> str | None:
        pid = self.participant()
        actor = self.someone_for(pid)
        with self.db.session() as s:
            referral_id = R.create_referral(s, actor, pid, referral_fields(self.counselor)).id
        sent = self.rng.random() < 0.7
        if sent:
            with self.db.session() as s:
                R.send_referral(s, actor, referral_id)
        return f"referral {referral_id} for {pid} {'sent' if sent else 'drafted'}"

    def referral_status(self) -> str | None:
        movable = self.rows(
            select(Referral.id, Referral.participant_id).where(
                Referral.status.not_in(R.TERMINAL_STATUSES)
            )
        )
        if not movable:
            return None
        referral_id, pid = self.rng.choice(movable)
        with self.db.session() as s:
            referral = s.get(Referral, referral_id)
            assert referral is not None
            before = referral.status
            allowed = R.next_statuses(s, referral)
            # Mostly along the open statuses, so that referrals stay open a while.
            still_open = [st for st in allowed if st in R.OPEN_STATUSES]
            to = self.rng.choice(still_open if still_open and self.rng.random() < 0.7 else allowed)
            RS.change_status(s, self.someone_for(pid), referral_id, to, note="Phoned the clinic")
        return f"referral {referral_id} of {pid}: {before} -> {to}"

    def close_referral(self) -> str | None:
        open_ = self.rows(
            select(Referral.id, Referral.participant_id).where(Referral.status.in_(R.OPEN_STATUSES))
        )
        if not open_:
            return None
        referral_id, pid = self.rng.choice(open_)
        outcome = self.rng.choice(CLOSING_OUTCOMES)
        try:
            with self.db.session() as s:
                closed = RS.close_referral(s, self.someone_for(pid), referral_id, outcome=outcome)
        except ValidationError as refused:
            # No way from its status to that outcome's (e.g. rejected once in progress):
            # nothing changed, which the comparison after the step checks as well.
            assert set(refused.field_errors) == {"status"}, refused.field_errors
            return f"referral {referral_id} of {pid}: closing as {outcome} refused"
        return f"referral {referral_id} of {pid} closed as {outcome}: {closed.status}"

    # -- assessments

    def assessment(self) -> str | None:
        pid = self.participant()
        instrument = self.rng.choice(("BARC-10", "BARC-10", "BARC-10", "PHQ-9", "GAD-7"))
        items, low, high = ANSWER_RANGES[instrument]
        answers = [self.rng.randint(low, high) for _ in range(items)]
        at = self.moment()
        if instrument == "BARC-10" and self.rng.random() < 0.3:
            # The same moment as the participant's latest BARC-10: the higher total wins.
            latest = self.rows(
                select(Assessment.administered_at)
                .where(
                    Assessment.participant_id == pid,
                    Assessment.instrument == "BARC-10",
                    Assessment.entered_in_error_at.is_(None),
                )
                .order_by(Assessment.administered_at.desc())
                .limit(1)
            )
            at = latest[0][0] if latest else at
        with self.db.session() as s:
            view = assessments.record_assessment(
                s, self.someone_for(pid), pid, instrument, answers, administered_at=at
            )
        return f"{instrument} {view.id} for {pid} at {at}: {view.total}"

    def assessment_in_error(self) -> str | None:
        standing = self.rows(
            select(
                Assessment.id,
                Assessment.participant_id,
                Assessment.administered_at,
                Assessment.instrument,
                Assessment.total,
            ).where(Assessment.entered_in_error_at.is_(None))
        )
        if not standing:
            return None
        barc = [row for row in standing if row[3] == "BARC-10"]
        # The shown one: the latest, the higher total of a tie.
        shown = sorted(barc, key=lambda row: (row[2], row[4]))
        assessment_id, pid, _, instrument, _ = self.pick(standing, shown)
        with self.db.session() as s:
            assessments.mark_entered_in_error(
                s, self.supervisor, assessment_id, reason="Scored for the wrong person"
            )
        return f"{instrument} {assessment_id} of {pid} marked entered in error"
