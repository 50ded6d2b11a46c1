"""One table: each OpenMeetings failure -> what the person reads, the outcome counted, and what the admin fixes.

The handlers answer from it, the metrics count its outcomes, and ``python -m bot doctor`` prints its fixes. The
most specific class comes first; a test checks that every ``OMError`` subclass finds a row of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from om import (
    OMAccountError,
    OMAuthError,
    OMBadCredentialsError,
    OMError,
    OMMissingRightError,
    OMNotAllowedError,
    OMNotFoundError,
    OMProtocolError,
    OMTimeoutError,
    OMTLSError,
    OMUnreachableError,
)

log = logging.getLogger(__name__)

UNREACHABLE = "OpenMeetings is not reachable right now. Please try again in a minute."
TIMED_OUT = "OpenMeetings is not reachable: it did not answer in time. Please try again in a minute."
LOGIN_REFUSED = (
    "OpenMeetings refused the bot's own login, so I can't open rooms right now. "
    "Please ask your Slack admin to check the bot's OpenMeetings account."
)
NO_SOAP = (
    "The bot's OpenMeetings user lacks the *SOAP* right, so OpenMeetings won't make join links. "
    "Please ask your OpenMeetings admin to grant it (Administration → Users → the bot's user → Rights)."
)
UNEXPECTED = "OpenMeetings gave an unexpected answer. Please try again; if it keeps happening, tell your admin."
ROOM_MISSING = "{what} in OpenMeetings. Check the number, or try `/meet list`."

CHECK_URL = "check OPENMEETINGS_URL (scheme, host, port and the /openmeetings path) and that OpenMeetings is running"
CHECK_TLS = "set OPENMEETINGS_CA_BUNDLE to the CA that signed OpenMeetings' certificate"
CHECK_LOGIN = (
    "check OPENMEETINGS_USER and OPENMEETINGS_PASSWORD, and that the user is of type USER with the LOGIN right "
    "and in a group"
)
CHECK_SOAP = "grant the SOAP right to OPENMEETINGS_USER in OpenMeetings (Administration → Users → Rights)"


@dataclass(frozen=True, slots=True)
class Problem:
    says: str  # what the person reads; "{what}" is the error's own text, capitalised
    outcome: str  # the metrics label, one of OUTCOMES
    fix: str  # what the admin changes, for the log and doctor; "" where nothing is to change
    level: int = logging.ERROR


PROBLEMS: tuple[tuple[type[OMError], Problem], ...] = (
    (OMNotFoundError, Problem(ROOM_MISSING, "room_not_found", "", logging.INFO)),
    (OMTimeoutError, Problem(TIMED_OUT, "unreachable", CHECK_URL, logging.WARNING)),
    (OMTLSError, Problem(UNREACHABLE, "unreachable", CHECK_TLS)),
    (OMUnreachableError, Problem(UNREACHABLE, "unreachable", CHECK_URL, logging.WARNING)),
    (OMBadCredentialsError, Problem(LOGIN_REFUSED, "login_refused", CHECK_LOGIN)),
    (OMAccountError, Problem(LOGIN_REFUSED, "login_refused", CHECK_LOGIN)),
    (OMAuthError, Problem(LOGIN_REFUSED, "login_refused", CHECK_LOGIN)),
    (OMMissingRightError, Problem(NO_SOAP, "no_soap", CHECK_SOAP)),
    (OMNotAllowedError, Problem(NO_SOAP, "no_soap", CHECK_SOAP)),
    (OMProtocolError, Problem(UNEXPECTED, "unexpected", CHECK_URL)),
    (OMError, Problem(UNEXPECTED, "unexpected", "")),
)

# Every outcome a command or click is counted under: the metrics label's whole, fixed set.
# "preview", "expired" and "spent" are for join links opened in a browser (handlers/browser/open_link.py);
# "ignored" for events the bot has nothing to do for (a Messages tab opened, a Home tab opened twice in a moment).
OUTCOMES = (
    "ok", "usage", "refused", "invalid", "ignored", "preview", "expired", "spent",
    *sorted({row.outcome for _, row in PROBLEMS}),
)  # fmt: skip


def problem(exc: OMError) -> Problem:
    return next(row for cls, row in PROBLEMS if isinstance(exc, cls))


def explain(exc: OMError) -> tuple[str, str]:
    """(what the person reads, the outcome); logs what the admin should fix. Never a secret: OM errors carry none."""
    row = problem(exc)
    if row.fix:
        log.log(row.level, "meet: %s; %s", exc, row.fix)
    else:
        log.log(row.level, "meet: %s", exc)
    what = str(exc)
    return row.says.format(what=what[:1].upper() + what[1:]), row.outcome
