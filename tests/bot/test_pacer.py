"""The work behind early acks: it waits for acks to pause, then starts one piece per turn of the event loop."""

from __future__ import annotations

import asyncio
import gc

from bot.slack.pacer import Pacer


async def test_work_waits_while_acks_keep_coming_and_starts_once_they_pause() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer(quiet=1.0, max_wait=60.0)
    turn = asyncio.create_task(pacer.turn())
    for _ in range(5):
        pacer.acked()
        await asyncio.sleep(0.01)  # the next request of the burst; far less than the 1 s pause the work waits for
        assert not turn.done()
    last_ack = loop.time()
    pacer.acked()
    await asyncio.wait_for(turn, 10)
    assert loop.time() - last_ack >= 0.99


async def test_the_oldest_work_waits_max_wait_at_most_whatever_the_acks() -> None:
    pacer = Pacer(quiet=60.0, max_wait=0.05)
    pacer.acked()
    # Without the bound, this work would wait for a minute's pause in acks.
    await asyncio.wait_for(pacer.turn(), 10)


async def test_the_work_starts_in_order_one_piece_per_turn_of_the_loop() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer(quiet=0.0, max_wait=0.0)
    seen: list[str] = []

    async def work(name: str) -> None:
        await pacer.turn()
        seen.append(name)
        # Runs on the loop's next turn: before the next work starts only if starts are one a turn.
        loop.call_soon(seen.append, "turn")

    await asyncio.gather(*(work(name) for name in "abc"))
    await asyncio.sleep(0)
    assert seen == ["a", "turn", "b", "turn", "c", "turn"]


async def test_work_cancelled_while_waiting_holds_up_nothing_behind_it() -> None:
    pacer = Pacer(quiet=0.05, max_wait=60.0)
    first = asyncio.create_task(pacer.turn())
    second = asyncio.create_task(pacer.turn())
    await asyncio.sleep(0)
    assert pacer.waiting == 2
    first.cancel()
    await asyncio.wait_for(second, 10)
    assert first.cancelled()
    assert pacer.waiting == 0


async def test_the_collector_waits_with_the_work_and_comes_back_on_its_own() -> None:
    pacer = Pacer(quiet=0.01, max_wait=0.05)
    try:
        assert gc.isenabled()
        pacer.acked()
        assert not gc.isenabled()  # a burst's acks are not what a collection stalls
        await asyncio.wait_for(pacer.turn(), 10)
        assert gc.isenabled()  # back as the first work starts
        pacer.acked()  # acks with no work behind them: the collector comes back all the same
        assert not gc.isenabled()
        loop = asyncio.get_running_loop()
        back: asyncio.Future[None] = loop.create_future()

        def look() -> None:
            if gc.isenabled():
                back.set_result(None)
            else:
                loop.call_later(0.01, look)

        look()
        await asyncio.wait_for(back, 10)
    finally:
        gc.enable()
