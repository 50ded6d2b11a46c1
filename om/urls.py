"""The browser-facing join URL: OM's ``/hash`` page (``HashPage.java``) reads ``secure`` and ``language``."""

from __future__ import annotations

from urllib.parse import urlencode


def join_url(base_url: str, hash_value: str, language: int | None = None) -> str:
    params: dict[str, str | int] = {"secure": hash_value}
    if language is not None and language >= 0:
        params["language"] = language
    return f"{base_url.rstrip('/')}/hash?{urlencode(params)}"
