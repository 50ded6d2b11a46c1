"""Watch, beside a recording: the person's own link to OM's player (a hash with ``recordingId``).

With PUBLIC_URL the button itself opened a link minted for the person; its click then refreshes the list, so every
Watch shown is unspent again. Without it, the click mints the hash now and answers with a link of the person's own.
"""

from __future__ import annotations

from om import OMError, join_url

from .. import access, links, messages, problems, recordings, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.WATCH_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    if (refused := await access.click_refusal(deps, request)) is not None:
        return refused
    named = rooms.from_value(request.value)
    recording_id = request.value.get("v")
    if named is None or not isinstance(recording_id, int) or isinstance(recording_id, bool):
        return []
    if not deps.settings.recordings:
        return [Reply(url, messages.recordings_off_message(), "usage")]
    channel = recordings.listed_in(request)
    if channel is None:
        return [Reply(url, messages.error_message(messages.RECORDING_ELSEWHERE), "refused")]
    try:
        room = await rooms.by_value(deps.rooms, *named)
        if deps.signer is not None:
            page = request.value.get("p")
            number = page if isinstance(page, int) and not isinstance(page, bool) else 0
            listing = await recordings.listing(deps, request.who, room, channel, number)
            return [Reply(url, messages.replacing(messages.recordings_message(listing)), "ok")]
        info = await deps.slack.user_info(request.who.user_id)
        identity = links.identity_of(deps.settings, request.who, info)
        options = links.room_options(deps.settings, room, identity.moderator, recording_id)
        issued = await deps.pool.issue_hash(identity.user, options)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.error_message(says), outcome)]
    link = join_url(deps.settings.openmeetings_url, issued.hash, identity.language)
    name = request.value.get("n")
    return [Reply(url, messages.watch_message(room, name if isinstance(name, str) else "", link), "ok")]
