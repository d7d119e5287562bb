"""Translation hook for the Qt-free core.

The core cannot use Qt's translator, so it marks strings with ``tr`` backed by
gettext. The window installs its own translator for ``ui/``; both read the same
locale. Keeping one marker function means a translation tool can find every
user-visible string in ``casebook/``.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping

_translation: gettext.NullTranslations = gettext.NullTranslations()


def install(translation: gettext.NullTranslations) -> None:
    """Use *translation* for every later ``tr`` call."""
    global _translation
    _translation = translation


def tr(text: str) -> str:
    """Return *text* in the user's language (identity until a catalogue is installed)."""
    return _translation.gettext(text)


def translated(labels: Mapping[str, str]) -> dict[str, str]:
    """A code → label mapping with each label in the user's language (order kept)."""
    return {key: tr(text) for key, text in labels.items()}
