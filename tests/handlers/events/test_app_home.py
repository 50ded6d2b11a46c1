"""app_home_opened, in-process: the Home tab is published; the Messages tab is left alone."""

from __future__ import annotations

from handlers.events import app_home
from handlers.payloads import HomeOpened
from tests.handlers.conftest import ALICE, MakeDeps


async def test_the_home_tab_is_published_once_in_a_while(make_deps: MakeDeps) -> None:
    harness = make_deps()
    assert await app_home.answer(HomeOpened(ALICE, "home"), harness.deps) == "ok"
    assert await app_home.answer(HomeOpened(ALICE, "home"), harness.deps) == "ignored"  # throttled
    [(where, view)] = harness.slack.posted
    assert where == "home:U0ALICE01" and view["type"] == "home"


async def test_the_messages_tab_is_ignored(make_deps: MakeDeps) -> None:
    harness = make_deps()
    assert await app_home.answer(HomeOpened(ALICE, "messages"), harness.deps) == "ignored"
    assert harness.slack.posted == []
