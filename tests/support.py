"""Helpers of the end-to-end tests that start real processes: polling with a deadline and
child processes (gunicorn, Celery) whose output goes to a log file."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout: float = 30, what: str) -> T:
    """Poll ``check`` until it returns something true, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.1)  # the polling interval


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_available() -> bool:
    """Whether the Redis of ``REDIS_URL`` answers."""
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


class ChildProcess:
    """``python -m <arguments>`` as a child of the test, its output in a log file."""

    def __init__(self, arguments: list[str], environment: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *arguments],
            cwd=BASE_DIR,
            env=environment,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
