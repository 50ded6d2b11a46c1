"""A real ``redis-server`` (Debian's package) on a free loopback port, started and stopped by its PID.

No persistence: stopped and started again, it comes back empty, as a managed Redis without persistence does after a
restart; the bot must cope with that too.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis
import redis.asyncio

from tests.processes import free_port

READY_WITHIN = 10.0


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    ca: Path


class RedisServer:
    def __init__(self, *, port: int = 0, tls: TLSFiles | None = None) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed: apt-get install -y redis-server (README: Tests)")
        self.port = port or free_port()
        self.tls = tls
        self._dir = tempfile.TemporaryDirectory(prefix="redis-test-")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def client(self) -> redis.Redis:
        """A plain client for the test to look at what the bot keeps."""
        if self.tls is None:
            return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=5, ssl=True, ssl_ca_certs=str(self.tls.ca)
        )

    async def wait_expired(self, key: str, timeout: float = 10.0) -> None:
        """Returns once Redis has expired ``key`` by its TTL: told by a keyspace notification, not found by polling."""
        kwargs = {"ssl": True, "ssl_ca_certs": str(self.tls.ca)} if self.tls else {}
        client = redis.asyncio.Redis(host="127.0.0.1", port=self.port, **kwargs)  # type: ignore[arg-type]
        pubsub = client.pubsub()
        try:
            await client.config_set("notify-keyspace-events", "Ex")
            await pubsub.subscribe("__keyevent@0__:expired")
            if not await client.exists(key):
                return
            async with asyncio.timeout(timeout):
                async for message in pubsub.listen():
                    if message["type"] == "message" and message["data"] == key.encode():
                        return
        finally:
            await pubsub.aclose()
            await client.aclose()

    def start(self) -> None:
        args = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self._dir.name]
        if self.tls is None:
            args += ["--port", str(self.port)]
        else:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls.cert),
                     "--tls-key-file", str(self.tls.key), "--tls-ca-cert-file", str(self.tls.ca),
                     "--tls-auth-clients", "no"]  # fmt: skip
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        client = self.client()
        try:
            while True:
                if self._proc is not None and self._proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self._proc.returncode}")
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.02)  # polling for the server to come up, bounded above
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM to its PID, as a platform stops it; it is gone when this returns."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def flush(self) -> None:
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def everything(self) -> dict[bytes, tuple[bytes, int]]:
        """Every key the store holds: all it holds (strings, hash fields and values, set and list members) as one byte
        string, and its TTL in ms (-1: none)."""
        client = self.client()
        try:
            found: dict[bytes, tuple[bytes, int]] = {}
            for key in client.scan_iter(count=1000):
                kind = client.type(key)
                if kind == b"string":
                    value = client.get(key) or b""
                elif kind == b"hash":
                    value = b" ".join(k + b"=" + v for k, v in client.hgetall(key).items())
                elif kind == b"zset":
                    value = b" ".join(member for member, _ in client.zrange(key, 0, -1, withscores=True))
                elif kind == b"list":
                    value = b" ".join(client.lrange(key, 0, -1))
                else:
                    raise AssertionError(f"a {kind!r} the bot does not make: {key!r}")
                found[key] = (value, int(client.pttl(key)))
            return found
        finally:
            client.close()
