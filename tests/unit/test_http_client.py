"""LeanClient builds the requests httpx builds, and sends them without cookies, auth or redirects."""

from __future__ import annotations

import string
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.http_client import LeanClient

HEADERS = {"User-Agent": "openmeetings-slack/0.1"}
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
fields = st.dictionaries(st.text(string.ascii_letters + "_", min_size=1, max_size=8), text, max_size=4)
header_values = st.text(string.ascii_letters + string.digits + " -_.;=/", min_size=1, max_size=20)
urls = st.sampled_from(
    [
        "http://127.0.0.1:5080/openmeetings/services/user/hash",
        "https://om.example.org/openmeetings/services/room/5",
        "https://hooks.slack.com/actions/T0/123/AbC-d_e",
        "http://127.0.0.1:5080/api/users.info",
        "http://127.0.0.1:5080/a path/with spaces?already=1",
    ]
)


# Built once: an httpx client makes an SSL context, which is most of the cost of an example.
LEAN = LeanClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)), routes={}, headers=HEADERS)
REFERENCE = httpx.AsyncClient(headers=HEADERS)


def shape(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        sorted((k.lower(), v) for k, v in request.headers.multi_items()),
        request.read(),
        request.extensions.get("timeout"),
    )


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST"]),
    url=urls,
    params=st.none() | fields,
    body=st.none() | fields.map(lambda d: ("data", d)) | fields.map(lambda d: ("json", {"blocks": [d], "n": 1})),
    headers=st.none() | st.dictionaries(st.sampled_from(["Authorization", "X-Slack", "Content-Type"]), header_values),
    timeout=st.sampled_from([None, 3.0, 10, httpx.Timeout(5.0, connect=1.0)]),
)
def test_requests_are_the_ones_httpx_builds(
    method: str,
    url: str,
    params: dict[str, str] | None,
    body: tuple[str, Any] | None,
    headers: dict[str, str] | None,
    timeout: Any,
) -> None:
    kwargs: dict[str, Any] = {"params": params, "headers": headers, "timeout": timeout}
    if body is not None:
        kwargs[body[0]] = body[1]
    assert shape(LEAN.build_request(method, url, **kwargs)) == shape(REFERENCE.build_request(method, url, **kwargs))


@settings(max_examples=100, deadline=None)
@given(url=urls, params=st.none() | fields, data=st.none() | fields)
def test_a_parsed_url_gives_the_same_requests_as_its_string(
    url: str, params: dict[str, str] | None, data: dict[str, str] | None
) -> None:
    parsed = httpx.URL(url)
    assert shape(LEAN.build_request("POST", parsed, params=params, data=data)) == shape(
        REFERENCE.build_request("POST", url, params=params, data=data)
    )


async def test_cookies_are_neither_kept_nor_sent() -> None:
    seen: list[httpx.Request] = []

    def tomcat(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Set-Cookie": "JSESSIONID=abc; Path=/openmeetings"}, json={"ok": True})

    client = LeanClient(transport=httpx.MockTransport(tomcat), routes={})
    for _ in range(2):
        response = await client.post("http://om.test/openmeetings/services/user/login", data={"user": "u"})
        assert response.json() == {"ok": True} and response.request is seen[-1]
    assert "cookie" not in seen[1].headers
    assert not client.cookies


async def test_each_origin_goes_to_its_own_transport() -> None:
    def answer(name: str) -> httpx.MockTransport:
        return httpx.MockTransport(lambda r: httpx.Response(200, text=name))

    client = LeanClient(transport=answer("default"), routes={"https://om.test:8443": answer("om")})
    assert (await client.get("https://om.test:8443/openmeetings/services/info/version")).text == "om"
    assert (await client.get("https://om.test/openmeetings")).text == "default"  # another port, another origin
    assert (await client.get("https://slack.test/api/users.info", params={"user": "U1"})).text == "default"


@pytest.mark.parametrize(
    "kwargs",
    [{"cookies": {"a": "b"}}, {"params": {"n": 1}}, {"data": {"flag": True}}, {"content": b"raw"}],
)
def test_anything_else_is_left_to_httpx(kwargs: dict[str, Any]) -> None:
    url = "http://om.test/x"
    assert shape(LEAN.build_request("POST", url, **kwargs)) == shape(REFERENCE.build_request("POST", url, **kwargs))
