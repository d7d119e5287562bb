"""Bundled icons, and the theme they are tinted by.

The theme checks live here because icon colours come from the palette that
``apply_theme`` installs: the two are tested together.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from importlib import resources

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QToolBar, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ui.icons import ICON_NAMES, icon
from ui.theme import FLAG_NAMES, apply_theme, dark_palette, flag_colors, light_palette


def _base_style_name(app: QApplication) -> str:
    # With a style sheet set, app.style() is Qt's style-sheet wrapper, which has no name.
    sheet = app.styleSheet()
    app.setStyleSheet("")
    name = app.style().name()
    app.setStyleSheet(sheet)
    return name


@pytest.fixture
def restore_look(qapp: QApplication) -> Iterator[None]:
    # The QApplication is shared by the whole session; leave it as it was found.
    palette = QPalette(qapp.palette())
    style_sheet = qapp.styleSheet()
    style_name = _base_style_name(qapp)
    yield
    qapp.setStyleSheet("")
    qapp.setStyle(style_name)
    qapp.setPalette(palette)
    qapp.setStyleSheet(style_sheet)


def _opaque_colours(image: QImage) -> set[str]:
    colours: set[str] = set()
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() == 255:
                colours.add(colour.name())
    return colours


def _drawn_pixels(image: QImage) -> int:
    return sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 0
    )


def _contrast(first: QColor, second: QColor) -> float:
    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(colour.redF())
            + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF())
        )

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_icon_names_match_the_bundled_files() -> None:
    folder = resources.files("resources").joinpath("icons")
    bundled = sorted(
        entry.name.removesuffix(".svg") for entry in folder.iterdir() if entry.name.endswith(".svg")
    )
    assert bundled == sorted(ICON_NAMES)
    assert len(set(ICON_NAMES)) == len(ICON_NAMES)
    licence = folder.joinpath("LICENSE-lucide.txt").read_text("utf-8")
    assert "ISC License" in licence


@pytest.mark.parametrize("name", ICON_NAMES)
def test_every_icon_loads_and_renders(qapp: QApplication, name: str) -> None:
    loaded = icon(name)
    assert not loaded.isNull()
    for size in (16, 24, 48):
        pixmap = loaded.pixmap(QSize(size, size))
        assert not pixmap.isNull()
        assert pixmap.size() == QSize(size, size)
        assert _drawn_pixels(pixmap.toImage()) > size  # something was drawn, not a blank square


def test_icons_are_cached(qapp: QApplication) -> None:
    assert icon("users").cacheKey() == icon("users").cacheKey()


def test_high_dpi_pixmaps_are_rendered_at_device_resolution(qapp: QApplication) -> None:
    pixmap = icon("printer").pixmap(QSize(24, 24), 2.0)
    assert pixmap.size() == QSize(48, 48)
    assert pixmap.devicePixelRatio() == 2.0


def test_unknown_name_raises_and_lists_the_known_ones(qapp: QApplication) -> None:
    with pytest.raises(ValueError, match="unknown icon 'userz'") as raised:
        icon("userz")
    assert "user-plus" in str(raised.value)


def test_old_lucide_names_still_work(qapp: QApplication) -> None:
    assert icon("alert-triangle").cacheKey() == icon("triangle-alert").cacheKey()
    assert icon("filter").cacheKey() == icon("funnel").cacheKey()


def test_icons_follow_the_palette(qapp: QApplication, restore_look: None) -> None:
    apply_theme(qapp, "light")
    light_text = qapp.palette().color(QPalette.ColorRole.WindowText).name()
    assert _opaque_colours(icon("lock").pixmap(QSize(32, 32)).toImage()) == {light_text}

    apply_theme(qapp, "dark")
    dark_text = qapp.palette().color(QPalette.ColorRole.WindowText).name()
    assert dark_text != light_text
    assert _opaque_colours(icon("lock").pixmap(QSize(32, 32)).toImage()) == {dark_text}

    disabled = (
        qapp.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    )
    disabled_image = icon("lock").pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage()
    assert _opaque_colours(disabled_image) == {disabled}


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_flag_colours_are_readable_on_the_palette(palette: QPalette) -> None:
    colours = flag_colors(palette)
    assert set(colours) == set(FLAG_NAMES)
    for role in (
        QPalette.ColorRole.Base,
        QPalette.ColorRole.AlternateBase,
        QPalette.ColorRole.Window,
    ):
        background = palette.color(role)
        for name, colour in colours.items():
            assert _contrast(colour, background) >= 4.5, (name, role)


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_palette_text_is_readable(palette: QPalette) -> None:
    role = QPalette.ColorRole
    pairs = [
        (role.WindowText, role.Window),
        (role.Text, role.Base),
        (role.Text, role.AlternateBase),
        (role.ButtonText, role.Button),
        (role.HighlightedText, role.Highlight),
        (role.ToolTipText, role.ToolTipBase),
        (role.PlaceholderText, role.Base),
        (role.Link, role.Base),
    ]
    for text, background in pairs:
        assert _contrast(palette.color(text), palette.color(background)) >= 4.5, (text, background)


@pytest.mark.parametrize("theme", ["light", "dark", "system"])
def test_apply_theme_installs_style_palette_and_stylesheet(
    qapp: QApplication, qtbot: QtBot, restore_look: None, theme: str
) -> None:
    apply_theme(qapp, theme)
    assert _base_style_name(qapp).lower() == "fusion"
    sheet = qapp.styleSheet()
    assert "$" not in sheet  # every accent token was filled in
    for colour in flag_colors(qapp.palette()).values():
        assert colour.name() in sheet
    if theme == "dark":
        assert qapp.palette().color(QPalette.ColorRole.Base) == dark_palette().color(
            QPalette.ColorRole.Base
        )
    if theme == "light":
        assert qapp.palette().color(QPalette.ColorRole.Base) == light_palette().color(
            QPalette.ColorRole.Base
        )

    # Polishing widgets that use the rules makes Qt parse the sheet; a syntax error would
    # surface as a Qt warning, which fails the test.
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    toolbar = QToolBar()
    for name in ICON_NAMES[:5]:
        toolbar.addAction(icon(name), name)
    layout.addWidget(toolbar)
    for flag in FLAG_NAMES:
        badge = QLabel(flag)
        badge.setProperty("badge", flag)
        layout.addWidget(badge)
    heading = QLabel("Caseload")
    heading.setProperty("role", "heading")
    layout.addWidget(heading)
    # grab() polishes and renders without creating a platform window.
    assert not window.grab().isNull()


def test_unknown_theme_is_refused(qapp: QApplication, restore_look: None) -> None:
    with pytest.raises(ValueError, match="solarized"):
        apply_theme(qapp, "solarized")
