"""``make loadtest`` with a small bound: the load run works end to end and nothing fails.

It runs ``python -m benchmarks.loadtest`` as CI would, against a scratch database on the
server ``DATABASE_URL`` names (SQLite when unset), and reads the table it prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.e2e

BASE_DIR = Path(settings.BASE_DIR)
KINDS = [
    "push 1 item",
    "push 100 items",
    "push 1000 items",
    "page /",
    "page /orders/<n>/",
    "page /items/<id>/",
]


def test_a_bounded_load_run_prints_its_table_with_no_errors():
    # given a bound of 60 requests from 3 clients on 2 gunicorn workers
    command = [
        sys.executable,
        "-m",
        "benchmarks.loadtest",
        "--requests",
        "60",
        "--concurrency",
        "3",
        "--workers",
        "2",
        "--seconds",
        "240",
    ]

    # when the load test runs
    run = subprocess.run(
        command, cwd=BASE_DIR, env=dict(os.environ), capture_output=True, text=True, timeout=420
    )

    # then it succeeds and its table has a row per kind, all without errors
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)
    lines = run.stdout.splitlines()
    [summary] = [line for line in lines if line.startswith("load test:")]
    assert "60 requests" in summary and "on 127.0.0.1" in summary
    header = next(line for line in lines if line.startswith("kind"))
    assert header.split() == [
        "kind",
        "requests",
        "errors",
        "req/s",
        "p50",
        "ms",
        "p95",
        "ms",
        "p99",
        "ms",
    ]
    rows = {}
    for line in lines:
        for kind in [*KINDS, "all"]:
            if line.startswith(kind + " ") and line[len(kind) :].split()[0].isdigit():
                rows[kind] = line[len(kind) :].split()
    assert set(rows) == {*KINDS, "all"}
    assert rows["all"][0] == "60"
    assert sum(int(rows[kind][0]) for kind in KINDS) == 60
    assert {kind: row[1] for kind, row in rows.items()} == dict.fromkeys(rows, "0")
    assert not any(line.startswith("errors:") for line in lines)
