"""In-process handler tests: an ``answer`` called with a request and real ``Deps`` over the OM simulator, with a
Slack stand-in that records what was asked of it. No Bolt, no signed HTTP (the scenarios do that)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.memory_store import MemoryRecentRooms, MemorySpentLinks, MemoryThrottle
from handlers.access import RateLimiter
from handlers.deps import BotStatus, Deps, Settings
from handlers.home_activity import HomeActivity
from handlers.payloads import ActionRequest, CommandRequest, Conversation, Requester
from handlers.shares import ShareStore
from handlers.tokens import LinkSigner
from om import OMClient, RoomDirectory, SessionPool
from tests.simulators.om import OMSimulator

ALICE = Requester("U0ALICE01", "T0TEAM001", None, "alice")
RESPONSE_URL = "https://hooks.slack.test/commands/T0TEAM001/1/abc"


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    team: tuple[str, str | None] | None = ("T0TEAM001", None)
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def user_info(self, user_id: str) -> dict[str, Any] | None:
        return self.users.get(user_id)

    async def own_team(self) -> tuple[str, str | None] | None:
        return self.team

    async def respond(self, response_url: str, message: dict[str, Any]) -> bool:
        self.posted.append((response_url, message))
        return True

    async def lookup_user(self, user_id: str) -> tuple[dict[str, Any] | None, str]:
        info = self.users.get(user_id)
        return info, "" if info else "user_not_found"

    async def send_dm(self, user_id: str, message: dict[str, Any]) -> str:
        self.posted.append((f"dm:{user_id}", message))
        return ""

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        self.posted.append((f"home:{user_id}", view))
        return True

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        self.posted.append((f"modal:{trigger_id}", view))
        return f"V{trigger_id}"

    async def update_modal(self, view_id: str, view: dict[str, Any]) -> bool:
        self.posted.append((f"update:{view_id}", view))
        return True


@dataclass
class Harness:
    deps: Deps
    slack: FakeSlack
    counted: list[tuple[str, str]]
    spawned: list[str]


MakeDeps = Callable[..., Harness]


@pytest.fixture
async def make_deps(om: OMSimulator) -> AsyncIterator[MakeDeps]:
    http = httpx.AsyncClient()
    pools: list[SessionPool] = []

    def make(rate_limit: int = 10, **settings: Any) -> Harness:
        pool = SessionPool(OMClient(om.base_url, http), om.api_user.login, om.api_user.password or "", size=1)
        pools.append(pool)
        slack = FakeSlack(users={"U0ALICE01": {"name": "alice", "profile": {"first_name": "Alice"}}})
        counted: list[tuple[str, str]] = []
        spawned: list[str] = []

        def spawn(work: Coroutine[Any, Any, None], name: str) -> None:
            spawned.append(name)
            work.close()

        deps = Deps(
            settings=Settings(openmeetings_url=om.base_url, **settings),
            pool=pool,
            rooms=RoomDirectory(pool),
            slack=slack,
            shares=ShareStore(),
            limiter=RateLimiter(rate_limit),
            signer=LinkSigner("k" * 32, 3600) if settings.get("public_url") else None,
            spent=MemorySpentLinks(3600),
            recent=MemoryRecentRooms(),
            home_throttle=MemoryThrottle(5.0),
            status=lambda: BotStatus("ok", "9.1.0", 1, 0.0),
            home=HomeActivity(),
            spawn=spawn,
            count=lambda trigger, outcome: counted.append((trigger, outcome)),
        )
        return Harness(deps, slack, counted, spawned)

    yield make
    for pool in pools:
        await pool.close()
    await http.aclose()


def command(text: str, who: Requester = ALICE, channel: str = "C0CHANNEL1", name: str = "general") -> CommandRequest:
    return CommandRequest(who, text, Conversation(channel, name), RESPONSE_URL)


def click(action_id: str, value: dict[str, Any], who: Requester = ALICE) -> ActionRequest:
    return ActionRequest(who, action_id, value, Conversation("C0CHANNEL1", "general"), RESPONSE_URL)
