"""The benchmark machinery: processes, the load generator, the figures.

Every process runs on loopback: the OM simulator and the Slack stub (``tests.bench.sims``, one process each), the
bot (``python -m bot``, exactly the Procfile line) and the baseline (``python -m tests.bench.baseline``), both from
the same environment variables. This process is the load generator: it sends signed ``/meet`` commands, each from
a new Slack user id, from ``concurrency`` simulated people at a time. A person sends a ``/meet``, waits for the ack,
then waits for the reply to reach the Slack stub's ``response_url``; then the next person comes.

Load points run interleaved, each app of the scenario in turn (``VARIANTS``: the bot as tuned for the benchmark, with
``PUBLIC_URL`` or not, on its default settings, and the baseline), for ``rounds`` rounds, and each app's samples are
pooled. CPU and memory are read from /proc (psutil) for the app's process only.

With ``PUBLIC_URL`` the bot's Join button points at its own ``/join/<token>``, and a scenario with ``opens`` also opens
it as a browser would (a GET, the redirect not followed): in ``hot`` right after the reply (``open_ms`` is then from
the /meet to the OM redirect in hand), in the waves of ``burst`` all of a wave's links at once once the wave is
answered (``open_ms`` from each GET to its redirect; the first wave of each load point only lets the pool follow the
demand and is not counted), then OM is left to go quiet (the pool's refill) before the next wave.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import gc
import json
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import psutil

from .sender import Sender, signed_request
from .sims import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
# The apps to run, as patterns over VARIANTS' names (fnmatch): every bot and the baseline.
APPS = ("bot*", "baseline")
REPLY_TIMEOUT = 30.0
# The bot's settings for the benchmark, all through its documented environment variables: a pool as large as the
# number of people who may arrive at once, and as many logins in flight (README, "Configuration").
BOT_ENV = {"OPENMEETINGS_POOL_SIZE": "100", "OPENMEETINGS_MAX_LOGINS": "100"}
# Opening a join link as a browser does (Slack's previewers are told apart by their User-Agent).
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) bench"


@dataclass(frozen=True)
class Variant:
    """One app process a scenario may run."""

    family: str  # "bot" or "baseline": what ``--apps`` picks
    # PUBLIC_URL set to the bot's own loopback address: Join buttons point at its /join/<token>.
    public_url: bool = False
    # With ``Options.bot_env`` (BOT_ENV unless --bot-env says otherwise); False: the app's default settings.
    tuned: bool = True


VARIANTS: dict[str, Variant] = {
    "bot": Variant("bot"),
    "bot-url": Variant("bot", public_url=True),
    "bot-dflt": Variant("bot", tuned=False),
    "bot-url-dflt": Variant("bot", public_url=True, tuned=False),
    "baseline": Variant("baseline", tuned=False),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    concurrency: int
    requests: int
    om_latency: float
    quick_requests: int
    about: str
    memory_marks: tuple[int, ...] = ()
    # False: each person sends the next /meet as soon as the last one is answered (sustained load).
    # True: ``concurrency`` people send a /meet at the same moment; the next wave comes once all are answered.
    waves: bool = False
    # More than 0: each round starts the apps afresh (``apps``, on their default settings), sends one /meet (not
    # counted: the room is then known), then this many waves of ``concurrency`` people, OM left to go quiet between
    # them: a first rush on a pool at its default size, then the rushes that follow within the hour. Each wave is its
    # own point (``Point.part``).
    rushes: int = 0
    # The apps (``VARIANTS``) that run it, in this order in each round; the baseline last.
    apps: tuple[str, ...] = ("bot", "baseline")
    # The apps with PUBLIC_URL also open each link (see the module's docstring).
    opens: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "hot",
            1,
            40,
            0.100,
            12,
            "one person at a time, OM answers in 100 ms; with PUBLIC_URL each link opened after its reply",
            apps=("bot", "bot-url", "baseline"),
            opens=True,
        ),
        Scenario(
            "burst",
            100,
            1000,
            0.200,
            300,
            "waves of 100 people at once, OM answers in 200 ms; with PUBLIC_URL each wave's 100 links opened at once",
            waves=True,
            apps=("bot", "bot-url", "baseline"),
            opens=True,
        ),
        Scenario("throughput", 64, 2000, 0.050, 600, "64 people at once, OM answers in 50 ms"),
        Scenario(
            "ten",
            10,
            1000,
            0.050,
            300,
            "10 people at once, OM answers in 50 ms, default settings, with and without PUBLIC_URL",
            apps=("bot-dflt", "bot-url-dflt", "baseline"),
        ),
        Scenario(
            "memory",
            32,
            10000,
            0.020,
            1000,
            "10,000 /meet, 32 at once, OM in 20 ms; with PUBLIC_URL each link opened after its reply",
            memory_marks=(5000, 10000),
            apps=("bot", "bot-url", "baseline"),
            opens=True,
        ),
        Scenario(
            "rush",
            100,
            200,
            0.200,
            200,
            "100 people at once, OM answers in 200 ms, default settings; a second rush of 100 within the hour",
            waves=True,
            rushes=2,
            apps=("bot-dflt", "baseline"),
        ),
    )
}
# Every target of issues 10 and 12 in one run.
DEFAULT_SCENARIOS = tuple(SCENARIOS)


@dataclass
class Options:
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS
    rounds: int = 2
    quick: bool = False
    latency: float | None = None  # overrides every scenario's OM latency
    slack_latency: float = 0.0
    concurrency: int | None = None
    requests: int | None = None
    startups: int = 3
    apps: tuple[str, ...] = APPS
    bot_env: dict[str, str] = field(default_factory=lambda: dict(BOT_ENV))
    log_dir: str | None = None
    json_path: str | None = None


@dataclass
class Point:
    """One load point for one app in one round."""

    app: str
    scenario: str
    round: int
    requests: int
    concurrency: int
    om_latency: float
    # Which of a scenario's rushes this point is (1, 2, …); 0 when the scenario has none.
    part: int = 0
    acked: int = 0
    answered: int = 0
    ack_ms: list[float] = field(default_factory=list)
    reply_ms: list[float] = field(default_factory=list)
    # Links opened (GETs answered with a redirect to OM) of those tried, and how long each took (module docstring).
    opened: int = 0
    open_tries: int = 0
    open_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    om_requests: int = 0
    slack_api_calls: int = 0
    rss_at: dict[int, int] = field(default_factory=dict)


@dataclass
class Figures:
    """One app's figures for one scenario, every round pooled."""

    requests: int
    acked: int
    answered: int
    ack_p50_ms: float
    ack_p99_ms: float
    reply_p50_ms: float
    reply_p99_ms: float
    reply_after_ack_p50_ms: float
    om_requests_per_meet: float
    slack_api_calls_per_meet: float
    meets_per_s: float
    cpu_ms_per_meet: float
    meets_per_cpu_s: float
    rss_growth_mb: float | None = None
    opened: int = 0
    open_tries: int = 0
    open_p50_ms: float = float("nan")
    open_p99_ms: float = float("nan")


@dataclass
class AppFigures:
    startup_s: float
    startup_max_s: float
    peak_rss_mb: float


@dataclass
class Report:
    machine: dict[str, str]
    options: dict[str, Any]
    apps: dict[str, AppFigures]
    scenarios: dict[str, dict[str, Figures]]
    points: list[Point]
    # The burst scenario's waves against a server that only answers 200: ack p50 and p99 (ms).
    floor: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


# ------------------------------------------------------------------ processes


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": sys.version.split()[0]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` field in bytes (VmRSS: now, VmHWM: the peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


class Child:
    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: IO[bytes]) -> None:
        self.name = name
        self.proc = proc
        self.log = log
        self.ps = psutil.Process(proc.pid)

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return _proc_status(self.proc.pid, "VmRSS")

    def peak_rss(self) -> int:
        return _proc_status(self.proc.pid, "VmHWM")

    async def stop(self) -> int | None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.log.close()
        return self.proc.returncode


class Sim(Child):
    port: int
    control: str

    async def stats(self, http: aiohttp.ClientSession) -> dict[str, int]:
        async with http.get(self.control + "/stats") as response:
            data: dict[str, int] = await response.json()
            return data


async def start_sim(kind: str, latency: float, log_dir: Path) -> Sim:
    log = (log_dir / f"{kind}-sim.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.sims",
        kind,
        "--latency",
        str(latency),
        cwd=str(ROOT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    sim = Sim(kind, proc, log)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    if not line:
        await sim.stop()
        raise RuntimeError(f"the {kind} simulator did not start; see {log.name}")
    ready = json.loads(line)
    sim.port = int(ready["port"])
    sim.control = f"http://127.0.0.1:{ready['control']}"
    return sim


def app_env(om: Sim, slack: Sim, port: int, extra: dict[str, str]) -> dict[str, str]:
    prefixes = ("SLACK_", "OPENMEETINGS_", "MEET_", "PUBLIC_URL", "JOIN_LINK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        {
            "PORT": str(port),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/",
            "OPENMEETINGS_URL": f"http://127.0.0.1:{om.port}/openmeetings",
            "OPENMEETINGS_USER": "slackbot",
            "OPENMEETINGS_PASSWORD": "s3cret-pass",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def variant_env(name: str, om: Sim, slack: Sim, bot_env: dict[str, str]) -> dict[str, str]:
    """The environment of one of ``VARIANTS``, on a port of its own."""
    variant = VARIANTS[name]
    port = free_port()
    extra = dict(bot_env) if variant.tuned and variant.family == "bot" else {}
    if variant.public_url:
        extra["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    return app_env(om, slack, port, extra)


class App(Child):
    url: str
    port: int
    startup_s: float


async def start_app(
    name: str, env: dict[str, str], log_dir: Path, http: aiohttp.ClientSession, attempt: int | str = 0
) -> App:
    """Starts the app as the Procfile does and times it until ``/healthz`` answers 200."""
    family = VARIANTS[name].family if name in VARIANTS else name
    module = {"bot": "bot", "baseline": "tests.bench.baseline", "null": "tests.bench.null_app"}[family]
    log = (log_dir / f"{name}-{attempt}.log").open("wb")
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, cwd=str(ROOT), env=env, stdout=log, stderr=log
    )
    app = App(name, proc, log)
    app.port = int(env["PORT"])
    app.url = f"http://127.0.0.1:{app.port}"
    deadline = started + 30
    while True:
        if proc.returncode is not None or time.monotonic() > deadline:
            await app.stop()
            raise RuntimeError(f"{name} did not become healthy; see {log.name}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(app.url + "/healthz") as response:
                if response.status == 200:
                    break
        await asyncio.sleep(0.005)
    app.startup_s = time.monotonic() - started
    return app


# ------------------------------------------------------------------ the load generator


class Replies:
    """Follows the Slack stub's stream of replies and hands each to the person waiting for it."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[tuple[float, bool, str]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, http: aiohttp.ClientSession, slack: Sim) -> None:
        ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._follow(http, slack, ready))
        await asyncio.wait_for(ready, 10)

    async def _follow(self, http: aiohttp.ClientSession, slack: Sim, ready: asyncio.Future[None]) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with http.get(slack.control + "/replies", timeout=timeout) as response:
            await response.content.readline()
            ready.set_result(None)
            async for line in response.content:
                token, at, ok, url = line.decode().split()
                waiter = self.waiting.pop(token, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result((float(at), ok == "1", url))

    def expect(self, token: str) -> asyncio.Future[tuple[float, bool, str]]:
        waiter: asyncio.Future[tuple[float, bool, str]] = asyncio.get_running_loop().create_future()
        self.waiting[token] = waiter
        return waiter

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await self._task


class People:
    """A new Slack user id for every /meet of the run."""

    def __init__(self) -> None:
        self._next = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self._next += 1
        return f"U{self._next:09d}"


def command_body(user_id: str, response_url: str, room: int = 5) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEAM001",
            "team_domain": "acme",
            "channel_id": "C0CHANNEL1",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": f"person{user_id[1:]}",
            "command": "/meet",
            "text": f"room-{room}",
            "api_app_id": "A0APP0001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**9)}",
        }
    )


@dataclass
class Rig:
    om: Sim
    slack: Sim
    http: aiohttp.ClientSession
    replies: Replies
    people: People


async def run_point(
    rig: Rig, app: App, scenario: Scenario, n: int, concurrency: int, latency: float, rnd: int, part: int = 0
) -> Point:
    point = Point(app.name, scenario.name, rnd, n, concurrency, latency, part)
    async with rig.http.post(rig.om.control + "/latency", params={"seconds": str(latency)}) as response:
        response.raise_for_status()
    om0, slack0 = await rig.om.stats(rig.http), await rig.slack.stats(rig.http)
    cpu0 = app.cpu()
    slack_base = f"http://127.0.0.1:{rig.slack.port}/actions/"
    sender = Sender("127.0.0.1", app.port)
    await sender.warm(concurrency)
    opening = scenario.opens and VARIANTS[app.name].public_url
    opener = Sender("127.0.0.1", app.port)
    if opening:
        await opener.warm(concurrency)
    todo = iter(range(n))
    last_reply = 0.0
    marks = sorted(scenario.memory_marks)

    def prepare() -> tuple[str, bytes]:
        token = secrets.token_hex(10)
        body = command_body(next(rig.people), slack_base + token)
        return token, signed_request("/slack/events", f"127.0.0.1:{app.port}", body, SIGNING_SECRET)

    async def person() -> None:
        for _ in todo:
            await one_meet(prepare(), open_now=opening)

    async def one_meet(prepared: tuple[str, bytes], open_now: bool = False) -> str | None:
        """The Join button's URL, once the reply is in (None without one); with ``open_now`` the link is opened."""
        nonlocal last_reply
        token, request = prepared
        waiter = rig.replies.expect(token)
        sent, acked, status = await sender.send(request, REPLY_TIMEOUT)
        if status == 200:
            point.acked += 1
            point.ack_ms.append((acked - sent) * 1000)
        try:
            arrived, ok, url = await asyncio.wait_for(waiter, REPLY_TIMEOUT)
        except TimeoutError:
            rig.replies.waiting.pop(token, None)
            return None
        if not ok:
            return None
        point.answered += 1
        point.reply_ms.append((arrived - sent) * 1000)
        last_reply = max(last_reply, arrived)
        if marks and point.answered == marks[0]:
            point.rss_at[marks.pop(0)] = app.rss()
        if open_now:
            opened = await open_link(url)
            if opened is not None:
                point.open_ms.append((opened - sent) * 1000)
        return url

    async def open_link(url: str) -> float | None:
        """GETs a Join button's URL as a browser would, without following the redirect; when the redirect came."""
        point.open_tries += 1
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != app.url or not parts.path.startswith("/join/"):
            return None
        request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {BROWSER}\r\n\r\n"
        _, answered, status = await opener.send(request.encode(), REPLY_TIMEOUT)
        if status not in (302, 303):
            return None
        point.opened += 1
        return answered

    async def open_wave(urls: list[str | None], counted: bool) -> None:
        """Every link of a wave at once; ``counted``: their times go into ``open_ms``."""
        links = [url for url in urls if url is not None]

        async def one(url: str) -> None:
            started = time.monotonic()
            opened = await open_link(url)
            if opened is not None and counted:
                point.open_ms.append((opened - started) * 1000)

        await asyncio.gather(*(one(url) for url in links))

    # The load generator's own garbage collections would show up as the app's latency: none while measuring.
    gc.disable()
    try:
        started = time.monotonic()
        if scenario.waves:
            for first in range(0, n, concurrency):
                # Built and signed before the wave, so the wave's requests leave within a millisecond or so.
                wave = [prepare() for _ in range(min(concurrency, n - first))]
                urls = await asyncio.gather(*(one_meet(prepared) for prepared in wave))
                if opening:
                    await open_wave(urls, counted=first > 0)
                    # The pool refills after the links (until OM is quiet), as it would between rushes; not while
                    # the next wave is acked and answered.
                    await _settle(rig)
        else:
            await asyncio.gather(*(person() for _ in range(concurrency)))
    finally:
        sender.close()
        opener.close()
        gc.enable()
        gc.collect()
    point.wall_s = (last_reply or time.monotonic()) - started
    # The bot refills its pool after the last reply; that work belongs to these /meets, so wait until OM is quiet.
    om1 = await _settle(rig)
    point.cpu_s = app.cpu() - cpu0
    slack1 = await rig.slack.stats(rig.http)
    point.om_requests = om1["requests"] - om0["requests"]
    point.slack_api_calls = slack1["api_calls"] - slack0["api_calls"]
    return point


async def run_rushes(
    rig: Rig, options: Options, scenario: Scenario, log_dir: Path, rnd: int, say: Callable[[str], None]
) -> list[Point]:
    """One round of a ``rushes`` scenario: its apps started afresh, then the rushes, interleaved (bot's first,
    baseline's first, bot's second, …), each app's pool left to settle between them."""
    concurrency = options.concurrency or scenario.concurrency
    latency = options.latency if options.latency is not None else scenario.om_latency
    apps: dict[str, App] = {}
    points: list[Point] = []
    try:
        for name in scenario_apps(scenario, options):
            env = variant_env(name, rig.om, rig.slack, options.bot_env)
            apps[name] = await start_app(name, env, log_dir, rig.http, f"{scenario.name}{rnd}")
        await _settle(rig)  # the bot's first fill of its pool is start-up work, not the rush's
        # The morning's first /meet, before the all-hands: the room is known (as the room list job, on the minute,
        # would have it on a bot that has run for a while) and the pool is still at its default size. Not counted.
        for app in apps.values():
            await run_point(rig, app, scenario, 1, 1, latency, rnd)
        for part in range(1, scenario.rushes + 1):
            for name, app in apps.items():
                point = await run_point(rig, app, scenario, concurrency, concurrency, latency, rnd, part)
                points.append(point)
                say(
                    f"{scenario.name} round {rnd} {name} rush {part}: {point.answered}/{point.requests} answered, "
                    f"reply p50 {percentile(point.reply_ms, 50):.1f} ms, p99 {percentile(point.reply_ms, 99):.1f} ms"
                )
    finally:
        for app in apps.values():
            await app.stop()
    return points


async def measure_floor(rig: Rig, log_dir: Path, waves: int, size: int) -> dict[str, float]:
    """The burst's waves, prepared and sent the same way, to a server that does nothing but answer 200."""
    null = await start_app("null", {**os.environ, "PORT": str(free_port())}, log_dir, rig.http)
    sender = Sender("127.0.0.1", null.port)
    await sender.warm(size)
    acks: list[float] = []
    gc.disable()  # as in run_point
    try:
        for _ in range(waves):
            wave = [
                signed_request("/slack/events", f"127.0.0.1:{null.port}", command_body(next(rig.people), "x"), "s")
                for _ in range(size)
            ]
            for sent, acked, status in await asyncio.gather(*(sender.send(r, REPLY_TIMEOUT) for r in wave)):
                if status == 200:
                    acks.append((acked - sent) * 1000)
    finally:
        gc.enable()
        sender.close()
        await null.stop()
    return {"ack_p50_ms": percentile(acks, 50), "ack_p99_ms": percentile(acks, 99)}


async def _settle(rig: Rig) -> dict[str, int]:
    stats = await rig.om.stats(rig.http)
    quiet = 0
    deadline = time.monotonic() + 10
    while quiet < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = await rig.om.stats(rig.http)
        quiet = quiet + 1 if now == stats else 0
        stats = now
    return stats


# ------------------------------------------------------------------ figures


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def figures(points: list[Point]) -> Figures:
    ack = [v for p in points for v in p.ack_ms]
    reply = [v for p in points for v in p.reply_ms]
    opens = [v for p in points for v in p.open_ms]
    answered = sum(p.answered for p in points)
    requests = sum(p.requests for p in points)
    cpu = sum(p.cpu_s for p in points)
    wall = sum(p.wall_s for p in points)
    growth = None
    marked = [p for p in points if len(p.rss_at) >= 2]
    if marked:
        growth = statistics.median((p.rss_at[max(p.rss_at)] - p.rss_at[min(p.rss_at)]) / 2**20 for p in marked)
    return Figures(
        requests=requests,
        acked=sum(p.acked for p in points),
        answered=answered,
        ack_p50_ms=percentile(ack, 50),
        ack_p99_ms=percentile(ack, 99),
        reply_p50_ms=percentile(reply, 50),
        reply_p99_ms=percentile(reply, 99),
        reply_after_ack_p50_ms=percentile(reply, 50) - percentile(ack, 50),
        om_requests_per_meet=sum(p.om_requests for p in points) / max(1, requests),
        slack_api_calls_per_meet=sum(p.slack_api_calls for p in points) / max(1, requests),
        meets_per_s=answered / wall if wall > 0 else 0.0,
        cpu_ms_per_meet=1000 * cpu / max(1, answered),
        meets_per_cpu_s=answered / cpu if cpu > 0 else 0.0,
        rss_growth_mb=growth,
        opened=sum(p.opened for p in points),
        open_tries=sum(p.open_tries for p in points),
        open_p50_ms=percentile(opens, 50),
        open_p99_ms=percentile(opens, 99),
    )


# ------------------------------------------------------------------ the run


def scenario_apps(scenario: Scenario, options: Options) -> list[str]:
    """The scenario's apps that ``--apps`` picks (patterns over their names: ``bot*`` is every bot)."""
    return [a for a in scenario.apps if any(fnmatch.fnmatchcase(a, pattern) for pattern in options.apps)]


def _log_dir(options: Options) -> Path:
    log_dir = Path(options.log_dir or tempfile.mkdtemp(prefix="omslack-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir


async def run(options: Options, progress: IO[str] | None = None) -> Report:
    def say(text: str) -> None:
        if progress is not None:
            print(text, file=progress, flush=True)

    log_dir = _log_dir(options)
    say(f"logs in {log_dir}")
    chosen = [SCENARIOS[name] for name in options.scenarios]
    children: list[Child] = []
    points: list[Point] = []
    apps: dict[str, AppFigures] = {}
    floor: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        replies = Replies()
        try:
            om = await start_sim("om", options.latency if options.latency is not None else 0.0, log_dir)
            children.append(om)
            slack = await start_sim("slack", options.slack_latency, log_dir)
            children.append(slack)
            await replies.start(http, slack)
            rig = Rig(om, slack, http, replies, People())
            running: dict[str, App] = {}
            # The bot and the baseline are timed over ``startups`` starts; the other apps are started once.
            timed = [a for a in ("bot", "baseline") if any(fnmatch.fnmatchcase(a, p) for p in options.apps)]
            startups: dict[str, list[float]] = {name: [] for name in timed}
            for attempt in range(max(1, options.startups)):
                for name in timed:
                    env = variant_env(name, om, slack, options.bot_env)
                    app = await start_app(name, env, log_dir, http, attempt)
                    startups[name].append(app.startup_s)
                    if attempt < options.startups - 1:
                        await app.stop()
                    else:
                        running[name] = app
                        children.append(app)
            for name in dict.fromkeys(a for s in chosen if not s.rushes for a in scenario_apps(s, options)):
                if name not in running:
                    running[name] = await start_app(name, variant_env(name, om, slack, options.bot_env), log_dir, http)
                    children.append(running[name])
                    startups[name] = [running[name].startup_s]
            say("start-up to a healthy /healthz: " + ", ".join(f"{n} {max(v):.2f} s" for n, v in startups.items()))
            for scenario in chosen:
                if scenario.rushes:
                    for rnd in range(1, options.rounds + 1):
                        points += await run_rushes(rig, options, scenario, log_dir, rnd, say)
                    continue
                n = options.requests or (scenario.quick_requests if options.quick else scenario.requests)
                concurrency = options.concurrency or scenario.concurrency
                latency = options.latency if options.latency is not None else scenario.om_latency
                rounds = 1 if scenario.memory_marks else options.rounds
                for rnd in range(1, rounds + 1):
                    for name in scenario_apps(scenario, options):
                        point = await run_point(rig, running[name], scenario, n, concurrency, latency, rnd)
                        points.append(point)
                        opened = (
                            f", links opened {point.opened}/{point.open_tries}, p50 "
                            f"{percentile(point.open_ms, 50):.1f} ms"
                            if point.open_tries
                            else ""
                        )
                        say(
                            f"{scenario.name} round {rnd} {name}: {point.answered}/{n} answered, "
                            f"ack p99 {percentile(point.ack_ms, 99):.1f} ms, "
                            f"reply p50 {percentile(point.reply_ms, 50):.1f} ms{opened}, {point.wall_s:.1f} s"
                        )
            burst = SCENARIOS["burst"]
            if burst in chosen:
                size = options.concurrency or burst.concurrency
                n = options.requests or (burst.quick_requests if options.quick else burst.requests)
                floor = await measure_floor(rig, log_dir, max(1, n // size), size)
                say(f"load generator floor: ack p99 {floor['ack_p99_ms']:.1f} ms")
            for name, app in running.items():
                apps[name] = AppFigures(
                    startup_s=statistics.median(startups[name]),
                    startup_max_s=max(startups[name]),
                    peak_rss_mb=app.peak_rss() / 2**20,
                )
        finally:
            await replies.stop()
            for child in reversed(children):
                await child.stop()
    scenarios = {
        s.name: {
            name: figures([p for p in points if p.scenario == s.name and p.app == name])
            for name in scenario_apps(s, options)
        }
        for s in chosen
    }
    opts = asdict(options)
    opts["log_dir"] = str(log_dir)
    return Report(machine(), opts, apps, scenarios, points, floor)
