"""``bot.http.make_http_client`` over real loopback sockets, against servers that script their answers byte for byte.

The first tests are the defects of the hand-written transport this client replaced, each seen from outside: two
answers in one read, interim (1xx) answers, an endless head, a dead IPv6 address, a POST sent twice. Then OM's TLS
settings, the proxies, and the errors as ``OMClient`` reports them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import inspect
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import trustme

from bot.config import Config
from bot.http import AIOHTTP_ERRORS, USER_AGENT, make_http_client
from om import OMClient, OMProtocolError, OMTimeoutError, OMTLSError, OMUnreachableError

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


class Wire:
    """A loopback HTTP/1.1 server. ``script(reader, writer, n)`` answers the n-th request (0-based) of a
    connection, whose head and body it has already read into ``requests``; it returns False to stop reading."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/x", scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def methods(self) -> list[bytes]:
        return [request.split(b" ", 1)[0] for request in self.requests]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + (await reader.readexactly(length) if length else b""))
                if not await self.script(reader, writer, n):
                    break
                n += 1
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
    writer.write(OK)
    await writer.drain()
    return True


WireFactory = Callable[[Script], Awaitable[Wire]]


@pytest.fixture
async def wire() -> AsyncIterator[WireFactory]:
    started: list[Wire] = []

    async def make(script: Script) -> Wire:
        server = Wire(script)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


def settings(om_url: str = "http://127.0.0.1:9/openmeetings", **kwargs: Any) -> Config:
    return Config(
        slack_bot_token="xoxb-test", slack_signing_secret="secret", openmeetings_url=om_url,
        openmeetings_user="slackbot", openmeetings_password="s3cret", **kwargs,
    )  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_http_client(settings()) as http:
        yield http


# -- the defects of the hand-written transport -------------------------------------------------------------------


async def test_two_answers_in_one_read_are_not_mixed_up(wire: WireFactory, client: httpx.AsyncClient) -> None:
    async def two_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(OK + UNAVAILABLE)  # one answer asked for, two sent, in one segment
        await writer.drain()
        return True

    server = await wire(two_at_once)
    first = await client.get(server.url())
    assert first.status_code == 200 and first.json() == {"ok": True}
    # The answer nobody asked for is not kept for the next request: its connection is not reused.
    second = await client.get(server.url())
    assert second.status_code == 200
    assert server.connections == 2


@pytest.mark.parametrize(
    "interim",
    [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"],
    ids=["100-continue", "103-early-hints"],
)
@pytest.mark.parametrize("split", [False, True], ids=["one-read", "two-reads"])
async def test_an_interim_answer_is_not_the_answer(
    wire: WireFactory, client: httpx.AsyncClient, interim: bytes, split: bool
) -> None:
    async def interim_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(interim)
        if split:
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write(OK)
        await writer.drain()
        return True

    server = await wire(interim_first)
    response = await client.post(server.url(), data={"user": "u"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert (await client.get(server.url())).status_code == 200  # and the connection is still in step


@pytest.mark.parametrize("shape", ["many-lines", "one-endless-line"])
async def test_an_endless_head_is_cut_off_in_bounded_memory(
    wire: WireFactory, client: httpx.AsyncClient, shape: str
) -> None:
    sent = 0
    chunk = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 80) for i in range(64)) if shape == "many-lines" else b"a" * 8192

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        nonlocal sent
        writer.write(b"HTTP/1.1 200 OK\r\n" + (b"" if shape == "many-lines" else b"X-Long: "))
        # Until the client hangs up, or 64 MiB: a client that reads on gets a timeout, not an error.
        while sent < 64 << 20:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
        return False

    server = await wire(endless)
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(server.url(), timeout=10.0)
    assert time.monotonic() - started < 5
    # What the server got into the socket before the client hung up: the head limit, plus socket buffers.
    assert sent < 8 << 20, f"{sent} bytes of head were read"


@pytest.fixture
def dual_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """``dual.test`` resolves to ::1 first, then 127.0.0.1 (as a dual-stack name would; this machine's /etc/hosts
    gives localhost no IPv6 address, so the resolver is patched, as in tests/test_faults.py)."""
    real = socket.getaddrinfo
    ports: list[int] = []

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "dual.test":
            port = int(port)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::1", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield ports.append


@contextlib.contextmanager
def dead_ipv6(port: int = 0) -> Iterator[int]:
    """A port on ::1 that never completes a connection: a listener with a backlog of 0 that one connection
    already fills, so the kernel drops every later SYN, as a firewall that drops packets does."""
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    listener.bind(("::1", port))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("::1", port))
    probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    probe.settimeout(0.2)
    try:
        with pytest.raises(TimeoutError):  # the premise: it is dead, not refusing
            probe.connect(("::1", port))
        yield port
    finally:
        for sock in (probe, filler, listener):
            sock.close()


async def test_a_dead_ipv6_address_falls_back_to_ipv4_quickly(
    dual_stack: Callable[[int], None], client: httpx.AsyncClient
) -> None:
    with dead_ipv6() as port:
        server = Wire(answer_ok)
        await server.start(host="127.0.0.1", port=port)
        try:
            started = time.monotonic()
            response = await client.get(f"http://dual.test:{port}/x", timeout=httpx.Timeout(10.0, connect=5.0))
            elapsed = time.monotonic() - started
        finally:
            await server.stop()
    assert response.status_code == 200
    assert elapsed < 2.0, f"connected after {elapsed:.2f} s: waited on the dead address"


async def test_a_post_is_not_sent_again_after_a_kept_alive_connection_drops(
    wire: WireFactory, client: httpx.AsyncClient
) -> None:
    async def drops_the_post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        if n == 0:
            return await answer_ok(reader, writer, n)
        return False  # read the POST, then closed the connection without an answer

    server = await wire(drops_the_post)
    assert (await client.get(server.url())).status_code == 200
    with pytest.raises(httpx.TransportError):
        await client.post(server.url("/user/hash"), params={"sid": "S1"}, data={"user": "{}"})
    await asyncio.sleep(0.2)  # time for a second try to arrive, were one sent
    assert server.methods() == [b"GET", b"POST"]


async def test_a_get_is_sent_once_more_after_a_kept_alive_connection_drops(
    wire: WireFactory, client: httpx.AsyncClient
) -> None:
    async def drops_the_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        if n == 1:
            return False
        return await answer_ok(reader, writer, n)

    server = await wire(drops_the_second)
    assert (await client.get(server.url())).status_code == 200
    assert (await client.get(server.url())).status_code == 200  # idempotent: aiohttp tries a new connection once
    assert server.methods() == [b"GET", b"GET", b"GET"] and server.connections == 2


# -- what the bot relies on ----------------------------------------------------------------------------------------


async def test_requests_share_one_kept_alive_connection_and_say_who_sends_them(
    wire: WireFactory, client: httpx.AsyncClient
) -> None:
    server = await wire(answer_ok)
    for _ in range(3):
        response = await client.post(server.url(), data={"user": "a b", "pass": "c&d"})
        assert response.status_code == 200 and response.json() == {"ok": True}
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /x HTTP/1.1\r\n")
    assert b"\r\nuser-agent: " + USER_AGENT.encode().lower() + b"\r\n" in server.requests[0].lower()
    assert server.requests[0].endswith(b"\r\n\r\nuser=a+b&pass=c%26d")


async def test_chunked_and_gzipped_bodies_are_decoded(wire: WireFactory, client: httpx.AsyncClient) -> None:
    packed = gzip.compress(b'{"serviceResult":{"message":"x","type":"SUCCESS"}}')

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (packed[:10], packed[10:]):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        return True

    server = await wire(chunked)
    for _ in range(2):
        assert (await client.get(server.url())).json()["serviceResult"]["type"] == "SUCCESS"
    assert server.connections == 1


async def test_cookies_are_neither_kept_nor_sent(wire: WireFactory, client: httpx.AsyncClient) -> None:
    async def sets_a_cookie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 204 No Content\r\nSet-Cookie: JSESSIONID=abc; Path=/\r\n\r\n")
        await writer.drain()
        return True

    server = await wire(sets_a_cookie)
    for _ in range(2):
        assert (await client.get(server.url())).status_code == 204
    assert b"cookie:" not in server.requests[1].lower()
    assert not client.cookies


# -- OM's TLS settings -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def tls_wire(ca: trustme.CA) -> Wire:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = Wire(answer_ok)
    await server.start(tls=context)
    return server


def ssl_cause(exc: BaseException) -> BaseException | None:
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, ssl.SSLError):
        seen = seen.__cause__
    return seen


async def test_om_is_verified_against_its_ca_bundle_and_only_om(ca: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "om.pem"
    ca.cert_pem.write_to_path(str(bundle))
    om, other = await tls_wire(ca), await tls_wire(ca)
    try:
        async with make_http_client(settings(om.url("/openmeetings", "https"), ca_bundle=str(bundle))) as http:
            assert (await http.get(om.url(scheme="https"))).status_code == 200
            # Another origin with a certificate from the same CA: the system's trust store, which lacks it.
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(other.url(scheme="https"))
            assert isinstance(ssl_cause(caught.value), ssl.SSLCertVerificationError)
    finally:
        await om.stop()
        await other.stop()


async def test_a_stranger_certificate_is_a_tls_error(ca: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "om.pem"
    ca.cert_pem.write_to_path(str(bundle))
    stranger = await tls_wire(trustme.CA())
    try:
        config = settings(stranger.url("/openmeetings", "https"), ca_bundle=str(bundle))
        async with make_http_client(config) as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(stranger.url(scheme="https"))
            assert isinstance(ssl_cause(caught.value), ssl.SSLCertVerificationError)
            with pytest.raises(OMTLSError):
                await OMClient(config.openmeetings_url, http).version()
        # OPENMEETINGS_VERIFY_TLS=false: OM's certificate is not checked (and only OM's).
        async with make_http_client(settings(config.openmeetings_url, verify_tls=False)) as http:
            assert (await http.get(stranger.url(scheme="https"))).status_code == 200
    finally:
        await stranger.stop()


# -- proxies -------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
async def test_slack_goes_through_the_proxy_and_om_goes_direct(
    wire: WireFactory, no_proxy_env: pytest.MonkeyPatch, variable: str
) -> None:
    proxy, om = await wire(answer_ok), await wire(answer_ok)
    no_proxy_env.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    async with make_http_client(settings(om.url("/openmeetings"))) as http:
        assert (await http.post("http://slack.test/api/users.info", data={"user": "U1"})).status_code == 200
        assert (await http.get(om.url())).status_code == 200
    assert proxy.requests[0].startswith(b"POST http://slack.test/api/users.info HTTP/1.1\r\n")
    assert len(proxy.requests) == 1 and len(om.requests) == 1


async def test_https_goes_through_the_proxy_by_connect_and_no_proxy_is_honoured(
    wire: WireFactory, no_proxy_env: pytest.MonkeyPatch
) -> None:
    async def refuses(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        return False

    proxy, direct = await wire(refuses), await wire(answer_ok)
    no_proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    no_proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    no_proxy_env.setenv("NO_PROXY", "localhost")
    async with make_http_client(settings()) as http:
        with pytest.raises(httpx.ProxyError):
            await http.post("https://hooks.slack.test/commands/T1/1/x", json={"text": "hi"})
        assert (await http.get(direct.url(host="localhost"))).status_code == 200
    assert proxy.requests[0].startswith(b"CONNECT hooks.slack.test:443 HTTP/1.1\r\n")
    assert len(proxy.requests) == 1 and len(direct.requests) == 1


# -- errors, as httpx's exceptions and as the OM client's ------------------------------------------------------------


def test_every_aiohttp_client_error_has_its_own_row() -> None:
    exported = [
        value
        for name in aiohttp.__all__
        if inspect.isclass(value := getattr(aiohttp, name)) and issubclass(value, aiohttp.ClientError)
    ]
    assert len(exported) > 20
    for error in exported:
        row = next(row for row in AIOHTTP_ERRORS if issubclass(error, row[0]))
        assert row[0] is not aiohttp.ClientError or error is aiohttp.ClientError, f"{error.__name__} is unmapped"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_each_failure_of_om_has_its_own_error_and_message(
    wire: WireFactory, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        await reader.read()
        return False

    async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        return True

    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        return False

    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "om.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    tls = await tls_wire(trustme.CA())
    silence, garbage, short = await wire(silent), await wire(not_http), await wire(cut_short)
    cases: list[tuple[str, type[Exception]]] = [
        (tls.url("/openmeetings", "https"), OMTLSError),
        (f"http://127.0.0.1:{closed_port()}/openmeetings", OMUnreachableError),
        ("http://om.invalid:5080/openmeetings", OMUnreachableError),
        (silence.url("/openmeetings"), OMTimeoutError),
        (garbage.url("/openmeetings"), OMProtocolError),
        (short.url("/openmeetings"), OMProtocolError),
    ]
    messages: list[str] = []
    try:
        for url, expected in cases:
            async with make_http_client(settings(url)) as http:
                with pytest.raises(expected) as caught:
                    await OMClient(url, http, timeout=0.5).version()
            assert type(caught.value) is expected
            messages.append(str(caught.value))
    finally:
        await tls.stop()
    assert "refused" in messages[1] and "does not resolve" in messages[2] and "om.invalid" in messages[2]
    assert "in time" in messages[3] and "malformed HTTP" in messages[4] and "malformed HTTP" in messages[5]
    assert len(set(messages)) == len(messages), messages


async def test_a_connect_timeout_names_no_url(client: httpx.AsyncClient) -> None:
    with dead_ipv6() as port:
        with pytest.raises(httpx.ConnectTimeout) as caught:
            await client.get(f"http://[::1]:{port}/user/hash?sid=SECRET-SID", timeout=httpx.Timeout(5.0, connect=0.3))
    assert "SECRET-SID" not in str(caught.value) and "/user/hash" not in str(caught.value)


async def test_a_silent_server_is_a_read_timeout(wire: WireFactory, client: httpx.AsyncClient) -> None:
    hung_up = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        await reader.read()  # until the client gives up
        hung_up.set()
        return False

    server = await wire(silent)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(server.url(), timeout=0.2)
    await asyncio.wait_for(hung_up.wait(), 5)  # the timed-out connection is closed, never reused
