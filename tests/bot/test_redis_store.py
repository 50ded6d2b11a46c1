"""The Redis-backed stores against a real redis-server: two stores on two clients stand for two bot processes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from bot.memory_store import MemoryRecentRooms, MemoryThrottle
from bot.redis_store import (
    PAUSE,
    RedisPendingLinks,
    RedisRateLimiter,
    RedisRecentRooms,
    RedisShares,
    RedisSpentLinks,
    RedisStore,
    RedisThrottle,
    Sealer,
    connect,
)
from handlers.access import RateLimiter
from handlers.deps import StoreError, StoreReset
from handlers.rooms import RoomRef
from handlers.shares import ShareStore
from om.pending import PendingLink
from tests.processes import free_port
from tests.redis_server import RedisServer

SECRET = "a-redis-secret-of-at-least-32-characters"
PREFIX = "omslack:test:"
SID = "5c8e61a9-1d0c-4c3e-9f3a-7b2f4f1d2e3a"
RESPONSE_URL = "https://hooks.slack.com/actions/T0TEAM001/1234/abcdefSECRETxyz"


@dataclass
class Observed:
    calls: list[tuple[str, float, str | None]] = field(default_factory=list)

    def __call__(self, operation: str, seconds: float, error: str | None) -> None:
        self.calls.append((operation, seconds, error))

    @property
    def errors(self) -> list[tuple[str, str | None]]:
        return [(op, error) for op, _, error in self.calls if error is not None]


@pytest.fixture
async def stores() -> AsyncIterator[Callable[..., RedisStore]]:
    made: list[RedisStore] = []

    def make(url: str, observe: Observed | None = None, clock: Callable[[], float] = time.monotonic) -> RedisStore:
        store = RedisStore(connect(url), PREFIX, observe=observe, clock=clock)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


def pending(store: RedisStore, secret: str = SECRET, lease_ttl: float = 30.0) -> RedisPendingLinks:
    return RedisPendingLinks(store, Sealer(secret), lease_ttl=lease_ttl)


async def test_a_token_is_spent_once_across_processes(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store_a, store_b = stores(shared_redis.url), stores(shared_redis.url)
    await store_a.probe()
    a, b = RedisSpentLinks(store_a, 60), RedisSpentLinks(store_b, 60)
    now = a.epoch
    assert now and b.epoch == ""  # b has not reached Redis yet; the epoch comes with every answer
    assert await a.claim("digest-1", now) is True
    assert await b.claim("digest-1", now) is False
    assert b.epoch == now
    assert await a.claim("digest-1", now) is False
    assert await b.claim("digest-2", now) is True  # another link is not affected
    await a.release("digest-1")  # OM could not make the hash: a reload works
    assert await b.claim("digest-1", now) is True


async def test_a_redis_that_came_back_empty_refuses_the_links_made_before(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store = stores(shared_redis.url)
    spent = RedisSpentLinks(store, 3600)
    await store.probe()
    made = spent.epoch  # the epoch signed into a link
    assert await spent.claim("digest-1", made) is True
    shared_redis.flush()  # as a restart without persistence leaves it
    with pytest.raises(StoreReset):
        await spent.claim("digest-1", made)  # spent before, and Redis forgot: never opened twice
    with pytest.raises(StoreReset):
        await spent.claim("digest-9", made)  # can't tell it from one that was spent
    with pytest.raises(StoreReset):
        await spent.claim("digest-8", "")  # made by a process that had not reached Redis
    assert spent.epoch != made
    assert await spent.claim("digest-2", spent.epoch) is True  # a link made since works
    assert await spent.claim("digest-2", spent.epoch) is False


async def test_the_record_is_marked_as_begun_before_the_first_link_is_opened(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store = stores(shared_redis.url)
    await store.probe()  # at start-up, and every 15 s
    marked = shared_redis.everything()[PREFIX.encode() + b"since"]
    assert marked[1] > 29 * 24 * 3600 * 1000 and marked[0].decode() == store.since
    other = stores(shared_redis.url)
    await other.probe()
    assert other.since == store.since  # one epoch for every process
    assert await RedisSpentLinks(other, 7200).claim("digest-1", store.since) is True


async def test_the_rate_limit_is_one_count_across_processes(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    a = RedisRateLimiter(stores(shared_redis.url), RateLimiter(3))
    b = RedisRateLimiter(stores(shared_redis.url), RateLimiter(3))
    assert [await a.hit("T1:U1"), await b.hit("T1:U1"), await a.hit("T1:U1")] == [0.0, 0.0, 0.0]
    wait = await b.hit("T1:U1")
    assert 0 < wait <= 60
    assert await a.hit("T1:U2") == 0.0  # someone else is not affected
    rates = {k: ttl for k, (_, ttl) in shared_redis.everything().items() if k.startswith(PREFIX.encode() + b"rate:")}
    assert sorted(rates) == [PREFIX.encode() + b"rate:T1:U1", PREFIX.encode() + b"rate:T1:U2"]
    assert all(0 < ttl <= 120_000 for ttl in rates.values())  # two windows, then forgotten


async def test_the_rate_limit_counts_in_memory_while_redis_is_away(stores: Callable[..., RedisStore]) -> None:
    limiter = RedisRateLimiter(stores(f"redis://127.0.0.1:{free_port()}"), RateLimiter(2))
    assert [await limiter.hit("T1:U1") for _ in range(3)][:2] == [0.0, 0.0]
    assert await limiter.hit("T1:U1") > 0


async def test_a_share_url_is_sealed_and_read_on_another_process(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    a = RedisShares(stores(shared_redis.url), Sealer(SECRET), ShareStore())
    b = RedisShares(stores(shared_redis.url), Sealer(SECRET), ShareStore())
    await a.add("share-1", RESPONSE_URL)
    assert await b.get("share-1") == RESPONSE_URL
    assert await b.get("share-2") is None
    other = RedisShares(stores(shared_redis.url), Sealer("another-secret-of-at-least-32-chars!!"), ShareStore())
    assert await other.get("share-1") is None  # another bot's secret reads nothing
    (kept,) = [v for k, v in shared_redis.everything().items() if b"share:" in k]
    assert RESPONSE_URL.encode() not in kept[0] and b"SECRET" not in kept[0]
    assert 29 * 60 * 1000 < kept[1] <= 30 * 60 * 1000


async def test_a_sealed_value_moved_to_another_key_is_not_read(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store = stores(shared_redis.url)
    shares = RedisShares(store, Sealer(SECRET), ShareStore())
    await shares.add("share-1", RESPONSE_URL)
    client = shared_redis.client()
    client.copy(PREFIX + "share:share-1", PREFIX + "share:share-2")
    client.close()
    assert await RedisShares(store, Sealer(SECRET), ShareStore()).get("share-2") is None


async def test_one_process_at_a_time_keeps_the_links_alive(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    a, b = pending(stores(shared_redis.url)), pending(stores(shared_redis.url))
    link = PendingLink(SID, 5, "T1:U1")
    await a.put("link-1", link, lifetime=60, due_in=0)
    assert await b.due() == [("link-1", link)]  # b takes the lease
    assert await a.due() == []  # while b holds it, a has nothing to do
    await b.refreshed("link-1", 60)
    assert await b.due() == []  # refreshed: due again in a minute
    await b.close()  # a clean stop lets the lease go
    await a.refreshed("link-1", 0)
    assert await a.due() == [("link-1", link)]
    assert a.count == 1


async def test_a_dead_keepers_lease_runs_out_and_another_takes_over(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    a, b = pending(stores(shared_redis.url), lease_ttl=0.5), pending(stores(shared_redis.url), lease_ttl=0.5)
    await a.put("link-1", PendingLink(SID, None, "T1:U1"), lifetime=60, due_in=0)
    assert [i for i, _ in await a.due()] == ["link-1"]
    # a dies here, without a word; its lease has a TTL
    lease = PREFIX + "lease:keepalive"
    assert 0 < shared_redis.everything()[lease.encode()][1] <= 500
    assert await b.due() == []
    await shared_redis.wait_expired(lease)  # the lease runs out on Redis's clock
    assert [i for i, _ in await b.due()] == ["link-1"]


async def test_a_link_is_let_go_by_its_owner_only_and_expires(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store = stores(shared_redis.url)
    links = pending(store)
    await links.put("link-1", PendingLink(SID, 5, "T1:U1"), lifetime=60, due_in=0)
    assert await links.pop("link-1", "T1:U2") is False  # someone else's click
    assert await pending(store).pop("link-1", "T1:U1") is True  # the owner's, on another process
    assert await links.due() == []
    assert await links.pop("link-1") is False
    await links.put("link-2", PendingLink(SID, 5, "T1:U1"), lifetime=0.05, due_in=0)
    await shared_redis.wait_expired(PREFIX + "link:link-2")  # its TTL ends
    assert await links.due() == []
    assert not [k for k in shared_redis.everything() if b"links" in k and shared_redis.client().zcard(k)]


async def test_links_sealed_under_another_secret_are_skipped_and_said(
    shared_redis: RedisServer, stores: Callable[..., RedisStore], caplog: pytest.LogCaptureFixture
) -> None:
    await pending(stores(shared_redis.url)).put("link-1", PendingLink(SID, 5, "T1:U1"), lifetime=60, due_in=0)
    other = pending(stores(shared_redis.url), secret="another-secret-of-at-least-32-chars!!")
    assert await other.due() == []
    assert "REDIS_SECRET" in caplog.text


async def test_every_key_has_a_ttl_and_no_secret_is_kept_in_clear(
    shared_redis: RedisServer, stores: Callable[..., RedisStore]
) -> None:
    store = stores(shared_redis.url)
    await store.probe()
    await RedisSpentLinks(store, 3600).claim("0123456789abcdef", store.since)
    await RedisRateLimiter(store, RateLimiter(10)).hit("T1:U1")
    await RedisShares(store, Sealer(SECRET), ShareStore()).add("share-1", RESPONSE_URL)
    links = pending(store)
    await links.put("link-1", PendingLink(SID, 5, "T1:U1"), lifetime=3600, due_in=0)
    await links.due()
    await store.probe()
    kept = shared_redis.everything()
    names = {k.decode().removeprefix(PREFIX).split(":")[0] for k in kept}
    assert names == {"since", "spent", "rate", "share", "link", "links", "lease"}
    assert all(k.startswith(PREFIX.encode()) for k in kept)
    assert all(ttl > 0 for _, ttl in kept.values()), {k: ttl for k, (_, ttl) in kept.items() if ttl <= 0}
    everything = b" ".join(k + b" " + v for k, (v, _) in kept.items())
    for secret in (SID, RESPONSE_URL, SECRET, "SECRETxyz"):
        assert secret.encode() not in everything


async def test_redis_away_fails_fast_and_each_store_does_what_is_safe(stores: Callable[..., RedisStore]) -> None:
    observed = Observed()
    store = stores(f"redis://127.0.0.1:{free_port()}", observed)
    with pytest.raises(StoreError) as caught:
        await RedisSpentLinks(store, 60).claim("digest-1", "1")
    assert "not reachable" in str(caught.value) and "127.0.0.1" not in str(caught.value)
    with pytest.raises(StoreError):  # right after a failure: at once, without another try
        await RedisSpentLinks(store, 60).claim("digest-1", "1")
    assert len(observed.calls) == 1
    shares = RedisShares(store, Sealer(SECRET), ShareStore())
    await shares.add("share-1", RESPONSE_URL)
    assert await shares.get("share-1") == RESPONSE_URL  # this process remembers its own
    links = pending(store)
    await links.put("link-1", PendingLink(SID, 5, "T1:U1"), lifetime=60, due_in=0)
    assert [i for i, _ in await links.due()] == ["link-1"]  # kept alive by the process that made it
    assert observed.errors == [("spent_claim", "unreachable")]


async def test_a_blackholed_redis_is_given_up_on_within_the_call_timeout(stores: Callable[..., RedisStore]) -> None:
    # A server that accepts the connection and never answers.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    observed = Observed()
    store = stores(f"redis://127.0.0.1:{port}", observed)
    try:
        with pytest.raises(StoreError) as caught:
            await RedisSpentLinks(store, 60).claim("digest-1", "1")
    finally:
        server.close()
    assert "did not answer" in str(caught.value)
    ((operation, _, error),) = observed.calls
    assert (operation, error) == ("spent_claim", "timeout")


async def test_links_made_while_redis_was_away_are_shared_once_it_is_back(stores: Callable[..., RedisStore]) -> None:
    server = RedisServer()
    now = [0.0]
    store = stores(server.url, clock=lambda: now[0])
    links = pending(store)
    try:
        await links.put("link-1", PendingLink(SID, 5, "T1:U1"), lifetime=60, due_in=30)
        assert links.count == 1
        server.start()
        now[0] += PAUSE  # the pause after the failure is over
        assert await links.due() == []  # not due yet, but moved to Redis
        client = server.client()
        assert client.zcard(PREFIX + "links") == 1 and 0 < client.pttl(PREFIX + "link:link-1") <= 60_000
        client.close()
        assert await pending(stores(server.url)).pop("link-1", "T1:U1") is True  # another process sees it
    finally:
        server.close()


async def test_the_store_says_when_redis_is_away_and_when_it_is_back(
    own_redis: RedisServer, stores: Callable[..., RedisStore], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = stores(own_redis.url)
    assert (await store.latest(5.0)).problem is None
    own_redis.stop()
    health = await store.latest(5.0)
    assert health.kind == "redis" and health.problem and "not reachable" in health.problem
    own_redis.start()
    assert (await store.latest(5.0)).problem is None  # a check does not wait out the pause
    assert "redis: answering again" in caplog.text


async def test_recent_rooms_and_the_home_throttle_are_shared(
    stores: Callable[..., RedisStore], shared_redis: RedisServer
) -> None:
    one, two = stores(shared_redis.url), stores(shared_redis.url)
    recent_one = RedisRecentRooms(one, MemoryRecentRooms())
    recent_two = RedisRecentRooms(two, MemoryRecentRooms())
    for room in (RoomRef(4, "Room 4"), RoomRef(9, "#project", "T0TEAM001:C0PROJECT"), RoomRef(4, "Room 4")):
        await recent_one.add("T0TEAM001:U0ALICE01", room)
    seen = [(r.room_id, r.name) for r in await recent_two.get("T0TEAM001:U0ALICE01")]
    assert seen == [(4, "Room 4"), (9, "#project")]
    for n in range(10):
        await recent_two.add("T0TEAM001:U0ALICE01", RoomRef(100 + n, f"Room {100 + n}"))
    assert len(await recent_one.get("T0TEAM001:U0ALICE01")) == 5
    ttl = await one.client.pttl(one.key("recent", "T0TEAM001:U0ALICE01"))
    assert 0 < ttl <= 30 * 24 * 3600 * 1000
    first = RedisThrottle(one, MemoryThrottle(60), 60)
    second = RedisThrottle(two, MemoryThrottle(60), 60)
    assert await first.first("U0ALICE01") and not await second.first("U0ALICE01") and await second.first("U0BOB0001")
    assert 0 < await two.client.pttl(two.key("throttle", "U0ALICE01")) <= 60_000
