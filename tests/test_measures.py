"""Scoring of BARC-10, PHQ-9 and GAD-7 against the published bands and cut-offs."""

from __future__ import annotations

import json
from importlib import resources
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casebook.errors import ValidationError
from casebook.measures import (
    BAND_AT_OR_ABOVE_CUTOFF,
    BAND_BELOW_CUTOFF,
    FLAG_SELF_HARM,
    INSTRUMENTS,
    Score,
    band_label,
    band_ranges,
    flag_label,
    instrument_info,
    score,
)


def answers_totalling(total: int, count: int, low: int, high: int) -> list[int]:
    """Answers within [low, high] that add up to *total*, filled from the first item."""
    answers = [low] * count
    remaining = total - low * count
    for index in range(count):
        step = min(high - low, remaining)
        answers[index] += step
        remaining -= step
    assert remaining == 0
    return answers


def phq9(total: int) -> list[int]:
    # Fill from the first item so item 9 stays 0 unless the total needs it.
    return answers_totalling(total, 9, 0, 3)


def gad7(total: int) -> list[int]:
    return answers_totalling(total, 7, 0, 3)


def barc10(total: int) -> list[int]:
    return answers_totalling(total, 10, 1, 6)


def validation_error(code: object, answers: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        score(code, answers)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_boundaries(total: int, band: str) -> None:
    result = score("PHQ-9", phq9(total))
    assert result.total == total
    assert result.band == band
    assert result.meets_cutoff is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total: int, band: str) -> None:
    result = score("GAD-7", gad7(total))
    assert result == Score("GAD-7", total, band, (), None)


@pytest.mark.parametrize(
    ("total", "band", "meets"),
    [
        (10, BAND_BELOW_CUTOFF, False),
        (46, BAND_BELOW_CUTOFF, False),
        (47, BAND_AT_OR_ABOVE_CUTOFF, True),
        (60, BAND_AT_OR_ABOVE_CUTOFF, True),
    ],
)
def test_barc10_cutoff(total: int, band: str, meets: bool) -> None:
    result = score("BARC-10", barc10(total))
    assert result == Score("BARC-10", total, band, (), meets)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item9_flags_self_harm_even_when_total_is_minimal(item9: int) -> None:
    result = score("PHQ-9", [0] * 8 + [item9])
    assert result.band == "minimal"
    assert result.flags == (FLAG_SELF_HARM,)


def test_phq9_no_flag_when_item9_is_zero_even_when_severe() -> None:
    result = score("PHQ-9", [3] * 8 + [0])
    assert result.band == "severe"
    assert result.flags == ()


def test_score_accepts_tuple() -> None:
    assert score("GAD-7", (1, 1, 1, 1, 1, 1, 1)).total == 7


def test_unknown_instrument() -> None:
    error = validation_error("PHQ9", [0] * 9)
    assert set(error.field_errors) == {"instrument"}
    assert "unknown instrument 'PHQ9'" in error.message
    assert "BARC-10, PHQ-9, GAD-7" in error.message


@pytest.mark.parametrize("code", [None, 9, ["PHQ-9"], "phq-9", ""])
def test_instrument_code_must_match_exactly(code: object) -> None:
    assert set(validation_error(code, [0] * 9).field_errors) == {"instrument"}


@pytest.mark.parametrize(("code", "count"), [("PHQ-9", 8), ("PHQ-9", 10), ("GAD-7", 0)])
def test_wrong_number_of_answers(code: str, count: int) -> None:
    error = validation_error(code, [0] * count)
    expected = instrument_info(code).item_texts
    assert set(error.field_errors) == {"answers"}
    assert f"{code} has {len(expected)} items but {count} answers were given" in error.message
    assert "answer every item once" in error.message


def test_answers_that_are_not_a_list() -> None:
    error = validation_error("GAD-7", None)
    assert error.field_errors == {
        "answers": "answers must be a list with one whole number per item"
    }


def test_out_of_range_answer_names_item_and_range() -> None:
    answers = [0] * 9
    answers[2] = 7
    error = validation_error("PHQ-9", answers)
    assert error.field_errors == {"item 3": "answer 7 is out of range; use 0 to 3"}
    assert error.message == "item 3: answer 7 is out of range; use 0 to 3"


@pytest.mark.parametrize("bad", [0, 7, -1])
def test_barc10_range_is_one_to_six(bad: int) -> None:
    answers = [3] * 10
    answers[9] = bad
    error = validation_error("BARC-10", answers)
    assert error.field_errors == {"item 10": f"answer {bad} is out of range; use 1 to 6"}


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(True, "True"), (False, "False"), (1.0, "1.0"), ("2", "'2'"), (None, "None")],
)
def test_non_integer_answer_is_refused(bad: object, shown: str) -> None:
    answers: list[object] = [0] * 7
    answers[0] = bad
    error = validation_error("GAD-7", answers)
    assert error.field_errors == {"item 1": f"answer {shown} is not a whole number; use 0 to 3"}


def test_every_bad_item_is_reported() -> None:
    error = validation_error("GAD-7", [4, 0, "x", 0, 0, 0, -2])
    assert list(error.field_errors) == ["item 1", "item 3", "item 7"]
    assert error.message.startswith("item 1: answer 4 is out of range; use 0 to 3; item 3: ")


def test_huge_values_still_give_a_readable_message() -> None:
    error = validation_error("GAD-7", [10**5000] + [0] * 6)
    assert "out of range; use 0 to 3" in error.field_errors["item 1"]
    assert len(error.message) < 200


@pytest.mark.parametrize("code", INSTRUMENTS)
def test_json_texts_match_scoring(code: str) -> None:
    info = instrument_info(code)
    bands = band_ranges(code)
    count = len(info.item_texts)
    assert info.code == code
    assert all(text.strip() for text in info.item_texts)
    assert [value for value, _ in info.options] == list(range(info.item_min, info.item_max + 1))
    assert info.source and info.title and info.instructions
    # The file's item count is what score() accepts, no more and no less.
    assert score(code, [info.item_min] * count).total == info.min_total
    assert score(code, [info.item_max] * count).total == info.max_total
    with pytest.raises(ValidationError):
        score(code, [info.item_min] * (count + 1))
    # Bands tile the whole range of totals without gaps or overlaps, for the trend chart.
    assert info.bands == bands
    assert bands[0][0] == info.min_total
    assert bands[-1][1] == info.max_total
    for (_, high, _), (next_low, _, _) in pairwise(bands):
        assert next_low == high + 1


def test_json_files_are_read_as_shipped() -> None:
    folder = resources.files("resources") / "instruments"
    for name, code, items in [
        ("barc10.json", "BARC-10", 10),
        ("phq9.json", "PHQ-9", 9),
        ("gad7.json", "GAD-7", 7),
    ]:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        assert data["code"] == code
        assert len(data["items"]) == items
        assert "source" in data


def test_instrument_info_is_cached() -> None:
    assert instrument_info("PHQ-9") is instrument_info("PHQ-9")


def test_instrument_details() -> None:
    barc = instrument_info("BARC-10")
    assert (barc.min_total, barc.max_total, barc.cutoff) == (10, 60, 47)
    assert barc.options[0] == (1, "Strongly disagree")
    assert barc.options[-1] == (6, "Strongly agree")
    assert "Vilsaint" in barc.source
    phq = instrument_info("PHQ-9")
    assert (phq.max_total, phq.cutoff) == (27, None)
    assert "better off dead" in phq.item_texts[8]
    assert instrument_info("GAD-7").max_total == 21


def test_instrument_info_unknown_code() -> None:
    with pytest.raises(ValidationError):
        instrument_info("AUDIT")
    with pytest.raises(ValidationError):
        band_ranges("AUDIT")


def test_labels() -> None:
    assert band_label("moderately severe") == "Moderately severe"
    assert "at or above" in band_label(BAND_AT_OR_ABOVE_CUTOFF)
    assert "47" in band_label(BAND_BELOW_CUTOFF)
    assert band_label("something-new") == "something-new"
    assert "same-day" in flag_label(FLAG_SELF_HARM)
    for code in INSTRUMENTS:
        for _, _, band in band_ranges(code):
            assert band_label(band) != band


answer_values = st.one_of(
    st.integers(),
    st.integers(min_value=-1, max_value=7),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.none(),
    st.decimals(allow_nan=False),
    st.lists(st.integers(), max_size=2),
)


@given(
    code=st.one_of(st.sampled_from(INSTRUMENTS), st.text(max_size=8), st.none()),
    answers=st.lists(answer_values, max_size=12),
)
def test_score_only_ever_raises_validation_error(code: object, answers: list[object]) -> None:
    try:
        result = score(code, answers)  # type: ignore[arg-type]
    except ValidationError as error:
        assert error.field_errors
        assert error.message
        return
    # It scored, so everything must have been a valid answer.
    info = instrument_info(result.instrument)
    assert all(type(value) is int for value in answers)
    assert result.total == sum(answers)  # type: ignore[arg-type]
    assert info.min_total <= result.total <= info.max_total
    assert any(
        low <= result.total <= high and band == result.band for low, high, band in info.bands
    )


@given(
    st.sampled_from(INSTRUMENTS).flatmap(
        lambda code: st.tuples(
            st.just(code),
            st.lists(
                st.integers(instrument_info(code).item_min, instrument_info(code).item_max),
                min_size=len(instrument_info(code).item_texts),
                max_size=len(instrument_info(code).item_texts),
            ),
        )
    )
)
def test_valid_answers_always_score(case: tuple[str, list[int]]) -> None:
    code, answers = case
    result = score(code, answers)
    assert result.total == sum(answers)
    assert (result.meets_cutoff is None) == (code != "BARC-10")
    assert (FLAG_SELF_HARM in result.flags) == (code == "PHQ-9" and answers[8] > 0)


@pytest.mark.parametrize("code", ["AUDIT", None, ["PHQ-9"]])
def test_instrument_info_refuses_unknown_codes_cleanly(code: object) -> None:
    with pytest.raises(ValidationError):
        instrument_info(code)  # type: ignore[arg-type]
