"""Right-to-left text (Hebrew, Arabic, Persian, Urdu) laid out for printing.

reportlab draws the characters of a string left to right, each in its own glyph. A
name such as "ليلى حداد" would print backwards and with every Arabic letter in its
detached form. ``visual`` turns one *line* of text into what a reader expects to see:

- Arabic letters take their joined forms (initial, medial, final, lam-alef) through
  ``arabic_reshaper``, as presentation-form characters that DejaVu Sans has.
  Diacritics (harakat) are left out: without OpenType positioning they would print
  beside the letters instead of above or below them.
- The line is put in display order by the Unicode Bidirectional Algorithm (UAX #9)
  for one paragraph without explicit embeddings, including bracket pairs (N0), and
  brackets in right-to-left runs are mirrored (L4). Digits keep their order.

Line breaking has to happen on the logical text first and ``visual`` on each line
after, or a wrapped right-to-left paragraph would start with its last line.

Text without right-to-left characters (nearly all of it) is returned unchanged, and
the reshaper is imported only the first time Arabic appears.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["base_is_rtl", "has_rtl", "reorder", "visual"]

# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and their presentation
# forms; the historic right-to-left scripts outside the BMP too.
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")

# Bracket pairs (BD14/BD15) and mirrored glyphs (L4) for the characters a record
# plausibly holds; other mirrored characters print unmirrored.
_OPENING = {
    "(": ")",
    "[": "]",
    "{": "}",
    "\u2045": "\u2046",
    "\u207d": "\u207e",
    "\u208d": "\u208e",
}
_CLOSING = {close: open_ for open_, close in _OPENING.items()}
_MIRROR = {
    **_OPENING,
    **_CLOSING,
    "<": ">",
    ">": "<",
    "\u00ab": "\u00bb",
    "\u00bb": "\u00ab",
    "\u2039": "\u203a",
    "\u203a": "\u2039",
    "\u2264": "\u2265",
    "\u2265": "\u2264",
}

_STRONG = {"L": "L", "R": "R", "AL": "R", "EN": "R", "AN": "R"}  # as N0/N1 count them
_NEUTRAL = frozenset({"B", "S", "WS", "ON"})
# Explicit embeddings, overrides and isolates are dropped (X9), as is BN: names and
# notes typed into Casebook do not carry them on purpose.
_REMOVED = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "BN"})


def has_rtl(text: str) -> bool:
    """Whether *text* has any right-to-left letter (and so needs ``visual``)."""
    return not text.isascii() and _RTL.search(text) is not None


def base_is_rtl(text: str) -> bool:
    """Whether *text* reads right to left as a whole: its first letter is (P2/P3)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return False


@lru_cache(maxsize=4096)
def visual(line: str, rtl: bool | None = None) -> str:
    """*line* (one line, no line breaks) as it is drawn: display order, Arabic joined.

    *rtl* is the direction of the paragraph the line was broken from; by default the
    line's own first letter decides.
    """
    if not has_rtl(line):
        return line
    if _ARABIC.search(line):
        line = _reshaper().reshape(line)
    return reorder(line, rtl=rtl)


@lru_cache(maxsize=1)
def _reshaper() -> Any:
    import arabic_reshaper  # only when Arabic is printed

    return arabic_reshaper.ArabicReshaper(
        configuration={
            "delete_harakat": True,
            # Only the lam-alef ligatures, which every Arabic font has; the word
            # ligatures (Allah, Muhammad, ...) are missing from DejaVu Sans.
            "support_ligatures": True,
            **dict.fromkeys(_word_and_sentence_ligatures(), False),
        }
    )


def _word_and_sentence_ligatures() -> list[str]:
    from arabic_reshaper.ligatures import (
        SENTENCES_LIGATURES,
        WORDS_LIGATURES,
    )

    return [name for name, _forms in (*SENTENCES_LIGATURES, *WORDS_LIGATURES)]


def reorder(line: str, *, rtl: bool | None = None) -> str:
    """*line* in display order (UAX #9 for one line of one paragraph, without explicit
    embeddings). *rtl* sets the paragraph direction; by default its first letter does.
    """
    chars = [c for c in line if unicodedata.bidirectional(c) not in _REMOVED]
    if not chars:
        return ""
    base = (1 if base_is_rtl(line) else 0) if rtl is None else int(rtl)
    e = "R" if base else "L"
    original = [unicodedata.bidirectional(c) or "L" for c in chars]
    types = list(original)
    _resolve_weak(types, e)
    _resolve_brackets(chars, types, original, e)
    _resolve_neutrals(types, e)
    levels = [_level(t, base) for t in types]
    # L1: whitespace and tabs at the end of the line go back to the paragraph level.
    for index in range(len(chars) - 1, -1, -1):
        if original[index] not in ("WS", "S"):
            break
        levels[index] = base
    for index, kind in enumerate(original):
        if kind == "S":
            levels[index] = base
            back = index - 1
            while back >= 0 and original[back] == "WS":
                levels[back] = base
                back -= 1
    # L4 before L2: mirror what sits on an odd (right-to-left) level.
    shown = [_MIRROR.get(c, c) if level % 2 else c for c, level in zip(chars, levels, strict=True)]
    # L2: from the highest level down to the lowest odd one, reverse every run at or
    # above that level.
    top = max(levels)
    lowest_odd = min((lv for lv in levels if lv % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        index = 0
        while index < len(shown):
            if levels[index] >= level:
                end = index
                while end < len(shown) and levels[end] >= level:
                    end += 1
                shown[index:end] = shown[index:end][::-1]
                levels[index:end] = levels[index:end][::-1]
                index = end
            else:
                index += 1
    return "".join(shown)


def _resolve_weak(types: list[str], e: str) -> None:
    """W1–W7 over the whole line (one isolating run sequence, sos = eos = *e*)."""
    previous = e
    for i, kind in enumerate(types):  # W1: a mark takes the type before it
        if kind == "NSM":
            types[i] = previous
        previous = types[i]
    strong = e
    for i, kind in enumerate(types):  # W2, W3
        if kind in ("L", "R", "AL"):
            strong = kind
            if kind == "AL":
                types[i] = "R"
        elif kind == "EN" and strong == "AL":
            types[i] = "AN"
    for i in range(1, len(types) - 1):  # W4: a single separator between numbers
        before, kind, after = types[i - 1], types[i], types[i + 1]
        if kind == "ES" and before == after == "EN":
            types[i] = "EN"
        elif kind == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    i = 0
    while i < len(types):  # W5: terminators next to a European number
        if types[i] == "ET":
            end = i
            while end < len(types) and types[end] == "ET":
                end += 1
            if (i > 0 and types[i - 1] == "EN") or (end < len(types) and types[end] == "EN"):
                types[i:end] = ["EN"] * (end - i)
            i = end
        else:
            i += 1
    for i, kind in enumerate(types):  # W6
        if kind in ("ES", "ET", "CS"):
            types[i] = "ON"
    strong = e
    for i, kind in enumerate(types):  # W7
        if kind in ("L", "R"):
            strong = kind
        elif kind == "EN" and strong == "L":
            types[i] = "L"


def _resolve_brackets(chars: list[str], types: list[str], original: list[str], e: str) -> None:
    """N0: a bracket pair takes the direction of what it encloses (BD16 pairing);
    marks typed on a bracket follow it."""
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for i, char in enumerate(chars):
        if types[i] != "ON":
            continue
        if char in _OPENING:
            if len(stack) == 63:
                break
            stack.append((_OPENING[char], i))
        elif char in _CLOSING:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == char:
                    pairs.append((stack[depth][1], i))
                    del stack[depth:]
                    break
    opposite = "L" if e == "R" else "R"
    for start, end in sorted(pairs):
        inside = {_STRONG[t] for t in types[start + 1 : end] if t in _STRONG}
        if e in inside:
            direction = e
        elif opposite in inside:
            context = e
            for t in reversed(types[:start]):
                if t in _STRONG:
                    context = _STRONG[t]
                    break
            direction = opposite if context == opposite else e
        else:
            continue
        for bracket in (start, end):
            types[bracket] = direction
            after = bracket + 1
            while after < len(types) and original[after] == "NSM":
                types[after] = direction
                after += 1


def _resolve_neutrals(types: list[str], e: str) -> None:
    """N1/N2: neutrals between two letters of one direction take it, others take *e*."""
    i = 0
    while i < len(types):
        if types[i] not in _NEUTRAL:
            i += 1
            continue
        end = i
        while end < len(types) and types[end] in _NEUTRAL:
            end += 1
        before = _STRONG.get(types[i - 1], e) if i > 0 else e
        after = _STRONG.get(types[end], e) if end < len(types) else e
        direction = before if before == after else e
        types[i:end] = [direction] * (end - i)
        i = end


def _level(kind: str, base: int) -> int:
    """I1/I2: the level of a resolved type at paragraph level *base*."""
    if base % 2 == 0:
        return base + (1 if kind == "R" else 2 if kind in ("AN", "EN") else 0)
    return base + (1 if kind in ("L", "EN", "AN") else 0)
