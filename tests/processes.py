"""The bot as a real process, started the way the Procfile starts it, for the tests that need one."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_bot_process(env: dict[str, str], *args: str, cwd: Path = ROOT) -> asyncio.subprocess.Process:
    """``python -m bot [args]`` with ``env``, its output piped for the test to read."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=str(cwd), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def wait_healthy(port: int, proc: asyncio.subprocess.Process, within: float = 20.0) -> int:
    """Polls ``/healthz`` until it answers 200 (the pool fills in the background); returns the last status."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last = 0
    async with httpx.AsyncClient() as client:
        while loop.time() < deadline:
            if proc.returncode is not None:
                raise AssertionError("bot exited early")
            try:
                last = (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code
                if last == 200:
                    return last
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    return last


async def run_to_exit(env: dict[str, str], *args: str, cwd: Path, within: float = 20.0) -> tuple[int, str]:
    """Runs ``python -m bot [args]`` from ``cwd`` (the repo importable) until it exits; (exit code, stderr)."""
    proc = await start_bot_process({**env, "PYTHONPATH": str(ROOT)}, *args, cwd=cwd)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), within)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return int(proc.returncode or 0), err.decode()


async def stop_bot_process(proc: asyncio.subprocess.Process, within: float = 10.0) -> str:
    """SIGTERM, as a platform stops a process; returns what it wrote to stderr."""
    proc.terminate()
    try:
        _, err = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        proc.kill()
        raise
    return err.decode()
