"""Full-text search over the notes the user may see, with highlighted snippets.

SQLite: the FTS5 table ``note_fts`` (external content over session_note.body,
kept in step by triggers; migration 0002). PostgreSQL: a GIN index on
``to_tsvector('simple', body)``. The user's words never reach the query
language: they become quoted prefix terms, so no input can raise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from casebook.security.permissions import Actor, visible_participants
from casebook.services.common import log
from casebook.services.notes import readable_notes
from models import Participant, SessionNote, StaffUser

# Snippet highlight markers. Private-use characters: the notes service strips
# them from everything it stores, so they can only come from the highlighter.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
SNIPPET_ELLIPSIS = "…"
SNIPPET_TOKENS = 12
MAX_TERMS = 12
MAX_TERM_CHARS = 64
DEFAULT_LIMIT = 50

_note_fts = table("note_fts", column("rowid", Integer))


@dataclass(frozen=True)
class NoteSearchHit:
    """One matching note. ``snippet`` marks the matched words with HIGHLIGHT_START/END."""

    note_id: int
    participant_id: int
    participant_name: str
    record_number: str
    kind: str
    occurred_at: datetime
    status: str
    author_name: str
    entered_in_error: bool
    snippet: str
    score: float

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, highlighted) runs, for a label that renders bold."""
        return snippet_parts(self.snippet)


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """Split a marked snippet into (text, highlighted) runs; empty runs are dropped."""
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(snippet.split(HIGHLIGHT_START)):
        if i == 0:
            inside, _, rest = "", "", chunk
        else:
            inside, _, rest = chunk.partition(HIGHLIGHT_END)
        if inside:
            parts.append((inside, True))
        if rest:
            parts.append((rest.replace(HIGHLIGHT_END, ""), False))
    return parts


def _is_term_char(ch: str) -> bool:
    # Letters, digits and combining marks (Devanagari vowel signs, decomposed
    # accents) belong to words; everything else separates them.
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Co"


def search_terms(query: str) -> list[str]:
    """The words of a user's query, in order, without duplicates.

    Everything that is not part of a word (quotes, ``*``, ``:``, ``-``,
    parentheses...) separates words; operators like AND/OR/NOT/NEAR are plain words.
    """
    normalized = unicodedata.normalize("NFC", query)
    terms: list[str] = []
    word: list[str] = []
    for ch in [*normalized, " "]:
        if _is_term_char(ch):
            word.append(ch)
            continue
        if word:
            term = "".join(word)[:MAX_TERM_CHARS]
            # A run of marks alone is no word; the tokenizer would drop it anyway.
            if any(unicodedata.category(c)[0] in "LN" for c in term) and term not in terms:
                terms.append(term)
            word = []
        if len(terms) >= MAX_TERMS:
            break
    return terms


def fts5_query(terms: list[str]) -> str:
    """FTS5 MATCH text: every term quoted (so it is never syntax) and prefix-matched."""
    return " ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def tsquery_text(terms: list[str]) -> str:
    """PostgreSQL to_tsquery text: quoted prefix lexemes joined by AND."""
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "':*" for t in terms)


def search_notes(session: Session, actor: Actor, query: str, *,
                 limit: int = DEFAULT_LIMIT) -> list[NoteSearchHit]:
    """Notes matching every word of *query* (as a prefix), best match first and
    the newest first among equals, restricted to what the actor may read.

    Audited once per search. The audit row holds the number of hits, the
    participants whose notes were shown, and only the *length* of the query:
    people search for names and diagnoses, and the audit log must not become a
    second copy of the record.
    """
    terms = search_terms(query or "")
    if not terms or limit <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = _postgres_rows(session, actor, terms, limit)
    else:
        rows = _sqlite_rows(session, actor, terms, limit)
    hits = [NoteSearchHit(note_id=r.id, participant_id=r.participant_id,
                          participant_name=r.preferred_name or r.legal_name,
                          record_number=r.record_number, kind=r.kind, occurred_at=r.occurred_at,
                          status=r.status, author_name=r.author_name,
                          entered_in_error=r.entered_in_error_at is not None,
                          snippet=r.snippet or "", score=float(r.score))
            for r in rows]
    log(session, actor, "note_search", entity_type="session_note",
        details={"hits": len(hits), "query_length": len(query),
                 "participant_ids": sorted({h.participant_id for h in hits})})
    return hits


def _display_columns(ranked: Any) -> Select[Any]:
    return (
        select(SessionNote.id, SessionNote.participant_id, Participant.preferred_name,
               Participant.legal_name, Participant.record_number, SessionNote.kind,
               SessionNote.occurred_at, SessionNote.status, SessionNote.entered_in_error_at,
               StaffUser.display_name.label("author_name"), ranked.c.score)
        .join(ranked, ranked.c.id == SessionNote.id)
        .join(Participant, Participant.id == SessionNote.participant_id)
        .join(StaffUser, StaffUser.id == SessionNote.author_id)
    )


def _sqlite_rows(session: Session, actor: Actor, terms: list[str], limit: int) -> list[Any]:
    match = text("note_fts MATCH :q").bindparams(q=fts5_query(terms))
    # bm25 is lower for better matches; the score handed out is "higher is better".
    rank = func.bm25(literal_column("note_fts"))
    # First rank and cut to *limit* (cheap columns only), then build snippets for
    # those few rows: snippet() is the expensive part and must not run per match.
    ranked = (
        select(_note_fts.c.rowid.label("id"), (-rank).label("score"),
               SessionNote.occurred_at.label("at"))
        .select_from(_note_fts)
        .join(SessionNote, SessionNote.id == _note_fts.c.rowid)
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(match, visible_participants(actor), readable_notes(actor))
        .order_by(rank, SessionNote.occurred_at.desc(), SessionNote.id.desc())
        .limit(limit)
        .subquery("ranked")
    )
    snippet = func.snippet(literal_column("note_fts"), 0, HIGHLIGHT_START, HIGHLIGHT_END,
                           SNIPPET_ELLIPSIS, SNIPPET_TOKENS)
    stmt = (
        _display_columns(ranked)
        .add_columns(snippet.label("snippet"))
        .join(_note_fts, _note_fts.c.rowid == ranked.c.id)
        .where(text("note_fts MATCH :q2").bindparams(q2=fts5_query(terms)))
        .order_by(ranked.c.score.desc(), ranked.c.at.desc(), ranked.c.id.desc())
    )
    return list(session.execute(stmt).all())


def _postgres_rows(session: Session, actor: Actor, terms: list[str], limit: int) -> list[Any]:
    # The expression must match the GIN index of migration 0002 exactly.
    vector = func.to_tsvector(literal_column("'simple'"), SessionNote.body)
    tsquery = func.to_tsquery(literal_column("'simple'"), tsquery_text(terms))
    rank = func.ts_rank(vector, tsquery)
    ranked = (
        select(SessionNote.id.label("id"), rank.label("score"), SessionNote.occurred_at.label("at"))
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(vector.op("@@")(tsquery), visible_participants(actor), readable_notes(actor))
        .order_by(rank.desc(), SessionNote.occurred_at.desc(), SessionNote.id.desc())
        .limit(limit)
        .subquery("ranked")
    )
    options = (f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords=24, MinWords=8, "
               f"MaxFragments=2, FragmentDelimiter=\" {SNIPPET_ELLIPSIS} \"")
    headline = func.ts_headline(literal_column("'simple'"), SessionNote.body, tsquery, options)
    stmt = (
        _display_columns(ranked)
        .add_columns(headline.label("snippet"))
        .order_by(ranked.c.score.desc(), ranked.c.at.desc(), ranked.c.id.desc())
    )
    return list(session.execute(stmt).all())
