"""The state every process of one bot shares, in Redis (``REDIS_URL``), through redis-py's ``redis.asyncio``.

Kept there, under ``REDIS_PREFIX`` and each with a TTL:

- ``spent:<digest of a link token>`` (until the link would expire): a link opened on any process is spent on all;
- ``since``: when this record began (the store's epoch); each link token carries the epoch it was made in, and one
  made in another is refused, so a Redis that restarted empty can't make a spent link work again;
- ``rate:<person>``: the per-person rate limit, one count for every process;
- ``share:<id>``: the response_url behind a Share button (30 min, as Slack honours it);
- ``link:<id>`` and the index ``links``: without PUBLIC_URL, the SID behind each unclicked link, so any process
  keeps it alive and a restart loses none;
- ``lease:keepalive``: which process keeps those SIDs alive, for a few pool intervals at a time.

Values that are credentials or that could post as the bot (SIDs, response_urls) are sealed with AES-GCM under a key
derived (HKDF-SHA256) from ``REDIS_SECRET``; key names hold no secret (a token is kept as a digest).

Redis down, slow or unreachable: every call gives up within ``CALL_TIMEOUT`` seconds and raises ``StoreError``; for a
moment after a failure (``PAUSE``) calls fail at once rather than wait again. Each store then does what is safe: a
link token is not opened (never minted twice), the rate limit and Share buttons fall back to this process's memory,
a pending link is kept alive by the process that made it. All of it goes back to Redis by itself once Redis answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.maint_notifications import MaintNotificationsConfig

from handlers.access import RateLimiter
from handlers.deps import StoreError, StoreReset
from handlers.rooms import RoomRef
from handlers.shares import RESPONSE_URL_LIFETIME, ShareStore
from om.pending import MemoryPendingLinks, PendingLink

from .health import StoreHealth
from .memory_store import RECENT, RECENT_TTL, MemoryRecentRooms, MemoryThrottle

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every call, a (re)connection included, ends within this many seconds.
CALL_TIMEOUT = 2.0
SOCKET_TIMEOUT = 1.0
# After a failure, calls fail at once for this long: a /meet while Redis is away waits for it once, not per step.
PAUSE = 1.0
# The record of spent links is marked as begun for at least this long, renewed by every process all the time.
SINCE_TTL = 30 * 24 * 3600.0
# The most due links handed out in one run; the rest are next.
DUE_BATCH = 1000

# The operations the metrics name: a fixed set.
OPERATIONS = (
    "ping", "spent_claim", "spent_release", "rate_hit", "share_put", "share_get",
    "link_put", "link_pop", "links_due", "link_refreshed", "lease_release",
)  # fmt: skip
ERRORS = ("unreachable", "timeout", "auth", "refused")

# Every script that writes begins with this, and answers {since, its own answer}: KEYS[1] is ``since`` and ARGV[1]
# its TTL in ms. It marks when this record began (the epoch: Redis's clock in ms, when the mark was first missing)
# and keeps the mark alive. A Redis that restarted empty gets a new epoch from the first call after it.
_SINCE = """
local since = redis.call('GET', KEYS[1])
if not since then
  local t = redis.call('TIME')
  since = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('SET', KEYS[1], since, 'PX', ARGV[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
"""
_PROBE = _SINCE + "return {since, 1}"
# KEYS[2]: spent:<digest>; ARGV[2]: the link's TTL in ms, ARGV[3]: the epoch the link was made in.
# 1 claimed, 0 spent already, -1 made in another epoch (it may have been spent in the record that was lost).
_CLAIM = _SINCE + """
if ARGV[3] ~= since then return {since, -1} end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return {since, 1} end
return {since, 0}
"""
# The sliding-window count of access.RateLimiter, on Redis's clock. KEYS[2]: rate:<person>; ARGV[2]: the limit,
# ARGV[3]: the window in s. Returns the seconds to wait, "0" when allowed (a string: Lua numbers reach Redis as
# integers).
_RATE = _SINCE + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local index = math.floor(now / window)
local v = redis.call('HMGET', KEYS[2], 'w', 'c', 'p')
local w, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
if w == nil or index > w + 1 then c, p = 0, 0 elseif index == w + 1 then c, p = 0, c end
local elapsed = now / window - index
local wait = 0
if p * (1 - elapsed) + c >= limit then
  if c >= limit then wait = (index + 1) * window - now else wait = (1 - (limit - c) / p - elapsed) * window end
  if wait < 0.001 then wait = 0.001 end
else
  c = c + 1
end
redis.call('HSET', KEYS[2], 'w', index, 'c', c, 'p', p)
redis.call('PEXPIRE', KEYS[2], math.ceil(window * 2000))
return {since, tostring(wait)}
"""
# KEYS[2]: share:<id>; ARGV[2]: the sealed response_url, ARGV[3]: its TTL in ms.
_SHARE = _SINCE + "redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])\nreturn {since, 1}"
_NOW_MS = "local t = redis.call('TIME')\nlocal now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
# KEYS[2]: link:<id>, KEYS[3]: links; ARGV[2]: the sealed link, ARGV[3]: its lifetime in ms, ARGV[4]: due in ms,
# ARGV[5]: its id. Returns how many links are kept. The index lives as long as its longest-lived link.
_PUT = _SINCE + _NOW_MS + """
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[5])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
return {since, redis.call('ZCARD', KEYS[3])}
"""
# KEYS: link:<id>, links; ARGV: id. Returns 1 if the link was there.
_POP = """
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""
# The keep-alive lease. KEYS: lease, links; ARGV: this process's holder id, lease TTL ms, batch.
# {0, count} while another process holds it; else the lease is (re)taken and {1, count, due ids...}.
_DUE = _NOW_MS + """
local holder = redis.call('GET', KEYS[1])
local count = redis.call('ZCARD', KEYS[2])
if holder and holder ~= ARGV[1] then return {0, count} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
return {1, count, unpack(ids)}
"""
# KEYS: links; ARGV: id, due in ms. Only a link still kept (XX).
_REFRESHED = _NOW_MS + "return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])"
# KEYS: lease; ARGV: holder id. Lets the lease go if this process holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _ms(seconds: float) -> int:
    """A TTL in milliseconds: at least one (Redis refuses 0)."""
    return max(1, int(seconds * 1000))


def connect(url: str, *, ca_bundle: str | None = None, verify_tls: bool = True) -> Redis:
    """A client that never waits long: short socket timeouts, one retry on a dropped connection, no back-off."""
    tls: dict[str, Any] = {}
    if url.startswith("rediss://"):
        if not verify_tls:
            # Heroku's Key-Value Store: TLS with a self-signed certificate and no CA to check it against.
            tls = {"ssl_cert_reqs": "none", "ssl_check_hostname": False}
        elif ca_bundle:
            tls = {"ssl_ca_certs": ca_bundle}
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 1),
        client_name="openmeetings-slack",
        # Redis Cloud's push notices of maintenance: not needed, and one more command on every connection.
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
        **tls,
    )


def describe(exc: BaseException) -> tuple[str, str]:
    """(the metrics' error label, a sentence for /healthz and the log). Never the URL: it may hold a password."""
    if isinstance(exc, AuthenticationError):
        return "auth", "Redis refused the bot's password (check REDIS_URL)"
    if isinstance(exc, RedisTimeoutError | TimeoutError):
        return "timeout", f"Redis did not answer within {CALL_TIMEOUT:g} s"
    if isinstance(exc, ResponseError):
        # Redis's own words (NOPERM, OOM, READONLY...): they name a command or a state, never a value.
        return "refused", f"Redis refused a command: {str(exc)[:120]}"
    if isinstance(exc, RedisConnectionError | OSError):
        if "certificate" in str(exc).lower() or "ssl" in str(exc).lower():
            return "unreachable", "Redis's TLS certificate was not trusted (see REDIS_CA_BUNDLE, REDIS_VERIFY_TLS)"
        return "unreachable", "Redis is not reachable (check REDIS_URL, and that Redis is up)"
    return "refused", f"Redis failed: {type(exc).__name__}"


class Sealer:
    """AES-256-GCM under a key derived from the store's secret; each value is bound to the name of its key."""

    def __init__(self, secret: str) -> None:
        key = HKDF(hashes.SHA256(), 32, salt=None, info=b"openmeetings-slack redis values v1").derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, name: str, value: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value, name.encode())

    def open(self, name: str, blob: bytes) -> bytes | None:
        """The value, or None when it was sealed under another secret or for another key, or damaged."""
        try:
            return self._aead.decrypt(blob[:12], blob[12:], name.encode())
        except (InvalidTag, ValueError):
            return None


class RedisStore:
    """The client, the key names and the one way every call is made (timed, counted, bounded)."""

    def __init__(
        self,
        client: Redis,
        prefix: str,
        *,
        observe: Callable[[str, float, str | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._observe = observe
        self._clock = clock
        self._paused_until = 0.0
        self.problem: str | None = None
        # The epoch of the record, as last seen ("" until Redis has answered once).
        self.since = ""
        self._probe: asyncio.Task[None] | None = None
        self._scripts: dict[str, Any] = {}

    def key(self, kind: str, name: str = "") -> str:
        return f"{self.prefix}{kind}:{name}" if name else f"{self.prefix}{kind}"

    async def script(self, operation: str, lua: str, keys: list[str], args: list[Any]) -> Any:
        """Runs a Lua script (EVALSHA, loaded again by redis-py after a Redis restart)."""
        script = self._scripts.get(lua)
        if script is None:
            script = self._scripts[lua] = self.client.register_script(lua)
        return await self.call(operation, lambda: script(keys=keys, args=args))

    async def marked(self, operation: str, lua: str, keys: list[str], args: list[Any]) -> Any:
        """Runs a script that begins with ``_SINCE`` (the mark's key and TTL go first); learns the epoch, and
        returns the script's own answer."""
        since, answer = await self.script(operation, lua, [self.key("since"), *keys], [_ms(SINCE_TTL), *args])
        self.since = since.decode()
        return answer

    async def call(self, operation: str, make: Callable[[], Awaitable[T]], *, probing: bool = False) -> T:
        if not probing and self._clock() < self._paused_until:
            raise StoreError(self.problem or "Redis is not answering")
        start = self._clock()
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                result = await make()
        except (RedisError, OSError, TimeoutError) as exc:
            label, problem = describe(exc)
            self._note(operation, start, label)
            self._paused_until = self._clock() + PAUSE
            if self.problem != problem:
                log.warning("redis: %s; the bot carries on without it where that is safe", problem)
            self.problem = problem
            raise StoreError(problem) from None
        self._note(operation, start, None)
        if self.problem is not None:
            log.info("redis: answering again")
            self.problem = None
        self._paused_until = 0.0
        return result

    def _note(self, operation: str, start: float, error: str | None) -> None:
        if self._observe is not None:
            self._observe(operation, self._clock() - start, error)

    async def probe(self) -> None:
        """Checks Redis now and keeps the record's start marked (the scheduler's job, and /healthz's)."""
        script = self._scripts.get(_PROBE)
        if script is None:
            script = self._scripts[_PROBE] = self.client.register_script(_PROBE)
        keys, args = [self.key("since")], [_ms(SINCE_TTL)]
        try:
            since, _ = await self.call("ping", lambda: script(keys=keys, args=args), probing=True)
        except StoreError:
            return
        self.since = since.decode()

    async def latest(self, wait: float) -> StoreHealth:
        """Starts a check unless one is under way, waits up to ``wait`` for it, and says what is known."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self.probe(), name="redis-check")
        await asyncio.wait({self._probe}, timeout=wait)
        return StoreHealth("redis", self.problem)

    async def close(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        await self.client.aclose()


class RedisSpentLinks:
    """Which link tokens have been opened, on every process. Raises StoreError when Redis can't tell."""

    def __init__(self, store: RedisStore, ttl: float) -> None:
        self._store = store
        self._ttl = ttl

    @property
    def epoch(self) -> str:
        return self._store.since

    async def claim(self, key: str, epoch: str) -> bool:
        args = [_ms(self._ttl), epoch]
        result = await self._store.marked("spent_claim", _CLAIM, [self._store.key("spent", key)], args)
        if result == -1:
            raise StoreReset("the link was made before this record of spent links began")
        return bool(result == 1)

    async def release(self, key: str) -> None:
        store = self._store
        await store.call("spent_release", lambda: store.client.delete(store.key("spent", key)))


class RedisRateLimiter:
    """One count per person for every process; while Redis is away, this process counts on its own."""

    def __init__(self, store: RedisStore, local: RateLimiter) -> None:
        self._store = store
        self._local = local
        self.limit = local.limit

    async def hit(self, key: str) -> float:
        if self.limit <= 0:
            return 0.0
        try:
            wait = await self._store.marked(
                "rate_hit", _RATE, [self._store.key("rate", key)], [self.limit, self._local.window]
            )
        except StoreError:
            return self._local.take(key)
        return float(wait)


class RedisShares:
    """The response_url behind each Share button, sealed, for 30 minutes; this process remembers its own too."""

    def __init__(self, store: RedisStore, sealer: Sealer, local: ShareStore) -> None:
        self._store = store
        self._sealer = sealer
        self._local = local

    async def add(self, share_id: str, response_url: str) -> None:
        await self._local.add(share_id, response_url)
        name = self._store.key("share", share_id)
        blob = self._sealer.seal(name, response_url.encode())
        try:
            await self._store.marked("share_put", _SHARE, [name], [blob, _ms(RESPONSE_URL_LIFETIME)])
        except StoreError:
            pass  # a click on another process then posts through its own response_url, as after a restart

    async def get(self, share_id: str) -> str | None:
        own = await self._local.get(share_id)
        if own is not None:
            return own
        store, name = self._store, self._store.key("share", share_id)
        try:
            blob = await store.call("share_get", lambda: store.client.get(name))
        except StoreError:
            return None
        value = self._sealer.open(name, blob) if isinstance(blob, bytes) else None
        return value.decode() if value is not None else None


class RedisPendingLinks:
    """Without PUBLIC_URL: the SIDs behind unclicked links, sealed, kept alive by whichever process holds the lease.

    The lease (``lease:keepalive``, ``lease_ttl`` seconds) is taken, or renewed, by the process whose job asks for
    due links while no other holds it; so one process pings, and when it dies (even by SIGKILL) another takes over
    once the lease has run out. Links this process made while Redis was away are kept here, kept alive by this
    process, and moved to Redis on the first run that reaches it.
    """

    def __init__(self, store: RedisStore, sealer: Sealer, *, lease_ttl: float) -> None:
        self._store = store
        self._sealer = sealer
        self.lease_ttl = lease_ttl
        self._local = MemoryPendingLinks(time.monotonic)
        self._holder = secrets.token_hex(8)
        self._seen = 0
        self._unreadable_warned = False

    @property
    def count(self) -> int:
        return self._seen + self._local.count

    def _seal(self, name: str, link: PendingLink) -> bytes:
        return self._sealer.seal(name, json.dumps([link.sid, link.room_id, link.owner]).encode())

    def _open(self, name: str, blob: object) -> PendingLink | None:
        value = self._sealer.open(name, blob) if isinstance(blob, bytes) else None
        if value is None:
            return None
        sid, room_id, owner = json.loads(value)
        return PendingLink(str(sid), int(room_id) if room_id is not None else None, str(owner))

    async def _put_shared(self, link_id: str, link: PendingLink, lifetime: float, due_in: float) -> None:
        store = self._store
        name = store.key("link", link_id)
        args = [self._seal(name, link), _ms(lifetime), int(due_in * 1000), link_id]
        self._seen = int(await store.marked("link_put", _PUT, [name, store.key("links")], args))

    async def put(self, link_id: str, link: PendingLink, *, lifetime: float, due_in: float) -> None:
        try:
            await self._put_shared(link_id, link, lifetime, due_in)
        except StoreError:
            await self._local.put(link_id, link, lifetime=lifetime, due_in=due_in)

    async def pop(self, link_id: str, owner: str | None = None) -> bool:
        if await self._local.pop(link_id, owner):
            return True
        store = self._store
        name = store.key("link", link_id)
        try:
            if owner is not None:
                link = self._open(name, await store.call("link_pop", lambda: store.client.get(name)))
                if link is None or link.owner != owner:
                    return False
            # Left alone when Redis is away: the keeper's next ping finds the SID is the person's, and lets it go.
            return bool(await store.script("link_pop", _POP, [name, store.key("links")], [link_id]))
        except StoreError:
            return False

    async def due(self) -> list[tuple[str, PendingLink]]:
        due = await self._local.due()
        store = self._store
        try:
            await self._share_kept_here()
            answer = await store.script(
                "links_due", _DUE, [store.key("lease", "keepalive"), store.key("links")],
                [self._holder, _ms(self.lease_ttl), DUE_BATCH],
            )  # fmt: skip
            held, self._seen, ids = int(answer[0]), int(answer[1]), [i.decode() for i in answer[2:]]
            if not held or not ids:
                return due
            names = [store.key("link", i) for i in ids]
            blobs = await store.call("links_due", lambda: store.client.mget(names))
        except StoreError:
            return due
        gone: list[str] = []
        unreadable = 0
        for link_id, name, blob in zip(ids, names, blobs, strict=True):
            if blob is None:
                gone.append(link_id)  # its TTL ended
                continue
            link = self._open(name, blob)
            if link is None:
                unreadable += 1
                continue
            due.append((link_id, link))
        if gone:
            try:
                await store.call("link_pop", lambda: store.client.zrem(store.key("links"), *gone))
            except StoreError:
                pass  # found gone again next time
        if unreadable and not self._unreadable_warned:
            # Its TTL ends it; it can't be kept alive by this process.
            log.warning("redis: %d pending links sealed under another secret: is REDIS_SECRET the same on every "
                        "process?", unreadable)  # fmt: skip
        self._unreadable_warned = bool(unreadable)
        return due

    async def _share_kept_here(self) -> None:
        """Moves the links kept in memory while Redis was away into Redis, now that it answers."""
        if not self._local.count:
            return
        kept = self._local.take_all()
        for i, (link_id, link, left, due_in) in enumerate(kept):
            try:
                await self._put_shared(link_id, link, left, due_in)
            except StoreError:
                for rest_id, rest, rest_left, rest_due in kept[i:]:
                    await self._local.put(rest_id, rest, lifetime=rest_left, due_in=rest_due)
                raise
        log.info("redis: %d links made while Redis was away are shared again", len(kept))

    async def refreshed(self, link_id: str, due_in: float) -> None:
        if link_id in self._local:
            await self._local.refreshed(link_id, due_in)
            return
        store = self._store
        try:
            await store.script("link_refreshed", _REFRESHED, [store.key("links")], [link_id, int(due_in * 1000)])
        except StoreError:
            pass  # due again on the next run

    async def close(self) -> None:
        """Lets the lease go, so that another process takes over at its next run rather than after the TTL."""
        store = self._store
        try:
            await store.script("lease_release", _RELEASE, [store.key("lease", "keepalive")], [self._holder])
        except StoreError:
            pass


# Keeps a person's recent rooms newest first, one entry per room, at most ARGV[3] of them.
_RECENT = """
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(item)[1] == tonumber(ARGV[2]) then redis.call('LREM', KEYS[1], 0, item) end
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisRecentRooms:
    """Each person's last rooms (ids and names: nothing secret) for every process; this process's own while Redis
    is away."""

    def __init__(self, store: RedisStore, local: MemoryRecentRooms) -> None:
        self._store = store
        self._local = local

    async def add(self, person: str, room: RoomRef) -> None:
        await self._local.add(person, room)
        item = json.dumps([room.room_id, room.name, room.external_id])
        args = [item, room.room_id, RECENT, _ms(RECENT_TTL)]
        try:
            await self._store.script("recent_add", _RECENT, [self._store.key("recent", person)], args)
        except StoreError:
            pass

    async def get(self, person: str) -> list[RoomRef]:
        store, name = self._store, self._store.key("recent", person)
        try:
            items = await store.call("recent_get", lambda: store.client.lrange(name, 0, RECENT - 1))
        except StoreError:
            return await self._local.get(person)
        rooms: list[RoomRef] = []
        for item in items:
            try:
                room_id, title, external_id = json.loads(item)
                rooms.append(RoomRef(int(room_id), str(title), str(external_id)))
            except (ValueError, TypeError):
                continue
        return rooms


class RedisThrottle:
    """Once per key in the window across every process (SET NX with an expiry); per process while Redis is away."""

    def __init__(self, store: RedisStore, local: MemoryThrottle, seconds: float) -> None:
        self._store = store
        self._local = local
        self._seconds = seconds

    async def first(self, key: str) -> bool:
        if self._seconds <= 0:
            return True
        store, name = self._store, self._store.key("throttle", key)
        try:
            was_set = await store.call(
                "throttle", lambda: store.client.set(name, b"1", nx=True, px=max(1, _ms(self._seconds)))
            )
        except StoreError:
            return await self._local.first(key)
        return bool(was_set)
