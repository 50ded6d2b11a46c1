"""Prometheus metrics for ``GET /metrics`` (served only with ``METRICS_ENABLED=true``).

Each running bot has its own registry, never the process-wide default, so tests can
build several bots in one process. Counts the pool and the Slack client already keep
are read at scrape time by a collector instead of being mirrored by hooks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from om import (
    OMAuthError,
    OMError,
    OMMissingRightError,
    OMNotAllowedError,
    OMNotFoundError,
    OMUnreachableError,
    SessionPool,
)

from .slack_api import SlackAPI

PREFIX = "omslack"
# A login may take 30 s (OM 9 makes a wrong password wait 6-16 s); a warm /user/hash takes milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)

# What a /meet or a click ended in, noted where the answer is chosen and counted by the handler.
_ERROR_OUTCOME: ContextVar[str | None] = ContextVar("error_outcome", default=None)


def error_outcome(exc: OMError) -> str:
    if isinstance(exc, OMNotFoundError):
        return "room_not_found"
    if isinstance(exc, OMUnreachableError):
        return "unreachable"
    if isinstance(exc, OMAuthError):
        return "login_refused"
    if isinstance(exc, OMMissingRightError | OMNotAllowedError):
        return "no_soap"
    return "unexpected"


def note_error(exc: OMError) -> None:
    """Marks the request being handled as failed because of ``exc``; its task's context carries it."""
    _ERROR_OUTCOME.set(error_outcome(exc))


def note_outcome(outcome: str | None) -> None:
    """Marks the request being handled with an outcome its answer does not show (e.g. "refused")."""
    _ERROR_OUTCOME.set(outcome)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            f"{PREFIX}_commands",
            "Slash commands (trigger=command) and Join clicks (trigger=button) by outcome",
            ["trigger", "outcome"],
            registry=self.registry,
        )
        self.om_latency = Histogram(
            f"{PREFIX}_om_request_duration_seconds",
            "Time of each OpenMeetings REST call, failures included, by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch(self, pool: SessionPool, slack: SlackAPI) -> None:
        self.registry.register(_StateCollector(pool, slack))

    def observe_om_request(self, endpoint: str, seconds: float) -> None:
        self.om_latency.labels(endpoint=endpoint).observe(seconds)

    def count(self, trigger: str, message: Mapping[str, Any] | None, *, crashed: bool = False) -> None:
        """Counts one handled command or click, from what the person was answered."""
        if crashed:
            outcome = "unexpected"
        else:
            outcome = _ERROR_OUTCOME.get() or _outcome_of(message)
        self.commands.labels(trigger=trigger, outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _outcome_of(message: Mapping[str, Any] | None) -> str:
    if message is None:
        return "invalid"
    for block in message.get("blocks") or ():
        if isinstance(block, Mapping) and block.get("type") == "actions":
            return "ok"
    return "usage"


class _StateCollector(Collector):
    def __init__(self, pool: SessionPool, slack: SlackAPI) -> None:
        self._pool = pool
        self._slack = slack

    def collect(self) -> Iterator[Metric]:
        status = self._pool.status()
        sessions = GaugeMetricFamily(
            f"{PREFIX}_pool_sessions",
            "OpenMeetings sessions the bot holds: fresh (ready for a link) and links (behind an unclicked button)",
            labels=["state"],
        )
        sessions.add_metric(["fresh"], status.fresh)
        sessions.add_metric(["links"], status.links)
        yield sessions
        yield GaugeMetricFamily(f"{PREFIX}_pool_target", "OPENMEETINGS_POOL_SIZE", value=status.target)
        yield CounterMetricFamily(f"{PREFIX}_om_logins", "Successful logins to OpenMeetings", value=status.logins)
        yield CounterMetricFamily(
            f"{PREFIX}_om_sid_renewals",
            "Pooled sessions replaced before OpenMeetings could expire them",
            value=status.renewals,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_om_keepalives",
            "Refreshes of sessions behind unclicked links",
            value=status.keepalives,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_slack_api_errors",
            "Failed Slack calls (users.info, response_url posts)",
            value=self._slack.errors,
        )
