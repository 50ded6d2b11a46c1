"""Settings, read once from the environment (and ``.env``) into a frozen dataclass.

A missing, malformed or still-placeholder setting stops start-up with one line that names it and
never echoes a secret's value.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from handlers.commands.meet_text import parse_room_ref

# The values .env.example ships (and once shipped), which no real deployment has: a copy left unedited is
# refused as if the setting were missing. tests/bot/test_settings.py keeps this in step with the file.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "SLACK_BOT_TOKEN": frozenset({"xoxb-your-bot-token"}),
    "SLACK_SIGNING_SECRET": frozenset({"your-signing-secret"}),
    "SLACK_APP_TOKEN": frozenset({"xapp-your-app-level-token"}),
    "OPENMEETINGS_URL": frozenset({"https://your-openmeetings-host/openmeetings"}),
    "OPENMEETINGS_USER": frozenset({"your-om-api-user"}),
    "OPENMEETINGS_PASSWORD": frozenset({"your-om-api-password", "change-me"}),
    # The commented-out examples of .env.example, should one be uncommented as it is.
    "MEET_MODERATORS": frozenset({"u0123abcd,u0456efgh"}),
    "SLACK_ALLOWED_TEAMS": frozenset({"t0123abcd,e0456efgh"}),
}
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class ConfigError(ValueError):
    """One line that names the setting and what is wrong with it."""

    @property
    def setting(self) -> str:
        # Every message starts with the setting's name, so `doctor` can tell which one to set aside.
        return str(self).split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Config:
    slack_bot_token: str
    slack_signing_secret: str
    openmeetings_url: str
    openmeetings_user: str
    openmeetings_password: str
    slack_api_url: str = "https://slack.com/api/"
    session_timeout: float = 1800.0
    join_link_ttl: float = 3600.0
    ca_bundle: str | None = None
    verify_tls: bool = True
    external_type: str = "slack"
    language: int = 1
    default_room: int | None = None
    channel_rooms: bool = True
    moderators: frozenset[str] = frozenset()
    admins_are_moderators: bool = False
    port: int = 3000
    host: str = "0.0.0.0"  # noqa: S104 - a PaaS routes to $PORT on every interface
    pool_size: int = 4
    pool_max: int = 50
    # Why 16 is safe for OM: om.pool.SessionPool's docstring.
    max_concurrent_logins: int = 24
    log_level: str = "INFO"
    om_timeout: float = 10.0
    login_backoff: float = 15.0
    allowed_teams: frozenset[str] = frozenset()
    allow_guests: bool = False
    rate_limit: int = 10
    slack_app_token: str | None = None
    metrics_enabled: bool = False
    log_format: str = "kv"
    public_url: str = ""
    join_link_key: str = ""
    recordings: bool = True
    home_refresh: float = 5.0
    # The shared store of every process of one bot; empty: each process keeps its state in memory.
    redis_url: str = ""
    redis_ca_bundle: str | None = None
    redis_verify_tls: bool = True
    # What is kept in Redis is encrypted with a key derived from this (REDIS_SECRET, else SLACK_SIGNING_SECRET).
    redis_secret: str = ""
    redis_prefix: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        source = _Env(os.environ if env is None else env)
        app_token = source.optional("SLACK_APP_TOKEN", prefix="xapp-")
        return cls(
            slack_bot_token=source.required("SLACK_BOT_TOKEN", prefix="xoxb-"),
            # Over Socket Mode, requests arrive on the bot's own WebSocket, unsigned: the secret is unused.
            slack_signing_secret=(
                source.unused("SLACK_SIGNING_SECRET") if app_token else source.required("SLACK_SIGNING_SECRET")
            ),
            openmeetings_url=source.url("OPENMEETINGS_URL", required=True).rstrip("/"),
            openmeetings_user=source.required("OPENMEETINGS_USER"),
            openmeetings_password=source.required("OPENMEETINGS_PASSWORD"),
            slack_api_url=_with_slash(source.url("SLACK_API_URL", default="https://slack.com/api/")),
            session_timeout=source.seconds("OPENMEETINGS_SESSION_TIMEOUT", 1800.0),
            join_link_ttl=source.seconds("JOIN_LINK_TTL", 3600.0),
            ca_bundle=source.path("OPENMEETINGS_CA_BUNDLE"),
            verify_tls=source.boolean("OPENMEETINGS_VERIFY_TLS", True),
            external_type=source.text("OPENMEETINGS_EXTERNAL_TYPE", "slack"),
            language=source.integer("OPENMEETINGS_LANGUAGE", 1, low=1, high=999),
            default_room=source.room("MEET_DEFAULT_ROOM"),
            channel_rooms=source.boolean("MEET_CHANNEL_ROOMS", True),
            moderators=source.id_list("MEET_MODERATORS"),
            admins_are_moderators=source.boolean("MEET_ADMINS_ARE_MODERATORS", False),
            port=source.integer("PORT", 3000, low=1, high=65535),
            host=source.host("HOST", "0.0.0.0"),  # noqa: S104 - the default: every interface
            pool_size=source.integer("OPENMEETINGS_POOL_SIZE", 4, low=1, high=100),
            pool_max=source.integer("OPENMEETINGS_POOL_MAX", 50, low=1, high=500),
            max_concurrent_logins=source.integer("OPENMEETINGS_MAX_LOGINS", 24, low=1, high=100),
            log_level=source.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            om_timeout=source.seconds("OPENMEETINGS_TIMEOUT", 10.0),
            login_backoff=source.seconds("OPENMEETINGS_LOGIN_BACKOFF", 15.0),
            allowed_teams=source.id_list("SLACK_ALLOWED_TEAMS", what="Slack team or enterprise ids"),
            allow_guests=source.boolean("MEET_ALLOW_GUESTS", False),
            rate_limit=source.integer("MEET_RATE_LIMIT", 10, low=0, high=10_000),
            slack_app_token=app_token,
            metrics_enabled=source.boolean("METRICS_ENABLED", False),
            log_format=source.choice("LOG_FORMAT", "KV", ("KV", "JSON")).lower(),
            public_url=(public_url := source.base_url("PUBLIC_URL")),
            join_link_key=source.secret(
                "JOIN_LINK_SECRET", "SLACK_SIGNING_SECRET", b"openmeetings-slack join links",
                needed_by="PUBLIC_URL" if public_url else "", purpose="sign join links",
            ),
            recordings=source.boolean("MEET_RECORDINGS", True),
            home_refresh=source.seconds("MEET_HOME_REFRESH", 5.0, zero=True),
            redis_url=(redis_url := source.redis_url("REDIS_URL")),
            redis_ca_bundle=source.path("REDIS_CA_BUNDLE"),
            redis_verify_tls=source.boolean("REDIS_VERIFY_TLS", True),
            redis_secret=(redis_secret := source.secret(
                "REDIS_SECRET", "SLACK_SIGNING_SECRET", b"openmeetings-slack redis",
                needed_by="REDIS_URL" if redis_url else "", purpose="encrypt what the bot keeps in Redis",
            )),
            redis_prefix=source.redis_prefix("REDIS_PREFIX", redis_secret),
        )  # fmt: skip

    @property
    def socket_mode(self) -> bool:
        """An app-level token means Slack is reached over Socket Mode, not through /slack/events."""
        return self.slack_app_token is not None


class _Env:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None:
            return None
        return value.strip() or None

    def _get(self, name: str) -> str | None:
        value = self._raw(name)
        if value is not None and _is_placeholder(name, value):
            raise ConfigError(f"{name} still has the placeholder value from .env.example: set it to your own")
        return value

    def unused(self, name: str) -> str:
        """A setting this mode does not need: read as it is, and a placeholder left in it is no error."""
        value = self._raw(name)
        return "" if value is None or _is_placeholder(name, value) else value

    def required(self, name: str, *, prefix: str | None = None) -> str:
        value = self._get(name)
        if value is None:
            raise ConfigError(f"{name} is not set")
        if prefix and not value.startswith(prefix):
            raise ConfigError(f"{name} must start with {prefix!r}")
        return value

    def optional(self, name: str, *, prefix: str) -> str | None:
        value = self._get(name)
        if value is not None and not value.startswith(prefix):
            raise ConfigError(f"{name} must start with {prefix!r}")
        return value

    def text(self, name: str, default: str) -> str:
        return self._get(name) or default

    def url(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self._get(name)
        if value is None:
            if required:
                raise ConfigError(f"{name} is not set")
            return default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
        if parts.query or parts.fragment:
            raise ConfigError(f"{name} must not have a query or fragment")
        return value

    def base_url(self, name: str) -> str:
        """Scheme, host and port only: the bot serves its own paths under it (``/join/…``)."""
        value = self.url(name)
        if value and urlsplit(value).path not in ("", "/"):
            raise ConfigError(f"{name} must be the bot's base URL with no path, such as https://meet-bot.example.org")
        return value.rstrip("/")

    def secret(self, name: str, fallback: str, info: bytes, *, needed_by: str, purpose: str) -> str:
        """A key of the bot's own: ``name``, else derived from ``fallback`` (so that a new signing secret also
        renews it), else "" when the setting ``needed_by`` is off. Join links are signed with one (PUBLIC_URL),
        what is kept in Redis is encrypted with another (REDIS_URL)."""
        value = self._get(name)
        if value is not None:
            if len(value) < 32:
                raise ConfigError(f"{name} must be at least 32 characters (python -c 'import secrets; "
                                  "print(secrets.token_urlsafe(32))')")  # fmt: skip
            return value
        if not needed_by:
            return ""
        base = self._get(fallback)
        if base is None:
            raise ConfigError(f"{name} is not set: {needed_by} needs it to {purpose} when {fallback} is unset")
        return hmac.new(base.encode(), info, hashlib.sha256).hexdigest()

    def redis_url(self, name: str) -> str:
        """``redis://`` or ``rediss://`` (TLS). Never echoed: a managed Redis puts its password in the URL."""
        value = self._get(name)
        if value is None:
            return ""
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ConfigError(
                f"{name} must be a redis://host:port or rediss://host:port URL (the value is not shown: it may hold "
                "a password)"
            )
        return value

    def redis_prefix(self, name: str, secret: str) -> str:
        """What every key starts with, so that one Redis can serve several bots. Default: ``omslack:`` and 12 hex
        digits derived from the store's secret, the same in every process of one bot and different for another."""
        value = self._get(name)
        if value is None:
            if not secret:
                return ""
            digest = hmac.new(secret.encode(), b"openmeetings-slack redis prefix", hashlib.sha256).hexdigest()
            return f"omslack:{digest[:12]}:"
        if len(value) > 64 or not all(c.isascii() and (c.isalnum() or c in ":_.-") for c in value):
            raise ConfigError(f"{name} must be at most 64 letters, digits and : _ . -, got {value!r}")
        return value if value.endswith(":") else value + ":"

    def seconds(self, name: str, default: float, *, zero: bool = False) -> float:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
        if not (number > 0 or (zero and number == 0)) or number == float("inf"):
            raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
        return number

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, got {number}")
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {value!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = (self._get(name) or default).upper()
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def path(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not Path(value).is_file():
            raise ConfigError(f"{name} names no readable file: {value!r}")
        return value

    def host(self, name: str, default: str) -> str:
        value = self._get(name)
        if value is None:
            return default
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
        labels = value.removesuffix(".").split(".")
        if len(value) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
            raise ConfigError(f"{name} must be an IP address or a host name to listen on, got {value!r}")
        return value

    def room(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        room = parse_room_ref(value)
        if room is None:
            raise ConfigError(f"{name} must be a room id such as 5 or room-5, got {value!r}")
        return room

    def id_list(self, name: str, *, what: str = "Slack user ids") -> frozenset[str]:
        value = self._get(name)
        if value is None:
            return frozenset()
        ids = [item.strip() for item in value.split(",") if item.strip()]
        bad = [item for item in ids if not item.isalnum()]
        if bad:
            raise ConfigError(f"{name} must be {what} separated by commas, got {bad[0]!r}")
        return frozenset(ids)


def _is_placeholder(name: str, value: str) -> bool:
    return value.rstrip("/").lower() in PLACEHOLDERS.get(name, ())


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
