"""Join on the Home tab: a modal with the person's own link, or (with PUBLIC_URL) a fresh tab."""

from __future__ import annotations

from handlers import messages
from handlers.actions import home_join, home_link
from handlers.payloads import ActionRequest
from tests.handlers.conftest import ALICE, MakeDeps
from tests.simulators.om import OMSimulator


def home_click(action_id: str, value: dict[str, object]) -> ActionRequest:
    return ActionRequest(ALICE, action_id, value, trigger_id="1.2")


async def test_without_public_url_a_modal_holds_the_persons_link(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps()
    assert await home_join.answer(home_click(messages.HOME_JOIN_ACTION, {"r": 4}), harness.deps) == "ok"
    [(opened, waiting), (where, modal)] = harness.slack.posted
    assert opened == "modal:1.2" and "Getting your own link" in str(waiting)
    assert where == "update:V1.2" and modal["type"] == "modal"
    joined = await om.open_join_url(modal["blocks"][1]["elements"][0]["url"])
    assert joined is not None and joined.room_id == 4
    assert await home_link.answer(home_click(messages.HOME_LINK_ACTION, {"r": 4}), harness.deps) == "ok"
    assert [r.room_id for r in await harness.deps.recent.get(ALICE.external_id)] == [4]


async def test_with_public_url_the_tab_is_published_afresh(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps(public_url="https://meet-bot.example.org")
    assert await home_join.answer(home_click(messages.HOME_JOIN_ACTION, {"r": 4}), harness.deps) == "ok"
    [(where, view)] = harness.slack.posted
    assert where == "home:U0ALICE01" and view["type"] == "home" and not om.hashes
