"""Outcome-measure instruments (BARC-10, PHQ-9, GAD-7) as pure scoring functions.

The scoring rules live here in code, reviewed against the published papers, while
the item wording lives in ``resources/instruments/*.json``. Keeping them apart means
editing or replacing a text file can never change how a participant is scored; the
loader only checks that a text file still agrees with the rules.

Item texts are not passed through ``tr``: a questionnaire may only be given in a
validated translation, which would ship as its own file, not as an ad-hoc gettext entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from casebook.errors import ValidationError
from casebook.i18n import tr

BARC_10 = "BARC-10"
PHQ_9 = "PHQ-9"
GAD_7 = "GAD-7"
INSTRUMENTS: tuple[str, ...] = (BARC_10, PHQ_9, GAD_7)

BAND_AT_OR_ABOVE_CUTOFF = "at-or-above-cutoff"
BAND_BELOW_CUTOFF = "below-cutoff"
FLAG_SELF_HARM = "self-harm"

Band = tuple[int, int, str]


@dataclass(frozen=True)
class Score:
    """The result of one administration; ``band`` and ``flags`` are stable machine values."""

    instrument: str
    total: int
    band: str
    flags: tuple[str, ...] = ()
    meets_cutoff: bool | None = None


@dataclass(frozen=True)
class InstrumentInfo:
    """Everything a form or a trend chart needs to show an instrument."""

    code: str
    title: str
    instructions: str
    item_texts: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    item_min: int
    item_max: int
    min_total: int
    max_total: int
    bands: tuple[Band, ...]
    cutoff: int | None
    source: str
    copyright: str


@dataclass(frozen=True)
class _Rules:
    item_count: int
    item_min: int
    item_max: int
    bands: tuple[Band, ...]
    cutoff: int | None
    # (1-based item number, flag): a non-zero answer raises the flag whatever the total.
    flag_items: tuple[tuple[int, str], ...]
    resource: str


_RULES: dict[str, _Rules] = {
    # Vilsaint et al. 2017: 47 or more predicted sustained remission.
    BARC_10: _Rules(
        item_count=10,
        item_min=1,
        item_max=6,
        bands=((10, 46, BAND_BELOW_CUTOFF), (47, 60, BAND_AT_OR_ABOVE_CUTOFF)),
        cutoff=47,
        flag_items=(),
        resource="barc10.json",
    ),
    # Kroenke et al. 2001. Item 9 asks about thoughts of self-harm: any answer
    # above 0 needs same-day safety follow-up, even when the total is minimal.
    PHQ_9: _Rules(
        item_count=9,
        item_min=0,
        item_max=3,
        bands=(
            (0, 4, "minimal"),
            (5, 9, "mild"),
            (10, 14, "moderate"),
            (15, 19, "moderately severe"),
            (20, 27, "severe"),
        ),
        cutoff=None,
        flag_items=((9, FLAG_SELF_HARM),),
        resource="phq9.json",
    ),
    # Spitzer et al. 2006.
    GAD_7: _Rules(
        item_count=7,
        item_min=0,
        item_max=3,
        bands=((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")),
        cutoff=None,
        flag_items=(),
        resource="gad7.json",
    ),
}


def score(instrument_code: str, answers: Sequence[int]) -> Score:
    """Score one administration; raise ``ValidationError`` for anything that cannot be scored."""
    rules = _rules(instrument_code)
    values = _checked_answers(instrument_code, rules, answers)
    total = sum(values)
    flags = tuple(flag for item, flag in rules.flag_items if values[item - 1] > 0)
    meets_cutoff = None if rules.cutoff is None else total >= rules.cutoff
    return Score(instrument_code, total, _band_for(rules, total), flags, meets_cutoff)


def band_ranges(instrument_code: str) -> tuple[Band, ...]:
    """``(low, high, band)`` for each band, lowest first, both ends inclusive."""
    return _rules(instrument_code).bands


def band_label(band: str) -> str:
    """The wording to show for a ``Score.band`` value."""
    # Spelled out one by one so a translation tool finds every string.
    match band:
        case "minimal":
            return tr("Minimal")
        case "mild":
            return tr("Mild")
        case "moderate":
            return tr("Moderate")
        case "moderately severe":
            return tr("Moderately severe")
        case "severe":
            return tr("Severe")
        case "at-or-above-cutoff":
            return tr("Recovery capital at or above the cut-off (47)")
        case "below-cutoff":
            return tr("Recovery capital below the cut-off (47)")
    # Stored scores outlive code versions; showing the raw value beats failing a screen.
    return band


def flag_label(flag: str) -> str:
    """The wording to show for a ``Score.flags`` entry."""
    if flag == FLAG_SELF_HARM:
        return tr("Thoughts of self-harm reported (PHQ-9 item 9): same-day safety follow-up")
    return flag


def instrument_info(instrument_code: str) -> InstrumentInfo:
    """Texts, answer options and scoring ranges of an instrument (read once, then cached)."""
    # Checked before the cache, which would raise TypeError on an unhashable code.
    return _load_info(_rules(instrument_code), instrument_code)


@cache
def _load_info(rules: _Rules, instrument_code: str) -> InstrumentInfo:
    path = resources.files("resources") / "instruments" / rules.resource
    data = json.loads(path.read_text(encoding="utf-8"))
    items = tuple(str(text) for text in data["items"])
    options = tuple((int(option["value"]), str(option["label"])) for option in data["options"])
    # A text file out of step with the rules would put wrong words next to scored
    # answers; that is a packaging fault, so fail loudly rather than show it.
    if (
        data["code"] != instrument_code
        or len(items) != rules.item_count
        or [value for value, _ in options] != list(range(rules.item_min, rules.item_max + 1))
    ):
        raise RuntimeError(f"{rules.resource} does not match the {instrument_code} scoring rules")
    return InstrumentInfo(
        code=instrument_code,
        title=str(data["title"]),
        instructions=str(data["instructions"]),
        item_texts=items,
        options=options,
        item_min=rules.item_min,
        item_max=rules.item_max,
        min_total=rules.item_count * rules.item_min,
        max_total=rules.item_count * rules.item_max,
        bands=rules.bands,
        cutoff=rules.cutoff,
        source=str(data["source"]),
        copyright=str(data["copyright"]),
    )


def _rules(instrument_code: object) -> _Rules:
    # The isinstance check keeps an unhashable argument from raising TypeError.
    if isinstance(instrument_code, str) and instrument_code in _RULES:
        return _RULES[instrument_code]
    message = tr("unknown instrument {code}; use one of {codes}").format(
        code=_shown(instrument_code), codes=", ".join(INSTRUMENTS)
    )
    raise ValidationError({"instrument": message})


def _checked_answers(code: str, rules: _Rules, answers: Sequence[object]) -> list[int]:
    try:
        values = list(answers)
    except TypeError:
        message = tr("answers must be a list with one whole number per item")
        raise ValidationError({"answers": message}) from None
    if len(values) != rules.item_count:
        message = tr(
            "{code} has {expected} items but {given} answers were given; answer every item once"
        ).format(code=code, expected=rules.item_count, given=len(values))
        raise ValidationError({"answers": message})

    low, high = rules.item_min, rules.item_max
    checked: list[int] = []
    # Keys stay untranslated: the window maps them to its input widgets.
    errors: dict[str, str] = {}
    for number, value in enumerate(values, start=1):
        # bool is an int subclass, but True is a checkbox value, not an answer.
        if not isinstance(value, int) or isinstance(value, bool):
            errors[f"item {number}"] = tr(
                "answer {value} is not a whole number; use {low} to {high}"
            ).format(value=_shown(value), low=low, high=high)
        elif not low <= value <= high:
            errors[f"item {number}"] = tr(
                "answer {value} is out of range; use {low} to {high}"
            ).format(value=_shown(value), low=low, high=high)
        else:
            checked.append(value)
    if errors:
        raise ValidationError(errors)
    return checked


def _band_for(rules: _Rules, total: int) -> str:
    for low, high, band in rules.bands:
        if low <= total <= high:
            return band
    raise AssertionError(f"bands do not cover total {total}")  # answers were range-checked


def _shown(value: object) -> str:
    # Error text must never fail itself: huge ints exceed str()'s digit limit and a
    # foreign object's __repr__ may raise.
    try:
        text = repr(value)
    except Exception:
        return tr("(a value that cannot be shown)")
    return text if len(text) <= 40 else text[:37] + "..."
