"""Invitations, in-process: who gets a DM and why the others don't."""

from __future__ import annotations

from handlers import invites
from handlers.rooms import RoomRef
from tests.handlers.conftest import ALICE, MakeDeps


async def test_each_reason_in_plain_words(make_deps: MakeDeps) -> None:
    harness = make_deps()
    harness.slack.users.update({
        "U0BOB0001": {"id": "U0BOB0001", "team_id": "T0TEAM001", "name": "bob"},
        "U0GONE001": {"id": "U0GONE001", "team_id": "T0TEAM001", "deleted": True},
        "U0ROBOT01": {"id": "U0ROBOT01", "team_id": "T0TEAM001", "is_bot": True},
        "U0GUEST01": {"id": "U0GUEST01", "team_id": "T0TEAM001", "is_restricted": True},
        "U0OUTSIDE": {"id": "U0OUTSIDE", "team_id": "T0ELSEWHERE"},
    })  # fmt: skip
    wanted = ("U0BOB0001", "U0GONE001", "U0ROBOT01", "U0GUEST01", "U0OUTSIDE", "U0NOBODY1", "U0ALICE01", "U0BOB0001")
    report = await invites.send(harness.deps, ALICE, RoomRef(5, "Room 5"), wanted)
    assert report.invited == ["U0BOB0001"]
    assert dict(report.refused) == {
        "U0GONE001": "deactivated",
        "U0ROBOT01": "a bot",
        "U0GUEST01": "a guest, and guests can't use /meet here",
        "U0OUTSIDE": "outside this workspace (Slack Connect)",
        "U0NOBODY1": "not found in this workspace",
    }
    [(where, dm)] = [(w, m) for w, m in harness.slack.posted if w.startswith("dm:")]
    assert where == "dm:U0BOB0001" and "<@U0ALICE01> invites you" in dm["blocks"][0]["text"]["text"]
