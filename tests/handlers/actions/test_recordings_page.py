"""Next / Previous under /meet recordings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers import messages
from handlers.actions import recordings_page
from tests.handlers.conftest import MakeDeps, click
from tests.simulators.om import OMSimulator

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_the_second_page_replaces_the_first(make_deps: MakeDeps, om: OMSimulator) -> None:
    for n in range(12):
        om.add_recording(5, name=f"Take {n:02d}", start=T0 + timedelta(hours=n), end=T0 + timedelta(hours=n, minutes=1))
    [reply] = await recordings_page.answer(click(messages.RECORDINGS_PAGE_ACTION, {"r": 5, "p": 1}), make_deps().deps)
    assert reply.outcome == "ok" and reply.message["replace_original"] is True
    assert "page 2 of 2" in reply.message["blocks"][0]["text"]["text"]
    assert len(reply.message["blocks"]) == 1 + 2 + 2  # header, two recordings, nav, context
