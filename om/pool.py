"""Who holds which OM session (SID), and for how long.

Three facts of OM shape this module (``UserWebService.getRoomHash``, ``WebSession.signIn``,
``SessiondataDao``, ``CleanupJob``):
- a hash is bound to the SID that made it, and opening it hands that SID to the
  joining person; so a SID makes one hash, ever, or one person enters as another;
- an unused hash dies with its SID, which OM drops after ``session_timeout``
  seconds idle; so the SID behind a link that has not been clicked yet is kept
  alive (any SOAP call with it refreshes it) until the link's TTL ends;
- a login is the slow call (and 6-16 s when the password is wrong); so logins
  happen ahead of time, in a small pool of fresh SIDs, never in a retry loop.

A separate "admin" SID, never used for a hash, serves lookups such as rooms.

The pool follows demand: it keeps as many fresh SIDs ready as the most hashes taken
in one ``job_interval`` over the last hour, never fewer than ``size`` nor more than
``max_size``. An hour after a rush the target is back at ``size``: the job drops
aged SIDs as always and refills only to the target of the moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .client import OMClient
from .errors import (
    OMAuthError,
    OMError,
    OMMissingRightError,
    OMNotAllowedError,
    OMNotFoundError,
)
from .models import ExternalUser, RoomOptions
from .pending import MemoryPendingLinks, PendingLink, PendingLinks

log = logging.getLogger(__name__)

T = TypeVar("T")

# After a refused login, wait this long before the next try, doubling up to the
# cap: each wrong-password try costs OM (and us) 6-16 s, and OM may lock accounts.
AUTH_BACKOFF_START = 15.0
AUTH_BACKOFF_MAX = 300.0

# How far back the pool looks for the peak it keeps fresh SIDs ready for.
DEMAND_WINDOW = 3600.0

# A SID taken from a stocked pool is replaced once the hashes in flight are answered, this long after the take at
# most: the answers people wait for come first, and a refill login's request and answer don't queue beside them.
REFILL_HOLD = 1.0


@dataclass(slots=True)
class _Session:
    sid: str
    refreshed: float


@dataclass(frozen=True, slots=True)
class IssuedHash:
    """A hash for one person. ``link_id`` names it to the pool without revealing it."""

    hash: str
    link_id: str


@dataclass(frozen=True, slots=True)
class PoolStatus:
    fresh: int
    # Fresh SIDs kept ready now: ``peak`` held between the pool's size and its max_size.
    target: int
    links: int
    logins: int
    renewals: int
    keepalives: int
    last_error: str | None
    auth_blocked_for: float
    # The most hashes taken in one pool interval over the last hour.
    peak: int


@dataclass(slots=True)
class _Stats:
    logins: int = 0
    renewals: int = 0
    keepalives: int = 0


@dataclass(slots=True)
class _AuthState:
    error: OMAuthError | None = None
    retry_at: float = 0.0
    backoff: float = AUTH_BACKOFF_START


class _Demand:
    """The most hashes taken in one interval of ``interval`` seconds over the last ``window`` seconds.

    Only intervals in which something was taken are kept, as (interval number, count), so the memory is at most one
    pair an interval of the window (60 with the defaults), and a few after a rush. Counting a take is O(1); the peak of
    the past intervals is worked out again only as an interval closes.
    """

    __slots__ = ("_clock", "_count", "_index", "_interval", "_past", "_past_peak", "_span")

    def __init__(self, interval: float, window: float, clock: Callable[[], float]) -> None:
        self._interval = interval
        self._span = max(1, math.ceil(window / interval))  # intervals in the window, the current one among them
        self._clock = clock
        self._past: deque[tuple[int, int]] = deque()
        self._past_peak = 0
        self._index = self._now()
        self._count = 0

    def _now(self) -> int:
        return math.floor(self._clock() / self._interval)

    def _roll(self) -> None:
        index = self._now()
        if index <= self._index:
            return
        if self._count:
            self._past.append((self._index, self._count))
        self._index, self._count = index, 0
        while self._past and self._past[0][0] <= index - self._span:
            self._past.popleft()
        self._past_peak = max((count for _, count in self._past), default=0)

    def take(self) -> None:
        self._roll()
        self._count += 1

    def untake(self) -> None:
        """A take given back unused: it was no demand."""
        self._roll()
        self._count = max(0, self._count - 1)

    @property
    def peak(self) -> int:
        self._roll()
        return max(self._past_peak, self._count)


@dataclass(slots=True)
class _Tasks:
    # One task per login on its way into the pool; it ends with the error its login failed with, or None.
    refills: set[asyncio.Task[OMError | None]] = field(default_factory=set)
    # People waiting for one of those logins, the pool being empty when they came.
    takers: deque[asyncio.Future[_Session]] = field(default_factory=deque)
    # A refill failure has been logged; the next success says so.
    warned: bool = False
    # Hashes asked for and not answered yet; the refill for a stocked pool's takes waits for them (see REFILL_HOLD).
    hashing: int = 0
    held: asyncio.TimerHandle | None = None


class SessionPool:
    """Fresh SIDs for hashes (one SID a hash), the SIDs behind unclicked links, and the lookup SID.

    - ``size``: the fewest fresh SIDs kept ready (``OPENMEETINGS_POOL_SIZE``).
    - ``max_size``: the most (``OPENMEETINGS_POOL_MAX``; never below ``size``). In between, the pool keeps ready as
      many as the most hashes taken in one ``job_interval`` over the last hour. A waiting SID costs OM a row in its
      session table and a login every ``max_fresh_age`` (15 min by default): 50 of them, some 200 logins an hour.
    - ``max_concurrent_logins``: the most logins in flight at any moment, in a rush or not
      (``OPENMEETINGS_MAX_LOGINS``). The default, 24, is what one OM can take beside the people in its rooms. A login
      is OM's dearest call: the password is checked with scrypt (N=16384, r=8, p=8, ``SCryptImplementation`` in
      openmeetings-util), 16 MiB of scratch heap and, by estimate, about 0.4 s of a CPU core (OpenSSL's scrypt takes
      0.42 s for those parameters on a 2-CPU test machine; OM's BouncyCastle Java is unlikely to be faster). So 24 at
      once is 384 MiB of a heap of 1-4 GiB (``-Xms1G -Xmx4G`` in OM's ``openmeetings.service``), 24 of Tomcat's
      request threads (200 by default on 5080, 150 on 5443: OM's ``conf/server.xml``) and 24 of its 100 database
      connections (``maxTotal=100`` in OM's ``*_persistence.xml``): the people entering rooms keep the rest. A
      16-core OM then logs the bot in some 40 times a second, a 4-core one some 10; on an OM with fewer cores than
      the bound, a rush's logins take all its CPU for a moment, so lower the bound there. Against 4 at a time, a
      rush of 100 on an empty pool waits for 4 rounds of logins rather than 24; its median person waits for 2 (for
      3 at 16 at a time).
    - Whatever the bound, a wrong password is tried once: while no login has worked within the last ``job_interval``
      (at start, after a failure, after a quiet spell) logins go one at a time, so a refused password costs OM one
      6-16 s sleep (``UserDao.badPwdPenalty``) and the account one failed try, not one per person waiting.
    """

    def __init__(
        self,
        client: OMClient,
        user: str,
        password: str,
        *,
        size: int = 4,
        max_size: int = 50,
        session_timeout: float = 1800.0,
        link_ttl: float = 3600.0,
        max_concurrent_logins: int = 24,
        login_backoff: float = AUTH_BACKOFF_START,
        refill_hold: float = REFILL_HOLD,
        clock: Callable[[], float] = time.monotonic,
        pending: PendingLinks | None = None,
    ) -> None:
        self.client = client
        self._user = user
        self._password = password
        self.size = size
        self.max_size = max(size, max_size)
        self.session_timeout = session_timeout
        self.link_ttl = link_ttl
        self._clock = clock
        self._fresh: deque[_Session] = deque()
        # The SIDs behind unclicked links: in this process, or shared by every process of the bot.
        self._links: PendingLinks = pending if pending is not None else MemoryPendingLinks(clock)
        self._admin: _Session | None = None
        self._admin_lock = asyncio.Lock()
        self.max_concurrent_logins = max_concurrent_logins
        self._login_slots = asyncio.Semaphore(max_concurrent_logins)
        # Held by the login that goes alone while none has worked lately (see _login).
        self._probe = asyncio.Lock()
        self._login_backoff = login_backoff
        self._refill_hold = refill_hold
        self._auth = _AuthState(backoff=login_backoff)
        self._stats = _Stats()
        self._tasks = _Tasks()
        self._demand = _Demand(self.job_interval, DEMAND_WINDOW, clock)
        self.last_error: str | None = None
        self._closed = False
        # When the last login worked; None before the first, and from a failed one until the next that works.
        self._login_worked_at: float | None = None

    # -- timing rules -------------------------------------------------------------

    @property
    def max_fresh_age(self) -> float:
        """A pooled SID older than this is renewed rather than risked on a person's link."""
        return self.session_timeout / 2

    @property
    def keepalive_after(self) -> float:
        """Refresh a link's SID once it has been idle this long; the job runs twice as often."""
        return self.session_timeout / 3

    @property
    def job_interval(self) -> float:
        return max(0.05, min(60.0, self.session_timeout / 6))

    @property
    def target(self) -> int:
        """Fresh SIDs to keep ready now: the most hashes taken in one job interval over the last hour, within bounds."""
        return max(self.size, min(self.max_size, self._demand.peak))

    # -- the hot path -------------------------------------------------------------

    async def issue_hash(self, user: ExternalUser, options: RoomOptions, *, keep_alive: bool = True) -> IssuedHash:
        """One ``POST /user/hash`` on a SID that has made none before (and never will again).

        ``keep_alive``: the link waits for a click, so its SID is kept from idling out until the link's TTL ends.
        False for a hash the browser opens at once (a join link minted at the click).
        """
        return await self._hash_on(await self._take_fresh(), user, options, keep_alive)

    async def issue_hash_when(
        self, ready: Awaitable[tuple[ExternalUser, RoomOptions]], *, keep_alive: bool = True
    ) -> IssuedHash:
        """``issue_hash`` for a person and a room still being looked up by ``ready``: the SID is taken meanwhile, so
        in a rush the login it waits for starts a look-up earlier. When ``ready`` fails, the SID goes back to the
        pool (it has made no hash) and its error is raised."""
        taking = asyncio.ensure_future(self._take_fresh())
        try:
            user, options = await ready
        except BaseException:
            await self._give_back(taking)
            raise
        return await self._hash_on(await taking, user, options, keep_alive)

    async def _give_back(self, taking: asyncio.Future[_Session]) -> None:
        if not taking.done():
            taking.cancel()
        try:
            session = await taking
        except (asyncio.CancelledError, OMError):
            return
        self._demand.untake()
        if not self._closed:
            self._fresh.appendleft(session)

    async def _hash_on(
        self, session: _Session, user: ExternalUser, options: RoomOptions, keep_alive: bool
    ) -> IssuedHash:
        self._tasks.hashing += 1
        try:
            value = await self.client.room_hash(session.sid, user, options)
        except OMNotAllowedError:
            # OM restarted or expired the SID early: every pooled SID is suspect.
            log.info("om pool: a pooled session was refused; renewing the pool")
            self._fresh.clear()
            session = await self._login()
            try:
                value = await self.client.room_hash(session.sid, user, options)
            except OMNotAllowedError as exc:
                raise OMMissingRightError("the OpenMeetings API user lacks the SOAP right", "SOAP") from exc
        finally:
            self._tasks.hashing -= 1
            if not self._tasks.hashing:
                self._refill_soon()
        now = self._clock()
        session.refreshed = now
        link_id = secrets.token_urlsafe(12)
        if keep_alive:
            link = PendingLink(session.sid, options.room_id, user.external_id)
            await self._links.put(link_id, link, lifetime=self.link_ttl, due_in=self.keepalive_after)
        self.last_error = None
        return IssuedHash(value, link_id)

    async def forget_link(self, link_id: str, owner: str) -> bool:
        """The link was opened: its SID now belongs to the person, stop keeping it alive."""
        return await self._links.pop(link_id, owner)

    # -- lookups on the admin SID ---------------------------------------------------

    async def with_admin(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Runs ``call(sid)`` on the lookup SID; on error.notallowed logs in once more and retries once."""
        session = await self._admin_session()
        try:
            result = await call(session.sid)
        except OMNotAllowedError:
            session = await self._admin_session(renew=True)
            try:
                result = await call(session.sid)
            except OMNotAllowedError as exc:
                raise OMMissingRightError("the OpenMeetings API user lacks the SOAP right", "SOAP") from exc
        session.refreshed = self._clock()
        return result

    async def _admin_session(self, *, renew: bool = False) -> _Session:
        async with self._admin_lock:
            admin = self._admin
            stale = admin is not None and self._clock() - admin.refreshed > self.max_fresh_age
            if admin is None or renew or stale:
                admin = await self._login()
                self._admin = admin
            return admin

    # -- logins ---------------------------------------------------------------------

    async def _take_fresh(self) -> _Session:
        self._demand.take()
        now = self._clock()
        while self._fresh:
            session = self._fresh.popleft()
            if now - session.refreshed < self.max_fresh_age:
                self._refill_after_hashes()
                return session
        # The pool is empty: wait for the next login on its way into it (one more is started for each person
        # waiting), rather than log in on the side and queue behind those logins for the same slots.
        tasks = self._tasks
        taker: asyncio.Future[_Session] = asyncio.get_running_loop().create_future()
        tasks.takers.append(taker)
        self._refill_soon()
        try:
            return await taker
        finally:
            if taker in tasks.takers:
                tasks.takers.remove(taker)

    async def _login(self) -> _Session:
        if not self._logins_work:
            # Until a login has worked lately, one at a time: a wrong password costs OM 6-16 s a try and may lock the
            # user, so it is tried once, however many are waiting to log in; the others follow if it works.
            async with self._probe:
                if not self._logins_work:
                    return await self._login_now()
        return await self._login_now()

    async def _login_now(self) -> _Session:
        auth = self._auth
        if auth.error is not None and self._clock() < auth.retry_at:
            # Don't pay (and make OM pay) another 6-16 s for a password known to be wrong.
            self._login_worked_at = None
            raise auth.error
        async with self._login_slots:
            if auth.error is not None and self._clock() < auth.retry_at:
                raise auth.error
            try:
                sid = await self.client.login(self._user, self._password)
            except OMAuthError as exc:
                if auth.error is not None and self._clock() < auth.retry_at:
                    # A login that was already under way when another was refused: one refusal, one back-off.
                    raise
                auth.error = exc
                auth.retry_at = self._clock() + auth.backoff
                auth.backoff = min(auth.backoff * 2, max(AUTH_BACKOFF_MAX, self._login_backoff))
                self.last_error = str(exc)
                self._login_worked_at = None
                log.error(
                    "om login refused (%s): check OPENMEETINGS_USER and OPENMEETINGS_PASSWORD, and that "
                    "the user is of type USER with the LOGIN right and in a group",
                    exc.key,
                )
                raise
            except OMError as exc:
                self.last_error = str(exc)
                self._login_worked_at = None
                raise
        now = self._clock()
        self._login_worked_at = now
        if auth.error is not None:
            log.info("om login works again")
        self._auth = _AuthState(backoff=self._login_backoff)
        self.last_error = None
        self._stats.logins += 1
        return _Session(sid, now)

    def _refill_after_hashes(self) -> None:
        """The refill for a SID taken from a stocked pool: when the hashes in flight are answered, or
        ``refill_hold`` seconds from now at most (OM slow to answer, or a steady stream of hashes)."""
        tasks = self._tasks
        if tasks.held is None and not self._closed:
            tasks.held = asyncio.get_running_loop().call_later(self._refill_hold, self._refill_soon)

    def _refill_soon(self) -> None:
        """Starts a login for each fresh SID the pool is short of and each person waiting, less those on their way.

        Called at once when someone finds the pool empty (they wait for these logins, not beside them); for a SID
        taken from a stocked pool, once the hashes in flight are answered (``_refill_after_hashes``). The target grows
        with a burst, so the pool is larger when the next one comes.
        """
        tasks = self._tasks
        if tasks.held is not None:
            tasks.held.cancel()
            tasks.held = None
        if self._closed:
            return
        short = self.target + len(tasks.takers) - len(self._fresh) - len(tasks.refills)
        if not self._logins_work:
            # Until a login has worked lately, one at a time (see _login); the rest start once it has.
            short = min(short, 1 - len(tasks.refills))
        if short <= 0:
            return
        loop = asyncio.get_running_loop()
        for _ in range(short):
            task = loop.create_task(self._refill_one())
            tasks.refills.add(task)
            task.add_done_callback(tasks.refills.discard)

    @property
    def _logins_work(self) -> bool:
        """A login has worked within the last job interval, and none has failed since."""
        worked = self._login_worked_at
        return worked is not None and self._clock() - worked < self.job_interval

    async def _refill_one(self) -> OMError | None:
        tasks = self._tasks
        try:
            session = await self._login()
        except OMError as exc:
            # Out of the set first: the people counted on this login are those beyond the ones still on their way.
            tasks.refills.discard(asyncio.current_task())
            while len(tasks.takers) > len(tasks.refills):
                taker = tasks.takers.popleft()
                if not taker.done():
                    # They hear why it failed, as if it had been their own login; their next /meet tries again.
                    taker.set_exception(exc)
            if not tasks.warned:
                # Once per run of failures: with OM down, every /meet would otherwise add a line.
                log.warning("om pool: refill failed: %s", exc)
            tasks.warned = True
            return exc
        tasks.refills.discard(asyncio.current_task())
        if tasks.warned:
            log.info("om pool: refill works again")
        tasks.warned = False
        while tasks.takers:
            taker = tasks.takers.popleft()
            if not taker.done():
                taker.set_result(session)
                break
        else:
            if not self._closed:
                self._fresh.append(session)
        # After the first login that works, those who waited on it get logins of their own.
        self._refill_soon()
        return None

    async def refill(self) -> None:
        """Tops the fresh pool up to its target (counting logins already on their way) and waits for those logins.

        The same logins as a take starts, so the two never log in twice for one gap: a lone one first when none has
        worked lately, then the rest. Raises what one of them failed with.
        """
        for _ in range(2):
            self._refill_soon()
            pending = set(self._tasks.refills)
            if not pending:
                return
            done, _ = await asyncio.wait(pending)
            for task in done:
                error = None if task.cancelled() else task.result()
                if error is not None:
                    raise error

    # -- the scheduler's job --------------------------------------------------------

    async def maintain(self) -> None:
        """Renews aged fresh SIDs, keeps unclicked links' SIDs alive, drops expired links."""
        now = self._clock()
        aged = [s for s in self._fresh if now - s.refreshed >= self.max_fresh_age]
        if aged:
            self._fresh = deque(s for s in self._fresh if now - s.refreshed < self.max_fresh_age)
            self._stats.renewals += len(aged)
        await self._keep_links_alive(now)
        # A failure is logged where it happened, once per run of failures.
        with contextlib.suppress(OMError):
            await self.refill()

    async def _keep_links_alive(self, now: float) -> None:
        due = await self._links.due()  # expired links dropped; with several processes, only the keeper's run gets any
        if not due:
            return
        slots = asyncio.Semaphore(8)

        async def ping(link_id: str, link: PendingLink) -> None:
            async with slots:
                try:
                    # Any call with the SID refreshes it in OM, even one then denied (BaseWebService checks the
                    # SID, which updates its last use, before it checks the right).
                    await self.client.get_room(link.sid, link.room_id or 1)
                except OMNotFoundError:
                    pass
                except OMNotAllowedError:
                    # Opened (the SID is the person's now) or dead: either way, nothing to keep.
                    await self._links.pop(link_id)
                    return
                except OMError as exc:
                    log.warning("om pool: keep-alive failed, will retry: %s", exc)
                    return
                await self._links.refreshed(link_id, self.keepalive_after)
                self._stats.keepalives += 1

        await asyncio.gather(*(ping(k, v) for k, v in due))

    # -- state ----------------------------------------------------------------------

    def status(self) -> PoolStatus:
        auth = self._auth
        blocked = max(0.0, auth.retry_at - self._clock()) if auth.error is not None else 0.0
        return PoolStatus(
            fresh=len(self._fresh),
            target=self.target,
            links=self._links.count,
            logins=self._stats.logins,
            renewals=self._stats.renewals,
            keepalives=self._stats.keepalives,
            last_error=self.last_error,
            auth_blocked_for=blocked,
            peak=self._demand.peak,
        )

    async def close(self) -> None:
        self._closed = True
        if self._tasks.held is not None:
            self._tasks.held.cancel()
            self._tasks.held = None
        refills = list(self._tasks.refills)
        for task in refills:
            task.cancel()
        # Each task ends on its own cancellation; what it raised is of no use to anyone now.
        await asyncio.gather(*refills, return_exceptions=True)
