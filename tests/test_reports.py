"""Printed documents built from real records, read back with pypdf: what is on the
page, what must not be, who may print what, and that every print is audited."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Staff
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import select

from casebook.database import Database
from casebook.errors import CasebookError, PermissionDenied, ValidationError
from casebook.reports.caseload import build_caseload_report
from casebook.reports.consent_form import build_consent_form
from casebook.reports.participant_summary import build_participant_summary
from casebook.reports.referral_packet import build_referral_packet
from casebook.reports.signed_note import build_signed_note
from casebook.reports.styles import FONT_REGULAR
from casebook.reports.wellness_card import build_wellness_card
from casebook.security.permissions import Actor
from casebook.services import assessments, consents, counselors, notes, participants, plans
from casebook.services import plan_editing as E
from casebook.services import referrals as R
from casebook.services.plan_editing import GoalInput, PlanFields, StepInput, SupportInput
from models import AuditEvent

TODAY = date.today()
ZOE = "Zoë Nguyễn-Łukasz"
GOAL = "I want my own place where my kids can visit"
LOC = "en_US"


@dataclass(frozen=True)
class Clinic:
    zoe: int
    zoe_record: str
    second: int  # peer1's other participant
    quinn: int  # on peer2's caseload
    quinn_record: str
    plan_id: int
    note_ids: tuple[int, ...]  # signed, oldest first
    draft_id: int
    referral_id: int
    draft_referral_id: int
    consent_id: int


def add_person(
    db: Database, actor: Actor, name: str, **extra: str
) -> participants.ParticipantDetail:
    raw = {
        "legal_name": name,
        "date_of_birth": "1990-01-02",
        "intake_date": (TODAY - timedelta(days=400)).isoformat(),
        "recovery_start_date": (TODAY - timedelta(days=200)).isoformat(),
        "phone": "555-0142",
        "address": "12 Lantern Row, Riverbend",
        **extra,
    }
    with db.session() as s:
        return participants.create_participant(s, actor, participants.parse_participant_fields(raw))


def make_plan(
    db: Database, actor: Actor, pid: int, *, crisis: str = "Call Rosa, then 988", extra: str = ""
) -> int:
    with db.session() as s:
        plan = plans.create_plan(s, actor, pid)
        plan = E.update_plan(
            s,
            actor,
            plan.id,
            PlanFields(
                strengths="Stubborn in a good way; my daughter",
                barriers="No car",
                triggers="Payday weekends" + extra,
                early_warning_signs="Skipping breakfast, not answering the phone" + extra,
                coping_strategies="Call Rosa; walk the dog" + extra,
                crisis_plan=crisis,
                supports=[SupportInput("Rosa Díaz", "sister", "555-0101")],
                agreement_date=TODAY,
                agreement_signed_on_paper=True,
            ),
            expected_version=plan.lock_version,
        )
        plan = E.add_goal(
            s,
            actor,
            plan.id,
            GoalInput("home", GOAL, measurable_target="Signed lease"),
            expected_version=plan.lock_version,
        )
        plan = E.add_step(
            s,
            actor,
            plan.goals[0].id,
            StepInput("Apply for the housing voucher", due_date=TODAY + timedelta(days=20)),
            expected_version=plan.lock_version,
        )
        plan = plans.activate_plan(s, actor, plan.id, expected_version=plan.lock_version)
        return plan.id


def write_note(
    db: Database, actor: Actor, pid: int, text: str, days_ago: int, *, sign: bool = True
) -> int:
    with db.session() as s:
        saved = notes.save_draft(
            s,
            actor,
            pid,
            notes.NoteContent(
                occurred_at=datetime.now(UTC) - timedelta(days=days_ago),
                duration_minutes=30,
                sections={
                    "goal": "Housing",
                    "intervention": text,
                    "response": "Engaged",
                    "plan": "Meet next week",
                },
            ),
        )
        if sign:
            notes.sign_note(s, actor, saved.note_id)
        return saved.note_id


@pytest.fixture
def clinic(db: Database, staff: Staff) -> Clinic:
    return build_clinic(db, staff)


def build_clinic(db: Database, staff: Staff) -> Clinic:
    """Three participants (two of peer1's, one of peer2's) and, for Zoë, a plan, two
    BARC-10s, three signed notes (the last with an addendum), a draft, a consent, a
    sent referral and an unsent one."""
    peer1, peer2 = staff.peer1, staff.peer2
    zoe = add_person(db, peer1, ZOE, preferred_name="Zoë", pronouns="she/her")
    second = add_person(db, peer1, "Amara Okafor")
    quinn = add_person(db, peer2, "Quentin Blackwood")
    plan_id = make_plan(db, peer1, zoe.id)
    with db.session() as s:
        for days, answers in ((60, [4] * 10), (5, [5] * 10)):
            assessments.record_assessment(
                s,
                peer1,
                zoe.id,
                "BARC-10",
                answers,
                administered_at=datetime.now(UTC) - timedelta(days=days),
            )
    note_ids = tuple(
        write_note(db, peer1, zoe.id, f"Signed note number {n} about the voucher", 30 - n * 5)
        for n in range(1, 4)
    )
    draft_id = write_note(db, peer1, zoe.id, "DRAFTSECRET unsigned thoughts", 1, sign=False)
    with db.session() as s:
        notes.add_addendum(
            s, peer1, note_ids[-1], reason="Late entry", text="Called back about the lease."
        )
    with db.session() as s:
        ana = counselors.create_counselor(
            s,
            peer1,
            counselors.parse_counselor_fields(
                {"name": "Dr Ana Lima", "credentials": "LCSW", "organisation": "Riverbend Clinic"}
            ),
        ).id
    with db.session() as s:
        consent = consents.create_consent(
            s,
            peer1,
            zoe.id,
            consents.ConsentFields(
                patient_name=ZOE,
                discloser="Riverbend Peer Recovery Center",
                information="Contact details and the reason for the referral.",
                information_categories=("contact_details", "referral_reason"),
                recipient_counselor_id=ana,
                purpose="Referral to trauma-focused counseling",
                revocation_statement=consents.STANDARD_REVOCATION_STATEMENT,
                expires_on=TODAY + timedelta(days=300),
                signed_by=ZOE,
                signer_relationship="self",
                signed_on=TODAY - timedelta(days=3),
            ),
        )

    def referral(reason: str, shared: str) -> int:
        with db.session() as s:
            return R.create_referral(
                s,
                peer1,
                zoe.id,
                R.ReferralFields(
                    counselor_id=ana,
                    reason=reason,
                    information_shared=shared,
                    information_categories=("contact_details", "referral_reason"),
                ),
            ).id

    # Long enough to run onto a second page, so "every page" means something.
    long_reason = "Asked for trauma-focused therapy. " + "She wants evening times. " * 120
    sent = referral(long_reason, "Contact details and reason. " * 100)
    with db.session() as s:
        R.send_referral(s, peer1, sent)
    unsent = referral("Needs a psychiatrist", "Contact details.")
    return Clinic(
        zoe.id,
        zoe.record_number,
        second.id,
        quinn.id,
        quinn.record_number,
        plan_id,
        note_ids,
        draft_id,
        sent,
        unsent,
        consent.id,
    )


def pages(path: Path) -> list[str]:
    reader = PdfReader(path)
    return [unicodedata.normalize("NFC", p.extract_text() or "") for p in reader.pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def all_text(path: Path) -> str:
    return squash("".join(pages(path)))


def prints(db: Database) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "print")))


# --------------------------------------------------------------------------- caseload


def caseload(db: Database, actor: Actor, path: Path, **kw: object) -> list[str]:
    with db.session() as s:
        build_caseload_report(s, actor, path, locale_name=LOC, **kw)  # type: ignore[arg-type]
    return pages(path)


def test_caseload_minimum_has_record_numbers_and_initials_but_no_names(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    text = squash("".join(caseload(db, staff.supervisor, tmp_path / "c.pdf")))
    assert clinic.zoe_record in text and clinic.quinn_record in text
    assert squash(f"{clinic.zoe_record} · ZN") in text
    for name in ("Zoë", "Nguyễn", "Amara", "Okafor", "Quentin", "Blackwood"):
        assert name not in text
    # No clinical text either: no goal, no note.
    assert "voucher" not in text and "kids" not in text
    event = prints(db)[-1]
    assert '"profile": "minimum"' in event.details or '"profile":"minimum"' in event.details


def test_caseload_full_has_names(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    text = squash("".join(caseload(db, staff.supervisor, tmp_path / "c.pdf", profile="full")))
    assert squash(f"Zoë ({ZOE})") in text
    assert "QuentinBlackwood" in text and "AmaraOkafor" in text


def test_specialist_is_refused_the_full_profile(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "c.pdf"
    with pytest.raises(PermissionDenied, match="Only a supervisor"), db.session() as s:
        build_caseload_report(s, staff.peer1, target, profile="full")
    assert not target.exists()
    assert prints(db) == []


def test_specialist_minimum_shows_only_their_own_caseload(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    text = squash("".join(caseload(db, staff.peer1, tmp_path / "c.pdf")))
    assert clinic.zoe_record in text and clinic.quinn_record not in text
    with pytest.raises(PermissionDenied, match="only your own"), db.session() as s:
        build_caseload_report(s, staff.peer1, tmp_path / "d.pdf", specialist_ids=[staff.peer2.id])


def test_caseload_groups_totals_trend_and_page_numbers(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    texts = caseload(db, staff.supervisor, tmp_path / "c.pdf")
    text = squash("".join(texts))
    assert "PatPeer—2participants" in text and re.search("QuinnPeer—1participant(?!s)", text)
    assert "Total:2participants" in text and re.search("Total:1participant(?!s)", text)
    # Summary: the overall row adds up the groups.
    assert "Allspecialists3" in text
    # Zoë's BARC-10 went from 40 to 50.
    assert "50↑+10" in text
    for number, page in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in page and "CONFIDENTIAL" in page


def test_caseload_for_chosen_specialists_only(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    text = squash(
        "".join(caseload(db, staff.supervisor, tmp_path / "c.pdf", specialist_ids=[staff.peer2.id]))
    )
    assert clinic.quinn_record in text and clinic.zoe_record not in text
    with pytest.raises(PermissionDenied, match="own team"), db.session() as s:
        build_caseload_report(
            s, staff.supervisor, tmp_path / "d.pdf", specialist_ids=[staff.outsider.id]
        )


def test_caseload_for_several_specialists_groups_each_caseload(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    # Both caseloads in one report (one query for both), each under its own heading,
    # and nobody else's participants; the same groups as the whole-team report.
    chosen = [staff.peer2.id, staff.peer1.id]
    text = squash(
        "".join(caseload(db, staff.supervisor, tmp_path / "c.pdf", specialist_ids=chosen))
    )
    everyone = squash("".join(caseload(db, staff.supervisor, tmp_path / "all.pdf")))
    assert "PatPeer—2participants" in text and re.search("QuinnPeer—1participant(?!s)", text)
    assert clinic.zoe_record in text and clinic.quinn_record in text
    assert "Allspecialists3" in text and "Allspecialists3" in everyone
    assert text.index("PatPeer—2") < text.index("QuinnPeer—1")  # by name, as always


def test_caseload_dates_follow_the_locale(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with db.session() as s:
        build_caseload_report(s, staff.supervisor, tmp_path / "gb.pdf", locale_name="en_GB")
    assert f"As of {TODAY:%d/%m/%Y}" in pages(tmp_path / "gb.pdf")[0]
    with db.session() as s:
        build_caseload_report(s, staff.supervisor, tmp_path / "de.pdf", locale_name="de_DE.UTF-8")
    assert f"As of {TODAY:%d.%m.%Y}" in pages(tmp_path / "de.pdf")[0]


def test_a_failed_write_leaves_no_file_and_no_print_in_the_log(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "missing-folder" / "c.pdf"
    with pytest.raises(CasebookError, match="Cannot write the PDF"), db.session() as s:
        build_caseload_report(s, staff.supervisor, target)
    assert not target.parent.exists()
    assert prints(db) == []


# --------------------------------------------------------------------------- participant summary


def summary(db: Database, actor: Actor, pid: int, path: Path, notes_n: int = 5) -> str:
    with db.session() as s:
        build_participant_summary(s, actor, pid, path, last_notes=notes_n, locale_name=LOC)
    return all_text(path)


def test_summary_has_profile_plan_measures_consents_and_notes(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    path = tmp_path / "s.pdf"
    text = summary(db, staff.peer1, clinic.zoe, path)
    assert squash(ZOE) in text and clinic.zoe_record in text
    assert squash(f"“{GOAL}”") in text
    assert squash("Apply for the housing voucher") in text
    assert squash("Call Rosa, then 988") in text
    assert "BARC-10totalovertime" in text
    assert squash("Dr Ana Lima, LCSW (Riverbend Clinic)") in text
    for n in (1, 2, 3):
        assert squash(f"Signed note number {n}") in text
    assert "DRAFTSECRET" not in text
    assert squash("Called back about the lease.") in text
    # The title carries the name intact, on every page.
    for page in pages(path):
        assert f"Participant summary — Zoë ({clinic.zoe_record})" in page
    event = prints(db)[-1]
    assert event.participant_id == clinic.zoe and "participant_summary" in event.details


@pytest.mark.parametrize(("count", "shown"), [(0, ()), (2, (3, 2)), (1, (3,))])
def test_summary_includes_only_the_last_n_notes(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path, count: int, shown: tuple[int, ...]
) -> None:
    text = summary(db, staff.peer1, clinic.zoe, tmp_path / "s.pdf", count)
    for n in (1, 2, 3):
        assert (squash(f"Signed note number {n}") in text) == (n in shown), n
    assert ("Mostrecentnotes" in text) == (count > 0)


def test_summary_of_another_specialists_participant_is_refused(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with pytest.raises(PermissionDenied, match="not on your caseload"), db.session() as s:
        build_participant_summary(s, staff.peer2, clinic.zoe, tmp_path / "s.pdf")
    assert not (tmp_path / "s.pdf").exists()


def test_characters_outside_the_font_do_not_crash(
    db: Database, staff: Staff, tmp_path: Path
) -> None:
    person = add_person(db, staff.peer1, "Zoë 😀 田中 陽菜", preferred_name="Hina 🌸")
    path = tmp_path / "s.pdf"
    text = summary(db, staff.peer1, person.id, path)
    assert "Zoë" in text and "Hina" in text and "\ufffd" in text
    caseload_text = squash("".join(caseload(db, staff.peer1, tmp_path / "c.pdf")))
    # Initials fall back to the preferred name when the legal name's script is missing.
    assert squash(f"{person.record_number} · H") in caseload_text


# --------------------------------------------------------------------------- referral packet


def test_referral_packet_has_the_notice_on_every_page_and_only_covered_information(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    path = tmp_path / "r.pdf"
    with db.session() as s:
        build_referral_packet(s, staff.peer1, clinic.referral_id, path, locale_name=LOC)
    texts = pages(path)
    assert len(texts) >= 2
    notice = squash(consents.REDISCLOSURE_NOTICE)
    for page in texts:
        assert notice in squash(page)
    text = all_text(path)
    assert (
        "Asked for trauma-focused therapy." in squash(texts[0])
        or squash("Asked for trauma-focused therapy.") in text
    )
    assert "555-0142" in text and squash("12 Lantern Row") in text  # contact details: covered
    # Not covered by the consent: the plan, the measures, the notes.
    assert "kids" not in text and "voucher" not in text and "BARC" not in text
    assert squash("Not part of this packet") in text and "sessionnotes" in text
    event = prints(db)[-1]
    assert event.participant_id == clinic.zoe and "referral_packet" in event.details


def test_no_packet_once_the_consent_is_revoked(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with db.session() as s:
        consents.revoke_consent(s, staff.peer1, clinic.consent_id, on=TODAY, note="By phone")
    with pytest.raises(ValidationError, match="is revoked"), db.session() as s:
        build_referral_packet(s, staff.peer1, clinic.referral_id, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()
    # The form itself still prints, for the record, marked as revoked.
    with db.session() as s:
        build_consent_form(s, staff.peer1, clinic.consent_id, tmp_path / "k.pdf")
    assert "REVOKEDon" in all_text(tmp_path / "k.pdf") and "Byphone" in all_text(tmp_path / "k.pdf")


def test_referral_packet_needs_a_sent_referral(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="not been sent yet"), db.session() as s:
        build_referral_packet(s, staff.peer1, clinic.draft_referral_id, tmp_path / "r.pdf")
    with pytest.raises(PermissionDenied), db.session() as s:
        build_referral_packet(s, staff.peer2, clinic.referral_id, tmp_path / "r.pdf")


# --------------------------------------------------------------------------- consent form


def test_consent_form_has_every_section_2_31_element(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    path = tmp_path / "k.pdf"
    with db.session() as s:
        build_consent_form(s, staff.peer1, clinic.consent_id, path, locale_name=LOC)
    texts = pages(path)
    assert len(texts) == 1
    text = all_text(path)
    expires = TODAY + timedelta(days=300)
    signed = TODAY - timedelta(days=3)
    for element in (
        "1. Patient's name",
        ZOE,
        "2. Who may disclose",
        "Riverbend Peer Recovery Center",
        "3. Information to be disclosed",
        "Contact details and the reason for the referral.",
        "4. Recipient(s)",
        "Dr Ana Lima, LCSW (Riverbend Clinic)",
        "5. Purpose of the disclosure",
        "Referral to trauma-focused counseling",
        "6. Right to revoke and how",
        consents.STANDARD_REVOCATION_STATEMENT,
        "7. Expiration",
        f"{expires:%b} {expires.day}, {expires.year}",
        "8. Signature",
        f"Signed by {ZOE} (The participant)",
        "9. Date signed",
        f"{signed:%b} {signed.day}, {signed.year}",
        "Signature of the participant or authorised person",
    ):
        assert squash(element) in text, element
    assert "☑Name,dateofbirthandcontactdetails" in text
    assert "☐Sessionnotes" in text
    assert "consent_form" in prints(db)[-1].details


# --------------------------------------------------------------------------- signed note


def test_signed_note_shows_signer_hash_and_addenda(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    path = tmp_path / "n.pdf"
    note_id = clinic.note_ids[-1]
    with db.session() as s:
        build_signed_note(s, staff.peer1, note_id, path, locale_name=LOC)
        detail = notes.get_note(s, staff.peer1, note_id)
    text = all_text(path)
    assert detail.content_hash and detail.content_hash in text
    assert detail.addenda[0].content_hash in text
    assert squash("Called back about the lease.") in text and "LateEntry".lower() in text.lower()
    assert "SignedbyPatPeer" in text and "Notco-signed" in text
    assert squash("matches the note's content") in text
    event = prints(db)[-1]
    assert event.entity_id == note_id and "signed_note" in event.details


def test_signed_note_refuses_a_draft(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="unsigned draft"), db.session() as s:
        build_signed_note(s, staff.peer1, clinic.draft_id, tmp_path / "n.pdf")
    assert not (tmp_path / "n.pdf").exists()


# --------------------------------------------------------------------------- wellness card


def test_wellness_card_is_one_page(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    path = tmp_path / "w.pdf"
    with db.session() as s:
        build_wellness_card(s, staff.peer1, clinic.zoe, path, locale_name=LOC)
    texts = pages(path)
    assert len(texts) == 1
    text = squash(texts[0])
    for part in (
        "Payday weekends",
        "Skipping breakfast",
        "walk the dog",
        "Call Rosa, then 988",
        "Rosa Díaz",
        "555-0101",
        "My wellness plan — Zoë",
    ):
        assert squash(part) in text, part


def test_a_long_wellness_plan_shrinks_to_one_page_or_continues_without_clipping(
    db: Database, staff: Staff, tmp_path: Path
) -> None:
    medium = add_person(db, staff.peer1, "Medium Plan")
    make_plan(db, staff.peer1, medium.id, crisis="Stay with me and call my sister. " * 60)
    with db.session() as s:
        build_wellness_card(s, staff.peer1, medium.id, tmp_path / "m.pdf")
    assert len(pages(tmp_path / "m.pdf")) == 1

    # Every section at its longest cannot fit one page at a readable size: the card
    # continues at 9 point, and nothing is cut off.
    huge = add_person(db, staff.peer1, "Huge Plan")
    ending = " and that is the end of it."
    filler = " Breathe, drink water, text my sponsor." * 95 + ending
    make_plan(db, staff.peer1, huge.id, crisis="Stay with me. " * 270 + ending, extra=filler)
    with db.session() as s:
        build_wellness_card(s, staff.peer1, huge.id, tmp_path / "h.pdf")
    texts = pages(tmp_path / "h.pdf")
    assert len(texts) >= 2
    assert squash("".join(texts)).count(squash(ending)) == 4


def test_wellness_card_needs_a_plan(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="no recovery plan"), db.session() as s:
        build_wellness_card(s, staff.peer1, clinic.second, tmp_path / "w.pdf")


def test_long_names_wrap_inside_their_column(
    db: Database, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    name = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft Maria-Guadalupe"
    person = add_person(db, staff.peer1, name, preferred_name="Lupe")
    path = tmp_path / "c.pdf"
    text = squash("".join(caseload(db, staff.supervisor, path, profile="full")))
    # Broken over several lines, but every letter is there and the row stays in its table.
    assert squash(f"{person.record_number} · Lupe ({name})") in text
    # Each piece of the name ends inside the first column (left margin 54 pt, the
    # column about 112 pt wide): nothing runs into the status column.
    pieces: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if len(text.strip()) > 3 and text.strip() in name:
            pieces.append((text.strip(), cm[4] + tm[4]))

    for page in PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    assert len(pieces) >= 2
    for piece, x in pieces:
        assert x + stringWidth(piece, FONT_REGULAR, 9) <= 54 + 112 + 0.5, piece
