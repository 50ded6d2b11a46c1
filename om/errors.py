"""The exceptions the OM client raises.

Every failure of a call to OpenMeetings ends up as one of these, so callers can
pick the message a person sees by the class alone. No message ever carries a
SID, a hash or a password: callers log ``str(exc)`` as it is.

The tree:

* OMError
  + OMUnreachableError - no answer: connection refused, DNS, a 502/503/504 from a proxy
    - OMTimeoutError - connected, or tried to, but no answer in time
    - OMTLSError - the TLS handshake failed (an untrusted certificate)
  + OMAuthError - the API user's login was refused (``key`` is OM's error key)
    - OMBadCredentialsError - ``error.bad.credentials``
    - OMAccountError - ``error.notactivated``, ``error.nogroup``
  + OMNotAllowedError - ``error.notallowed``: an expired SID or a missing right
    - OMMissingRightError - the same on a SID fresh from login: the right is missing
  + OMNotFoundError - no such room
  + OMProtocolError - an answer that is not the API's: malformed HTTP, not JSON, wrong shape, unexpected status
"""

from __future__ import annotations


class OMError(Exception):
    """Base class of every OpenMeetings client error."""


class OMUnreachableError(OMError):
    """OM did not answer: connection refused, DNS, TLS, a timeout, or a gateway's 502/503/504."""


class OMTimeoutError(OMUnreachableError):
    """OM accepted the connection but did not answer in time."""


class OMTLSError(OMUnreachableError):
    """The TLS handshake failed, typically a self-signed certificate."""


class OMAuthError(OMError):
    """OM refused to log the API user in (the error key is in ``key``)."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class OMBadCredentialsError(OMAuthError):
    """Unknown API user or wrong password (``error.bad.credentials``)."""


class OMAccountError(OMAuthError):
    """The API user exists but may not log in: no LOGIN right or no group."""


class OMNotAllowedError(OMError):
    """``error.notallowed``: an expired SID or a missing right (OM can't tell which)."""


class OMNotFoundError(OMError):
    """The object asked for (a room) does not exist."""


class OMProtocolError(OMError):
    """OM answered with something that is not the API's documented shape."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OMMissingRightError(OMNotAllowedError):
    """``error.notallowed`` even on a SID fresh from login: the API user lacks a right."""

    def __init__(self, message: str, right: str) -> None:
        super().__init__(message)
        self.right = right
