"""``python -m tests.bench``: the bot against the baseline, end to end on loopback. ``--help`` for the flags."""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import sys
from pathlib import Path

from .harness import APPS, BOT_ENV, DEFAULT_SCENARIOS, SCENARIOS, VARIANTS, Options, run
from .report import format_report


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmarks the bot against a plain Bolt baseline (ack, reply, CPU, memory, start-up).",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all; memory: 10,000 /meet per app, minutes)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer /meet per load point and one round (< ~60 s)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per load point (bot, baseline, …)")
    parser.add_argument("--latency", type=float, help="OM latency in seconds for every load point (default: each's)")
    parser.add_argument("--slack-latency", type=float, default=0.0, help="Slack stub latency in seconds")
    parser.add_argument("--concurrency", type=int, help="people at once, for every load point (default: each's)")
    parser.add_argument("--requests", type=int, help="/meet per app per round, for every load point")
    parser.add_argument("--startups", type=int, default=3, help="times each app is started to time its start-up")
    parser.add_argument(
        "--apps",
        default=",".join(APPS),
        help=f"the apps to run, patterns over {', '.join(VARIANTS)} (default: {','.join(APPS)})",
    )
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"a setting for the bot (defaults: {' '.join(f'{k}={v}' for k, v in BOT_ENV.items())})",
    )
    parser.add_argument("--json", type=Path, help="also write every figure and sample to this file")
    parser.add_argument("--log-dir", help="where the processes' logs go (default: a new temporary directory)")
    args = parser.parse_args(argv)
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    apps = tuple(a.strip() for a in args.apps.split(",") if a.strip())
    if not apps or any(not fnmatch.filter(VARIANTS, a) for a in apps):
        parser.error(f"--apps takes patterns over {', '.join(VARIANTS)}")
    bot_env = dict(BOT_ENV)
    for item in args.bot_env:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--bot-env takes NAME=VALUE, not {item!r}")
        bot_env[name] = value
    options = Options(
        scenarios=scenarios,
        rounds=1 if args.quick else args.rounds,
        quick=args.quick,
        latency=args.latency,
        slack_latency=args.slack_latency,
        concurrency=args.concurrency,
        requests=args.requests,
        startups=1 if args.quick else args.startups,
        apps=apps,
        bot_env=bot_env,
        log_dir=args.log_dir,
        json_path=str(args.json) if args.json else None,
    )
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    report = asyncio.run(run(options, progress=sys.stderr))
    print(format_report(report))
    if options.json_path:
        Path(options.json_path).write_text(report.to_json())
    failed = sum(
        f.requests - f.answered + f.open_tries - f.opened for figs in report.scenarios.values() for f in figs.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
