"""Full-text search over notes: words and prefixes, accents, highlighting,
ranking, hostile input, and never a note from outside the actor's caseload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Staff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import note_groups as G
from casebook.services import note_search as S
from casebook.services import notes as N
from casebook.services import participants as P
from models import AuditEvent, EmergencyAccess


def ago(**kw: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kw)


def make_participant(db: Database, actor: Actor, name: str) -> int:
    with db.session() as s:
        fields = P.parse_participant_fields({"legal_name": name, "date_of_birth": "1990-01-02"})
        return P.create_participant(s, actor, fields).id


def note(
    db: Database,
    actor: Actor,
    pid: int,
    text: str,
    *,
    sign: bool = True,
    hours_ago: float = 1,
    **kw: object,
) -> int:
    sections = {"goal": text, "intervention": "Talked", "response": "Listened", "plan": "Meet"}
    content = N.NoteContent(
        occurred_at=ago(hours=hours_ago), duration_minutes=30, sections=sections, **kw
    )  # type: ignore[arg-type]
    with db.session() as s:
        saved = N.save_draft(s, actor, pid, content)
        if sign:
            N.sign_note(s, actor, saved.note_id)
    return saved.note_id


def search(db: Database, actor: Actor, query: str, **kw: int) -> list[S.NoteSearchHit]:
    with db.session() as s:  # a search is audited: a write, as the window runs it
        return S.search_notes(s, actor, query, **kw)


def ids(hits: list[S.NoteSearchHit]) -> list[int]:
    return [h.note_id for h in hits]


@pytest.fixture
def zoe(db: Database, staff: Staff) -> int:
    return make_participant(db, staff.peer1, "Zoë Example")


# --------------------------------------------------------------------------- query text


def test_search_terms_neutralise_query_syntax() -> None:
    assert S.search_terms('  "housing" AND (job OR NOT-rent) body:x* NEAR(a b) ') == [
        "housing",
        "AND",
        "job",
        "OR",
        "NOT",
        "rent",
        "body",
        "x",
        "NEAR",
        "a",
        "b",
    ]
    assert S.search_terms("Zoe\u0308 café café") == ["Zoë", "café"]  # NFC, no duplicates
    assert S.search_terms(" \t*:-()\"' ") == []
    assert S.fts5_query(["AND", 'a"b']) == '"AND"* "a""b"*'
    assert S.tsquery_text(["o'neil"]) == "'o''neil':*"


def test_snippet_parts() -> None:
    marked = f"…went to the {S.HIGHLIGHT_START}café{S.HIGHLIGHT_END} on Main"
    assert S.snippet_parts(marked) == [
        ("…went to the ", False),
        ("café", True),
        (" on Main", False),
    ]
    assert S.snippet_parts("plain") == [("plain", False)]


# --------------------------------------------------------------------------- finding


def test_finds_by_word_and_prefix(db: Database, staff: Staff, zoe: int) -> None:
    housing = note(db, staff.peer1, zoe, "Applied for supportive housing downtown")
    job = note(db, staff.peer1, zoe, "Job interview at the bakery")
    assert ids(search(db, staff.peer1, "housing")) == [housing]
    assert ids(search(db, staff.peer1, "hous")) == [housing]
    assert ids(search(db, staff.peer1, "HOUSING downt")) == [housing]
    assert ids(search(db, staff.peer1, "bakery interview")) == [job]
    assert search(db, staff.peer1, "housing bakery") == []  # every word must match
    assert sorted(ids(search(db, staff.peer1, "talked"))) == sorted([housing, job])
    hit = search(db, staff.peer1, "housing")[0]
    assert (hit.participant_id, hit.participant_name, hit.author_name, hit.kind) == (
        zoe,
        "Zoë Example",
        "Pat Peer",
        "individual",
    )
    assert hit.record_number.startswith("R-") and hit.occurred_at.tzinfo is not None


def test_accents_and_non_ascii(db: Database, staff: Staff, zoe: int) -> None:
    cafe = note(db, staff.peer1, zoe, "Zoë met her sponsor at the café near Łódź station")
    plain = note(db, staff.peer1, zoe, "Coffee at the cafe again")
    for query in ("zoe", "Zoë", "ZOË", "Zoe\u0308", "łodz", "ŁÓDŹ"):
        assert ids(search(db, staff.peer1, query)) == [cafe], query
    assert sorted(ids(search(db, staff.peer1, "café"))) == sorted([cafe, plain])
    assert sorted(ids(search(db, staff.peer1, "CAFE"))) == sorted([cafe, plain])
    # Stored text is NFC, so a decomposed name is found by a precomposed query and back.
    decomposed = note(db, staff.peer1, zoe, "Rene\u0301e called")
    assert ids(search(db, staff.peer1, "Renée")) == [decomposed]


def test_snippet_highlights_the_matched_words(db: Database, staff: Staff, zoe: int) -> None:
    long_text = ("Opening words. " * 20) + "She found a flat with a garden. " + ("Closing. " * 20)
    note(db, staff.peer1, zoe, long_text)
    (hit,) = search(db, staff.peer1, "garden fla")
    marked = [text for text, bold in hit.snippet_parts() if bold]
    assert marked == ["flat", "garden"]
    assert hit.snippet.startswith(S.SNIPPET_ELLIPSIS) and hit.snippet.endswith(S.SNIPPET_ELLIPSIS)
    assert "\n" not in hit.snippet
    # Markers typed into a note are removed, so they can only come from the highlighter.
    note(db, staff.peer1, zoe, f"odd {S.HIGHLIGHT_START}marker{S.HIGHLIGHT_END} text")
    (odd,) = search(db, staff.peer1, "odd")
    assert [text for text, bold in odd.snippet_parts() if bold] == ["odd"]


def test_ranked_then_newest_first(db: Database, staff: Staff, zoe: int) -> None:
    once = note(
        db,
        staff.peer1,
        zoe,
        "relapse prevention plan reviewed with many other topics "
        "such as work, family, food, sleep and money",
        hours_ago=1,
    )
    thrice = note(db, staff.peer1, zoe, "relapse relapse relapse", hours_ago=48)
    older_tie = note(db, staff.peer1, zoe, "craving", hours_ago=30)
    newer_tie = note(db, staff.peer1, zoe, "craving", hours_ago=3)
    assert ids(search(db, staff.peer1, "relapse")) == [thrice, once]
    assert ids(search(db, staff.peer1, "craving")) == [newer_tie, older_tie]
    hits = search(db, staff.peer1, "relapse")
    assert hits[0].score > hits[1].score


def test_limit_and_candidate_pool(db: Database, staff: Staff, zoe: int) -> None:
    created = [
        note(db, staff.peer1, zoe, f"walk number {i}", sign=False, hours_ago=200 - i)
        for i in range(S.CANDIDATE_POOL + 20)
    ]
    hits = search(db, staff.peer1, "walk", limit=10)
    assert len(hits) == 10
    # With more matches than the pool, ranking covers the newest ones.
    assert set(ids(hits)) <= set(created[-S.CANDIDATE_POOL :])
    assert len(search(db, staff.peer1, "walk", limit=500)) == len(created)
    assert search(db, staff.peer1, "walk", limit=0) == []


def test_index_follows_autosave_and_discard(db: Database, staff: Staff, zoe: int) -> None:
    content = N.NoteContent(occurred_at=ago(hours=1), sections={"goal": "bicycle repair"})
    with db.session() as s:
        saved = N.save_draft(s, staff.peer1, zoe, content)
    with db.session() as s:
        N.save_draft(
            s,
            staff.peer1,
            zoe,
            N.NoteContent(occurred_at=content.occurred_at, sections={"goal": "piano lesson"}),
            note_id=saved.note_id,
        )
    assert search(db, staff.peer1, "bicycle") == []
    assert ids(search(db, staff.peer1, "piano")) == [saved.note_id]
    with db.session() as s:
        N.discard_draft(s, staff.peer1, saved.note_id)
    assert search(db, staff.peer1, "piano") == []


def test_entered_in_error_notes_are_marked(db: Database, staff: Staff, zoe: int) -> None:
    note_id = note(db, staff.peer1, zoe, "wrong participant, wrong pharmacy")
    with db.session() as s:
        N.mark_entered_in_error(s, staff.peer1, note_id, reason="Wrong participant")
    (hit,) = search(db, staff.peer1, "pharmacy")
    assert hit.entered_in_error


# --------------------------------------------------------------------------- who sees what


def test_search_never_leaves_the_caseload(db: Database, staff: Staff, zoe: int) -> None:
    mine = note(db, staff.peer1, zoe, "garden project")
    bruno = make_participant(db, staff.peer2, "Bruno Beispiel")
    theirs = note(db, staff.peer2, bruno, "garden project")
    olga = make_participant(db, staff.outsider, "Olga Other")
    outside = note(db, staff.outsider, olga, "garden project")
    assert ids(search(db, staff.peer1, "garden")) == [mine]
    assert ids(search(db, staff.peer2, "garden")) == [theirs]
    assert sorted(ids(search(db, staff.supervisor, "garden"))) == sorted([mine, theirs])
    assert ids(search(db, staff.other_supervisor, "garden")) == [outside]
    assert search(db, staff.admin, "garden") == []


def test_other_peoples_drafts_are_not_searchable(db: Database, staff: Staff, zoe: int) -> None:
    unsigned = note(db, staff.peer1, zoe, "violin practice", sign=False)
    assert ids(search(db, staff.peer1, "violin")) == [unsigned]  # one's own draft
    assert ids(search(db, staff.supervisor, "violin")) == [unsigned]  # supervisors chase drafts
    with db.session() as s:  # emergency access shows the record, not a colleague's draft
        s.add(
            EmergencyAccess(
                user_id=staff.peer2.id,
                participant_id=zoe,
                reason="crisis",
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
    signed = note(db, staff.peer1, zoe, "violin concert")
    assert ids(search(db, staff.peer2, "violin")) == [signed]


def test_group_notes_search_each_attendees_own_paragraph(
    db: Database, staff: Staff, zoe: int
) -> None:
    bruno = make_participant(db, staff.peer1, "Bruno Beispiel")
    with db.session() as s:
        group = G.create_group_session(
            s,
            staff.peer1,
            topic="Music and recovery",
            occurred_at=ago(hours=2),
            duration_minutes=60,
            location="Hall",
            group_text="Drumming circle.",
            attendees=[(zoe, "Zoë played the tambourine."), (bruno, "Bruno sang a ballad.")],
        )
    notes = {a.participant_id: a.note_id for a in group.attendees}
    assert ids(search(db, staff.peer1, "ballad")) == [notes[bruno]]
    assert sorted(ids(search(db, staff.peer1, "drumming"))) == sorted(notes.values())
    for hit in search(db, staff.peer1, "drumming"):
        if hit.participant_id == zoe:
            assert "Bruno" not in hit.snippet and "ballad" not in hit.snippet


def test_search_is_audited_once_without_the_query(db: Database, staff: Staff, zoe: int) -> None:
    note(db, staff.peer1, zoe, "methadone clinic appointment")
    note(db, staff.peer1, zoe, "methadone dose stable")
    assert search(db, staff.peer1, "   ") == []
    assert search(db, staff.peer1, "*") == []
    assert len(search(db, staff.peer1, "methadone")) == 2
    with db.session() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "note_search")))
    assert len(events) == 1  # empty queries are not searches
    assert json.loads(events[0].details) == {"hits": 2, "query_length": 9, "participant_ids": [zoe]}
    assert "methadone" not in events[0].details


HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "*",
    "**",
    "a*b",
    ":",
    "body:",
    "body:garden",
    "{body}: x",
    "-",
    "--",
    "-garden",
    "garden -project",
    "(",
    ")",
    "((garden)",
    "^garden",
    "+",
    "NOT",
    "AND",
    "OR",
    "NEAR",
    "NEAR(garden project, 2)",
    "garden AND",
    "OR OR",
    "garden NOT",
    "'; DROP TABLE session_note; --",
    "\\",
    "\x00",
    "\ud800",
    "🙂 garden",
    "ǅ",
    "\u0301",
    "x" * 5000,
    " ".join(["garden"] * 200),
    "%_",
    "note_fts",
    "rank",
    "bm25(",
]


def test_hostile_queries_never_raise(db: Database, staff: Staff, zoe: int) -> None:
    mine = note(db, staff.peer1, zoe, "garden project")
    for query in HOSTILE:
        hits = search(db, staff.peer1, query)
        assert set(ids(hits)) <= {mine}, query
    assert ids(search(db, staff.peer1, "garden -project")) == [mine]


def test_arbitrary_queries_never_raise_or_leak(db: Database, staff: Staff, zoe: int) -> None:
    note(db, staff.peer1, zoe, "garden project with Zoë at the café, NEAR the river")
    bruno = make_participant(db, staff.peer2, "Bruno Beispiel")
    note(db, staff.peer2, bruno, "garden project with Bruno at the café, NEAR the river")
    words = [
        "garden",
        "café",
        "cafe",
        "Zoë",
        "Bruno",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "(",
        ")",
        '"',
        "*",
        ":",
        "-",
        "^",
        "{body}",
        "river",
    ]
    queries = st.one_of(
        st.text(),
        st.text(alphabet="\"*:-()^{}+.,; '\\ANDORTNEa"),
        st.lists(st.sampled_from(words), max_size=8).map(" ".join),
    )

    @settings(
        max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(queries)
    def check(query: str) -> None:
        for hit in search(db, staff.peer1, query):
            assert hit.participant_id == zoe
        assert search(db, staff.outsider, query) == []

    check()
