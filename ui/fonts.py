"""The bundled CJK font in the window.

Qt finds glyphs through the system's fonts (fontconfig on Linux). A clinic
workstation without a Chinese, Japanese or Korean font would show a participant
named 王小明 or 김민준 as empty boxes in every list and form. The printed reports
already carry WenQuanYi Micro Hei for these scripts (``resources/fonts``); here the
same file is registered with Qt and made a substitute of the application's font
family, so Qt falls back to it for exactly the characters the main font lacks and
everything else looks as before.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

__all__ = ["CJK_FONT_FILE", "install_cjk_fallback"]

CJK_FONT_FILE = "wqy-microhei.ttc"

# The family Qt registered the bundled font under; set once per process, since
# registering the same file again would only add a duplicate.
_registered: list[str] = []


def _register() -> str | None:
    if _registered:
        return _registered[0]
    source = resources.files("resources") / "fonts" / CJK_FONT_FILE
    if isinstance(source, Path) and source.is_file():
        # From a real file Qt reads glyphs on demand instead of holding 5 MB in memory.
        font_id = QFontDatabase.addApplicationFont(str(source))
    else:
        font_id = QFontDatabase.addApplicationFontFromData(QByteArray(source.read_bytes()))
    if font_id < 0:
        return None
    # The collection also holds a monospaced face; the proportional one matches the
    # window's own font.
    families = [
        family
        for family in QFontDatabase.applicationFontFamilies(font_id)
        if not QFontDatabase.isFixedPitch(family)
    ]
    if not families:
        return None
    _registered.append(families[0])
    return families[0]


def install_cjk_fallback(app: QApplication) -> str | None:
    """Register the bundled CJK font and make it the substitute of the window font's
    family (and of the system's general font), so characters that font lacks are
    drawn from it. Safe to call again (after a theme change); returns the CJK family,
    or None when Qt could not load the file (then nothing changes).
    """
    family = _register()
    if family is None:
        return None
    general = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    # The family a font resolves to, not the one it asks for: on Linux the
    # application font asks for "Sans Serif", which is no installed family, and a
    # substitute of that alias would become the font of all text, Latin included.
    targets = {QFontInfo(app.font()).family(), QFontInfo(general).family()}
    for target in sorted(targets):
        # Qt keeps substitute names in lower case.
        present = {name.casefold() for name in QFont.substitutes(target)}
        if target and target.casefold() != family.casefold() and family.casefold() not in present:
            QFont.insertSubstitution(target, family)
    return family
