"""What the handlers are given to work with. ``bot/app.py`` builds one ``Deps`` and passes it to ``register``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from om import RoomDirectory, SessionPool

from .home_activity import HomeActivity
from .rooms import RoomRef
from .tokens import LinkSigner


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings the handlers read (``bot/config.py`` reads and checks them all)."""

    openmeetings_url: str
    external_type: str = "slack"
    language: int = 1
    default_room: int | None = None
    channel_rooms: bool = True
    moderators: frozenset[str] = frozenset()
    admins_are_moderators: bool = False
    allowed_teams: frozenset[str] = frozenset()
    allow_guests: bool = False
    # The bot's own public base URL; when set, Join buttons point at it and hashes are minted when opened.
    public_url: str = ""
    recordings: bool = True


class SpentLinks(Protocol):
    """Which links have been opened (``bot/stores.py``). Raises ``StoreError`` when it can't tell."""

    @property
    def epoch(self) -> str:
        """The record's epoch, signed into each link: a shared record that was lost (a Redis that restarted empty)
        starts a new one, and a link made in another can't be vouched for. "" for a record kept in this process."""
        ...

    async def claim(self, key: str, epoch: str) -> bool:
        """Marks ``key`` (a link made in ``epoch``) spent; False when it was spent already.

        Raises ``StoreReset`` when the link was made in another epoch of the record, so it can't tell."""
        ...

    async def release(self, key: str) -> None:
        """Undoes a claim whose hash could not be made, so that a reload works once OM is back."""
        ...


class StoreError(Exception):
    """The shared store did not answer: nothing that depends on it may go ahead."""


class StoreReset(StoreError):
    """The record was lost (a Redis that restarted empty) since the link was made: it may have been spent."""


class Limiter(Protocol):
    """The per-person rate limit (``access.RateLimiter`` in memory, or one count shared by every process)."""

    limit: int

    async def hit(self, key: str) -> float:
        """Records one event; 0 when allowed, else the seconds until the next one would be. Never raises."""
        ...


class Shares(Protocol):
    """The response_url behind each Share button (``shares.ShareStore`` in memory, or shared). Never raises."""

    async def add(self, share_id: str, response_url: str) -> None: ...

    async def get(self, share_id: str) -> str | None: ...


class SlackWeb(Protocol):
    """The Slack Web API calls the handlers make (``bot/slack/web_api.py``); none of them raises."""

    async def user_info(self, user_id: str) -> dict[str, Any] | None: ...

    async def own_team(self) -> tuple[str, str | None] | None: ...

    async def respond(self, response_url: str, message: dict[str, Any]) -> bool: ...

    async def lookup_user(self, user_id: str) -> tuple[dict[str, Any] | None, str]:
        """The person's record, or None and Slack's reason (``user_not_found``…)."""
        ...

    async def send_dm(self, user_id: str, message: dict[str, Any]) -> str:
        """Posts a direct message from the bot; "" when it went, else Slack's reason."""
        ...

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> bool: ...

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """The modal's view id, "" when Slack refused (a trigger_id lives 3 s)."""
        ...

    async def update_modal(self, view_id: str, view: dict[str, Any]) -> bool: ...


class RecentRooms(Protocol):
    """The last rooms each person joined through the bot (``bot/stores.py``), newest first."""

    async def add(self, person: str, room: RoomRef) -> None: ...

    async def get(self, person: str) -> list[RoomRef]: ...


class Throttle(Protocol):
    async def first(self, key: str) -> bool:
        """True at most once per key within the throttle's window."""
        ...


@dataclass(frozen=True, slots=True)
class BotStatus:
    """What workspace admins see on the Home tab: never a secret."""

    openmeetings: str  # "ok", "not ready", "unreachable", "unknown"
    version: str
    sessions_ready: int
    checked_seconds_ago: float | None


Work = Coroutine[Any, Any, None]


@dataclass(frozen=True, slots=True)
class Deps:
    settings: Settings
    pool: SessionPool
    rooms: RoomDirectory
    slack: SlackWeb
    shares: Shares
    limiter: Limiter
    # Signs join links minted at the click; None without PUBLIC_URL (hashes are minted ahead).
    signer: LinkSigner | None
    spent: SpentLinks
    recent: RecentRooms
    # views.publish at most once per person every few seconds, however often the Home tab is opened.
    home_throttle: Throttle
    status: Callable[[], BotStatus]
    home: HomeActivity
    # Runs work after an ack as a task the shutdown drain waits for (bot/background.py).
    spawn: Callable[[Work, str], None]
    # Counts one answered command or click: (trigger, outcome).
    count: Callable[[str, str], None]
