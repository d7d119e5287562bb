"""CJK names in the window: the bundled fallback font is in use once the theme is applied."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QGuiApplication, QPalette, QTextLayout
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from ui.fonts import install_cjk_fallback
from ui.theme import apply_theme

NAMES = "王小明 · 佐藤 花子 · 김민준 · Zoë 王"
CJK = "王小明佐藤花子김민준"


@pytest.fixture
def restore_look(qapp: QApplication) -> Iterator[None]:
    # The QApplication is shared by the whole session; leave its look as it was found.
    palette = QPalette(qapp.palette())
    style_sheet = qapp.styleSheet()
    yield
    qapp.setStyleSheet("")
    qapp.setPalette(palette)
    qapp.setStyleSheet(style_sheet)
    QGuiApplication.styleHints().unsetColorScheme()


def _glyph_runs(text: str, font: QFont) -> list[tuple[str, list[int]]]:
    """(family, glyph indexes) of each run Qt lays *text* out in."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return [(run.rawFont().familyName(), list(run.glyphIndexes())) for run in layout.glyphRuns()]


def test_the_theme_makes_cjk_characters_part_of_the_window_font(
    qapp: QApplication, restore_look: None
) -> None:
    apply_theme(qapp, "light")
    family = install_cjk_fallback(qapp)
    assert family == "WenQuanYi Micro Hei"
    real = QFontInfo(qapp.font()).family()
    # Applying the theme again (the user switches theme) adds nothing twice.
    apply_theme(qapp, "dark")
    substitutes = [name.casefold() for name in QFont.substitutes(real)]
    assert substitutes.count(family.casefold()) == 1

    metrics = QFontMetrics(qapp.font())
    for char in CJK:
        assert metrics.inFontUcs4(ord(char)), char
    # Laid out for real: the CJK characters come from the bundled font (glyph 0 would
    # be the empty box), the rest of the window's text is still in its own font.
    runs = _glyph_runs(NAMES, qapp.font())
    cjk = [glyphs for name, glyphs in runs if name.casefold() == family.casefold()]
    assert sum(len(glyphs) for glyphs in cjk) >= len(CJK) + 1  # "Zoë 王" too
    assert all(glyph != 0 for glyphs in cjk for glyph in glyphs)
    assert real.casefold() != family.casefold()
    assert [name for name, _ in _glyph_runs("Zoë Nguyễn", qapp.font())] == [real]


def test_a_label_with_a_cjk_name_is_drawn(
    qapp: QApplication, restore_look: None, qtbot: QtBot, tmp_path: Path
) -> None:
    apply_theme(qapp, "light")
    label = QLabel(NAMES)
    font = QFont(qapp.font())
    font.setPointSize(18)
    label.setFont(font)
    qtbot.addWidget(label)
    label.resize(label.sizeHint())
    image = label.grab().toImage()
    image.save(str(tmp_path / "cjk-label.png"))
    # Every character takes its own room: CJK ideographs are about an em wide, not
    # collapsed to nothing or to a narrow box.
    metrics = QFontMetrics(font)
    assert metrics.horizontalAdvance("王小明") >= 2.5 * metrics.horizontalAdvance("M")
    inked = [
        x
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).lightness() < 128
    ]
    # The ink reaches the end of the text: the last ideograph was drawn too.
    assert inked and max(inked) >= metrics.horizontalAdvance(NAMES[:-1])
