"""``python -m bot doctor`` as an admin runs it: a real process, its settings in the environment,
against the OM and Slack simulators; checked by its exit status and the fix it prints."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from tests.conftest import bot_env
from tests.processes import free_port
from tests.redis_server import RedisServer
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "0123456789abcdef0123456789abcdef"
APP_TOKEN = "xapp-1-A0APP0001-77-fedcba9876543210"


PASSING = (
    "settings",
    "Slack auth.test",
    "Slack scopes",
    "Slack signing secret",
    "OpenMeetings reachable",
    "OpenMeetings version",
    "OpenMeetings health",
    "OpenMeetings login",
    "OpenMeetings SOAP right",
    "MEET_DEFAULT_ROOM",
    "OpenMeetings join link",
)


@dataclass
class Report:
    status: int
    out: str
    err: str

    def line(self, name: str) -> str:
        """The checklist line of one check, and its fix line if it has one."""
        lines = self.out.splitlines()
        for index, text in enumerate(lines):
            # "  <status:4>  <name, padded>  <detail>"
            if text[2:6].strip() in ("ok", "FAIL", "skip", "warn") and text[8:].startswith(name + "  "):
                following = lines[index + 1] if index + 1 < len(lines) else ""
                return text + ("\n" + following if "fix:" in following else "")
        raise AssertionError(f"no check {name!r} in:\n{self.out}")

    def status_of(self, name: str) -> str:
        return self.line(name)[2:6].strip()


async def doctor(om: OMSimulator, slack: SlackSimulator, cwd: Path, **overrides: str) -> Report:
    """Runs the doctor in ``cwd`` (outside the repository, so no developer's .env is read); "" unsets a setting."""
    # Only what the test sets: none of the developer's own Slack or OM settings.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENMEETINGS_", "MEET_"))}
    env = {**base, **bot_env(om, slack, SLACK_SIGNING_SECRET=GOOD_SECRET), "PYTHONPATH": str(ROOT)}
    for key, value in overrides.items():
        if value == "":
            env.pop(key, None)
        else:
            env[key] = value
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=str(cwd),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    report = Report(proc.returncode, out.decode(), err.decode())
    _assert_no_secret(report, om, slack, env)
    _assert_every_failure_says_what_to_change(report)
    return report


# What an admin can change: a setting (every one .env.example lists, and the proxy), or a page of Slack's
# app settings or OpenMeetings' administration.
SETTINGS = frozenset(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)) | {
    "HTTPS_PROXY"
}
ADMIN_PAGES = ("OpenMeetings Administration", "OAuth & Permissions", "Basic Information", "Settings -> Socket Mode")


def _assert_every_failure_says_what_to_change(report: Report) -> None:
    lines = report.out.splitlines()
    for index, text in enumerate(lines):
        if text.startswith("  FAIL"):
            fix = lines[index + 1] if index + 1 < len(lines) else ""
            assert "fix: " in fix, f"a failure without a fix: {text}"
            named = {word for word in re.findall(r"[A-Z][A-Z0-9_]+", fix) if word in SETTINGS}
            assert named or any(page in fix for page in ADMIN_PAGES), f"the fix names nothing to change:\n{text}\n{fix}"


def _assert_no_secret(report: Report, om: OMSimulator, slack: SlackSimulator, env: dict[str, str]) -> None:
    secrets = {env[k] for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENMEETINGS_PASSWORD") if env.get(k)}
    secrets |= {env["SLACK_APP_TOKEN"]} if env.get("SLACK_APP_TOKEN") else set()
    secrets |= set(om.sessions) | set(om.expired_sids) | set(om.hashes)
    printed = report.out + report.err
    assert not [s for s in secrets if s in printed]


async def test_all_checks_pass_on_a_good_set_up(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    report = await doctor(om, slack, tmp_path, MEET_DEFAULT_ROOM="room-5")
    assert report.status == 0, report.out
    assert "FAIL" not in report.out
    for name in PASSING:
        assert report.status_of(name) == "ok", report.out
    assert "Public Room 5" in report.line("MEET_DEFAULT_ROOM")
    assert "9.1.0" in report.line("OpenMeetings version")
    assert report.out.rstrip().endswith("skipped).")
    # The test link was made on a session of its own for an external user "doctor", and not opened.
    assert len(om.hashes) == 1 and om.joins == []
    (link,) = om.hashes.values()
    assert not link.used and link.room_id == 5
    assert om.sessions[link.session_sid].xml is not None
    assert om.sessions[link.session_sid].xml["externalId"] == "doctor"
    lookup_sids = {r.query["sid"] for r in om.requests if r.path.startswith("/services/room/")}
    assert link.session_sid not in lookup_sids


async def test_socket_mode_set_up_is_checked_with_the_app_token(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    slack.app_token = APP_TOKEN
    slack.connections_open = lambda: "ws://127.0.0.1:9/link?ticket=never-used"
    report = await doctor(om, slack, tmp_path, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="")
    assert report.status == 0, report.out
    assert report.status_of("Slack Socket Mode") == "ok"
    assert report.status_of("Slack signing secret") == "skip"
    assert "never-used" not in report.out

    slack.app_token = "xapp-1-another-app"
    report = await doctor(om, slack, tmp_path, SLACK_APP_TOKEN=APP_TOKEN)
    assert report.status == 1
    assert report.status_of("Slack Socket Mode") == "FAIL"
    assert "SLACK_APP_TOKEN" in report.line("Slack Socket Mode") and "connections:write" in report.out


async def test_wrong_om_password_names_the_settings(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_PASSWORD="not-the-password")
    assert report.status == 1
    line = report.line("OpenMeetings login")
    assert line.startswith("  FAIL") and "OPENMEETINGS_USER and OPENMEETINGS_PASSWORD" in line
    assert report.status_of("OpenMeetings SOAP right") == "skip"
    assert report.status_of("Slack auth.test") == "ok"
    assert "1 of" in report.out


async def test_missing_soap_right_says_to_grant_it(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    om.api_user.rights.discard("SOAP")
    report = await doctor(om, slack, tmp_path)
    assert report.status == 1
    assert report.status_of("OpenMeetings login") == "ok"
    line = report.line("OpenMeetings SOAP right")
    assert line.startswith("  FAIL") and "SOAP right" in line and "OPENMEETINGS_USER" in line
    assert om.hashes == {}


async def test_om_down_says_it_is_not_reachable(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    await om.stop()
    report = await doctor(om, slack, tmp_path)
    assert report.status == 1
    line = report.line("OpenMeetings reachable")
    assert line.startswith("  FAIL") and "not reachable" in line and "/services/info/version" in line
    assert "fix: Check OPENMEETINGS_URL (http://127.0.0.1:" in line and "5443" in line and "5080" in line
    for name in ("OpenMeetings login", "OpenMeetings join link"):
        assert report.status_of(name) == "skip"
    assert report.status_of("Slack scopes") == "ok"


@pytest.fixture
async def tls_om() -> AsyncIterator[tuple[OMSimulator, trustme.CA]]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    sim = OMSimulator(bad_password_delay=(0.01, 0.02))
    await sim.start(ssl_context=server_context)
    yield sim, ca
    await sim.stop()


async def test_self_signed_om_without_a_ca_bundle_says_to_set_one(
    tls_om: tuple[OMSimulator, trustme.CA], slack: SlackSimulator, tmp_path: Path
) -> None:
    om, ca = tls_om
    report = await doctor(om, slack, tmp_path)
    assert report.status == 1
    assert report.status_of("OpenMeetings reachable") == "ok"
    line = report.line("OpenMeetings TLS")
    assert line.startswith("  FAIL") and "OPENMEETINGS_CA_BUNDLE" in line

    bundle = tmp_path / "om.pem"
    ca.cert_pem.write_to_path(str(bundle))
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_CA_BUNDLE=str(bundle))
    assert report.status == 0, report.out
    assert "OPENMEETINGS_CA_BUNDLE" in report.line("OpenMeetings TLS")


async def test_missing_scope_is_named_with_how_to_add_it(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    slack.scopes = ["commands", "users:read"]
    report = await doctor(om, slack, tmp_path)
    assert report.status == 1
    line = report.line("Slack scopes")
    assert line.startswith("  FAIL") and "users:read.email" in line and "reinstall" in line
    assert report.status_of("OpenMeetings join link") == "ok"


async def test_bad_bot_token_says_where_to_copy_it_from(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    report = await doctor(om, slack, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked-0000")
    assert report.status == 1
    line = report.line("Slack auth.test")
    assert line.startswith("  FAIL") and "invalid_auth" in line and "SLACK_BOT_TOKEN" in line
    assert report.status_of("Slack scopes") == "skip"


async def test_default_room_that_does_not_exist(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    report = await doctor(om, slack, tmp_path, MEET_DEFAULT_ROOM="99")
    assert report.status == 1
    line = report.line("MEET_DEFAULT_ROOM")
    assert line.startswith("  FAIL") and "room 99 does not exist" in line and "Set MEET_DEFAULT_ROOM" in line
    assert report.status_of("OpenMeetings join link") == "ok"


async def test_signing_secret_of_the_wrong_shape(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    report = await doctor(om, slack, tmp_path, SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5")
    assert report.status == 1
    line = report.line("Slack signing secret")
    assert line.startswith("  FAIL") and "Signing Secret" in line


async def test_broken_settings_are_reported_and_the_other_checks_still_run(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_URL="", OPENMEETINGS_POOL_SIZE="lots")
    assert report.status == 1
    assert report.line("setting OPENMEETINGS_URL").startswith("  FAIL")
    assert "OPENMEETINGS_POOL_SIZE" in report.line("setting OPENMEETINGS_POOL_SIZE")
    assert report.status_of("Slack auth.test") == "ok"
    assert report.status_of("OpenMeetings") == "skip"
    assert om.requests == []


async def test_https_url_on_a_plain_http_port_says_the_port_speaks_plain_http(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    """OM's 5080 with https://: OpenSSL's WRONG_VERSION_NUMBER, which is no certificate problem."""
    https_url = om.base_url.replace("http://", "https://")
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_URL=https_url)
    assert report.status == 1
    assert report.status_of("OpenMeetings reachable") == "ok"
    line = report.line("OpenMeetings TLS")
    assert line.startswith("  FAIL") and f"127.0.0.1:{om.port} speaks plain HTTP, not HTTPS" in line
    assert "WRONG_VERSION_NUMBER" in line or "RECORD_LAYER_FAILURE" in line  # OpenSSL 3.2+ says the latter
    assert f"fix: Set OPENMEETINGS_URL to {om.base_url} to use that port" in line
    assert "https://127.0.0.1:5443/openmeetings" in line
    assert "not trusted" not in line and "OPENMEETINGS_CA_BUNDLE" not in line
    assert om.requests == []


async def test_certificate_for_another_host_says_which_host_name(
    tls_om: tuple[OMSimulator, trustme.CA], slack: SlackSimulator, tmp_path: Path
) -> None:
    om, ca = tls_om
    bundle = tmp_path / "om.pem"
    ca.cert_pem.write_to_path(str(bundle))
    url = om.base_url.replace("127.0.0.1", "localhost")  # the certificate is issued for 127.0.0.1 only
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_URL=url, OPENMEETINGS_CA_BUNDLE=str(bundle))
    assert report.status == 1
    line = report.line("OpenMeetings TLS")
    assert line.startswith("  FAIL") and "the certificate is not issued for localhost" in line
    assert "Set OPENMEETINGS_URL to a host name the certificate is issued for" in line


async def test_om_that_does_not_answer_in_time_names_the_url_and_the_timeout(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    om.holds["/services/info/version"] = asyncio.Event()  # never set: OM accepts and says nothing
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_TIMEOUT="0.5")
    assert report.status == 1
    line = report.line("OpenMeetings reachable")
    assert line.startswith("  FAIL") and "in time" in line
    assert "fix: Check OPENMEETINGS_URL" in line and "OPENMEETINGS_TIMEOUT (0.5 s)" in line


async def test_url_without_the_web_app_path_says_to_add_it(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    report = await doctor(om, slack, tmp_path, OPENMEETINGS_URL=om.base_url.removesuffix("/openmeetings"))
    assert report.status == 1
    line = report.line("OpenMeetings version")
    assert line.startswith("  FAIL") and "OPENMEETINGS_URL must end with the web app path" in line


async def test_old_om_says_to_upgrade_or_change_the_url(slack: SlackSimulator, tmp_path: Path) -> None:
    om = OMSimulator(version="4.0.11")
    await om.start()
    try:
        report = await doctor(om, slack, tmp_path)
    finally:
        await om.stop()
    line = report.line("OpenMeetings version")
    assert line.startswith("  FAIL") and "OpenMeetings 4.0.11" in line and "OPENMEETINGS_URL" in line


async def test_om_not_ready_names_where_to_look(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    om.health["dbOk"] = False
    report = await doctor(om, slack, tmp_path)
    line = report.line("OpenMeetings health")
    assert (
        line.startswith("  FAIL") and "dbOk=False" in line and "OpenMeetings at OPENMEETINGS_URL is not ready" in line
    )


@pytest.mark.parametrize(
    ("break_account", "says"),
    [
        (lambda om: om.api_user.rights.discard("LOGIN"), "Give OPENMEETINGS_USER the LOGIN right"),
        (lambda om: om.api_user.groups.clear(), "Add OPENMEETINGS_USER to at least one group"),
    ],
    ids=["no LOGIN right", "no group"],
)
async def test_refused_login_names_the_user_and_the_admin_page(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path, break_account: Callable[[OMSimulator], None], says: str
) -> None:
    break_account(om)
    report = await doctor(om, slack, tmp_path)
    line = report.line("OpenMeetings login")
    assert line.startswith("  FAIL") and says in line and "OpenMeetings Administration -> Users" in line


async def test_om_failing_the_link_call_names_the_url(om: OMSimulator, slack: SlackSimulator, tmp_path: Path) -> None:
    """A proxy's 502 on /user/hash, after everything before it worked."""

    def bad_gateway(request: web.Request) -> web.Response | None:
        return web.Response(status=502, text="bad gateway") if request.path.endswith("/user/hash") else None

    om.fault = bad_gateway
    report = await doctor(om, slack, tmp_path)
    line = report.line("OpenMeetings join link")
    assert line.startswith("  FAIL") and "OpenMeetings at OPENMEETINGS_URL stopped answering" in line
    assert report.status_of("OpenMeetings SOAP right") == "ok"


async def test_om_answering_html_to_the_room_lookup_names_the_url(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    def html(request: web.Request) -> web.Response | None:
        return (
            web.Response(status=200, text="<html>login</html>", content_type="text/html")
            if "/room/" in request.path
            else None
        )

    om.fault = html
    report = await doctor(om, slack, tmp_path)
    line = report.line("OpenMeetings SOAP right")
    assert line.startswith("  FAIL") and "not JSON" in line and "OPENMEETINGS_URL" in line


async def test_slack_api_not_reachable_names_the_api_url_and_the_proxy(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    report = await doctor(om, slack, tmp_path, SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    assert report.status == 1
    line = report.line("Slack auth.test")
    assert line.startswith("  FAIL") and "SLACK_API_URL" in line and "HTTPS_PROXY" in line
    assert report.status_of("OpenMeetings join link") == "ok"


async def test_env_example_left_as_it_is_names_every_placeholder(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    unset = {name: "" for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")}
    unset |= {name: "" for name in ("OPENMEETINGS_URL", "OPENMEETINGS_USER", "OPENMEETINGS_PASSWORD")}
    report = await doctor(om, slack, tmp_path, **unset)
    assert report.status == 1
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENMEETINGS_URL", "OPENMEETINGS_PASSWORD"):
        assert "placeholder value from .env.example" in report.line(f"setting {name}")
    assert om.requests == [] and slack.calls == []


async def test_public_url_is_checked_https_and_answering(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    assert (await doctor(om, slack, tmp_path)).status_of("Public URL") == "skip"
    plain = await doctor(om, slack, tmp_path, PUBLIC_URL="http://meet-bot.example.org")
    assert plain.status == 1 and plain.status_of("Public URL") == "FAIL" and "PUBLIC_URL" in plain.line("Public URL")
    # Nothing answers there: a warning (the network may not reach its own public address), not a failure.
    silent = await doctor(om, slack, tmp_path, PUBLIC_URL=f"https://127.0.0.1:{free_port()}")
    assert silent.status_of("Public URL") == "warn" and "curl" in silent.line("Public URL")
    assert silent.status == 0 and "1 to look at" in silent.out
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        bundle = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        port = runner.addresses[0][1]
        good = await doctor(om, slack, tmp_path, PUBLIC_URL=f"https://127.0.0.1:{port}", SSL_CERT_FILE=str(bundle))
        assert good.status_of("Public URL") == "ok", good.out
    finally:
        await runner.cleanup()


async def test_redis_is_checked_when_set(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path, shared_redis: RedisServer
) -> None:
    assert (await doctor(om, slack, tmp_path)).status_of("Redis") == "skip"
    good = await doctor(om, slack, tmp_path, REDIS_URL=shared_redis.url)
    assert good.status_of("Redis") == "ok", good.out
    assert not shared_redis.everything()  # the check's own key is gone again
    away = await doctor(om, slack, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert away.status == 1 and away.status_of("Redis") == "FAIL" and "REDIS_URL" in away.line("Redis")
