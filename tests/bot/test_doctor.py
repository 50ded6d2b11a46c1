"""``python -m bot doctor`` as an admin runs it: a real process, its settings in the environment,
against the OM and Slack simulators; checked by its exit status and the fix it prints."""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.conftest import bot_env
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
            if text[2:6].strip() in ("ok", "FAIL", "skip") and text[8:].startswith(name + "  "):
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
    return report


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
