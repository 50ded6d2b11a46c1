"""The benchmark's machinery on a tiny load: both apps as real processes, every /meet acked and answered, and every
figure in the report. No timing is asserted: the figures are for people to read (docs/performance.md)."""

from __future__ import annotations

import math
from dataclasses import fields

from tests.bench.__main__ import parse
from tests.bench.harness import Figures, run
from tests.bench.report import ROWS, format_report


async def test_a_tiny_run_of_every_app_answers_every_meet_opens_every_link_and_reports_every_figure() -> None:
    options = parse(
        ["--scenarios", "hot,burst,ten,rush", "--requests", "5", "--concurrency", "3", "--latency", "0.01", "--quick"]
    )
    report = await run(options)

    assert set(report.apps) == {"bot", "bot-url", "bot-dflt", "bot-url-dflt", "baseline"}
    for name, app in report.apps.items():
        assert app.startup_s > 0 and app.peak_rss_mb > 0, name
    for scenario, apps in (("hot", VARIANTS_OF_HOT), ("burst", VARIANTS_OF_HOT), ("ten", VARIANTS_OF_TEN)):
        assert list(report.scenarios[scenario]) == list(apps)
        for name in apps:
            figures = report.scenarios[scenario][name]
            assert (figures.requests, figures.acked, figures.answered) == (5, 5, 5), (scenario, name)
            for field in fields(Figures):
                if field.name == "rss_growth_mb" or field.name.startswith("open_p"):
                    continue
                value = getattr(figures, field.name)
                assert isinstance(value, int | float) and math.isfinite(value), (scenario, name, field.name)
            assert figures.om_requests_per_meet >= (1.0 if name != "bot-url-dflt" else 0.0)
            assert figures.slack_api_calls_per_meet >= 1.0
    # With PUBLIC_URL every link is opened: in hot after each reply, in burst a wave's at once (the first wave,
    # 3 of the 5, only grows the pool and is not timed).
    hot, burst = report.scenarios["hot"]["bot-url"], report.scenarios["burst"]["bot-url"]
    assert (hot.opened, hot.open_tries, burst.opened, burst.open_tries) == (5, 5, 5, 5)
    assert math.isfinite(hot.open_p50_ms) and math.isfinite(burst.open_p50_ms)
    assert hot.open_p50_ms >= report.scenarios["hot"]["bot-url"].reply_p50_ms
    assert report.scenarios["hot"]["bot"].open_tries == report.scenarios["hot"]["baseline"].open_tries == 0
    assert report.floor["ack_p50_ms"] > 0 and report.floor["ack_p99_ms"] >= report.floor["ack_p50_ms"]
    points = [p for p in report.points if p.scenario == "burst"]
    assert [p.app for p in points] == list(VARIANTS_OF_HOT)
    # The rushes: one wave of ``concurrency`` people each, bot and baseline in turn, on apps started afresh.
    rushes = [(p.app, p.part, p.answered) for p in report.points if p.scenario == "rush"]
    assert rushes == [("bot-dflt", 1, 3), ("baseline", 1, 3), ("bot-dflt", 2, 3), ("baseline", 2, 3)]

    text = format_report(report)
    for label, attr, _ in ROWS:
        if attr != "rss_growth_mb":
            assert label in text
    for label in ("start-up to healthy /healthz", "peak RSS", "### targets", report.machine["cpu"], "rush 2: reply"):
        assert label in text
    assert "links opened / tried" in text and "OM redirect in hand" in text
    # Every target is printed with its verdict (memory and throughput did not run here).
    targets = [line for line in text.splitlines() if line.startswith("- [1")]
    assert len(targets) == 16
    assert sum("not run" in line for line in targets) == 3
    assert all(line.endswith(("MET", ")")) for line in targets)


VARIANTS_OF_HOT = ("bot", "bot-url", "baseline")
VARIANTS_OF_TEN = ("bot-dflt", "bot-url-dflt", "baseline")
