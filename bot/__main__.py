"""``python -m bot [socket | doctor | healthcheck]``: reads ``.env`` and the environment, then

- (nothing): serves on $HOST:$PORT (default 0.0.0.0:3000); over Socket Mode instead of ``/slack/events`` if
  SLACK_APP_TOKEN is set;
- ``socket``: the same, but refuses to start without SLACK_APP_TOKEN (the Procfile's ``worker:`` line);
- ``doctor``: checks the settings, Slack and OpenMeetings, prints a checklist; exit 0 only if all pass;
- ``healthcheck``: exit 0 if the bot on $HOST:$PORT answers ``/healthz`` with 200 (the container's health check).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from dotenv import find_dotenv, load_dotenv

from .config import Config, ConfigError

COMMANDS = ("socket", "doctor", "healthcheck")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="openmeetings-slack")
    parser.add_argument("command", nargs="?", choices=COMMANDS, help="what to run instead of the bot itself")
    args = parser.parse_args(argv)
    # The .env of the directory the bot is started in, not one found by walking up from this file.
    load_dotenv(find_dotenv(usecwd=True))
    if args.command == "doctor":
        from .doctor import run

        return asyncio.run(run(os.environ, sys.stdout))
    if args.command == "healthcheck":
        return _healthcheck(os.environ.get("HOST", "").strip(), os.environ.get("PORT") or "3000")
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"openmeetings-slack: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "socket" and not config.socket_mode:
        message = "SLACK_APP_TOKEN is not set (Socket Mode needs the app-level token, xapp-...)"
        print(f"openmeetings-slack: configuration error: {message}", file=sys.stderr)
        return 2
    return _serve(config)


def _serve(config: Config) -> int:
    from aiohttp import web

    from .logs import setup_logging
    from .server import create_web_app

    setup_logging(config.log_level, config.log_format)
    web.run_app(
        create_web_app(config),
        host=config.host,
        port=config.port,
        access_log=None,
        # Called once the socket is bound, so the line says where the bot really listens, once.
        print=lambda _: _listening(config),
        shutdown_timeout=5.0,
    )
    return 0


def _listening(config: Config) -> None:
    import logging

    host = f"[{config.host}]" if ":" in config.host else config.host
    served = f"http://{host}:{config.port}"
    if config.socket_mode:
        logging.getLogger("bot").info("listening: Slack over Socket Mode; /healthz and /metrics on %s", served)
    else:
        logging.getLogger("bot").info("listening on %s (Slack posts to /slack/events)", served)


def _healthcheck(host: str, port: str) -> int:
    import urllib.error
    import urllib.request

    # Bound to every interface, the bot answers on loopback; bound to one, only there.
    if host in ("", "0.0.0.0"):  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    address = f"[{host}]" if ":" in host else host
    url = f"http://{address}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"healthcheck: {url} not reachable: {exc}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
