"""The process's one ``httpx.AsyncClient``, over aiohttp's HTTP client (through ``httpx-aiohttp``).

Why aiohttp rather than httpx's own httpcore: docs/performance.md, "HTTP transport". What is chosen here:

- OM's origin has a transport of its own, with OM's TLS settings (``OPENMEETINGS_CA_BUNDLE``,
  ``OPENMEETINGS_VERIFY_TLS``), and is always reached directly. Everything else (Slack's Web API, the
  ``response_url`` posts) goes through ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` unless ``NO_PROXY`` names it.
- No cookies, in either layer: a Tomcat ``JSESSIONID`` sent back would tie later calls to one OM session.
- Nothing is sent twice: aiohttp sends a request again on a fresh connection only when a kept-alive one was closed
  under it *and* the method is idempotent (GET, HEAD, PUT, DELETE...); a POST fails instead. One ``/user/hash``
  sent twice would make two hashes on one SID, and OM lets a SID make one.
- An answer's head is bounded: at most ``MAX_HEADERS`` lines of at most ``MAX_FIELD_SIZE`` bytes, then an error.
- Happy eyeballs: when a name's first address does not connect within ``HAPPY_EYEBALLS_DELAY``, the next one
  (IPv4 after a dead IPv6) is tried alongside it.
- aiohttp's errors become httpx's by ``AIOHTTP_ERRORS``, the callers' only contract (``om/client.py`` maps those to
  ``OMError`` classes). Their messages never carry a URL, whose query may hold an OM SID or password.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import aiohttp
import httpx
from httpx._utils import get_environment_proxies
from httpx_aiohttp import AiohttpTransport

from .config import Config

USER_AGENT = "openmeetings-slack/0.1"
MAX_CONNECTIONS = 100
# Below Tomcat's default keep-alive timeout (20 s), so the bot drops an idle connection before OM does and rarely
# writes into a socket the server is closing.
KEEPALIVE_SECONDS = 10.0
HAPPY_EYEBALLS_DELAY = 0.25
# aiohttp's defaults, written out because they are this module's promise: a head of at most about 1 MiB.
MAX_HEADERS = 128
MAX_FIELD_SIZE = 8190

# aiohttp exception -> (httpx exception, message). The first row the exception is an instance of wins, so a
# subclass comes before its base. tests/bot/test_http.py checks every ClientError aiohttp exports has a row.
AIOHTTP_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError], str], ...] = (
    # No connection within the connect timeout (or, with the pool full, the pool timeout).
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout, "timed out connecting"),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout, "timed out waiting for the answer"),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout, "timed out waiting for the answer"),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError, "cannot connect to the proxy"),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError, "the proxy refused the connection"),
    # TLS: the ssl error stays in the cause chain, where om/client.py looks for it.
    (aiohttp.ClientSSLError, httpx.ConnectError, "the TLS handshake failed"),
    (aiohttp.ClientConnectorDNSError, httpx.ConnectError, "the host name does not resolve"),
    (aiohttp.ClientConnectorError, httpx.ConnectError, "cannot connect"),
    (aiohttp.ServerDisconnectedError, httpx.ReadError, "the server closed the connection without an answer"),
    (aiohttp.ServerFingerprintMismatch, httpx.ConnectError, "the server's certificate fingerprint does not match"),
    (aiohttp.ClientOSError, httpx.ReadError, "the connection failed"),
    (aiohttp.ClientConnectionError, httpx.ReadError, "the connection failed"),
    # A head that is not HTTP, or too long (aiohttp raises it from its parser's error, status 400).
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError, "malformed HTTP answer"),
    # A body cut short, or badly chunked.
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError, "malformed HTTP answer body"),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol, "unsupported URL"),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol, "unsupported URL"),
    (aiohttp.RedirectClientError, httpx.UnsupportedProtocol, "unsupported redirect"),
    (aiohttp.UploadAbortedError, httpx.WriteError, "the request body could not be sent"),
    (aiohttp.ClientError, httpx.TransportError, "HTTP client error"),
)


def make_http_client(config: Config) -> httpx.AsyncClient:
    """The process's one client: OM's origin direct with OM's TLS settings, other origins through the environment's
    proxies. Close it (``await client.aclose()``, or ``async with``) once done; nothing connects before the first
    request, so it may be built outside the event loop."""
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else _transport(ssl.create_default_context(), proxy=httpx.Proxy(proxy))
        for pattern, proxy in get_environment_proxies().items()
    }
    # More specific than any proxy pattern, so OM's origin goes direct whatever the environment says.
    mounts[origin(config.openmeetings_url)] = _transport(om_tls(config))
    return _Client(
        transport=_transport(ssl.create_default_context()),
        mounts=mounts,
        headers={"User-Agent": USER_AGENT},
        cookies=_no_cookies(),
        follow_redirects=False,
        trust_env=False,
    )


def om_tls(config: Config) -> ssl.SSLContext:
    """OM's TLS: its own CA bundle if one is set, no verification if ``OPENMEETINGS_VERIFY_TLS`` is off."""
    if not config.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=config.ca_bundle)


def origin(url: str) -> str:
    """``https://om.example.org:5443/openmeetings`` -> ``https://om.example.org:5443``, as httpx's mounts match."""
    parts = httpx.URL(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport, with aiohttp's errors mapped by ``AIOHTTP_ERRORS`` (its own map sends a refused
    connection, a dropped one and a TLS failure all to ``ConnectTimeout``, lets a malformed answer through as
    aiohttp's own exception, and puts the URL in a connect timeout's message)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _mapped():
            response = await super().handle_async_request(request)
        response.stream = _Body(response.stream)
        return response


class _Body(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        assert isinstance(inner, httpx.AsyncByteStream)
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with _mapped():
            await self._inner.aclose()


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as exc:
        # httpx-aiohttp's mapping, raised from aiohttp's exception: mapped again from that.
        if isinstance(exc.__cause__, aiohttp.ClientError):
            raise _httpx_error(exc.__cause__) from exc.__cause__
        raise
    except aiohttp.ClientError as exc:
        raise _httpx_error(exc) from exc


def _httpx_error(exc: aiohttp.ClientError) -> httpx.TransportError:
    for aiohttp_class, httpx_class, message in AIOHTTP_ERRORS:
        if isinstance(exc, aiohttp_class):
            return httpx_class(_detailed(message, exc))
    raise AssertionError("AIOHTTP_ERRORS ends with aiohttp.ClientError")  # pragma: no cover


def _detailed(message: str, exc: aiohttp.ClientError) -> str:
    """The row's message, with what is safe to add: the host and port, the OS's or the parser's words."""
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(exc, aiohttp.ClientSSLError):
        where = f"{exc.host}:{exc.port}"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"{message}: {exc.host}"
        if isinstance(exc.os_error, ConnectionRefusedError):
            return f"connection refused by {where}"
        return f"{message} to {where} ({exc.strerror or type(exc.os_error).__name__})"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"{message} with {exc.host}:{exc.port}"
    if isinstance(exc, aiohttp.ClientResponseError) and exc.message:
        # The parser's words, e.g. "Got more than 8190 bytes when reading"; never str(exc), which ends with the URL.
        return f"{message}: {_short(exc.message)}"
    return message


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _transport(tls: ssl.SSLContext, proxy: httpx.Proxy | None = None) -> httpx.AsyncBaseTransport:
    def session() -> aiohttp.ClientSession:
        # Called on the first request, inside the event loop, as aiohttp wants.
        connector = aiohttp.TCPConnector(
            limit=MAX_CONNECTIONS,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ssl=tls,
            happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            max_headers=MAX_HEADERS,
            max_field_size=MAX_FIELD_SIZE,
            max_line_size=MAX_FIELD_SIZE,
            # The environment's proxies are chosen by httpx (the mounts above), not by aiohttp.
            trust_env=False,
        )

    return _Transport(verify=tls, proxy=proxy, client=session)


def _no_cookies() -> CookieJar:
    """A cookie jar that accepts no cookie from any domain, so none is kept or sent. (Given as a jar: httpx keeps
    a ``CookieJar`` it is given, policy and all, where it copies the cookies of an ``httpx.Cookies``.)"""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


class _NoCookies(httpx.Cookies):
    """An empty jar that does not even read an answer's ``Set-Cookie``: httpx's own reading builds two urllib
    stand-ins for every answer (5-9% of the bot's CPU under load) to offer cookies to a jar that refuses them all."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Client(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose cookies are always ``_NoCookies``: none kept, sent or read."""

    _none = _NoCookies(_no_cookies())

    @property
    def cookies(self) -> httpx.Cookies:
        return self._none

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None
