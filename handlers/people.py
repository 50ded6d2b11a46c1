"""Who a Slack person is to OpenMeetings: the requester and their ``users.info`` record -> an ``ExternalUserDTO``,
the moderator flag and the OM language. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from om import ExternalUser

from .languages import language_id
from .payloads import Requester

# OM keeps these in varchar(255) columns; Slack names are far shorter in practice.
_FIELD_LIMIT = 200
_PICTURE_KEYS = ("image_192", "image_512", "image_original", "image_72", "image_48")


@dataclass(frozen=True, slots=True)
class Identity:
    user: ExternalUser
    moderator: bool
    language: int


def resolve(
    person: Requester,
    info: Mapping[str, Any] | None,
    *,
    external_type: str,
    moderators: frozenset[str],
    admins_are_moderators: bool,
    default_language: int,
) -> Identity:
    """Maps a person (and their ``users.info`` record, if Slack gave one) to an OM identity."""
    info = info or {}
    profile = info.get("profile") if isinstance(info.get("profile"), Mapping) else {}
    profile = profile or {}
    handle = _clean(info.get("name")) or _clean(person.user_name) or person.user_id
    first, last = _names(profile, handle)
    user = ExternalUser(
        # From the signed request alone, never from users.info: the owner check at the click uses it too.
        external_id=person.external_id,
        external_type=external_type,
        firstname=first,
        lastname=last,
        login=handle,
        email=_clean(profile.get("email")),
        profile_picture_url=_picture(profile),
    )
    is_admin = any(info.get(flag) is True for flag in ("is_admin", "is_owner", "is_primary_owner"))
    moderator = person.user_id in moderators or (admins_are_moderators and is_admin)
    locale = info.get("locale") if isinstance(info.get("locale"), str) else None
    return Identity(user, moderator, language_id(locale, default_language))


def _names(profile: Mapping[str, Any], handle: str) -> tuple[str, str]:
    first = _clean(profile.get("first_name"))
    last = _clean(profile.get("last_name"))
    if first or last:
        return first or last, last if first else ""
    for key in ("real_name_normalized", "real_name", "display_name_normalized", "display_name"):
        name = _clean(profile.get(key))
        if name:
            head, _, tail = name.partition(" ")
            return head, tail.strip()
    return handle, ""


def _picture(profile: Mapping[str, Any]) -> str:
    for key in _PICTURE_KEYS:
        url = _clean(profile.get(key))
        if url.startswith("https://") or url.startswith("http://"):
            return url
    return ""


def _clean(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # isprintable() is false for every Cc and Cf character, so most names skip the per-character walk.
    text = value if value.isprintable() else "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(text.split())[:_FIELD_LIMIT]
