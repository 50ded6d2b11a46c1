"""Everything one running bot holds: settings, the pooled HTTP client, OM and Slack clients."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from om import OMClient, SessionPool

from .config import Config
from .meet import MeetService
from .metrics import Metrics
from .slack_api import SlackAPI


@dataclass(slots=True)
class Context:
    config: Config
    http: httpx.AsyncClient
    om: OMClient
    pool: SessionPool
    slack: SlackAPI
    meet: MeetService
    metrics: Metrics

    @classmethod
    def build(cls, config: Config) -> Context:
        http = make_http_client(config)
        metrics = Metrics()
        om = OMClient(config.openmeetings_url, http, observe=metrics.observe_om_request)
        pool = SessionPool(
            om,
            config.openmeetings_user,
            config.openmeetings_password,
            size=config.pool_size,
            session_timeout=config.session_timeout,
            link_ttl=config.join_link_ttl,
            max_concurrent_logins=config.max_concurrent_logins,
        )
        slack = SlackAPI(http, config.slack_api_url, config.slack_bot_token)
        metrics.watch(pool, slack)
        return cls(config, http, om, pool, slack, MeetService(config, pool, slack), metrics)

    async def close(self) -> None:
        await self.pool.close()
        await self.http.aclose()


def make_http_client(config: Config) -> httpx.AsyncClient:
    """One pooled client for the process; OM's origin gets its own TLS settings (CA bundle, verify)."""
    om_verify: ssl.SSLContext | bool = config.verify_tls
    if config.verify_tls and config.ca_bundle:
        om_verify = ssl.create_default_context(cafile=config.ca_bundle)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    om_transport = httpx.AsyncHTTPTransport(verify=om_verify, limits=limits)
    return httpx.AsyncClient(
        limits=limits,
        mounts={_origin(config.openmeetings_url): om_transport},
        follow_redirects=False,
        headers={"User-Agent": "openmeetings-slack/0.1"},
    )


def _origin(url: str) -> str:
    parts = httpx.URL(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"
