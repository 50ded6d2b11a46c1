"""Join-link tokens: short, unforgeable, timed, and carrying nothing secret."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from handlers.payloads import Requester
from handlers.tokens import LinkSigner, TokenError, spent_key

GRID = Requester("W0LONGUSER", "T0LONGTEAM", "E0LONGGRID")


def test_a_token_names_the_person_the_room_and_the_moderator_flag() -> None:
    signer = LinkSigner("k" * 32, 3600)
    token, claim = signer.sign(GRID, 123456789, "E0LONGGRID:C0LONGCHANNEL", True, epoch="")
    read = signer.read(token)
    assert read == claim
    assert (read.who, read.room_id, read.moderator) == (GRID, 123456789, True)
    assert read.external_id == "E0LONGGRID:C0LONGCHANNEL"
    assert len(token) <= 200
    assert signer.sign(GRID, 1, "", False, epoch="")[0] != signer.sign(GRID, 1, "", False, epoch="")[0]


@pytest.mark.parametrize("recording_id", [None, 42])
def test_a_token_carries_the_epoch_of_the_spent_record_it_was_made_in(recording_id: int | None) -> None:
    signer = LinkSigner("k" * 32, 3600)
    token, claim = signer.sign(GRID, 5, "E0LONGGRID:C0LONGCHANNEL", True, recording_id, epoch="1796158572123")
    read = signer.read(token)
    assert read == claim and (read.epoch, read.recording_id) == ("1796158572123", recording_id)
    assert len(token) <= 200
    # One made without a shared record (in memory) has none.
    assert signer.read(signer.sign(GRID, 5, "", False, recording_id, epoch="")[0]).epoch == ""


def test_nothing_secret_is_inside_only_ids() -> None:
    token, claim = LinkSigner("k" * 32, 3600).sign(GRID, 5, "", False, epoch="")
    # Anyone can read a token's payload without the key: it must hold ids and flags only.
    _, payload = URLSafeTimedSerializer("not the key").loads_unsafe(token)
    assert payload == ["W0LONGUSER", "T0LONGTEAM", "E0LONGGRID", 5, "", 0, claim.nonce]


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_changed_or_cut_token_is_refused(cut: int) -> None:
    signer = LinkSigner("k" * 32, 3600)
    token, _ = signer.sign(GRID, 5, "", False, epoch="")
    with pytest.raises(TokenError) as caught:
        signer.read(token[:-cut])
    assert not caught.value.expired
    flipped = token[:10] + ("x" if token[10] != "x" else "y") + token[11:]
    with pytest.raises(TokenError):
        signer.read(flipped)


def test_another_key_and_an_old_token_are_refused() -> None:
    token, _ = LinkSigner("k" * 32, 3600).sign(GRID, 5, "", False, epoch="")
    with pytest.raises(TokenError) as other:
        LinkSigner("j" * 32, 3600).read(token)
    assert not other.value.expired
    old, _ = LinkSigner("k" * 32, 3600, clock=lambda: time.time() - 3601).sign(GRID, 5, "", False, epoch="")
    with pytest.raises(TokenError) as expired:
        LinkSigner("k" * 32, 3600).read(old)
    assert expired.value.expired


def test_the_spent_key_is_a_digest_not_the_token() -> None:
    token, _ = LinkSigner("k" * 32, 3600).sign(GRID, 5, "", False, epoch="")
    assert token not in spent_key(token) and len(spent_key(token)) == 32
    assert spent_key(token) == spent_key(token) != spent_key(token + "x")
