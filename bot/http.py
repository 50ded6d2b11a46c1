"""TEMPORARY: replaced by the HTTP helper's version on merge."""

from __future__ import annotations

import ssl

import httpx

from .config import Config


def make_http_client(config: Config) -> httpx.AsyncClient:
    om_verify: ssl.SSLContext | bool = config.verify_tls
    if config.verify_tls and config.ca_bundle:
        om_verify = ssl.create_default_context(cafile=config.ca_bundle)
    parts = httpx.URL(config.openmeetings_url)
    port = f":{parts.port}" if parts.port else ""
    origin = f"{parts.scheme}://{parts.host}{port}"
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(
        mounts={origin: httpx.AsyncHTTPTransport(verify=om_verify, limits=limits)},
        limits=limits,
        headers={"User-Agent": "openmeetings-slack/0.1"},
    )
