"""Join links minted at the click: a signed token that names one person, one room and an expiry.

The token carries everything needed to mint the hash when it is opened (who, which room, the moderator flag), so a
link handed out before a restart works after it, on any process that has the key. It carries no SID, hash or
password: it is only a claim, signed with HMAC-SHA256 by itsdangerous and timestamped; rotating the key ends every
outstanding link. Single use is the store's business (``Deps.spent``), keyed by a digest of the token, never by the
token itself.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .payloads import Requester

_SALT = "openmeetings-slack join link v1"


class TokenError(Exception):
    """The token can't be used; ``expired`` tells an old link from a forged or damaged one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class LinkClaim:
    who: Requester
    room_id: int
    external_id: str  # the conversation room's key in OM, "" for a room by id
    moderator: bool
    # Makes each link distinct (two /meet in one second) and names it to the Share button.
    nonce: str
    # A recording of the room to watch, rather than the room itself.
    recording_id: int | None = None
    # The epoch of the shared record of spent links when the link was made ("" for one kept in memory): if that
    # record is lost (a Redis that restarted empty), the link can't be vouched for.
    epoch: str = ""


class LinkSigner:
    def __init__(self, key: str, ttl: float, *, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl

        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self._serializer = URLSafeTimedSerializer(
            key, salt=_SALT, signer=Signer, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def sign(
        self,
        who: Requester,
        room_id: int,
        external_id: str,
        moderator: bool,
        recording_id: int | None = None,
        *,
        epoch: str,
    ) -> tuple[str, LinkClaim]:
        """``epoch``: the spent record's (``Deps.spent.epoch``), required so that no kind of link forgets it."""
        claim = LinkClaim(who, room_id, external_id, moderator, secrets.token_urlsafe(6), recording_id, epoch)
        fields: list[Any] = [who.user_id, who.team_id, who.enterprise_id or "", room_id, external_id, int(moderator),
                             claim.nonce]  # fmt: skip
        if epoch:
            fields += [recording_id, epoch]
        elif recording_id is not None:
            fields.append(recording_id)
        return str(self._serializer.dumps(fields)), claim

    def read(self, token: str) -> LinkClaim:
        """The claim of a token made by this key within its TTL; TokenError otherwise."""
        try:
            fields: Any = self._serializer.loads(token, max_age=int(self.ttl))
        except SignatureExpired:
            raise TokenError("the link has expired", expired=True) from None
        except BadSignature:
            raise TokenError("the link is not one the bot made") from None
        if not (isinstance(fields, list) and len(fields) in (7, 8, 9)):
            raise TokenError("the link is not one the bot made")
        user_id, team_id, enterprise_id, room_id, external_id, moderator, nonce = fields[:7]
        recording_id = int(fields[7]) if len(fields) > 7 and fields[7] is not None else None
        epoch = str(fields[8]) if len(fields) == 9 else ""
        who = Requester(str(user_id), str(team_id), str(enterprise_id) or None)
        return LinkClaim(who, int(room_id), str(external_id), bool(moderator), str(nonce), recording_id, epoch)


def spent_key(token: str) -> str:
    """What the store keeps for a spent token: a digest, so the store holds no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]
