"""The benchmark's machinery on a tiny load: both apps as real processes, every /meet acked and answered, and every
figure in the report. No timing is asserted: the figures are for people to read (docs/performance.md)."""

from __future__ import annotations

import math
from dataclasses import fields

from tests.bench.__main__ import parse
from tests.bench.harness import Figures, run
from tests.bench.report import ROWS, format_report


async def test_a_tiny_run_of_both_apps_answers_every_meet_and_reports_every_figure() -> None:
    options = parse(
        ["--scenarios", "hot,burst,rush", "--requests", "5", "--concurrency", "3", "--latency", "0.01", "--quick"]
    )
    report = await run(options)

    assert set(report.apps) == {"bot", "baseline"}
    for name, app in report.apps.items():
        assert app.startup_s > 0 and app.peak_rss_mb > 0, name
    for scenario in ("hot", "burst"):
        for name in ("bot", "baseline"):
            figures = report.scenarios[scenario][name]
            assert (figures.requests, figures.acked, figures.answered) == (5, 5, 5), (scenario, name)
            for field in fields(Figures):
                if field.name == "rss_growth_mb":
                    continue
                value = getattr(figures, field.name)
                assert isinstance(value, int | float) and math.isfinite(value), (scenario, name, field.name)
            assert figures.om_requests_per_meet >= 1.0
            assert figures.slack_api_calls_per_meet >= 1.0
    assert report.floor["ack_p50_ms"] > 0 and report.floor["ack_p99_ms"] >= report.floor["ack_p50_ms"]
    points = [p for p in report.points if p.scenario == "burst"]
    assert [p.app for p in points] == ["bot", "baseline"]
    # The rushes: one wave of ``concurrency`` people each, bot and baseline in turn, on apps started afresh.
    rushes = [(p.app, p.part, p.answered) for p in report.points if p.scenario == "rush"]
    assert rushes == [("bot", 1, 3), ("baseline", 1, 3), ("bot", 2, 3), ("baseline", 2, 3)]

    text = format_report(report)
    for label, attr, _ in ROWS:
        if attr != "rss_growth_mb":
            assert label in text
    for label in ("start-up to healthy /healthz", "peak RSS", "### targets", report.machine["cpu"], "rush 2: reply"):
        assert label in text
