"""Slack person to OM ExternalUserDTO: names, ids, moderator flag, language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.languages import language_id
from handlers.payloads import Requester as SlackPerson
from handlers.payloads import read_action
from handlers.people import resolve

PERSON = SlackPerson("U1", "T1", None, "handle")


def identity(info: dict[str, Any] | None, person: SlackPerson = PERSON, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "external_type": "slack",
        "moderators": frozenset(),
        "admins_are_moderators": False,
        "default_language": 1,
    }
    options.update(kwargs)
    return resolve(person, info, **options)


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace", "real_name": "X Y"}, ("Ada", "Lovelace")),
        ({"first_name": "", "last_name": "Lovelace"}, ("Lovelace", "")),
        ({"real_name": "Grace Brewster Hopper"}, ("Grace", "Brewster Hopper")),
        ({"display_name": "gracie"}, ("gracie", "")),
        ({}, ("ada", "")),
    ],
)
def test_name_fallbacks(profile: dict[str, str], name: tuple[str, str]) -> None:
    user = identity({"name": "ada", "profile": profile}).user
    assert (user.firstname, user.lastname) == name


def test_without_users_info_the_payload_names_the_person() -> None:
    result = identity(None)
    assert result.user.external_id == "T1:U1"
    assert (result.user.firstname, result.user.login) == ("handle", "handle")
    assert result.moderator is False and result.language == 1


def test_enterprise_id_wins_over_team_id() -> None:
    assert identity(None, SlackPerson("U1", "T1", "E1", "h")).user.external_id == "E1:U1"


def test_external_id_comes_from_the_signed_request_alone() -> None:
    # One formula: the owner check at the click (which has no users.info at hand) must agree with the link's user.
    info = {"enterprise_user": {"enterprise_id": "E2"}}
    assert identity(info).user.external_id == "T1:U1" == PERSON.external_id


def test_moderator_rules() -> None:
    admin = {"is_admin": True}
    assert identity(None, moderators=frozenset({"U1"})).moderator is True
    assert identity(admin).moderator is False
    assert identity(admin, admins_are_moderators=True).moderator is True
    assert identity({"is_owner": True}, admins_are_moderators=True).moderator is True
    assert identity({"is_admin": "true"}, admins_are_moderators=True).moderator is False


def test_email_and_picture() -> None:
    user = identity({"profile": {"email": "a@b.c", "image_72": "https://x/72", "image_192": "https://x/192"}}).user
    assert (user.email, user.profile_picture_url) == ("a@b.c", "https://x/192")
    wire = json.loads(user.to_wire())
    assert wire["email"] == "a@b.c" and wire["profilePictureUrl"] == "https://x/192"
    assert identity({"profile": {"image_192": "javascript:alert(1)"}}).user.profile_picture_url == ""


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en-US", 1), ("de-DE", 2), ("fr-CA", 4), ("pt-BR", 7), ("pt-PT", 6), ("es-LA", 8), ("ja-JP", 15),
     ("zh-CN", 11), ("zh-TW", 12), ("ko-KR", 13), ("ru-RU", 9), ("it-IT", 5), ("he-IL", 28), ("id-ID", 16),
     ("xx-YY", 3), (None, 3), ("", 3)],
)  # fmt: skip
def test_language_from_locale(locale: str | None, expected: int) -> None:
    assert language_id(locale, 3) == expected


def test_person_from_block_actions() -> None:
    body = {"user": {"id": "U9", "username": "z", "team_id": "T9"}, "team": {"id": "T9"}, "enterprise": None}
    assert read_action(body).who == SlackPerson("U9", "T9", None, "z")


_text = st.one_of(st.none(), st.integers(), st.text(max_size=300))


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "name": _text,
            "locale": _text,
            "is_admin": st.one_of(st.booleans(), _text),
            "profile": st.one_of(
                _text,
                st.fixed_dictionaries(
                    {},
                    optional={k: _text for k in ("first_name", "last_name", "real_name", "display_name", "email",
                                                 "image_192")},
                ),
            ),
            "enterprise_user": st.one_of(_text, st.fixed_dictionaries({"enterprise_id": _text})),
        },
    ),
    st.text(min_size=1, max_size=20),
)  # fmt: skip
def test_any_users_info_maps_to_a_valid_external_user(info: dict[str, Any], user_name: str) -> None:
    result = identity(info, SlackPerson("U1", "T1", None, user_name))
    user = result.user
    assert user.external_id.endswith(":U1") and user.external_type == "slack"
    assert user.firstname  # OM shows it; never empty
    for value in (user.firstname, user.lastname, user.login, user.email):
        assert len(value) <= 200
        assert not any(ord(ch) < 32 for ch in value)
    assert json.loads(user.to_wire())["externalId"] == user.external_id
    assert 1 <= result.language <= 39
