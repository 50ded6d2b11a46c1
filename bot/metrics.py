"""Prometheus metrics for ``GET /metrics`` (served only with ``METRICS_ENABLED=true``).

Each running bot has its own registry, never the process-wide default, so tests can
build several bots in one process. Counts the pool and the Slack client already keep
are read at scrape time by a collector instead of being mirrored by hooks.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from handlers.problems import OUTCOMES
from om import SessionPool

from .redis_store import ERRORS, OPERATIONS
from .slack.web_api import SlackAPI

PREFIX = "omslack"
# A login may take 30 s (OM 9 makes a wrong password wait 6-16 s); a warm /user/hash takes milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
# A Redis call takes a millisecond or less on the same network, and gives up after 2 s.
REDIS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5)


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
        self.redis_latency = Histogram(
            f"{PREFIX}_redis_command_duration_seconds",
            "Time of each call to Redis (REDIS_URL), failures included, by operation",
            ["operation"],
            buckets=REDIS_BUCKETS,
            registry=self.registry,
        )
        self.redis_errors = Counter(
            f"{PREFIX}_redis_errors",
            "Failed calls to Redis, by operation and error (unreachable, timeout, auth, refused)",
            ["operation", "error"],
            registry=self.registry,
        )

    def watch(self, pool: SessionPool, slack: SlackAPI) -> None:
        self.registry.register(_StateCollector(pool, slack))

    def observe_om_request(self, endpoint: str, seconds: float) -> None:
        self.om_latency.labels(endpoint=endpoint).observe(seconds)

    def observe_redis(self, operation: str, seconds: float, error: str | None) -> None:
        """One call to Redis; ``error`` names why it failed (None: it worked). Both labels are fixed sets."""
        operation = operation if operation in OPERATIONS else "other"
        self.redis_latency.labels(operation=operation).observe(seconds)
        if error is not None:
            self.redis_errors.labels(operation=operation, error=error if error in ERRORS else "other").inc()

    def count(self, trigger: str, outcome: str) -> None:
        """Counts one answered command (trigger=command) or click (trigger=button) by its outcome."""
        # The label's values are a fixed set, whatever a caller passes.
        self.commands.labels(trigger=trigger, outcome=outcome if outcome in OUTCOMES else "unexpected").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
        yield GaugeMetricFamily(
            f"{PREFIX}_pool_target",
            "Fresh sessions the pool keeps ready now: the recent peak, at least OPENMEETINGS_POOL_SIZE",
            value=status.target,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_pool_peak",
            "The most links handed out in one pool interval over the last hour",
            value=status.peak,
        )
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
