"""``python -m bot doctor``: is this deployment set up right? One checklist, a fix for each failure.

Each check is a function that returns results; ``run`` calls them and prints. A check that
cannot run because an earlier one failed is shown as skipped. Nothing printed is a secret:
no token, signing secret, password, SID or hash (the OM client's messages carry none).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

import httpx
from redis.exceptions import RedisError

from om import (
    ExternalUser,
    OMAccountError,
    OMAuthError,
    OMBadCredentialsError,
    OMClient,
    OMError,
    OMNotAllowedError,
    OMNotFoundError,
    OMProtocolError,
    OMTimeoutError,
    OMTLSError,
    OMUnreachableError,
    Room,
    RoomOptions,
    ServerInfo,
)

from .config import Config, ConfigError
from .http import make_http_client
from .logs import quiet_chatty_loggers
from .redis_store import connect, describe

REQUIRED_SCOPES = ("commands", "users:read", "users:read.email", "chat:write", "im:write")
WEB_API_TIMEOUT = 10.0
_SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")
# Stand-ins for broken required settings, so the checks that don't need them still run.
_PLACEHOLDERS = {
    "SLACK_BOT_TOKEN": "xoxb-doctor-placeholder",
    "SLACK_SIGNING_SECRET": "doctor-placeholder",
    "OPENMEETINGS_URL": "http://openmeetings.invalid/openmeetings",
    "OPENMEETINGS_USER": "doctor-placeholder",
    "OPENMEETINGS_PASSWORD": "doctor-placeholder",
}
_SLACK_NEEDS = frozenset({"SLACK_BOT_TOKEN", "SLACK_API_URL"})
_OM_NEEDS = frozenset(
    {
        "OPENMEETINGS_URL",
        "OPENMEETINGS_USER",
        "OPENMEETINGS_PASSWORD",
        "OPENMEETINGS_CA_BUNDLE",
        "OPENMEETINGS_VERIFY_TLS",
    }
)
# The person the test link is for; the link is never opened, so OM never creates this user.
DOCTOR_USER = "doctor"


class Status(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"
    WARN = "warn"  # worth a look, but not a failure: doctor still exits 0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAIL, detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, Status.SKIP, detail)


def warned(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.WARN, detail, fix)


PUBLIC_URL_TIMEOUT = 5.0


async def check_redis(config: Config) -> Check:
    """With REDIS_URL: Redis answers, takes a write with an expiry under the bot's prefix, and gives it back."""
    name = "Redis"
    if not config.redis_url:
        return skipped(name, "REDIS_URL is not set: one process keeps its state in memory")
    client = connect(config.redis_url, ca_bundle=config.redis_ca_bundle, verify_tls=config.redis_verify_tls)
    key = f"{config.redis_prefix}doctor"
    try:
        await client.set(key, b"1", px=10_000)
        back = await client.get(key)
        await client.delete(key)
    except (RedisError, OSError) as exc:
        _, problem = describe(exc)
        return failed(
            name,
            problem,
            "Check REDIS_URL (host, port, password, redis:// or rediss://); for a provider's self-signed TLS set "
            "REDIS_CA_BUNDLE, or REDIS_VERIFY_TLS=false as Heroku's Key-Value Store needs.",
        )
    finally:
        await client.aclose()
    if back != b"1":
        return failed(name, "Redis did not give back what it was given", "Check that REDIS_URL names a real Redis.")
    return passed(name, f"answers, keys under {config.redis_prefix}")


async def check_public_url(config: Config, http: httpx.AsyncClient) -> Check:
    """PUBLIC_URL is where people's browsers open their join links: https, and the bot answering there."""
    name = "Public URL"
    if not config.public_url:
        return skipped(name, "PUBLIC_URL is not set: Join buttons carry OpenMeetings links minted ahead")
    if not config.public_url.startswith("https://"):
        return failed(
            name,
            f"{config.public_url} is not https",
            "Set PUBLIC_URL to the bot's https:// address (the host of the manifest's request URL): a join link is a "
            "credential for one person and must not travel in clear.",
        )
    url = config.public_url + "/healthz"
    try:
        response = await http.get(url, timeout=PUBLIC_URL_TIMEOUT)
    except httpx.HTTPError as exc:
        return warned(
            name,
            f"{url} did not answer from here ({type(exc).__name__})",
            "Browsers must reach PUBLIC_URL; if this network can't reach its own public address (common behind a "
            "NAT), check from outside: curl " + url,
        )
    if response.status_code not in (200, 503) or "status" not in response.text:
        return warned(
            name,
            f"{url} answered HTTP {response.status_code}, not the bot's /healthz",
            "Check that PUBLIC_URL names this bot, and that the proxy in front of it forwards /join/ and /healthz.",
        )
    return passed(name, f"{config.public_url} answers /healthz")


# -- settings ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    config: Config
    broken: frozenset[str]
    checks: list[Check]


def check_settings(env: Mapping[str, str]) -> Settings:
    """Reads the settings as the bot does; a broken one is reported, set aside, and the rest read again."""
    trial = dict(env)
    errors: dict[str, str] = {}
    while True:
        try:
            config = Config.from_env(trial)
            break
        except ConfigError as exc:
            name = exc.setting
            if name in errors:
                raise RuntimeError(f"doctor could not set {name} aside") from exc
            errors[name] = str(exc)
            if name in _PLACEHOLDERS:
                trial[name] = _PLACEHOLDERS[name]
            else:
                trial.pop(name, None)  # an optional setting: its default will do for the other checks
    checks = [
        failed(f"setting {name}", message, f"Set {name} in the environment or .env (README: Configuration).")
        for name, message in errors.items()
    ]
    if not checks:
        mode = "Slack over Socket Mode" if config.socket_mode else "Slack over HTTP (/slack/events)"
        checks.append(passed("settings", f"all valid; {mode}"))
    return Settings(config, frozenset(errors), checks)


# -- Slack ---------------------------------------------------------------------------------

_SLACK_REACH_FIX = (
    "Check that this host reaches the Slack Web API at SLACK_API_URL (unset, it is https://slack.com/api/), "
    "through the proxy in HTTPS_PROXY if it needs one."
)
_BOT_KEY_FIX = (
    "Copy OAuth & Permissions -> Bot User OAuth Token (xoxb-...) into SLACK_BOT_TOKEN. "
    "If the app was uninstalled or the token revoked, reinstall the app to the workspace first."
)


async def check_slack(config: Config, http: httpx.AsyncClient) -> list[Check]:
    checks = await _check_auth(config, http)
    checks.append(check_signing_secret(config))
    if config.socket_mode:
        checks.append(await _check_app_token(config, http))
    return checks


async def _web_api(config: Config, http: httpx.AsyncClient, method: str, token: str) -> tuple[httpx.Response, Any]:
    """One Slack Web API call: the response and its decoded JSON (raises httpx.HTTPError or ValueError)."""
    response = await http.post(
        config.slack_api_url + method, headers={"Authorization": f"Bearer {token}"}, timeout=WEB_API_TIMEOUT
    )
    return response, response.json()


async def _check_auth(config: Config, http: httpx.AsyncClient) -> list[Check]:
    auth, scopes = "Slack auth.test", "Slack scopes"
    try:
        response, data = await _web_api(config, http, "auth.test", config.slack_bot_token)
    except (httpx.HTTPError, ValueError) as exc:
        return [
            failed(auth, f"no answer from {config.slack_api_url}: {type(exc).__name__}", _SLACK_REACH_FIX),
            skipped(scopes, "needs auth.test"),
        ]
    if not isinstance(data, dict) or data.get("ok") is not True:
        error = data.get("error") if isinstance(data, dict) else f"HTTP {response.status_code}"
        return [
            failed(auth, f"Slack refused the bot token ({error})", _BOT_KEY_FIX),
            skipped(scopes, "needs auth.test"),
        ]
    who = f"bot user {data.get('user_id')} in workspace {data.get('team')} ({data.get('team_id')})"
    return [passed(auth, who), check_scopes(response.headers.get("x-oauth-scopes"))]


def check_scopes(header: str | None) -> Check:
    name = "Slack scopes"
    if header is None:
        return failed(name, "Slack sent no x-oauth-scopes header", "Check that SLACK_API_URL is Slack's Web API.")
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if missing:
        return failed(
            name,
            f"the bot token lacks {', '.join(missing)}",
            f"Add the bot scope(s) {', '.join(missing)} under OAuth & Permissions (manifest.yml lists them "
            "all), reinstall the app to the workspace, then copy the new token into SLACK_BOT_TOKEN.",
        )
    return passed(name, ", ".join(REQUIRED_SCOPES))


def check_signing_secret(config: Config) -> Check:
    name = "Slack signing secret"
    secret = config.slack_signing_secret
    if config.socket_mode and not secret:
        return skipped(name, "not needed over Socket Mode")
    if _SIGNING_SECRET.fullmatch(secret):
        return passed(name, "32 hex characters")
    return failed(
        name,
        f"SLACK_SIGNING_SECRET is not 32 hex characters (it has {len(secret)} characters)",
        "Copy Basic Information -> App Credentials -> Signing Secret (not the Client Secret or the "
        "Verification Token) into SLACK_SIGNING_SECRET.",
    )


async def _check_app_token(config: Config, http: httpx.AsyncClient) -> Check:
    name = "Slack Socket Mode"
    fix = (
        "Turn on Settings -> Socket Mode for the app, and copy Basic Information -> App-Level Tokens "
        "(xapp-..., scope connections:write) into SLACK_APP_TOKEN."
    )
    try:
        response, data = await _web_api(config, http, "apps.connections.open", config.slack_app_token or "")
    except (httpx.HTTPError, ValueError) as exc:
        return failed(name, f"no answer from {config.slack_api_url}: {type(exc).__name__}", _SLACK_REACH_FIX)
    if isinstance(data, dict) and data.get("ok") is True:
        # The URL holds a one-time ticket: it is not printed, and nothing connects to it.
        return passed(name, "Slack hands out Socket Mode connections for SLACK_APP_TOKEN")
    error = data.get("error") if isinstance(data, dict) else f"HTTP {response.status_code}"
    return failed(name, f"apps.connections.open refused the app token ({error})", fix)


# -- OpenMeetings --------------------------------------------------------------------------

_REACH, _TLS, _VERSION, _HEALTH = (
    "OpenMeetings reachable",
    "OpenMeetings TLS",
    "OpenMeetings version",
    "OpenMeetings health",
)
_LOGIN, _SOAP, _ROOM, _HASH = (
    "OpenMeetings login",
    "OpenMeetings SOAP right",
    "MEET_DEFAULT_ROOM",
    "OpenMeetings join link",
)
_AFTER_LOGIN = (_SOAP, _ROOM, _HASH)
_CA_FIX = (
    "Export OpenMeetings' certificate (or its CA) as PEM, e.g. `openssl s_client -showcerts -connect "
    "<host>:<port> </dev/null | openssl x509 > om.pem`, and set OPENMEETINGS_CA_BUNDLE to that file. "
    "The certificate must be issued for the host name in OPENMEETINGS_URL."
)
_CREDENTIALS_FIX = (
    "Check OPENMEETINGS_USER and OPENMEETINGS_PASSWORD. The user must be an internal OpenMeetings user "
    "(type USER, not LDAP, OAuth or external)."
)
_SOAP_FIX = (
    "Give OPENMEETINGS_USER the SOAP right: OpenMeetings Administration -> Users -> the user -> Rights -> SOAP "
    "(ADMIN does not include it)."
)


async def check_openmeetings(config: Config) -> list[Check]:
    async with make_http_client(config) as http:
        # The bot's own timeouts (bot/context.py), so a slow OM fails here as it would there.
        client = OMClient(
            config.openmeetings_url, http, timeout=config.om_timeout, login_timeout=config.om_timeout + 20
        )
        checks = await _check_server(config, client)
        if any(check.status is Status.FAIL for check in checks):
            return checks + [skipped(name, "needs a working connection") for name in (_LOGIN, *_AFTER_LOGIN)]
        return checks + await _check_account(config, client)


async def _check_server(config: Config, client: OMClient) -> list[Check]:
    url = config.openmeetings_url
    try:
        info = await client.version()
    except OMUnreachableError as exc:
        reason = _tls_reason(exc) if url.startswith("https:") else None
        if isinstance(exc, OMTLSError) or reason is not None:
            return [
                passed(_REACH, f"{_origin(url)} accepts connections"),
                _tls_failed(config, reason or ""),
                skipped(_VERSION, "needs TLS"),
                skipped(_HEALTH, "needs TLS"),
            ]
        return [
            failed(_REACH, str(exc), _unreachable_fix(config, exc)),
            skipped(_TLS, "needs a connection"),
            skipped(_VERSION, "needs a connection"),
            skipped(_HEALTH, "needs a connection"),
        ]
    except OMError as exc:
        return [
            passed(_REACH, f"{_origin(url)} answers"),
            _tls_check(config),
            failed(_VERSION, str(exc), _url_fix(config, exc)),
            skipped(_HEALTH, "needs the REST API"),
        ]
    return [
        passed(_REACH, f"{_origin(url)} answers"),
        _tls_check(config),
        _version_check(info),
        await _health_check(client),
    ]


def _unreachable_fix(config: Config, exc: OMUnreachableError) -> str:
    url, origin = config.openmeetings_url, _origin(config.openmeetings_url)
    curl = f"`curl {url}/services/info/version`"
    if isinstance(exc, OMTimeoutError):
        return (
            f"Check OPENMEETINGS_URL ({origin}): nothing answered within OPENMEETINGS_TIMEOUT "
            f"({config.om_timeout:g} s), as with a firewall that drops packets, a wrong host or port, or an "
            f"overloaded OpenMeetings; try {curl}. Raise OPENMEETINGS_TIMEOUT only if OpenMeetings is just slow."
        )
    return (
        f"Check OPENMEETINGS_URL ({origin}): this host must reach it (firewall, DNS, port), and its scheme must "
        f"fit the port (OpenMeetings serves https:// on 5443 and http:// on 5080); try {curl}."
    )


# OpenSSL's reason when a TLS client gets a plain-HTTP answer: WRONG_VERSION_NUMBER up to OpenSSL 3.1,
# RECORD_LAYER_FAILURE ("record layer failure") from 3.2 on.
_PLAIN_HTTP_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE")


def _tls_reason(exc: BaseException) -> str | None:
    """OpenSSL's reason for the TLS failure behind ``exc`` (an ``ssl.SSLError`` in its chain), if there is one."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, ssl.SSLError):
            text = str(seen)
            if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
                return f"CERTIFICATE_VERIFY_FAILED: {getattr(seen, 'verify_message', '') or text}"
            reason = getattr(seen, "reason", None)
            if isinstance(reason, str) and reason:
                return reason
            named = [r for r in _PLAIN_HTTP_REASONS if r in text.upper().replace(" ", "_")]
            return named[0] if named else text or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_failed(config: Config, reason: str) -> Check:
    url = httpx.URL(config.openmeetings_url)
    host, port = url.host, url.port or 443
    if reason in _PLAIN_HTTP_REASONS:
        plain = url.copy_with(scheme="http", port=port)
        https_port = "" if port == 5443 else f", or to OpenMeetings' HTTPS port: {url.copy_with(port=5443)}"
        return failed(
            _TLS,
            f"{host}:{port} speaks plain HTTP, not HTTPS: the TLS handshake failed with {reason}",
            f"Set OPENMEETINGS_URL to {plain} to use that port as it is (the API password then crosses the "
            f"network unencrypted){https_port}.",
        )
    if "mismatch" in reason.lower():  # "Hostname mismatch", "IP address mismatch"
        return failed(
            _TLS,
            f"the certificate is not issued for {host} ({reason})",
            f"Set OPENMEETINGS_URL to a host name the certificate is issued for, or issue one for {host} "
            "(and set OPENMEETINGS_CA_BUNDLE to it if it is self-signed).",
        )
    if reason.startswith("CERTIFICATE_VERIFY_FAILED") or not reason:
        why = reason.split(": ", 1)[-1] if reason.startswith("CERTIFICATE_VERIFY_FAILED: ") else "self-signed?"
        return failed(_TLS, f"the TLS handshake failed: the certificate is not trusted ({why})", _CA_FIX)
    return failed(
        _TLS,
        f"the TLS handshake failed ({reason})",
        f"Check that OPENMEETINGS_URL's port ({port}) serves HTTPS (OpenMeetings' own: 5443); for a certificate "
        "of its own, set OPENMEETINGS_CA_BUNDLE (README: Troubleshooting).",
    )


def _tls_check(config: Config) -> Check:
    if not config.openmeetings_url.startswith("https:"):
        return skipped(_TLS, "OPENMEETINGS_URL is plain http: the API password crosses the network unencrypted")
    if not config.verify_tls:
        return passed(_TLS, "certificate NOT checked: OPENMEETINGS_VERIFY_TLS=false (for testing only)")
    source = "OPENMEETINGS_CA_BUNDLE" if config.ca_bundle else "the system's CAs"
    return passed(_TLS, f"certificate trusted through {source}")


def _version_check(info: ServerInfo) -> Check:
    if info.major < 5:
        return failed(
            _VERSION,
            f"OpenMeetings {info.version}",
            "Upgrade OpenMeetings (the bot speaks the 5.x-9.x REST API), or set OPENMEETINGS_URL to a newer one.",
        )
    verb = "POST" if info.major >= 9 else "GET"
    return passed(_VERSION, f"{info.version} (the bot logs in with {verb})")


async def _health_check(client: OMClient) -> Check:
    try:
        health = await client.health()
    except OMError as exc:
        fix = (
            "OpenMeetings at OPENMEETINGS_URL answers /services/info/version but not /services/info/health: "
            "look at its own log."
        )
        return failed(_HEALTH, str(exc), fix)
    if health.ok:
        return passed(_HEALTH, "inited, installed, database ok")
    return failed(
        _HEALTH,
        f"inited={health.inited} installed={health.installed} dbOk={health.db_ok}",
        "OpenMeetings at OPENMEETINGS_URL is not ready: finish its installation (open OPENMEETINGS_URL in a "
        "browser), or check its database and its log.",
    )


async def _check_account(config: Config, client: OMClient) -> list[Check]:
    try:
        sid = await client.login(config.openmeetings_user, config.openmeetings_password)
    except OMError as exc:
        fix = _login_fix(config, exc)
        return [failed(_LOGIN, str(exc), fix)] + [skipped(n, "needs a login") for n in _AFTER_LOGIN]
    checks = [passed(_LOGIN, f"as {config.openmeetings_user}")]
    probe_room = config.default_room or 1
    room: Room | None = None
    try:
        # A SID fresh from login refused by a SOAP call can only mean a missing right.
        room = await client.get_room(sid, probe_room)
    except OMNotFoundError:
        pass  # the right was checked before OM looked for the room
    except OMNotAllowedError:
        checks.append(failed(_SOAP, "error.notallowed on a session fresh from login", _SOAP_FIX))
        return checks + [skipped(n, "needs the SOAP right") for n in (_ROOM, _HASH)]
    except OMError as exc:
        checks.append(failed(_SOAP, str(exc), _om_fix(config, exc, "room lookup")))
        return checks + [skipped(n, "needs the SOAP right") for n in (_ROOM, _HASH)]
    checks.append(passed(_SOAP, "a room lookup on the bot's session works"))
    checks.append(_default_room_check(config, room))
    checks.append(await _hash_check(config, client))
    return checks


def _default_room_check(config: Config, room: Room | None) -> Check:
    if config.default_room is None:
        return skipped(_ROOM, "not set: a bare /meet shows the help")
    if room is None:
        return failed(
            _ROOM,
            f"room {config.default_room} does not exist in OpenMeetings",
            "Set MEET_DEFAULT_ROOM to the id of an existing room (OpenMeetings Administration -> Rooms), or unset it.",
        )
    return passed(_ROOM, f"room {room.id}: {room.name}")


async def _hash_check(config: Config, client: OMClient) -> Check:
    """The bot's real work: a hash on a SID that made none before. The link is made, never opened."""
    user = ExternalUser(DOCTOR_USER, config.external_type, "openmeetings-slack", "doctor", DOCTOR_USER)
    try:
        sid = await client.login(config.openmeetings_user, config.openmeetings_password)
        await client.room_hash(sid, user, RoomOptions(room_id=config.default_room))
    except OMNotAllowedError:
        return failed(_HASH, "error.notallowed on /user/hash", _SOAP_FIX)
    except OMError as exc:
        return failed(_HASH, str(exc), _om_fix(config, exc, "/user/hash call"))
    return passed(_HASH, "made on a fresh session, not opened")


def _login_fix(config: Config, exc: OMError) -> str:
    if isinstance(exc, OMBadCredentialsError):
        return _CREDENTIALS_FIX
    if isinstance(exc, OMAccountError) and exc.key == "error.notactivated":
        return "Give OPENMEETINGS_USER the LOGIN right (OpenMeetings Administration -> Users -> Rights)."
    if isinstance(exc, OMAccountError):
        return "Add OPENMEETINGS_USER to at least one group (OpenMeetings Administration -> Users)."
    if isinstance(exc, OMAuthError):
        return _CREDENTIALS_FIX
    return _om_fix(config, exc, "login")


def _om_fix(config: Config, exc: OMError, what: str) -> str:
    """The fix for an OM call that failed after the server checks passed."""
    if isinstance(exc, OMNotAllowedError):
        return _SOAP_FIX
    if isinstance(exc, OMTimeoutError):
        extra = " plus 20 s for a login" if what == "login" else ""
        return (
            f"OpenMeetings did not answer the {what} within OPENMEETINGS_TIMEOUT ({config.om_timeout:g} s{extra}): "
            "raise OPENMEETINGS_TIMEOUT if OpenMeetings is slow, and look at its log."
        )
    if isinstance(exc, OMUnreachableError):
        return (
            f"OpenMeetings at OPENMEETINGS_URL stopped answering during the {what}: check that it (and any proxy in "
            "front of it) is up, then run doctor again."
        )
    if isinstance(exc, OMProtocolError):
        return _url_fix(config, exc)
    return (
        f"Look at OpenMeetings' log for the {what} that failed, and at the rights of OPENMEETINGS_USER (LOGIN, SOAP, "
        "ROOM) under OpenMeetings Administration -> Users."
    )


def _url_fix(config: Config, exc: OMError) -> str:
    status = exc.status if isinstance(exc, OMProtocolError) else None
    if status == 404:
        return "OPENMEETINGS_URL must end with the web app path, usually /openmeetings."
    if status in (301, 302, 303, 307, 308):
        return "OPENMEETINGS_URL redirects (http -> https?): set it to the final URL."
    if status == 400 and config.openmeetings_url.startswith("http:"):
        return (
            "OPENMEETINGS_URL is http://, and a port that expects HTTPS answers a plain request with 400: use "
            "https:// (OpenMeetings' HTTPS port is 5443)."
        )
    return "Check that OPENMEETINGS_URL points at OpenMeetings' web app root, e.g. https://om.example.org/openmeetings."


def _origin(url: str) -> str:
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.host}" + (f":{parts.port}" if parts.port else "")


# -- all of it -------------------------------------------------------------------------------


async def run_checks(env: Mapping[str, str]) -> list[Check]:
    quiet_chatty_loggers()
    settings = check_settings(env)
    config = settings.config

    async def slack() -> list[Check]:
        broken = settings.broken & _SLACK_NEEDS
        if broken:
            return [skipped("Slack", f"needs {', '.join(sorted(broken))}")]
        async with httpx.AsyncClient(follow_redirects=False) as http:
            return [*await check_slack(config, http), await check_public_url(config, http)]

    async def openmeetings() -> list[Check]:
        broken = settings.broken & _OM_NEEDS
        if broken:
            return [skipped("OpenMeetings", f"needs {', '.join(sorted(broken))}")]
        return await check_openmeetings(config)

    async def redis() -> list[Check]:
        if {"REDIS_URL", "REDIS_CA_BUNDLE"} & settings.broken:
            return [skipped("Redis", "needs REDIS_URL")]
        return [await check_redis(config)]

    slack_checks, om_checks, redis_checks = await asyncio.gather(slack(), openmeetings(), redis())
    return settings.checks + slack_checks + om_checks + redis_checks


def render(checks: list[Check], out: TextIO) -> None:
    width = max(len(check.name) for check in checks)
    for check in checks:
        out.write(f"  {check.status.value:<4}  {check.name:<{width}}  {check.detail}\n")
        if check.fix:
            out.write(f"  {'':<4}  {'':<{width}}  fix: {check.fix}\n")
    failures = sum(1 for check in checks if check.status is Status.FAIL)
    out.write("\n")
    if failures:
        out.write(f"{failures} of {len(checks)} checks failed.\n")
    else:
        warnings = sum(1 for c in checks if c.status is Status.WARN)
        out.write(
            f"All checks passed ({sum(1 for c in checks if c.status is Status.OK)} ok, "
            f"{sum(1 for c in checks if c.status is Status.SKIP)} skipped"
            + (f", {warnings} to look at" if warnings else "")
            + ").\n"
        )


async def run(env: Mapping[str, str], out: TextIO) -> int:
    """Exit status 0 only when no check failed."""
    out.write("openmeetings-slack doctor\n\n")
    checks = await run_checks(env)
    render(checks, out)
    return 1 if any(check.status is Status.FAIL for check in checks) else 0
