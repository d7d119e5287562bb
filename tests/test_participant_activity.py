"""The caseload's last contact, plan review date, open referrals and latest BARC-10 come
from ``participant_activity``, a table only database triggers write. These tests make
the changes staff make (notes, group sessions, plans, referrals, assessments,
transfers) through the real services, and after every change compare the table with
the columns' definitions computed from the records themselves. A trigger that misses a
case shows a participant as overdue who was seen yesterday, a plan review that is not
due, a referral count that never goes down, or a BARC-10 that was entered in error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from activity_support import (
    NO_ACTIVITY,
    Activity,
    Workday,
    assert_activity_true,
    assert_caseload_true,
    barc10,
    caseload_columns,
    note_content,
    referral_fields,
)
from conftest import Staff
from sqlalchemy import select

from casebook.database import Database
from casebook.services import (
    assessments,
    assignments,
    note_groups,
    notes,
    plans,
)
from casebook.services import plan_editing as E
from casebook.services import referral_status as RS
from casebook.services import referrals as R
from casebook.services.plan_editing import GoalInput, PlanFields
from models import Assessment, RecoveryPlan, Referral, SessionNote

# Every test here runs on SQLite/SQLCipher and on the throwaway PostgreSQL server: the
# triggers are written twice, once per engine.
pytestmark = pytest.mark.both_engines


@pytest.mark.parametrize("seed", [7, 99, 5, 1])
def test_random_days_of_work_keep_the_caseload_columns_true(
    db: Database, staff: Staff, db_engine: str, seed: int
) -> None:
    """After every change, participant_activity agrees with the records for every
    participant; every tenth change and at the end, the supervisor's caseload too."""
    steps = 30 if db_engine == "postgres" else 80
    day = Workday(db, staff, seed)
    for peer in (staff.peer1, staff.peer1, staff.peer2):
        day.intake(peer)
    assert_activity_true(db, "intake")
    had_value = [False] * 4  # whether each column had a value for someone at some point
    for n in range(1, steps + 1):
        what = day.step()
        after = f"step {n} (seed {seed}): {what}"
        for activity in assert_activity_true(db, after, day.history).values():
            had_value = [had or bool(v) for had, v in zip(had_value, activity, strict=True)]
        if n % 10 == 0:
            assert_caseload_true(db, staff.supervisor, after)
    assert_caseload_true(db, staff.supervisor, f"the last step (seed {seed})")
    # The run did what it is for: contacts, plans, referrals and scores came and went.
    if db_engine == "sqlite":
        assert all(had_value), had_value
        assert set(day.done) >= {
            "write note",
            "edit draft note",
            "sign draft note",
            "discard draft note",
            "note entered in error",
            "start plan",
            "activate plan",
            "new referral",
            "referral status",
            "close referral",
            "assessment",
            "assessment entered in error",
        }, day.done


def test_the_caseload_follows_each_change(db: Database, staff: Staff) -> None:
    """What a supervisor sees in the caseload as a specialist's day goes on, each value
    checked against the one the records give and against the table."""
    peer, sup = staff.peer1, staff.supervisor
    day = Workday(db, staff, 0)
    zoe = day.intake(peer)
    quiet = day.intake(staff.peer2)  # nothing ever happens to them
    now, today = day.now, day.today

    def shows(expected: Activity, after: str) -> None:
        assert caseload_columns(db, sup)[zoe] == expected, after
        assert caseload_columns(db, sup)[quiet] == NO_ACTIVITY, after
        assert_activity_true(db, after)
        assert_caseload_true(db, sup, after)

    def note(at: datetime, kind: str = "individual", *, sign: bool = True) -> int:
        with db.session() as s:
            note_id = notes.save_draft(s, peer, zoe, note_content(at, kind)).note_id
            if sign:
                notes.sign_note(s, peer, note_id)
        return note_id

    shows(NO_ACTIVITY, "intake")

    # Last contact: the newest note that is a contact and stands.
    ten_days, two_days = now - timedelta(days=10), now - timedelta(days=2)
    note(ten_days)
    second = note(two_days, "check_in")
    shows((two_days, None, 0, None), "two signed notes")
    note(now - timedelta(hours=1), "outreach")
    shows((two_days, None, 0, None), "an outreach attempt (not a contact)")
    draft = note(now - timedelta(days=1), sign=False)
    shows((now - timedelta(days=1), None, 0, None), "a draft of yesterday's visit")
    with db.session() as s:
        notes.save_draft(s, peer, zoe, note_content(now - timedelta(days=20)), note_id=draft)
    shows((two_days, None, 0, None), "the draft's date corrected to 20 days ago")
    with db.session() as s:
        notes.save_draft(s, peer, zoe, note_content(now, "outreach"), note_id=draft)
    shows((two_days, None, 0, None), "the draft turned into an outreach attempt")
    with db.session() as s:
        notes.save_draft(s, peer, zoe, note_content(now, "collateral"), note_id=draft)
    shows((now, None, 0, None), "the draft turned into a collateral contact")
    with db.session() as s:
        notes.discard_draft(s, peer, draft)
    shows((two_days, None, 0, None), "the draft discarded")
    with db.session() as s:
        notes.mark_entered_in_error(s, sup, second, reason="Wrong participant")
    shows((ten_days, None, 0, None), "the newest contact entered in error")
    with db.session() as s:
        group = note_groups.create_group_session(
            s,
            sup,
            topic="Cravings",
            occurred_at=now - timedelta(days=3),
            duration_minutes=60,
            location="Room 2",
            group_text="We talked about cravings.",
            attendees=[(zoe, "Spoke about the weekend")],
        )
    shows((now - timedelta(days=3), None, 0, None), "a group session three days ago")
    with db.session() as s:
        note_groups.update_group_session(
            s,
            sup,
            group.id,
            topic="Cravings",
            occurred_at=now - timedelta(days=30),
            duration_minutes=60,
            location="Room 2",
            group_text="We talked about cravings.",
        )
    shows((ten_days, None, 0, None), "the group session's date corrected to 30 days ago")
    last = (ten_days,)

    # Plan review: the active plan's review date, nothing for a draft.
    first_review, second_review = today + timedelta(days=30), today + timedelta(days=60)
    with db.session() as s:
        plan = plans.create_plan(s, peer, zoe)
        E.add_goal(s, peer, plan.id, GoalInput("home", "A place of my own"))
        E.update_plan(s, peer, plan.id, PlanFields(review_date=first_review))
    shows((*last, None, 0, None), "a draft plan")
    with db.session() as s:
        plans.activate_plan(s, peer, plan.id)
    shows((*last, first_review, 0, None), "the plan activated")
    with db.session() as s:
        revision = plans.revise_plan(s, peer, zoe)
        E.update_plan(s, peer, revision.id, PlanFields(review_date=second_review))
    shows((*last, first_review, 0, None), "a revision drafted")
    with db.session() as s:
        plans.activate_plan(s, peer, revision.id)
    shows((*last, second_review, 0, None), "the revision activated (the first superseded)")
    with db.session() as s:
        plans.mark_plan_entered_in_error(s, sup, revision.id, reason="Wrong participant")
    shows((*last, None, 0, None), "the active plan entered in error")
    with db.session() as s:
        again = plans.revise_plan(s, peer, zoe, from_version=1)
        plans.activate_plan(s, peer, again.id)
    shows((*last, today + timedelta(days=90), 0, None), "a plan without a review date")
    planned = (*last, today + timedelta(days=90))

    # Open referrals: sent and not yet closed; drafts and closed ones do not count.
    def referral(*, send: bool = True) -> int:
        with db.session() as s:
            referral_id = R.create_referral(s, peer, zoe, referral_fields(day.counselor)).id
            if send:
                R.send_referral(s, peer, referral_id)
        return referral_id

    unsent = referral(send=False)
    shows((*planned, 0, None), "a draft referral")
    first = referral()
    shows((*planned, 1, None), "a referral sent")
    second_referral = referral()
    shows((*planned, 2, None), "a second referral sent")
    with db.session() as s:
        RS.change_status(s, peer, first, "on-hold")
    shows((*planned, 2, None), "a referral on hold (still open)")
    with db.session() as s:
        RS.close_referral(s, peer, first, outcome="attended_first_appointment")
    shows((*planned, 1, None), "the referral on hold closed as completed")
    with db.session() as s:
        RS.change_status(s, peer, unsent, "cancelled")
        RS.change_status(s, peer, second_referral, "rejected")
    shows((*planned, 0, None), "the draft cancelled, the other rejected")
    counted = (*planned, 0)

    # Latest BARC-10: the newest administration, the higher total if two share it.
    earlier, later = now - timedelta(days=5), now - timedelta(days=3)

    def score(total: int, at: datetime, instrument: str = "BARC-10") -> int:
        answers = barc10(total) if instrument == "BARC-10" else [0] * 9
        with db.session() as s:
            return assessments.record_assessment(
                s, peer, zoe, instrument, answers, administered_at=at
            ).id

    def in_error(assessment_id: int) -> None:
        with db.session() as s:
            assessments.mark_entered_in_error(s, sup, assessment_id, reason="Typo")

    score(40, later)
    shows((*counted, 40), "a BARC-10")
    score(50, earlier)
    shows((*counted, 40), "an older BARC-10 entered afterwards")
    score(30, later)
    shows((*counted, 40), "a lower BARC-10 at the same moment")
    best = score(55, later)
    shows((*counted, 55), "a higher BARC-10 at the same moment")
    score(0, now, "PHQ-9")
    shows((*counted, 55), "a later PHQ-9")
    in_error(best)
    shows((*counted, 40), "the highest of the tie entered in error")
    with db.session() as s:
        forty = s.scalars(select(Assessment.id).where(Assessment.total == 40)).one()
    in_error(forty)
    shows((*counted, 30), "the next of the tie entered in error")

    # A transfer changes who, not what.
    with db.session() as s:
        assignments.assign(s, sup, zoe, staff.peer2.id, reason="Caseload balancing")
    shows((*counted, 30), "a transfer")


def test_records_changed_outside_the_services_are_followed(db: Database, staff: Staff) -> None:
    """The row follows whatever writes the records (an import, a restore, someone at a
    SQL prompt), not only the services: here rows are written, changed, moved to
    another participant and deleted straight through the ORM. These are the changes no
    screen makes (an active plan inserted or its review date edited, a referral or an
    assessment deleted, a record moved between participants)."""
    day = Workday(db, staff, 0)
    zoe, amara = day.intake(staff.peer1), day.intake(staff.peer1)
    now, today = day.now, day.today
    soon, later = today + timedelta(days=10), today + timedelta(days=20)

    def shows(after: str, for_zoe: Activity, for_amara: Activity) -> None:
        assert_activity_true(db, after)
        shown = caseload_columns(db, staff.supervisor)
        assert (shown[zoe], shown[amara]) == (for_zoe, for_amara), after

    with db.session() as s:
        plan = RecoveryPlan(participant_id=zoe, version=1, status="active", review_date=soon)
        s.add(plan)
    shows("an active plan inserted", (None, soon, 0, None), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(RecoveryPlan, plan.id).review_date = later
    shows("its review date changed", (None, later, 0, None), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(RecoveryPlan, plan.id).participant_id = amara
    shows("the plan moved to Amara", NO_ACTIVITY, (None, later, 0, None))
    with db.session() as s:
        s.get_one(RecoveryPlan, plan.id).status = "superseded"
    shows("the plan superseded", NO_ACTIVITY, NO_ACTIVITY)

    with db.session() as s:
        referral = Referral(participant_id=zoe, reason="Counseling", status="accepted")
        s.add(referral)
    shows("an accepted referral inserted", (None, None, 1, None), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(Referral, referral.id).participant_id = amara
    shows("the referral moved to Amara", NO_ACTIVITY, (None, None, 1, None))
    with db.session() as s:
        s.delete(s.get_one(Referral, referral.id))
    shows("the referral deleted", NO_ACTIVITY, NO_ACTIVITY)

    def barc(total: int, at: datetime) -> Assessment:
        answers = barc10(total)
        return Assessment(
            participant_id=zoe,
            instrument="BARC-10",
            answers=answers,
            total=total,
            band="",
            administered_at=at,
        )

    with db.session() as s:
        first, second = barc(40, now - timedelta(days=1)), barc(30, now - timedelta(days=2))
        s.add_all([first, second])
    shows("two BARC-10s inserted", (None, None, 0, 40), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(Assessment, first.id).total = 45
    shows("the latest total corrected", (None, None, 0, 45), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(Assessment, second.id).administered_at = now
    shows("the older one's time moved to now", (None, None, 0, 30), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(Assessment, second.id).instrument = "PHQ-9"
    shows("the newer one recoded as a PHQ-9", (None, None, 0, 45), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(Assessment, first.id).participant_id = amara
    shows("the BARC-10 moved to Amara", NO_ACTIVITY, (None, None, 0, 45))
    with db.session() as s:
        s.delete(s.get_one(Assessment, first.id))
    shows("the BARC-10 deleted", NO_ACTIVITY, NO_ACTIVITY)

    with db.session() as s:
        draft = notes.save_draft(s, staff.peer1, zoe, note_content(now)).note_id
    shows("a draft note", (now, None, 0, None), NO_ACTIVITY)
    with db.session() as s:
        s.get_one(SessionNote, draft).participant_id = amara
    shows("the draft moved to Amara", NO_ACTIVITY, (now, None, 0, None))
    with db.session() as s:
        s.get_one(SessionNote, draft).kind = "outreach"
    shows("the draft recoded as outreach", NO_ACTIVITY, NO_ACTIVITY)
