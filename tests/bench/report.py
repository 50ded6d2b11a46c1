"""The printed report: a table per load point, both apps side by side, the ratios, and the targets."""

from __future__ import annotations

import math
from collections.abc import Callable

from .harness import SCENARIOS, Figures, Report, percentile

# (label, field, format); lower is better unless the label says otherwise.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("answered / sent", "", ""),
    ("ack p50 (ms)", "ack_p50_ms", "{:.1f}"),
    ("ack p99 (ms)", "ack_p99_ms", "{:.1f}"),
    ("reply at response_url p50 (ms)", "reply_p50_ms", "{:.1f}"),
    ("reply at response_url p99 (ms)", "reply_p99_ms", "{:.1f}"),
    ("reply after the ack p50 (ms)", "reply_after_ack_p50_ms", "{:.1f}"),
    ("OM requests per /meet", "om_requests_per_meet", "{:.2f}"),
    ("Slack Web API calls per /meet", "slack_api_calls_per_meet", "{:.2f}"),
    ("sustained /meet per s, all answered", "meets_per_s", "{:.0f}"),
    ("app CPU per /meet (ms)", "cpu_ms_per_meet", "{:.2f}"),
    ("/meet per CPU-second of the app", "meets_per_cpu_s", "{:.0f}"),
    ("RSS growth 5,000th → 10,000th /meet (MB)", "rss_growth_mb", "{:.1f}"),
)
HIGHER_IS_BETTER = {"meets_per_s", "meets_per_cpu_s"}


def _ratio(bot: float | None, base: float | None) -> str:
    if bot is None or base is None or not base or math.isnan(bot) or math.isnan(base):
        return "-"
    return f"{bot / base:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def format_report(report: Report) -> str:
    m = report.machine
    apps = list(report.apps)
    out = [f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}", ""]
    for name, figs in report.scenarios.items():
        scenario = SCENARIOS[name]
        sample = next(p for p in report.points if p.scenario == name)
        out.append(
            f"### {name}: {scenario.about} (ran: {sample.requests} /meet x {sample.concurrency} at once, "
            f"OM {sample.om_latency * 1000:.0f} ms, {len({p.round for p in report.points if p.scenario == name})} "
            "round(s) each)"
        )
        rows = []
        for label, attr, fmt in ROWS:
            if label.startswith("answered"):
                rows.append([label, *(f"{figs[a].answered}/{figs[a].requests}" for a in apps), ""])
                continue
            values: list[float | None] = [getattr(figs[a], attr) for a in apps]
            if attr == "rss_growth_mb" and all(v is None for v in values):
                continue
            cells = ["-" if v is None else fmt.format(v) for v in values]
            ratio = _ratio(values[0], values[1]) if len(apps) == 2 else ""
            rows.append([label, *cells, ratio])
        out += _table(["", *apps, "bot / baseline" if len(apps) == 2 else ""], rows)
        if scenario.rushes:
            rows = []
            for part in range(1, scenario.rushes + 1):
                p50s = [rush_p50(report, name, a, part) for a in apps]
                ratio = _ratio(p50s[0], p50s[1]) if len(apps) == 2 else ""
                rows.append([f"rush {part}: reply at response_url p50 (ms)", *(f"{v:.1f}" for v in p50s), ratio])
            out.append("")
            out += _table(["each rush on its own", *apps, "bot / baseline" if len(apps) == 2 else ""], rows)
        if name == "burst" and report.floor:
            out.append(
                f"Load generator floor (the same waves to a server that only answers 200): ack p50 "
                f"{report.floor['ack_p50_ms']:.1f} ms, p99 {report.floor['ack_p99_ms']:.1f} ms."
            )
        out.append("")
    rows = [
        ["start-up to healthy /healthz, median (s)", *(f"{report.apps[a].startup_s:.2f}" for a in apps)],
        ["start-up to healthy /healthz, worst (s)", *(f"{report.apps[a].startup_max_s:.2f}" for a in apps)],
        ["peak RSS over the whole run (MB)", *(f"{report.apps[a].peak_rss_mb:.1f}" for a in apps)],
    ]
    if len(apps) == 2:
        for row, attr in zip(rows, ("startup_s", "startup_max_s", "peak_rss_mb"), strict=True):
            row.append(_ratio(getattr(report.apps[apps[0]], attr), getattr(report.apps[apps[1]], attr)))
    out.append("### the processes")
    out += _table(["", *apps, "bot / baseline" if len(apps) == 2 else ""], rows)
    out.append("")
    if len(apps) == 2 and apps[0] == "bot":
        out.append("### targets")
        out += [f"- {line}" for line in targets(report)]
    return "\n".join(out)


def rush_p50(report: Report, scenario: str, app: str, part: int) -> float:
    """Reply p50 of one of a ``rushes`` scenario's rushes, every round pooled."""
    points = [p for p in report.points if p.scenario == scenario and p.app == app and p.part == part]
    return percentile([v for p in points for v in p.reply_ms], 50)


def targets(report: Report) -> list[str]:
    """Each target of issue 6, with this run's figure and whether it was met (printed, never asserted)."""
    lines: list[str] = []
    s = report.scenarios

    def check(
        label: str, scenario: str, get: Callable[[Figures, Figures], float], ok: Callable[[float], bool], unit: str
    ) -> None:
        if scenario not in s:
            lines.append(f"{label}: not run (scenario {scenario!r})")
            return
        value = get(s[scenario]["bot"], s[scenario]["baseline"])
        lines.append(f"{label}: {value:{unit}} {'MET' if ok(value) else 'NOT MET'}")

    check(
        "hot path, bot reply p50 / baseline's (target <= 0.6)",
        "hot",
        lambda b, x: b.reply_p50_ms / x.reply_p50_ms,
        lambda v: v <= 0.6,
        ".2f",
    )
    check(
        "100 at once, bot ack p99 / baseline's (target <= 0.25)",
        "burst",
        lambda b, x: b.ack_p99_ms / x.ack_p99_ms,
        lambda v: v <= 0.25,
        ".2f",
    )
    check("100 at once, bot ack p99 ms (target < 50)", "burst", lambda b, x: b.ack_p99_ms, lambda v: v < 50, ".1f")
    for name in ("throughput", "burst"):
        check(
            f"{name}: /meet per CPU-second, bot / baseline (target >= 3)",
            name,
            lambda b, x: b.meets_per_cpu_s / x.meets_per_cpu_s,
            lambda v: v >= 3,
            ".2f",
        )
    check(
        "throughput: sustained /meet per s, bot / baseline (target >= 3)",
        "throughput",
        lambda b, x: b.meets_per_s / x.meets_per_s,
        lambda v: v >= 3,
        ".2f",
    )
    if "rush" in s:
        for part, most in ((1, 1.2), (2, 0.6)):
            value = rush_p50(report, "rush", "bot", part) / rush_p50(report, "rush", "baseline", part)
            lines.append(
                f"rush {part} (default settings), bot reply p50 / baseline's (target <= {most}): {value:.2f} "
                f"{'MET' if value <= most else 'NOT MET'}"
            )
    if "burst" in s:
        # A wave starts once the last one's slowest reply is in, so this is a latency figure, not a capacity one.
        ratio = s["burst"]["bot"].meets_per_s / s["burst"]["baseline"].meets_per_s
        lines.append(f"burst: /meet per s, bot / baseline: {ratio:.2f} (paced by each wave's slowest reply; no target)")
    bot = report.apps["bot"]
    met = "MET" if bot.peak_rss_mb < 100 else "NOT MET"
    lines.append(f"bot peak RSS over the run (target < 100 MB): {bot.peak_rss_mb:.1f} MB {met}")
    check(
        "bot RSS growth 5,000th → 10,000th /meet (target < 5 MB)",
        "memory",
        lambda b, x: b.rss_growth_mb if b.rss_growth_mb is not None else float("nan"),
        lambda v: v < 5,
        ".1f",
    )
    lines.append(
        f"bot start-up to healthy, worst of the run (target < 2 s): {bot.startup_max_s:.2f} s "
        f"{'MET' if bot.startup_max_s < 2 else 'NOT MET'}"
    )
    return lines
