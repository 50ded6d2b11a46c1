"""The shape every listener shares: ack first, then do the work, post its replies and count their outcome.

Slack gives a request 3 seconds; OM may take longer, so nothing touches OM before the ack. A failure after the ack
still gets the person a message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from . import messages
from .deps import Deps
from .messages import Reply
from .payloads import Body

log = logging.getLogger(__name__)

# Set by bot/slack/ingress.py in the context of a request it acked before Bolt saw it: that dispatch already runs
# as tracked background work, so the listener does its work in place.
ACKED = "acked"


class Answerable(Protocol):
    """A request that is answered on its response_url (a slash command, a click on a message)."""

    @property
    def response_url(self) -> str: ...


R = TypeVar("R")
A = TypeVar("A", bound=Answerable)
Read = Callable[[Body], R]
Answer = Callable[[A, Deps], Awaitable[list[Reply]]]
Listener = Callable[..., Awaitable[None]]


def acked(deps: Deps, read: Read[A], answer: Answer[A], trigger: str, name: str) -> Listener:
    """A Bolt listener: ack, read the body into a request, ``answer`` it, post the replies, count the outcome."""

    async def work(request: A) -> None:
        response_url = request.response_url
        posted = False
        try:
            try:
                replies = await answer(request, deps)
            except Exception:
                log.exception("%s: unexpected failure", name)
                replies = [Reply(response_url, messages.error_message(messages.SORRY), "unexpected")]
            deps.count(trigger, replies[0].outcome if replies else "invalid")
            for reply in replies:
                await deps.slack.respond(reply.response_url, reply.message)
                posted = True
        except asyncio.CancelledError:
            # The shutdown drain ran out of time: the person hears why there is no answer, not silence.
            if not posted:
                await _farewell(deps, response_url)
            raise

    async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        request = read(body)
        if not request.response_url:
            log.warning("%s: request without a response_url; nothing to answer on", name)
            return
        if context.get(ACKED):
            await work(request)
            return
        # Bolt runs with process_before_response=True: returning now sends the ack at once, where Bolt's own
        # background mode would poll for it every 10 ms.
        deps.spawn(work(request), name)

    listener.__name__ = name
    return listener


async def _farewell(deps: Deps, response_url: str) -> None:
    try:
        await asyncio.wait_for(deps.slack.respond(response_url, messages.error_message(messages.RESTARTED)), 2.0)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("could not tell a person that the bot restarted before it answered")


QuietAnswer = Callable[[R, Deps], Awaitable[str]]


def acked_quietly(deps: Deps, read: Read[R], answer: QuietAnswer[R], trigger: str, name: str) -> Listener:
    """For what has no response_url (an event, a click in the Home tab): ack, run ``answer``, which talks to Slack
    itself (views.publish, views.open), and count the outcome it returns."""

    async def work(body: Body) -> None:
        try:
            outcome = await answer(read(body), deps)
        except Exception:
            log.exception("%s: unexpected failure", name)
            outcome = "unexpected"
        deps.count(trigger, outcome)

    async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        if context.get(ACKED):
            await work(body)
            return
        deps.spawn(work(body), name)

    listener.__name__ = name
    return listener
