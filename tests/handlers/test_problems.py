"""The one table of OM failures: every error class has its own row, and every outcome is a known label."""

from __future__ import annotations

import logging

import pytest

import om
from handlers import problems


def _error_classes() -> list[type[om.OMError]]:
    found: list[type[om.OMError]] = []
    pending: list[type[om.OMError]] = [om.OMError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_every_om_error_has_a_row_of_its_own(cls: type[om.OMError]) -> None:
    # Rows are matched in order with isinstance, so a subclass listed after its base would never be reached.
    assert cls in [row_cls for row_cls, _ in problems.PROBLEMS]
    listed = [row_cls for row_cls, _ in problems.PROBLEMS]
    assert all(listed.index(sub) < listed.index(cls) for sub in cls.__subclasses__())


def test_outcomes_are_a_small_fixed_set() -> None:
    assert {row.outcome for _, row in problems.PROBLEMS} <= set(problems.OUTCOMES)
    assert len(problems.OUTCOMES) == len(set(problems.OUTCOMES)) <= 16


@pytest.mark.parametrize(
    ("error", "says", "outcome"),
    [
        (om.OMNotFoundError("room 9 does not exist"), "Room 9 does not exist in OpenMeetings", "room_not_found"),
        (om.OMTimeoutError("slow"), "did not answer in time", "unreachable"),
        (om.OMTLSError("tls"), "not reachable", "unreachable"),
        (om.OMBadCredentialsError("no", "error.bad.credentials"), "refused the bot's own login", "login_refused"),
        (om.OMMissingRightError("no soap", "SOAP"), "SOAP", "no_soap"),
        (om.OMProtocolError("odd"), "unexpected answer", "unexpected"),
    ],
)
def test_explain_says_what_the_person_reads_and_logs_the_fix(
    error: om.OMError, says: str, outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    text, counted = problems.explain(error)
    assert says in text and counted == outcome
    fix = problems.problem(error).fix
    assert not fix or fix in caplog.text
