"""Acks first: held work and held answers are released once acks pause, and never later than max_wait."""

from __future__ import annotations

import asyncio

from bot.ack_first import AckFirst, Work


def started_into(log: list[str]) -> tuple[AckFirst, list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []

    def start(work: Work, name: str) -> None:
        log.append(name)
        tasks.append(asyncio.get_running_loop().create_task(work))

    gate = AckFirst(quiet=0.01, max_wait=10.0)
    gate.start = start
    return gate, tasks


async def test_nothing_is_held_when_no_ack_went_out() -> None:
    gate = AckFirst(quiet=10.0, max_wait=10.0)
    await asyncio.wait_for(gate.after_acks(), 1)  # returns at once: a long quiet would otherwise show
    assert gate.held == 0


async def test_work_waits_for_a_pause_in_the_acks_then_runs() -> None:
    log: list[str] = []
    gate, tasks = started_into(log)
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    gate.hand_over(work(), "first")
    gate.hand_over(work(), "second")
    assert log == [] and gate.held == 2  # not started while acks may still be coming
    await asyncio.wait_for(ran.wait(), 5)
    assert log == ["first", "second"] and gate.held == 0  # in the order the acks went out
    await asyncio.gather(*tasks)


async def test_answers_read_during_a_burst_wait_for_its_acks() -> None:
    log: list[str] = []
    gate, tasks = started_into(log)

    async def noop() -> None:
        pass

    gate.hand_over(noop(), "ack")
    waiting = asyncio.create_task(gate.after_acks())
    await asyncio.sleep(0)
    assert not waiting.done() and gate.held == 2
    await asyncio.wait_for(waiting, 5)
    await asyncio.gather(*tasks)


async def test_a_steady_stream_of_acks_holds_work_no_longer_than_max_wait() -> None:
    gate = AckFirst(quiet=10.0, max_wait=0.05)  # acks never pause for 10 s here
    started: list[str] = []
    gate.start = lambda work, name: (started.append(name), work.close())  # type: ignore[func-returns-value]

    async def noop() -> None:
        pass

    gate.hand_over(noop(), "held")
    waiting = asyncio.create_task(gate.after_acks())
    await asyncio.wait_for(waiting, 5)  # released by max_wait, not by a pause
    assert started == ["held"]


async def test_flush_releases_everything_now() -> None:
    log: list[str] = []
    gate, tasks = started_into(log)

    async def noop() -> None:
        pass

    gate.hand_over(noop(), "a")
    waiting = asyncio.create_task(gate.after_acks())
    await asyncio.sleep(0)
    gate.flush()
    assert log == ["a"] and gate.held == 0
    await asyncio.wait_for(waiting, 1)
    await asyncio.gather(*tasks)
