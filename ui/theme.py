"""Application look: Fusion style, an optional fixed light or dark palette, our stylesheet.

Fusion is used everywhere so the window looks the same on every clinic workstation and
the palettes below mean the same thing on each. Flag colours (due, overdue, long overdue,
safety) are the only hard-coded colours; each has a light-palette and a dark-palette
variant so it keeps a text contrast of at least 4.5:1 on the background it is drawn on.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ui.fonts import install_cjk_fallback
from ui.settings import THEMES

__all__ = ["FLAG_NAMES", "THEMES", "apply_theme", "dark_palette", "flag_colors", "light_palette"]

FLAG_NAMES: tuple[str, ...] = ("due", "overdue", "long_overdue", "safety")

# Chosen for contrast >= 4.5:1 against Base, AlternateBase and Window of the palettes below
# (and typical system palettes of the same lightness); checked in the tests.
_FLAGS_ON_LIGHT: dict[str, str] = {
    "due": "#8a5a00",  # amber, darkened until readable on white
    "overdue": "#b04a00",
    "long_overdue": "#b3261e",
    "safety": "#b3261e",
}
_FLAGS_ON_DARK: dict[str, str] = {
    "due": "#e8b931",
    "overdue": "#ff9a57",
    "long_overdue": "#ff7b72",
    "safety": "#ff7b72",
}

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

_LIGHT: dict[QPalette.ColorRole, str] = {
    _Role.Window: "#f3f3f3",
    _Role.WindowText: "#1f1f1f",
    _Role.Base: "#ffffff",
    _Role.AlternateBase: "#f5f7fa",
    _Role.ToolTipBase: "#ffffff",
    _Role.ToolTipText: "#1f1f1f",
    _Role.PlaceholderText: "#6e6e6e",
    _Role.Text: "#1f1f1f",
    _Role.Button: "#ececec",
    _Role.ButtonText: "#1f1f1f",
    _Role.BrightText: "#b3261e",
    _Role.Light: "#ffffff",
    _Role.Midlight: "#e3e3e3",
    _Role.Mid: "#b8b8b8",
    _Role.Dark: "#9f9f9f",
    _Role.Shadow: "#767676",
    _Role.Highlight: "#2f65ca",
    _Role.HighlightedText: "#ffffff",
    _Role.Accent: "#2f65ca",
    _Role.Link: "#1a5fb4",
    _Role.LinkVisited: "#6b3fa0",
}
_LIGHT_DISABLED: dict[QPalette.ColorRole, str] = {
    _Role.WindowText: "#8c8c8c",
    _Role.Text: "#8c8c8c",
    _Role.ButtonText: "#8c8c8c",
    _Role.Highlight: "#c4c4c4",
    _Role.HighlightedText: "#5c5c5c",
}

_DARK: dict[QPalette.ColorRole, str] = {
    _Role.Window: "#2b2d30",
    _Role.WindowText: "#e8e8e8",
    _Role.Base: "#1e1f22",
    _Role.AlternateBase: "#26282b",
    _Role.ToolTipBase: "#3c3f41",
    _Role.ToolTipText: "#e8e8e8",
    _Role.PlaceholderText: "#8c8f94",
    _Role.Text: "#e8e8e8",
    _Role.Button: "#35373b",
    _Role.ButtonText: "#e8e8e8",
    _Role.BrightText: "#ff7b72",
    _Role.Light: "#4a4d52",
    _Role.Midlight: "#404347",
    _Role.Mid: "#2f3134",
    _Role.Dark: "#191a1c",
    _Role.Shadow: "#000000",
    _Role.Highlight: "#2f65ca",
    _Role.HighlightedText: "#ffffff",
    _Role.Accent: "#2f65ca",
    _Role.Link: "#78aef0",
    _Role.LinkVisited: "#b49ae0",
}
_DARK_DISABLED: dict[QPalette.ColorRole, str] = {
    _Role.WindowText: "#7f8287",
    _Role.Text: "#7f8287",
    _Role.ButtonText: "#7f8287",
    _Role.Highlight: "#45484d",
    _Role.HighlightedText: "#a0a3a8",
}


def _build_palette(
    colours: dict[QPalette.ColorRole, str], disabled: dict[QPalette.ColorRole, str]
) -> QPalette:
    palette = QPalette()
    for role, value in colours.items():
        palette.setColor(role, QColor(value))
    for role, value in disabled.items():
        palette.setColor(_Group.Disabled, role, QColor(value))
    return palette


def light_palette() -> QPalette:
    """The fixed light palette used when the user chooses the light theme."""
    return _build_palette(_LIGHT, _LIGHT_DISABLED)


def dark_palette() -> QPalette:
    """The fixed dark palette used when the user chooses the dark theme."""
    return _build_palette(_DARK, _DARK_DISABLED)


def is_dark(palette: QPalette) -> bool:
    """Whether text is drawn on a dark background in *palette*."""
    return palette.color(_Role.Base).lightnessF() < 0.5


def flag_colors(palette: QPalette) -> dict[str, QColor]:
    """Text colours for the flags (keys ``FLAG_NAMES``) that are readable on *palette*'s Base.

    Delegates use them for text or a small mark; a badge can use the colour as its
    background with the palette's Base colour as text, which keeps the same contrast.
    """
    table = _FLAGS_ON_DARK if is_dark(palette) else _FLAGS_ON_LIGHT
    return {name: QColor(value) for name, value in table.items()}


def _stylesheet(palette: QPalette) -> str:
    text = resources.files("resources").joinpath("style", "casebook.qss").read_text("utf-8")
    colours = {name: colour.name() for name, colour in flag_colors(palette).items()}
    # substitute() rather than safe_substitute(): a misspelt token should fail loudly here,
    # not reach Qt as an unparsable rule that only logs a warning.
    return Template(text).substitute(colours)


class _SystemFollower:
    """Re-applies the stylesheet when the desktop switches between light and dark.

    Only the "system" theme needs this; the flag colours in the stylesheet depend on
    whether the system palette is light or dark.
    """

    def __init__(self) -> None:
        self.active = False
        self.connected = False

    def colour_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        app = QApplication.instance()
        if self.active and isinstance(app, QApplication):
            app.setStyleSheet(_stylesheet(app.palette()))


_follower = _SystemFollower()


def apply_theme(app: QApplication, theme: str) -> None:
    """Use Fusion, the palette for *theme* (one of ``THEMES``), and the Casebook stylesheet.

    Also makes the bundled CJK font the fallback of the window's font, so names in
    Chinese, Japanese or Korean show on workstations without such a font.
    """
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    install_cjk_fallback(app)
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    if theme == "dark":
        # Telling the platform too keeps native parts (title bars, file dialogs) in step.
        hints.setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())
    elif theme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setPalette(light_palette())
    else:
        hints.unsetColorScheme()
        # An empty palette drops the explicit one, so Qt goes back to the system palette.
        app.setPalette(QPalette())
    _follower.active = theme == "system"
    if not _follower.connected:
        hints.colorSchemeChanged.connect(_follower.colour_scheme_changed)
        _follower.connected = True
    app.setStyleSheet(_stylesheet(app.palette()))
