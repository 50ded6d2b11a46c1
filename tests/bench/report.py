"""The printed report: a table per load point, both apps side by side, the ratios, and the targets."""

from __future__ import annotations

import math
from collections.abc import Callable

from .harness import SCENARIOS, VARIANTS, Report, percentile

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
# With PUBLIC_URL, the links opened (harness docstring); what the time is from depends on the scenario.
OPEN_LABELS = {
    False: "from the /meet to the OM redirect in hand (the reply, then a GET)",
    True: "a wave's links opened at once, after the first wave: GET to the redirect",
}


def _ratio(bot: float | None, base: float | None) -> str:
    if bot is None or base is None or not base or math.isnan(bot) or math.isnan(base):
        return "-"
    return f"{bot / base:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def format_report(report: Report) -> str:
    m = report.machine
    out = [f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}", ""]
    out.append(
        "Apps: "
        + "; ".join(
            f"{name}: {'the bot' if v.family == 'bot' else 'the plain Bolt baseline'}"
            f"{', PUBLIC_URL set' if v.public_url else ''}"
            f"{', the benchmark settings' if v.tuned and v.family == 'bot' else ', default settings'}"
            for name, v in VARIANTS.items()
        )
    )
    out.append("")
    for name, figs in report.scenarios.items():
        scenario = SCENARIOS[name]
        apps = list(figs)
        # Each bot beside the baseline, when the baseline ran.
        versus = [a for a in apps if a != "baseline"] if "baseline" in apps else []
        sample = next(p for p in report.points if p.scenario == name)
        out.append(
            f"### {name}: {scenario.about} (ran: {sample.requests} /meet x {sample.concurrency} at once, "
            f"OM {sample.om_latency * 1000:.0f} ms, {len({p.round for p in report.points if p.scenario == name})} "
            "round(s) each)"
        )
        rows = []
        open_label = OPEN_LABELS[scenario.waves]
        table = (
            *ROWS,
            ("links opened / tried", "", ""),
            (f"{open_label} p50 (ms)", "open_p50_ms", "{:.1f}"),
            (f"{open_label} p99 (ms)", "open_p99_ms", "{:.1f}"),
        )
        for label, attr, fmt in table:
            if label.startswith("answered"):
                rows.append([label, *(f"{figs[a].answered}/{figs[a].requests}" for a in apps), *("" for _ in versus)])
                continue
            if label.startswith("links opened"):
                if any(figs[a].open_tries for a in apps):
                    rows.append([label, *(f"{figs[a].opened}/{figs[a].open_tries}" for a in apps)])
                    rows[-1] += ["" for _ in versus]
                continue
            values: dict[str, float | None] = {a: getattr(figs[a], attr) for a in apps}
            if attr in ("rss_growth_mb", "open_p50_ms", "open_p99_ms") and all(map(_missing, values.values())):
                continue
            cells = ["-" if _missing(v) else fmt.format(v) for v in values.values()]
            rows.append([label, *cells, *(_ratio(values[a], values["baseline"]) for a in versus)])
        out += _table(["", *apps, *(f"{a} / baseline" for a in versus)], rows)
        if scenario.rushes:
            rows = []
            for part in range(1, scenario.rushes + 1):
                p50s = {a: rush_p50(report, name, a, part) for a in apps}
                ratios = [_ratio(p50s[a], p50s["baseline"]) for a in versus]
                rows.append([f"rush {part}: reply at response_url p50 (ms)", *(f"{v:.1f}" for v in p50s.values())])
                rows[-1] += ratios
            out.append("")
            out += _table(["each rush on its own", *apps, *(f"{a} / baseline" for a in versus)], rows)
        if name == "burst" and report.floor:
            out.append(
                f"Load generator floor (the same waves to a server that only answers 200): ack p50 "
                f"{report.floor['ack_p50_ms']:.1f} ms, p99 {report.floor['ack_p99_ms']:.1f} ms."
            )
        out.append("")
    apps = list(report.apps)
    rows = [
        ["start-up to healthy /healthz, median (s)", *(f"{report.apps[a].startup_s:.2f}" for a in apps)],
        ["start-up to healthy /healthz, worst (s)", *(f"{report.apps[a].startup_max_s:.2f}" for a in apps)],
        ["peak RSS over the whole run (MB)", *(f"{report.apps[a].peak_rss_mb:.1f}" for a in apps)],
    ]
    out.append("### the processes (each started once, the bot and the baseline as many times as --startups)")
    out += _table(["", *apps], rows)
    out.append("")
    if "bot" in report.apps and "baseline" in report.apps:
        out.append("### targets (issues 10 and 12)")
        out += [f"- {line}" for line in targets(report)]
    return "\n".join(out)


def rush_p50(report: Report, scenario: str, app: str, part: int) -> float:
    """Reply p50 of one of a ``rushes`` scenario's rushes, every round pooled."""
    points = [p for p in report.points if p.scenario == scenario and p.app == app and p.part == part]
    return percentile([v for p in points for v in p.reply_ms], 50)


def targets(report: Report) -> list[str]:
    """Each target of issues 10 and 12, with this run's figure and whether it was met (printed, never asserted)."""
    lines: list[str] = []
    s = report.scenarios

    def check(
        label: str,
        scenario: str,
        apps: tuple[str, ...],
        get: Callable[..., float],
        ok: Callable[[float], bool],
        unit: str,
    ) -> None:
        figs = s.get(scenario, {})
        if not all(a in figs for a in apps):
            lines.append(f"{label}: not run (scenario {scenario!r} with {', '.join(apps)})")
            return
        value = get(*(figs[a] for a in apps))
        met = "MET" if not math.isnan(value) and ok(value) else "NOT MET"
        lines.append(f"{label}: {value:{unit}} {met}")

    # Issue 10: the rebuild.
    for name in ("throughput", "burst"):
        check(
            f"[10] {name}: CPU per /meet, baseline's / bot's (target >= 1.5)",
            name,
            ("bot", "baseline"),
            lambda b, x: x.cpu_ms_per_meet / b.cpu_ms_per_meet,
            lambda v: v >= 1.5,
            ".2f",
        )
    check(
        "[10] burst (100 at once, OM 200 ms): ack p99, bot / baseline (target <= 0.25)",
        "burst",
        ("bot", "baseline"),
        lambda b, x: b.ack_p99_ms / x.ack_p99_ms,
        lambda v: v <= 0.25,
        ".2f",
    )
    # Issue 12: links minted at the click.
    check(
        "[12] PUBLIC_URL, burst (100 at once, OM 200 ms): reply p50, bot-url / baseline (target <= 0.3)",
        "burst",
        ("bot-url", "baseline"),
        lambda b, x: b.reply_p50_ms / x.reply_p50_ms,
        lambda v: v <= 0.3,
        ".2f",
    )
    check(
        "[12] PUBLIC_URL, hot (one at a time, OM 100 ms): /meet to the OM redirect in hand p50, bot-url / the "
        "baseline's reply p50 (target <= 0.6)",
        "hot",
        ("bot-url", "baseline"),
        lambda b, x: b.open_p50_ms / x.reply_p50_ms,
        lambda v: v <= 0.6,
        ".2f",
    )
    burst = [p for p in report.points if p.scenario == "burst"]
    most = (burst[0].om_latency * 1000 if burst else 200.0) + 100
    check(
        f"[12] PUBLIC_URL, burst: 100 links opened at once after a first wave, p50 ms (target <= one OM round trip "
        f"+ 100 = {most:.0f})",
        "burst",
        ("bot-url",),
        lambda b: b.open_p50_ms,
        lambda v: v <= most,
        ".1f",
    )
    if "rush" in s and {"bot-dflt", "baseline"} <= set(s["rush"]):
        for part, bound in ((1, 1.2), (2, 0.6)):
            value = rush_p50(report, "rush", "bot-dflt", part) / rush_p50(report, "rush", "baseline", part)
            lines.append(
                f"[12] no PUBLIC_URL, default settings, rush {part} of 100 (OM 200 ms): reply p50, bot / baseline "
                f"(target <= {bound}): {value:.2f} {'MET' if value <= bound else 'NOT MET'}"
            )
    else:
        lines.append("[12] rushes: not run (scenario 'rush')")
    for app, mode in (("bot-dflt", "no PUBLIC_URL"), ("bot-url-dflt", "PUBLIC_URL")):
        check(
            f"[12] {mode}, default settings, 10 at once (OM 50 ms): reply p50, {app} / baseline (target <= 0.8)",
            "ten",
            (app, "baseline"),
            lambda b, x: b.reply_p50_ms / x.reply_p50_ms,
            lambda v: v <= 0.8,
            ".2f",
        )
    for app, figures in report.apps.items():
        if VARIANTS[app].family == "bot":
            met = "MET" if figures.peak_rss_mb < 100 else "NOT MET"
            lines.append(f"[12] {app}: peak RSS over the run (target < 100 MB): {figures.peak_rss_mb:.1f} MB {met}")
    for app in ("bot", "bot-url"):
        check(
            f"[12] memory: {app} RSS growth 5,000th -> 10,000th /meet (target < 5 MB)",
            "memory",
            (app,),
            lambda b: b.rss_growth_mb if b.rss_growth_mb is not None else float("nan"),
            lambda v: v < 5,
            ".1f",
        )
    return lines
