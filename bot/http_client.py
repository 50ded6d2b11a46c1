"""The process's one ``httpx.AsyncClient``, with the per-call work the bot never needs taken out.

Profiling the bot under load (README, Performance) found most of its CPU per /meet in httpx's client layer, around
four small requests: ``build_request`` parsing each URL twice (once as given, once more to merge ``params``) and
running every body through its generic encoders, then ``send`` running an auth flow, a redirect loop and a cookie jar
(two ``urllib`` request objects per call) that the bot does not use. ``LeanClient`` keeps httpx's API, types and
exceptions, and takes a shorter path for the plain calls the bot makes; anything else goes through httpx unchanged.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from httpx._client import USE_CLIENT_DEFAULT, UseClientDefault
from httpx._types import (
    AuthTypes,
    CookieTypes,
    HeaderTypes,
    QueryParamTypes,
    RequestContent,
    RequestData,
    RequestExtensions,
    RequestFiles,
    TimeoutTypes,
)
from httpx._utils import get_environment_proxies

_FORM = "application/x-www-form-urlencoded"


class LeanClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` for requests with plain string fields, no cookies and no redirects.

    The bot authenticates in headers and query strings, never follows a redirect and must not carry cookies (a
    Tomcat ``JSESSIONID`` sent back would tie every later call to one OM session), so its client keeps no cookie jar
    at all. Requests built here are the ones httpx would build (``tests/unit/test_http_client.py`` compares them).
    """

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport,
        routes: dict[str, httpx.AsyncBaseTransport],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            transport=transport, mounts={**_proxy_mounts(), **routes}, headers=headers, follow_redirects=False
        )
        self._timeouts: dict[float | None, dict[str, float | None]] = {}

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> httpx.Request:
        plain = (
            (isinstance(url, httpx.URL) and not params and not url.query) or (isinstance(url, str) and "?" not in url)
        ) and (
            content is None
            and files is None
            and cookies is None
            and extensions is None
            and not (data is not None and json is not None)
            and _strings(params)
            and _strings(data)
            and (headers is None or _strings(headers))
            and not self.params
        )
        if not plain:
            return super().build_request(
                method,
                url,
                content=content,
                data=data,
                files=files,
                json=json,
                params=params,
                headers=headers,
                cookies=cookies,
                timeout=timeout,
                extensions=extensions,
            )
        # _strings() has checked both are dicts of str. A URL object (a fixed endpoint) is used as it is: no parse.
        target = f"{url}?{urlencode(cast(dict[str, str], params))}" if params else url
        merged = httpx.Headers(self.headers)
        if headers:
            merged.update(headers)
        body: bytes | None = None
        if data:
            body = urlencode(cast(dict[str, str], data)).encode()
            if "content-type" not in merged:
                merged["Content-Type"] = _FORM
        elif json is not None:
            # As httpx encodes JSON: compact, UTF-8, no NaN.
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            if "content-type" not in merged:
                merged["Content-Type"] = "application/json"
        return httpx.Request(
            method, target, content=body, headers=merged, extensions={"timeout": self._timeout_of(timeout)}
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if stream or follow_redirects is True or not (auth is None or auth is USE_CLIENT_DEFAULT) or self.is_closed:
            return await super().send(request, stream=stream, auth=auth, follow_redirects=follow_redirects)
        if "timeout" not in request.extensions:
            request.extensions["timeout"] = self.timeout.as_dict()
        # httpx's own choice of transport for the URL: the routes given, then the proxies from the environment.
        transport = self._transport_for_url(request.url)
        response = await transport.handle_async_request(request)
        response.request = request
        await response.aread()
        return response

    def _timeout_of(self, timeout: TimeoutTypes | UseClientDefault) -> dict[str, float | None]:
        if isinstance(timeout, UseClientDefault):
            return self.timeout.as_dict()
        if not (timeout is None or isinstance(timeout, int | float)):
            return httpx.Timeout(timeout).as_dict()
        # Callers pass a handful of fixed numbers; httpx.Timeout validates its arguments on each build.
        cached = self._timeouts.get(timeout)
        if cached is None:
            cached = self._timeouts[timeout] = httpx.Timeout(timeout).as_dict()
        return dict(cached)


def _proxy_mounts() -> dict[str, httpx.AsyncBaseTransport | None]:
    """HTTP(S)_PROXY / ALL_PROXY / NO_PROXY, read as httpx reads them; a proxied origin goes through httpx's own
    transport. (httpx reads the environment itself only when it picks the transport, which it does not here.)

    An origin given in ``routes`` (OM's) is more specific than any of these, so it goes direct whatever they say.
    """
    return {
        pattern: None if proxy is None else httpx.AsyncHTTPTransport(proxy=proxy)
        for pattern, proxy in get_environment_proxies().items()
    }


def _strings(fields: Any) -> bool:
    """A dict of str to str: the only kind the short path encodes (httpx also takes lists, numbers, bools)."""
    if fields is None:
        return True
    if type(fields) is not dict:
        return False
    return all(type(k) is str and type(v) is str for k, v in fields.items())
