"""``python -m bot``: reads ``.env`` and the environment, then serves on 0.0.0.0:$PORT."""

from __future__ import annotations

import sys

from aiohttp import web
from dotenv import find_dotenv, load_dotenv

from .config import Config, ConfigError
from .logs import setup_logging
from .server import create_web_app


def main() -> int:
    # The .env of the directory the bot is started in, not one found by walking up from this file.
    load_dotenv(find_dotenv(usecwd=True))
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"openmeetings-slack: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.log_level)
    web.run_app(
        create_web_app(config),
        host="0.0.0.0",  # noqa: S104 - a PaaS routes to $PORT on every interface
        port=config.port,
        access_log=None,
        print=None,
        shutdown_timeout=5.0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
