"""OpenMeetings REST client: the wire (``client``), its models and errors, and the SID pool."""

from . import redact
from .client import OMClient
from .errors import (
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
from .models import ExternalUser, Health, Recording, Room, RoomDefinition, RoomOptions, ServerInfo
from .pool import IssuedHash, PoolStatus, SessionPool
from .rooms import RoomDirectory, match_rooms, normalize
from .urls import join_url

redact.install()

__all__ = [
    "ExternalUser",
    "Health",
    "IssuedHash",
    "OMAccountError",
    "OMAuthError",
    "OMBadCredentialsError",
    "OMClient",
    "OMError",
    "OMMissingRightError",
    "OMNotAllowedError",
    "OMNotFoundError",
    "OMProtocolError",
    "OMTLSError",
    "OMTimeoutError",
    "OMUnreachableError",
    "PoolStatus",
    "Recording",
    "Room",
    "RoomDefinition",
    "RoomDirectory",
    "RoomOptions",
    "ServerInfo",
    "SessionPool",
    "join_url",
    "match_rooms",
    "normalize",
]
