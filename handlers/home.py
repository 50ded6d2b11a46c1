"""Builds and publishes a person's Home tab. Costs OM nothing when the room list and counts are fresh (both cached,
and kept fresh by the scheduler while people use the tab); with OM down it shows the list as last seen."""

from __future__ import annotations

from collections.abc import Mapping

from om import OMError

from . import access, problems
from .deps import Deps
from .home_view import HOME_ROOMS, HomeRooms, home_view, refusal_view
from .links import identity_of
from .payloads import Requester
from .rooms import RoomRef, ref


async def publish(deps: Deps, who: Requester) -> str:
    """Publishes ``who``'s Home tab unless it was published a few seconds ago; returns the outcome."""
    if not await deps.home_throttle.first(who.user_id):
        return "ignored"
    refusal = await access.admit(deps, who, counts=False, guests=True)
    if refusal is not None:
        text = refusal.message.get("text", "")
        await deps.slack.publish_home(who.user_id, refusal_view(str(text)))
        return "refused"
    deps.home.touch()
    info = await deps.slack.user_info(who.user_id)
    status = deps.status()
    rooms = await _rooms(deps, om_down=status.openmeetings == "unreachable")
    recent = [await _named(deps, room) for room in await deps.recent.get(who.external_id)]
    links = _links(deps, who, info, [*recent, *rooms.listed[:HOME_ROOMS]])
    is_admin = info is not None and any(info.get(f) is True for f in ("is_admin", "is_owner", "is_primary_owner"))
    view = home_view(rooms, recent, links, status if is_admin else None)
    published = await deps.slack.publish_home(who.user_id, view)
    return "ok" if published else "unexpected"


async def _rooms(deps: Deps, *, om_down: bool) -> HomeRooms:
    """Fresh from the caches (OM asked only for what is stale); with OM known to be down, as last seen."""
    if not om_down:
        try:
            listed = [ref(room) for room in await deps.rooms.public_rooms()]
            counts = await deps.rooms.counts_by_id([room.room_id for room in listed[:HOME_ROOMS]])
            return HomeRooms(listed, counts)
        except OMError as exc:
            says, _ = problems.explain(exc)
    else:
        says = problems.UNREACHABLE
    cached, age = deps.rooms.cached_public_rooms()
    listed = [ref(room) for room in cached]
    counts = deps.rooms.cached_counts([room.room_id for room in listed[:HOME_ROOMS]])
    return HomeRooms(listed, counts, says, age)


async def _named(deps: Deps, room: RoomRef) -> RoomRef:
    """A recent room with its name (from the room cache; kept nameless when OM can't say)."""
    if room.name:
        return room
    try:
        found = await deps.rooms.get(room.room_id)
    except OMError:
        return room
    return RoomRef(found.id, found.name, room.external_id)


def _links(deps: Deps, who: Requester, info: Mapping[str, object] | None, rooms: list[RoomRef]) -> dict[int, str]:
    """With PUBLIC_URL, a link minted at the click per room shown (signing costs no OM round trip)."""
    if deps.signer is None:
        return {}
    moderator = identity_of(deps.settings, who, info).moderator
    links: dict[int, str] = {}
    for room in rooms:
        if room.room_id not in links:
            token, _ = deps.signer.sign(who, room.room_id, room.external_id, moderator, epoch=deps.spent.epoch)
            links[room.room_id] = f"{deps.settings.public_url}/join/{token}"
    return links
