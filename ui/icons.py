"""Toolbar and menu icons, drawn from the bundled Lucide SVGs in the palette's colours.

Lucide draws every shape with ``stroke="currentColor"``. Instead of baking one colour
into the icon when it is loaded, the colour is chosen each time a pixmap is drawn, so
icons follow a theme switch, show greyed out when their action is disabled, and stay
readable on a selected (highlighted) table row.
"""

from __future__ import annotations

from importlib import resources

import shiboken6
from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

# Lucide's own names, so an icon can be looked up on https://lucide.dev by the same word.
ICON_NAMES: tuple[str, ...] = (
    "activity",  # assessment
    "archive",  # backup
    "arrow-right-left",  # transfer
    "ban",  # entered in error
    "calendar",
    "calendar-check",  # today
    "chart-line",  # assessment trend
    "check",
    "circle-alert",
    "circle-check",
    "clipboard-list",  # recovery plan
    "clock",
    "database",
    "download",  # import
    "eye",  # view
    "file-down",  # save as PDF
    "file-text",  # session note
    "flag",
    "funnel",  # filter
    "heart-handshake",  # peer support
    "history",
    "house",  # home
    "info",
    "key",
    "list-checks",
    "lock",
    "lock-open",
    "log-in",
    "log-out",
    "notebook-pen",  # write a note
    "pen-line",  # edit
    "phone",
    "plus",
    "printer",
    "refresh-cw",
    "save",
    "search",
    "send",  # referral
    "settings",
    "shield-check",  # consent
    "sigma",  # totals
    "signature",  # sign a note
    "triangle-alert",  # safety flag
    "upload",  # export
    "user",  # participant
    "user-check",  # readmit
    "user-plus",  # intake
    "user-x",  # discharge
    "users",  # caseload
    "x",
)

# Lucide renamed these; the old names are still what people type from memory.
_ALIASES: dict[str, str] = {
    "alert-circle": "circle-alert",
    "alert-triangle": "triangle-alert",
    "filter": "funnel",
}

_icons: dict[str, QIcon] = {}
# QIcon takes ownership of the engine passed to its constructor, but not of one returned
# from clone() (when a shared icon is modified): without a Python reference that clone is
# collected while Qt still uses it, which crashes. Dead wrappers are pruned on each clone.
_clones: list[QIconEngine] = []


def _palette_colour(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)


class _TintedSvgEngine(QIconEngine):
    """Renders one ``currentColor`` SVG at any size in the colour the icon mode calls for."""

    def __init__(self, name: str, svg: bytes) -> None:
        super().__init__()
        self._name = name
        self._svg = svg
        self._renderers: dict[str, QSvgRenderer] = {}
        # Item views repaint icons on every scroll; rendering SVG each time would show.
        self._pixmaps: dict[tuple[int, int, int, str], QPixmap] = {}

    def _renderer(self, colour: QColor) -> QSvgRenderer:
        hex_rgb = colour.name(QColor.NameFormat.HexRgb)
        renderer = self._renderers.get(hex_rgb)
        if renderer is None:
            data = self._svg.replace(b"currentColor", hex_rgb.encode("ascii"))
            renderer = QSvgRenderer(QByteArray(data))
            self._renderers[hex_rgb] = renderer
        return renderer

    def _draw(self, painter: QPainter, rect: QRectF, mode: QIcon.Mode) -> None:
        colour = _palette_colour(mode)
        painter.save()
        painter.setOpacity(painter.opacity() * colour.alphaF())
        # Lucide icons are square; keep them square inside a non-square rectangle.
        side = min(rect.width(), rect.height())
        square = QRectF(0.0, 0.0, side, side)
        square.moveCenter(rect.center())
        self._renderer(colour).render(painter, square)
        painter.restore()

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self._draw(painter, QRectF(rect), mode)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        width = max(1, round(size.width() * scale))
        height = max(1, round(size.height() * scale))
        colour = _palette_colour(mode)
        key = (width, height, int(scale * 100), colour.name(QColor.NameFormat.HexArgb))
        cached = self._pixmaps.get(key)
        if cached is not None:
            return cached
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw(painter, QRectF(0.0, 0.0, width, height), mode)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        self._pixmaps[key] = pixmap
        return pixmap

    def clone(self) -> QIconEngine:
        engine = _TintedSvgEngine(self._name, self._svg)
        _clones[:] = [kept for kept in _clones if shiboken6.isValid(kept)]
        _clones.append(engine)
        return engine

    def key(self) -> str:
        return "casebook-tinted-svg"

    def iconName(self) -> str:
        return self._name

    def isNull(self) -> bool:
        return False


def _svg_bytes(name: str) -> bytes:
    return resources.files("resources").joinpath("icons", f"{name}.svg").read_bytes()


def icon(name: str) -> QIcon:
    """Return the bundled icon *name* (a Lucide name from ``ICON_NAMES``).

    An unknown name is a programming error, so it raises ``ValueError`` rather than
    quietly giving a blank button.
    """
    name = _ALIASES.get(name, name)
    cached = _icons.get(name)
    if cached is not None:
        return cached
    if name not in ICON_NAMES:
        raise ValueError(f"unknown icon {name!r}; bundled icons are: {', '.join(ICON_NAMES)}")
    result = QIcon(_TintedSvgEngine(name, _svg_bytes(name)))
    _icons[name] = result
    return result
