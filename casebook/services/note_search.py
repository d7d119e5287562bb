"""Full-text search over the notes the user may see, with highlighted snippets.

SQLite: the FTS5 table ``note_fts`` (external content over session_note.body,
kept in step by triggers; migration 0002). PostgreSQL: a GIN index on
``to_tsvector('casebook_search', body)`` (simple + unaccent). The user's words never reach the query
language: they become quoted prefix terms, so no input can raise.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, visible_participants
from casebook.services.common import log
from casebook.services.notes import readable_notes
from models import Participant, SessionNote, StaffUser
from models.codes import NOTE_KINDS

# Snippet highlight markers. Private-use characters: the notes service strips
# them from everything it stores, so they can only come from the highlighter.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
SNIPPET_ELLIPSIS = "…"
SNIPPET_TOKENS = 12
MAX_TERMS = 12
MAX_TERM_CHARS = 64
DEFAULT_LIMIT = 50
# Matches ranked per search, newest first (see search_notes).
CANDIDATE_POOL = 100

_note_fts = table("note_fts", column("rowid", Integer))
# The text search configuration of the PostgreSQL index (migration 0007).
PG_SEARCH_CONFIG = "casebook_search"


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


def search_notes(
    session: Session,
    actor: Actor,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    author_id: int | None = None,
    participant_id: int | None = None,
) -> list[NoteSearchHit]:
    """Notes matching every word of *query* (each as a prefix), best match first
    and the newest contact first among equals, restricted to what the actor may read.

    The optional filters narrow the notes searched: contact time in
    ``[since, until)``, one note kind, one author, one participant. They apply
    before the candidate pool is cut, so a filter never hides an older match.

    Ranking runs over the actor's newest matching notes, at most
    ``max(2 * limit, CANDIDATE_POOL)`` of them: for a rare word that is every
    match; for a word found in thousands of notes it keeps a search fast (under
    50 ms with 200,000 notes) and favours recent notes. On SQLite the score is
    BM25 (term frequency with length normalisation, computed here: FTS5's bm25()
    first counts every note holding each word, which alone takes tens of
    milliseconds for a common word); on PostgreSQL it is ts_rank.

    Audited once per search. The audit row holds the number of hits, the
    participants whose notes were shown, and only the *length* of the query:
    people search for names and diagnoses, and the audit log must not become a
    second copy of the record.
    """
    filters = _filters(
        since=since, until=until, kind=kind, author_id=author_id, participant_id=participant_id
    )
    terms = search_terms(query or "")
    if not terms or limit <= 0:
        return []
    pool = max(2 * limit, CANDIDATE_POOL)
    if session.get_bind().dialect.name == "postgresql":
        hits = _postgres_hits(session, actor, terms, pool, filters)
    else:
        hits = _sqlite_hits(session, actor, terms, pool, limit, filters)
    hits.sort(key=lambda h: (-h.score, -h.occurred_at.timestamp(), -h.note_id))
    hits = hits[:limit]
    used = sorted(
        name
        for name, value in (
            ("since", since),
            ("until", until),
            ("kind", kind),
            ("author", author_id),
            ("participant", participant_id),
        )
        if value is not None
    )
    details: dict[str, object] = {
        "hits": len(hits),
        "query_length": len(query),
        "participant_ids": sorted({h.participant_id for h in hits}),
    }
    if used:
        details["filters"] = used  # which filters, not their values
    log(session, actor, "note_search", entity_type="session_note", details=details)
    return hits


def _filters(
    *,
    since: datetime | None,
    until: datetime | None,
    kind: str | None,
    author_id: int | None,
    participant_id: int | None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the optional filters; a contradiction is the user's to fix."""
    if kind is not None and kind not in NOTE_KINDS:
        raise ValidationError(
            {
                "kind": tr("unknown note kind {kind!r}; choose one of: {kinds}").format(
                    kind=kind, kinds=", ".join(NOTE_KINDS)
                )
            }
        )
    if since is not None and until is not None and since >= until:
        raise ValidationError(
            {
                "until": tr(
                    "the end of the period is before its start; "
                    "choose an end date after the start date"
                )
            }
        )
    conds: list[ColumnElement[bool]] = []
    if since is not None:
        conds.append(SessionNote.occurred_at >= since)
    if until is not None:
        conds.append(SessionNote.occurred_at < until)
    if kind is not None:
        conds.append(SessionNote.kind == kind)
    if author_id is not None:
        conds.append(SessionNote.author_id == author_id)
    if participant_id is not None:
        conds.append(SessionNote.participant_id == participant_id)
    return conds


def _hit(r: Any, score: float, snippet: str) -> NoteSearchHit:
    return NoteSearchHit(
        note_id=r.id,
        participant_id=r.participant_id,
        participant_name=r.preferred_name or r.legal_name,
        record_number=r.record_number,
        kind=r.kind,
        occurred_at=r.occurred_at,
        status=r.status,
        author_name=r.author_name,
        entered_in_error=r.entered_in_error_at is not None,
        snippet=" ".join(snippet.split()),
        score=score,
    )


def _candidates(actor: Actor, visible: ColumnElement[bool], *extra: Any) -> Select[Any]:
    return (
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            Participant.record_number,
            SessionNote.kind,
            SessionNote.occurred_at,
            SessionNote.status,
            SessionNote.entered_in_error_at,
            StaffUser.display_name.label("author_name"),
            *extra,
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .join(StaffUser, StaffUser.id == SessionNote.author_id)
        .where(visible, readable_notes(actor))
    )


# --------------------------------------------------------------------------- SQLite


def _sqlite_hits(
    session: Session,
    actor: Actor,
    terms: list[str],
    pool: int,
    limit: int,
    filters: list[ColumnElement[bool]],
) -> list[NoteSearchHit]:
    # The unary plus makes these plain expressions: SQLite then cannot hand them
    # to FTS5 as rowid lookups (which re-run the whole MATCH once per row, ~1000x
    # slower) and streams the MATCH newest-first instead, checking each row.
    fts_rowid = literal_column("+note_fts.rowid", Integer)
    visible = visible_participants(actor)
    stmt = (
        _candidates(actor, visible, SessionNote.body)
        .join(_note_fts, SessionNote.id == fts_rowid)
        .where(text("note_fts MATCH :q").bindparams(q=fts5_query(terms)), *filters)
        .order_by(_note_fts.c.rowid.desc())
        .limit(pool)
    )
    if not actor.supervises:
        # A caseload is a small share of the clinic: most matches belong to
        # other people's participants. Skip those with an in-memory set of the
        # caseload's note ids (read from the participant index once), before
        # reading session_note rows, whose pages would each need decrypting.
        caseload = list(session.scalars(select(Participant.id).where(visible)))
        if not caseload:
            return []
        # Plain SQL: building the same clause with aliased() costs ~10 ms of CPU.
        stmt = stmt.where(
            text(
                "+note_fts.rowid IN (SELECT id FROM session_note WHERE participant_id IN :caseload)"
            ).bindparams(bindparam("caseload", caseload, expanding=True))
        )
    rows = session.execute(stmt).all()
    keys = tuple(_fold(part) for t in terms for part in _TOKEN_RE.findall(t)[:1])
    tokens = [_tokens(r.body) for r in rows]
    scores = _bm25(tokens, keys)
    best = sorted(
        range(len(rows)), key=lambda i: (-scores[i], -rows[i].occurred_at.timestamp(), -rows[i].id)
    )[:limit]
    return [_hit(rows[i], scores[i], _snippet(rows[i].body, tokens[i], keys)) for i in best]


_TOKEN_RE = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=65536)
def _fold(token: str) -> str:
    """Case and accents folded like the FTS5 tokenizer (unicode61 remove_diacritics)."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_Token = tuple[int, int, str]


def _tokens(body: str) -> list[_Token]:
    """(start, end, folded word) for each word of *body*."""
    lowered = body.lower()
    if len(lowered) == len(body):
        # Lower-casing kept every offset (it almost always does), so words are
        # found in one pass and only the non-ASCII ones need their accents folded.
        return [
            (m.start(), m.end(), w if w.isascii() else _fold(w))
            for m in _TOKEN_RE.finditer(lowered)
            for w in (m.group(),)
        ]
    return [(m.start(), m.end(), _fold(m.group())) for m in _TOKEN_RE.finditer(body)]


def _bm25(docs: list[list[_Token]], keys: tuple[str, ...]) -> list[float]:
    """BM25 over the candidates. Every candidate holds every term, so each term's
    inverse document frequency is the same for all of them: terms weigh equally."""
    k1, b = 1.2, 0.75
    avgdl = (sum(len(d) for d in docs) / len(docs)) if docs else 1.0
    scores = []
    for doc in docs:
        norm = k1 * (1 - b + b * len(doc) / (avgdl or 1.0))
        words = [tok for _, _, tok in doc if tok.startswith(keys)]
        score = 0.0
        for key in keys:
            tf = sum(1 for w in words if w.startswith(key))
            score += tf * (k1 + 1) / (tf + norm)
        scores.append(score)
    return scores


def _snippet(body: str, tokens: list[_Token], keys: tuple[str, ...]) -> str:
    """About SNIPPET_TOKENS words around the densest cluster of matches, with
    the matched words between HIGHLIGHT_START and HIGHLIGHT_END."""
    if not tokens:
        return ""
    matched = [tok.startswith(keys) for _, _, tok in tokens]
    width = SNIPPET_TOKENS
    best_start, best_count = 0, -1
    for i, is_match in enumerate(matched):
        if not is_match:
            continue
        start = max(0, min(i - 2, len(tokens) - width))
        window = [tokens[j][2] for j in range(start, min(start + width, len(tokens))) if matched[j]]
        count = sum(1 for k in keys if any(w.startswith(k) for w in window))
        if count > best_count:
            best_start, best_count = start, count
            if count == len(keys):
                break
    end = min(best_start + width, len(tokens))
    out = [SNIPPET_ELLIPSIS] if best_start > 0 else []
    pos = tokens[best_start][0]
    for j in range(best_start, end):
        t_start, t_end, _ = tokens[j]
        out.append(body[pos:t_start])
        word = body[t_start:t_end]
        out.append(f"{HIGHLIGHT_START}{word}{HIGHLIGHT_END}" if matched[j] else word)
        pos = t_end
    if end < len(tokens):
        out.append(SNIPPET_ELLIPSIS)
    return "".join(out)


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_hits(
    session: Session, actor: Actor, terms: list[str], pool: int, filters: list[ColumnElement[bool]]
) -> list[NoteSearchHit]:
    # The expression must match the GIN index of migration 0007 exactly; its
    # configuration folds case and accents like the FTS5 tokenizer does.
    config: ColumnElement[Any] = literal_column(f"'{PG_SEARCH_CONFIG}'")
    vector = func.to_tsvector(config, SessionNote.body)
    tsquery = func.to_tsquery(config, tsquery_text(terms))
    visible = visible_participants(actor)
    newest = (
        select(SessionNote.id)
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(vector.op("@@")(tsquery), visible, readable_notes(actor), *filters)
        .order_by(SessionNote.id.desc())
        .limit(pool)
        .subquery("newest")
    )
    stmt = _candidates(
        actor, visible, SessionNote.body, func.ts_rank(vector, tsquery).label("score")
    ).join(newest, newest.c.id == SessionNote.id)
    # Snippets are cut here rather than by ts_headline, so a note reads the same
    # in the results on either engine (same window, ellipses and highlights).
    keys = tuple(_fold(part) for t in terms for part in _TOKEN_RE.findall(t)[:1])
    return [
        _hit(r, float(r.score), _snippet(r.body, _tokens(r.body), keys))
        for r in session.execute(stmt).all()
    ]
