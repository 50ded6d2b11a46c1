"""The ``om`` package's public surface, pinned: a name added or dropped is a decision, made here too."""

import om

EXPORTED = [
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


def test_all_is_pinned() -> None:
    assert om.__all__ == EXPORTED


def test_all_names_exist_and_are_owned_by_om() -> None:
    for name in om.__all__:
        member = getattr(om, name)
        assert member.__module__.startswith("om."), name
