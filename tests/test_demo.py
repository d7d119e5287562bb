"""The synthetic demo clinic: sane relationships, reproducible, refuses to mix with real data.

Seeding runs against a real SQLCipher file with the real schema (migrations,
triggers, full-text index), and the result is read back through the services
that will show it (note integrity, consents, referrals), so the demo database
is one the program itself accepts.
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from casebook import schema
from casebook.db import DatabaseLocation, make_engine, session_factory, session_scope
from casebook.demo import (
    CHUNK_PARTICIPANTS,
    SeedSummary,
    fast_bind_processor,
    seed_demo,
    specialist_count,
)
from casebook.errors import CasebookError, ValidationError
from casebook.measures import FLAG_SELF_HARM, score
from casebook.security import audit
from casebook.services import consents, notes, referrals
from models import (
    ActionStep,
    Assessment,
    AuditEvent,
    Base,
    CaseAssignment,
    Consent,
    Counselor,
    Disclosure,
    Goal,
    GoalRating,
    GroupSession,
    NoteAddendum,
    NoteGoal,
    Participant,
    PlanSupport,
    RecoveryPlan,
    RecoveryStartChange,
    Referral,
    ReferralEvent,
    SessionNote,
    StaffUser,
)

KEY = "ab" * 32
TODAY = date(2026, 11, 23)
MIDNIGHT = datetime(2026, 11, 23, tzinfo=UTC)
PARTICIPANTS = 200
SEED = 3


def _database(path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(DatabaseLocation(url="sqlite://", path=path), key_hex=KEY)
    schema.init_schema(engine)
    return engine, session_factory(engine)


@dataclass(frozen=True)
class Seeded:
    factory: sessionmaker[Session]
    summary: SeedSummary
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """One seeded clinic shared by the read-only tests of this module."""
    engine, factory = _database(tmp_path_factory.mktemp("demo") / "demo.db")
    calls: list[tuple[int, int]] = []
    with session_scope(factory) as s:
        summary = seed_demo(
            s,
            participants=PARTICIPANTS,
            seed=SEED,
            password_hash="hash",
            today=TODAY,
            progress=lambda done, total: calls.append((done, total)),
        )
    yield Seeded(factory, summary, calls)
    engine.dispose()


@pytest.fixture
def session(seeded: Seeded) -> Iterator[Session]:
    with session_scope(seeded.factory, read_only=True) as s:
        yield s


def _count(s: Session, model: type[Base]) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


# ------------------------------------------------------------------------- sizes and accounts


@pytest.mark.parametrize(
    ("participants", "expected"),
    [
        (0, 2),
        (1, 2),
        (80, 2),
        (81, 3),
        (200, 5),
        (10_000, 250),
        (12_000, 300),
        (200_000, 300),
    ],
)
def test_specialists_grow_with_the_caseload(participants: int, expected: int) -> None:
    assert specialist_count(participants) == expected


def test_summary_matches_the_rows_written(seeded: Seeded, session: Session) -> None:
    summary = seeded.summary
    models: dict[str, type[Base]] = {
        "users": StaffUser,
        "participants": Participant,
        "case_assignments": CaseAssignment,
        "recovery_start_changes": RecoveryStartChange,
        "recovery_plans": RecoveryPlan,
        "plan_supports": PlanSupport,
        "goals": Goal,
        "goal_ratings": GoalRating,
        "action_steps": ActionStep,
        "session_notes": SessionNote,
        "note_goals": NoteGoal,
        "note_addenda": NoteAddendum,
        "group_sessions": GroupSession,
        "assessments": Assessment,
        "counselors": Counselor,
        "consents": Consent,
        "referrals": Referral,
        "referral_events": ReferralEvent,
        "disclosures": Disclosure,
    }
    assert set(summary.counts()) == set(models)
    for name, model in models.items():
        assert summary.counts()[name] == _count(session, model), name
        assert summary.counts()[name] > 0, name
    assert summary.participants == PARTICIPANTS
    # About 20 notes per participant over the year.
    assert 15 <= summary.session_notes / PARTICIPANTS <= 26
    assert summary.counselors >= 20
    assert str(PARTICIPANTS) in summary.describe()


def test_staff_accounts(seeded: Seeded, session: Session) -> None:
    peers = specialist_count(PARTICIPANTS)
    expected = ("admin", "supervisor", *(f"peer{n}" for n in range(1, peers + 1)))
    assert seeded.summary.usernames == expected
    users = {u.username: u for u in session.scalars(select(StaffUser))}
    assert tuple(users) == expected or set(users) == set(expected)
    assert users["admin"].role == "admin"
    assert users["supervisor"].role == "supervisor"
    supervisor_id = users["supervisor"].id
    for n in range(1, peers + 1):
        peer = users[f"peer{n}"]
        assert peer.role == "specialist"
        assert peer.supervisor_id == supervisor_id
    # One hash, made once by the caller, shared by every account.
    assert {u.password_hash for u in users.values()} == {"hash"}
    names = [u.display_name for u in users.values()]
    assert len(set(names)) == len(names)
    assert all(" " in name for name in names)


def test_progress_is_reported_per_chunk(seeded: Seeded) -> None:
    calls = seeded.progress
    assert calls[0] == (0, PARTICIPANTS)
    assert calls[-1] == (PARTICIPANTS, PARTICIPANTS)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len(calls) >= 1 + PARTICIPANTS // CHUNK_PARTICIPANTS


# ------------------------------------------------------------------------- participants


def test_names_come_from_many_languages(session: Session) -> None:
    names = list(session.scalars(select(Participant.legal_name)))
    assert any(not name.isascii() for name in names)
    scripts = {unicodedata.name(ch).split()[0] for name in names for ch in name if ch.isalpha()}
    assert "LATIN" in scripts
    # At least one name written in a non-Latin script (Greek, Cyrillic, Arabic, CJK...).
    assert scripts & {"GREEK", "CYRILLIC", "ARABIC", "CJK", "HANGUL"}
    # Stored precomposed, so a search typed on any keyboard finds them.
    assert all(unicodedata.is_normalized("NFC", name) for name in names)
    preferred = list(
        session.scalars(
            select(Participant.preferred_name).where(Participant.preferred_name.is_not(None))
        )
    )
    assert 0 < len(preferred) < len(names)


def test_participant_fields_are_plausible(session: Session) -> None:
    people = list(session.scalars(select(Participant).order_by(Participant.id)))
    assert [p.record_number for p in people] == [f"R-{n:06d}" for n in range(1, len(people) + 1)]
    for p in people:
        age_today = (TODAY - p.date_of_birth).days / 365.25
        assert (p.intake_date - p.date_of_birth).days / 365.25 >= 18
        assert age_today <= 75
        assert 365 <= (TODAY - p.intake_date).days <= 3 * 366
        assert p.contact_cadence_days in (3, 7, 14, 30)
        if p.status == "discharged":
            assert p.discharge_date is not None and p.discharge_reason
            assert p.intake_date < p.discharge_date < TODAY
        else:
            assert p.discharge_date is None and p.discharge_reason is None
        if p.phone:
            assert "555-01" in p.phone
        if p.email:
            assert p.email.split("@")[1] in ("example.com", "example.org", "example.net")
    statuses = Counter(p.status for p in people)
    assert statuses["active"] > len(people) * 0.7
    assert statuses["inactive"] > 0 and statuses["discharged"] > 0
    cadences = Counter(p.contact_cadence_days for p in people)
    assert cadences.most_common(1)[0][0] == 7
    assert any(p.recovery_start_date is None for p in people)
    assert any(p.email for p in people) and any(p.email is None for p in people)


def test_recovery_start_history_ends_at_the_current_date(session: Session) -> None:
    changes: dict[int, list[RecoveryStartChange]] = defaultdict(list)
    for c in session.scalars(select(RecoveryStartChange).order_by(RecoveryStartChange.id)):
        changes[c.participant_id].append(c)
    for p in session.scalars(select(Participant)):
        history = changes.get(p.id, [])
        if p.recovery_start_date is None:
            assert history == []
            continue
        assert history[0].previous_date is None
        assert history[-1].new_date == p.recovery_start_date
        for before, after in pairwise(history):
            assert after.previous_date == before.new_date
    assert any(len(h) > 1 for h in changes.values())  # some resets


def test_assignments(session: Session) -> None:
    rows = list(session.scalars(select(CaseAssignment)))
    open_rows = Counter(a.participant_id for a in rows if a.end_date is None)
    assert max(open_rows.values()) == 1
    specialists = set(session.scalars(select(StaffUser.id).where(StaffUser.role == "specialist")))
    assert {a.specialist_id for a in rows} <= specialists
    unassigned = _count(session, Participant) - len(open_rows)
    assert 0 <= unassigned <= PARTICIPANTS * 0.05
    closed = [a for a in rows if a.end_date is not None]
    assert closed  # transfer history
    for a in closed:
        assert a.end_date is not None and a.start_date <= a.end_date < TODAY


# ------------------------------------------------------------------------- plans


def test_recovery_plans(session: Session) -> None:
    plans: dict[int, list[RecoveryPlan]] = defaultdict(list)
    for plan in session.scalars(select(RecoveryPlan)):
        plans[plan.participant_id].append(plan)
    assert len(plans) == PARTICIPANTS
    overdue = revised = drafts = 0
    for versions in plans.values():
        numbers = [p.version for p in versions]
        assert len(numbers) == len(set(numbers))
        assert [p.status for p in versions].count("active") == 1
        for plan in versions:
            if plan.status == "draft":
                drafts += 1
                assert plan.activated_at is None and plan.review_date is None
                continue
            assert plan.activated_at is not None
            assert plan.review_date == plan.activated_at.date() + timedelta(days=90)
            assert plan.strengths and plan.triggers and plan.coping_strategies
            assert plan.crisis_plan and "988" in plan.crisis_plan
            if plan.status == "superseded":
                revised += 1
                assert plan.superseded_at is not None
            elif plan.review_date < TODAY:
                overdue += 1
    assert revised > 0 and overdue > 0
    assert 0 < overdue < PARTICIPANTS / 2


def test_goals_steps_ratings_and_supports(session: Session) -> None:
    plan_owner = {
        plan_id: owner
        for plan_id, owner in session.execute(select(RecoveryPlan.id, RecoveryPlan.participant_id))
    }
    goals = {g.id: g for g in session.scalars(select(Goal))}
    per_plan = Counter(g.plan_id for g in goals.values())
    assert set(per_plan) == set(plan_owner)
    assert min(per_plan.values()) >= 2 and max(per_plan.values()) <= 4
    domains = Counter(g.domain for g in goals.values())
    assert {"health", "home", "purpose", "community"} <= set(domains)
    for goal in goals.values():
        assert goal.statement and goal.measurable_target and goal.target_date
        if goal.origin_goal_id is not None:
            origin = goals[goal.origin_goal_id]
            assert plan_owner[origin.plan_id] == plan_owner[goal.plan_id]
            assert origin.plan_id != goal.plan_id
    ratings = Counter(r.goal_id for r in session.scalars(select(GoalRating)))
    assert min(ratings.values()) >= 1 and max(ratings.values()) <= 4
    for rating in session.scalars(select(GoalRating)):
        assert 0 <= rating.rating <= 10 and rating.rated_at < MIDNIGHT
    steps = list(session.scalars(select(ActionStep)))
    assert {s.responsible for s in steps} == {"participant", "specialist", "other"}
    assert all(s.responsible_name for s in steps if s.responsible == "other")
    assert any(s.done_date for s in steps) and any(s.done_date is None for s in steps)
    assert all(s.done_date is None or s.done_date < TODAY for s in steps)
    supports = Counter(s.plan_id for s in session.scalars(select(PlanSupport)))
    assert min(supports.values()) >= 1 and max(supports.values()) <= 3


# ------------------------------------------------------------------------- notes


def test_notes_reference_existing_rows(session: Session) -> None:
    ids = list(session.scalars(select(SessionNote.id)))
    assert len(ids) == len(set(ids))
    orphans = session.scalar(
        text(
            "SELECT count(*) FROM session_note n "
            "LEFT JOIN participant p ON p.id = n.participant_id "
            "WHERE p.id IS NULL"
        )
    )
    assert orphans == 0
    specialists = set(session.scalars(select(StaffUser.id).where(StaffUser.role == "specialist")))
    assert set(session.scalars(select(SessionNote.author_id).distinct())) <= specialists
    # A goal addressed in a note is on that participant's own plan.
    mismatched = session.scalar(
        text(
            "SELECT count(*) FROM note_goal ng JOIN session_note n ON n.id = ng.note_id "
            "JOIN goal g ON g.id = ng.goal_id JOIN recovery_plan p ON p.id = g.plan_id "
            "WHERE p.participant_id != n.participant_id"
        )
    )
    assert mismatched == 0


def test_notes_follow_the_formats_and_are_signed(session: Session) -> None:
    keys = {
        "GIRP": ["goal", "intervention", "response", "plan"],
        "DAP": ["data", "assessment", "plan"],
        "SOAP": ["subjective", "objective", "assessment", "plan"],
    }
    kinds: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    drafts = 0
    for note in session.scalars(select(SessionNote)):
        kinds[note.kind] += 1
        formats[note.format] += 1
        expected = (["individual"] if note.kind == "group" else []) + keys[note.format]
        assert list(note.sections) == expected
        for section in note.sections.values():
            assert section in note.body
            assert "{" not in section  # every placeholder was filled
        assert note.occurred_at < MIDNIGHT
        assert note.duration_minutes > 0
        if note.status == "signed":
            assert note.signed_by_id == note.author_id
            assert note.signed_at is not None and note.content_hash
            assert note.occurred_at <= note.signed_at < MIDNIGHT
        else:
            drafts += 1
            assert note.signed_at is None and note.content_hash is None
            assert note.occurred_at.date() >= TODAY - timedelta(days=5)
    assert kinds.most_common(2)[0][0] == "individual"
    assert {"check_in", "outreach", "collateral", "group"} <= set(kinds)
    assert formats.most_common(1)[0][0] == "GIRP" and set(formats) == set(keys)
    assert 0 < drafts < kinds.total() * 0.02


def test_signed_notes_pass_the_integrity_check(session: Session) -> None:
    # The same check 'casebook db check' runs: hashes over content, goals and
    # the group part, and every addendum chained to its note.
    assert notes.find_tampered_notes(session) == []
    assert _count(session, NoteAddendum) > 0


def test_risk_flags_are_rare_and_known(session: Session) -> None:
    flagged = [n.risk_flags for n in session.scalars(select(SessionNote)) if n.risk_flags]
    total = _count(session, SessionNote)
    assert 0 < len(flagged) < total * 0.02
    assert {flag for flags in flagged for flag in flags} <= set(notes.RISK_FLAGS)


def test_contacts_reflect_the_cadence(session: Session) -> None:
    last_contact = {
        participant_id: at
        for participant_id, at in session.execute(
            select(SessionNote.participant_id, func.max(SessionNote.occurred_at))
            .where(SessionNote.kind != "outreach")
            .group_by(SessionNote.participant_id)
        )
    }
    on_time = overdue = long_overdue = 0
    for p in session.scalars(select(Participant).where(Participant.status == "active")):
        last = last_contact[p.id]
        days = (TODAY - last.date()).days - p.contact_cadence_days
        if days <= 0:
            on_time += 1
        elif days <= 30:
            overdue += 1
        else:
            long_overdue += 1
    assert on_time > overdue + long_overdue
    assert overdue > 0 and long_overdue > 0


def test_group_sessions(session: Session) -> None:
    assignments: dict[int, list[CaseAssignment]] = defaultdict(list)
    for a in session.scalars(select(CaseAssignment)):
        assignments[a.participant_id].append(a)
    groups = {g.id: g for g in session.scalars(select(GroupSession))}
    attendees: Counter[int] = Counter()
    for note in session.scalars(select(SessionNote).where(SessionNote.kind == "group")):
        assert note.group_session_id is not None
        group = groups[note.group_session_id]
        attendees[group.id] += 1
        assert note.author_id == group.facilitator_id
        assert note.occurred_at == group.occurred_at
        assert note.body.startswith(group.topic)
        day = group.occurred_at.date()
        # Attendees were on the facilitator's caseload that day.
        assert any(
            a.specialist_id == group.facilitator_id
            and a.start_date <= day
            and (a.end_date is None or day < a.end_date)
            for a in assignments[note.participant_id]
        )
    assert set(attendees) == set(groups)
    assert min(attendees.values()) >= 2
    assert _count(session, SessionNote) - sum(attendees.values()) > 10 * len(groups)


def test_full_text_index_is_complete_and_kept(session: Session, tmp_path: Path) -> None:
    indexed = session.scalar(text("SELECT count(*) FROM note_fts"))
    assert indexed == _count(session, SessionNote)
    name = session.scalar(select(Participant.legal_name).where(Participant.id == 1))
    first_note = session.scalar(select(SessionNote.body).where(SessionNote.participant_id == 1))
    assert first_note
    word = next(w for w in first_note.replace(".", " ").split() if len(w) > 6 and w.isalpha())
    hits = session.scalar(
        text("SELECT count(*) FROM note_fts WHERE note_fts MATCH :w"), {"w": f'"{word}"'}
    )
    assert hits and hits > 0, (name, word)
    # Seeding rebuilt the index in one go; the insert trigger is back, unchanged.
    fresh_engine, _ = _database(tmp_path / "fresh.db")
    with fresh_engine.connect() as conn:
        expected = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'note_fts_ai'")
        ).scalar()
    fresh_engine.dispose()
    assert expected
    assert (
        session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'note_fts_ai'")) == expected
    )


# ------------------------------------------------------------------------- measures


def test_assessment_scores_agree_with_the_scoring_rules(session: Session) -> None:
    rows = list(session.scalars(select(Assessment)))
    instruments = Counter(a.instrument for a in rows)
    assert set(instruments) == {"BARC-10", "PHQ-9", "GAD-7"}
    self_harm = 0
    for a in rows:
        result = score(a.instrument, a.answers)
        assert (a.total, a.band, tuple(a.flags)) == (result.total, result.band, result.flags)
        assert a.administered_at < MIDNIGHT
        if a.instrument == "PHQ-9":
            assert len(a.answers) == 9
            if a.answers[8] > 0:
                self_harm += 1
                assert FLAG_SELF_HARM in a.flags
    phq9 = instruments["PHQ-9"]
    assert 0 < self_harm < phq9 * 0.1


def test_assessments_improve_on_average(session: Session) -> None:
    series: dict[tuple[int, str], list[int]] = defaultdict(list)
    for a in session.scalars(select(Assessment).order_by(Assessment.administered_at)):
        series[a.participant_id, a.instrument].append(a.total)
    change = defaultdict(list)
    for (_, instrument), totals in series.items():
        if len(totals) >= 3:
            change[instrument].append(totals[-1] - totals[0])
    assert statistics.mean(change["PHQ-9"]) < 0
    assert statistics.mean(change["GAD-7"]) < 0
    assert statistics.mean(change["BARC-10"]) > 0
    per_person = Counter(pid for pid, _ in series)
    assert len(per_person) > PARTICIPANTS * 0.7


# ------------------------------------------------------------------------- consents, referrals


def test_consents_cover_every_state(session: Session) -> None:
    statuses: Counter[str] = Counter()
    expiring = 0
    for c in session.scalars(select(Consent)):
        status = consents.consent_status(c, TODAY)
        statuses[status] += 1
        assert c.recipient_counselor_id is not None
        assert c.patient_name and c.discloser and c.information and c.purpose
        assert c.revocation_statement and c.signed_by and c.signed_on < TODAY
        assert c.expires_on is not None or c.expiration_event
        assert c.signer_relationship in consents.SIGNER_RELATIONSHIPS
        codes = consents.stored_categories(c.information_categories)
        assert codes and ",".join(codes) == c.information_categories
        if status == "active" and c.expires_on and c.expires_on <= TODAY + timedelta(days=30):
            expiring += 1
    assert statuses["active"] > statuses["expired"] > 0
    assert statuses["revoked"] > 0 and expiring > 0
    with_consent = len(set(session.scalars(select(Consent.participant_id))))
    assert PARTICIPANTS * 0.45 < with_consent < PARTICIPANTS * 0.75


def test_referrals_follow_the_status_rules(session: Session) -> None:
    consents_by_id = {c.id: c for c in session.scalars(select(Consent))}
    events: dict[int, list[ReferralEvent]] = defaultdict(list)
    for e in session.scalars(select(ReferralEvent).order_by(ReferralEvent.id)):
        events[e.referral_id].append(e)
    disclosed = {d.referral_id: d for d in session.scalars(select(Disclosure))}
    statuses: Counter[str] = Counter()
    overdue = 0
    for r in session.scalars(select(Referral)):
        statuses[r.status] += 1
        chain = events[r.id]
        assert chain[0].from_status is None and chain[0].to_status == "draft"
        for before, after in pairwise(chain):
            assert after.from_status == before.to_status
            assert after.to_status in referrals.TRANSITIONS[before.to_status]
            assert before.occurred_at <= after.occurred_at < MIDNIGHT
        assert chain[-1].to_status == r.status
        if r.status == "draft":
            assert r.consent_id is None and r.sent_at is None and r.id not in disclosed
            continue
        assert r.consent_id is not None and r.sent_at is not None
        consent = consents_by_id[r.consent_id]
        sent = r.sent_at.date()
        # The consent relied on was in force, named this counselor and covered
        # every category shared, on the day the referral was sent.
        assert consent.participant_id == r.participant_id
        assert consent.recipient_counselor_id == r.counselor_id
        assert consent.signed_on <= sent
        assert consents.consent_status(consent, sent) == "active"
        assert set(consents.stored_categories(r.information_categories)) <= set(
            consents.stored_categories(consent.information_categories)
        )
        disclosure = disclosed[r.id]
        assert disclosure.consent_id == consent.id and disclosure.notice_included
        assert disclosure.disclosed_at == r.sent_at
        if r.status in referrals.OPEN_STATUSES:
            assert r.follow_up_on is not None and r.outcome is None
            overdue += r.follow_up_on < TODAY
        else:
            assert r.closed_at is not None and r.outcome is not None
            targets = referrals.OUTCOME_STATUSES[r.outcome]
            assert r.status in targets or (r.outcome == "other" and r.outcome_note)
    assert {"draft", "requested", "accepted", "in-progress", "completed"} <= set(statuses)
    assert overdue > 0
    assert len(disclosed) == sum(n for s, n in statuses.items() if s != "draft")
    with_referral = len(set(session.scalars(select(Referral.participant_id))))
    assert PARTICIPANTS * 0.2 < with_referral < PARTICIPANTS * 0.4


# ------------------------------------------------------------------------- audit


def test_one_audit_event_for_the_whole_seed(seeded: Seeded, session: Session) -> None:
    events = list(session.scalars(select(AuditEvent)))
    assert [e.action for e in events] == ["demo_seed"]
    assert events[0].username == "demo" and events[0].user_id is None
    details = json.loads(events[0].details)
    assert details["session_notes"] == seeded.summary.session_notes
    assert details["seed"] == SEED
    assert audit.verify_chain(session).ok


# ------------------------------------------------------------------------- reproducibility


def _seeded_fingerprint(
    path: Path, participants: int, seed: int
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Seed a new database and return what identifies its people and notes."""
    engine, factory = _database(path)
    with session_scope(factory) as s:
        seed_demo(s, participants=participants, seed=seed, password_hash="x", today=TODAY)
    with session_scope(factory, read_only=True) as s:
        people = [
            tuple(row)
            for row in s.execute(
                select(
                    Participant.id,
                    Participant.legal_name,
                    Participant.date_of_birth,
                    Participant.email,
                )
            )
        ]
        note_rows = [
            tuple(row)
            for row in s.execute(
                select(
                    SessionNote.id,
                    SessionNote.participant_id,
                    SessionNote.occurred_at,
                    SessionNote.body,
                    SessionNote.content_hash,
                ).order_by(SessionNote.id)
            )
        ]
    engine.dispose()
    return people, note_rows


def test_same_seed_same_clinic_other_seed_other_clinic(tmp_path: Path) -> None:
    first = _seeded_fingerprint(tmp_path / "a.db", 60, 11)
    again = _seeded_fingerprint(tmp_path / "b.db", 60, 11)
    other = _seeded_fingerprint(tmp_path / "c.db", 60, 12)
    assert first == again
    assert first[1]  # notes were compared, not two empty lists
    assert [p[1] for p in first[0]] != [p[1] for p in other[0]]
    assert first[1] != other[1]


# ------------------------------------------------------------------------- refusals


def test_refuses_a_database_with_participants(seeded: Seeded) -> None:
    with pytest.raises(ValidationError) as caught, session_scope(seeded.factory) as s:
        seed_demo(s, participants=5, password_hash="x", today=TODAY)
    assert "database" in caught.value.field_errors
    assert "empty database" in caught.value.field_errors["database"]
    with session_scope(seeded.factory, read_only=True) as s:
        assert _count(s, Participant) == PARTICIPANTS


def test_refuses_a_database_with_staff_accounts(tmp_path: Path) -> None:
    engine, factory = _database(tmp_path / "staff.db")
    with session_scope(factory) as s:
        s.add(StaffUser(username="ada", display_name="Ada Admin", role="admin", password_hash="x"))
    with pytest.raises(ValidationError) as caught, session_scope(factory) as s:
        seed_demo(s, participants=5, password_hash="x", today=TODAY)
    assert "database" in caught.value.field_errors
    engine.dispose()


@pytest.mark.parametrize("participants", [-1, 200_001])
def test_refuses_an_impossible_size(tmp_path: Path, participants: int) -> None:
    engine, factory = _database(tmp_path / "size.db")
    with pytest.raises(ValidationError) as caught, session_scope(factory) as s:
        seed_demo(s, participants=participants, password_hash="x", today=TODAY)
    assert "participants" in caught.value.field_errors
    engine.dispose()


def test_cancelling_stops_and_leaves_nothing(tmp_path: Path) -> None:
    engine, factory = _database(tmp_path / "cancel.db")
    calls: list[tuple[int, int]] = []
    participants = CHUNK_PARTICIPANTS + 50
    with pytest.raises(CasebookError, match="cancelled"), session_scope(factory) as s:
        seed_demo(
            s,
            participants=participants,
            password_hash="x",
            today=TODAY,
            progress=lambda done, total: calls.append((done, total)),
            cancelled=lambda: any(done > 0 for done, _ in calls),
        )
    # Stopped after the first chunk instead of finishing.
    assert calls[-1] == (CHUNK_PARTICIPANTS, participants)
    with session_scope(factory, read_only=True) as s:
        assert _count(s, Participant) == 0 and _count(s, StaffUser) == 0
        assert _count(s, SessionNote) == 0 and _count(s, AuditEvent) == 0
        # The rollback brought the full-text trigger back with everything else.
        assert s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'note_fts_ai'"))
    # The database is still usable for a real seed afterwards.
    with session_scope(factory) as s:
        summary = seed_demo(s, participants=3, password_hash="x", today=TODAY)
    assert summary.participants == 3
    engine.dispose()


def test_search_index_survives_a_caller_that_commits_after_cancelling(tmp_path: Path) -> None:
    engine, factory = _database(tmp_path / "stubborn.db")
    calls: list[int] = []
    # pytest.raises swallows the error inside the unit of work, which then
    # commits what was written: not what callers should do, but the schema and
    # the search index must stay whole even so.
    with session_scope(factory) as s, pytest.raises(CasebookError):
        seed_demo(
            s,
            participants=CHUNK_PARTICIPANTS + 10,
            password_hash="x",
            today=TODAY,
            progress=lambda done, _total: calls.append(done),
            cancelled=lambda: any(calls),
        )
    with session_scope(factory, read_only=True) as s:
        assert _count(s, SessionNote) > 0
        assert s.scalar(text("SELECT count(*) FROM note_fts")) == _count(s, SessionNote)
        assert s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'note_fts_ai'"))
    engine.dispose()


def test_cancelled_before_starting(tmp_path: Path) -> None:
    engine, factory = _database(tmp_path / "early.db")
    with pytest.raises(CasebookError, match="cancelled"), session_scope(factory) as s:
        seed_demo(s, participants=10, password_hash="x", today=TODAY, cancelled=lambda: True)
    engine.dispose()


# ------------------------------------------------------------------------- fast insert path


def test_fast_bind_processors_store_what_sqlalchemy_stores() -> None:
    dialect = sqlite.dialect()
    samples: dict[str, list[object]] = {
        "UTCDateTime": [
            datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
            datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
            datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
            datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
            None,
        ],
        "Date": [date(2026, 1, 2), date(1950, 7, 31), None],
        "JSON": [{"goal": "Zoë’s “goal”", "plan": ""}, [], ["self_harm"], [1, 2, 3], {}],
        "Boolean": [True, False, None],
    }
    checked = 0
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            fast = fast_bind_processor(column.type, dialect)
            standard = column.type.dialect_impl(dialect).bind_processor(dialect)
            if standard is None:
                assert fast is None
                continue
            assert fast is not None
            for value in samples.get(type(column.type).__name__, []):
                assert fast(value) == standard(value), (table.name, column.name, value)
                checked += 1
    assert checked > 50
