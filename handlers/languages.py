"""Slack locales to OpenMeetings language ids.

The ids are those of OM's ``languages/languages.xml`` (1 english ... 39 urdu).
OM uses a few legacy codes: ``iw`` for Hebrew, ``in`` for Indonesian.
"""

from __future__ import annotations

OM_LANGUAGES: dict[str, int] = {
    "en": 1, "de": 2, "fr": 4, "it": 5, "pt": 6, "pt-br": 7, "es": 8, "ru": 9,
    "sv": 10, "zh-cn": 11, "zh-tw": 12, "ko": 13, "ar": 14, "ja": 15, "in": 16,
    "hu": 17, "tr": 18, "uk": 19, "th": 20, "fa": 21, "cs": 22, "gl": 23, "fi": 24,
    "pl": 25, "el": 26, "nl": 27, "iw": 28, "ca": 29, "bg": 30, "da": 31, "sk": 32,
    "bn": 33, "hi": 34, "ta": 35, "lo": 36, "ku": 37, "tk": 38, "ur": 39,
}  # fmt: skip

_ALIASES = {"he": "iw", "id": "in", "zh": "zh-cn", "zh-hans": "zh-cn", "zh-hant": "zh-tw", "zh-hk": "zh-tw"}


def language_id(locale: str | None, default: int) -> int:
    """``de-DE`` -> 2, ``pt-BR`` -> 7, ``he-IL`` -> 28; unknown or missing -> ``default``."""
    if not locale:
        return default
    code = locale.strip().replace("_", "-").lower()
    for candidate in (code, code.split("-", 1)[0]):
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in OM_LANGUAGES:
            return OM_LANGUAGES[candidate]
    return default
