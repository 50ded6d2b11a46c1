"""An httpx transport that sends over one pooled aiohttp session.

The bot talks through one ``httpx.AsyncClient``; this only replaces what is under
it. Profiling the bot under load (README, Performance) showed httpcore's
connection pool walking every pooled connection and queued request on each call
(expiry and socket-readability checks) for over a third of the bot's CPU.
aiohttp's connector, already in the process for Bolt, keeps the same
connections alive at a fraction of that cost.

Errors come out as the httpx exceptions the OM client maps (ConnectError with the
TLS cause kept, ConnectTimeout, ReadTimeout, RemoteProtocolError), so nothing
above this module knows aiohttp is there.
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
import httpx

# Below Tomcat's default keep-alive timeout (20 s), so the bot drops an idle
# connection before OM does and never writes a request into a socket being closed.
KEEPALIVE_SECONDS = 10.0


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | bool = True, max_connections: int = 100) -> None:
        self._verify = verify
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ssl=self._verify,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # httpx decodes the body itself from Content-Encoding; decoding twice would fail.
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        body = await request.aread()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            async with self._open().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                content = await response.read()
                raw_headers = list(response.raw_headers)
                status = response.status
        except (aiohttp.ConnectionTimeoutError, aiohttp.ServerTimeoutError) as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            # Refused, DNS, TLS handshake (the ssl error stays in the cause chain for the caller).
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__) from exc
        return httpx.Response(
            status,
            headers=raw_headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Lets the connector's transports finish closing before the loop moves on.
            await asyncio.sleep(0)
