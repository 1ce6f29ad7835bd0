"""What ``make run`` starts, as a newcomer gets it: the Procfile under honcho (web, Celery
worker, Celery beat, the demo OMS) on the embedded defaults (SQLite, filesystem broker, file
cache), after migrate and seed_demo in an empty var directory. Within a minute the seller
screen shows status details the demo OMS pushed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings

from tests.conftest import require_real_part
from tests.support import free_port

pytestmark = pytest.mark.e2e

BASE_DIR = Path(settings.BASE_DIR)
HONCHO = BASE_DIR / ".venv" / "bin" / "honcho"


def test_make_run_shows_pushed_status_details_within_a_minute(tmp_path):
    require_real_part(HONCHO.is_file(), f"needs the project's virtual environment ({HONCHO})")
    # given an empty var directory and nothing but the embedded defaults
    web_port, oms_port = free_port(), free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "STATUS_DETAIL_REFRESH_SECONDS"}
    }
    environment.update(
        SELLERCENTER_VAR_DIR=str(tmp_path),
        SECRET_KEY="make-run-test-secret-key-" + "x" * 30,
        CREDENTIALS_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SELLER_CENTER_URL=f"http://127.0.0.1:{web_port}/",
        DEMO_OMS_PORT=str(oms_port),
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput"],
        ["seed_demo", "--oms-url", f"http://127.0.0.1:{oms_port}/"],
    ):
        subprocess.run(
            manage + command, cwd=BASE_DIR, env=environment, check=True, capture_output=True
        )
    log = (tmp_path / "honcho.log").open("wb")
    honcho = subprocess.Popen(
        [str(HONCHO), "-f", "Procfile", "start", "-p", str(web_port)],
        cwd=BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # when a seller logs in and looks at the orders list
        session = requests.Session()
        found: list[str] = []
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline:
            try:
                found = seller_screen_details(session, f"http://127.0.0.1:{web_port}")
            except requests.RequestException:
                pass  # the web server is still starting
            if not found:
                time.sleep(0.5)  # the polling interval

        # then status details the demo OMS pushed are on it
        output = (tmp_path / "honcho.log").read_text(errors="replace")
        assert found, f"no status detail on the seller screen within 60 s:\n{output[-4000:]}"
        assert "With 3PL on way to Venture" in found or "Initiated" in found
        assert "status detail refresh of DEMO-OMS: 12 added" in output
        assert honcho.poll() is None
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
        log.close()


DETAIL_LABELS = ("Initiated", "With 3PL on way to Venture", "With Venture")


def seller_screen_details(session: requests.Session, base: str) -> list[str]:
    """The demo's detail labels on the acme seller's orders list (logging in first)."""
    page = session.get(base + "/", timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if "/login/" in page.url and token:
        page = session.post(
            page.url,
            data={
                "username": "acme",
                "password": "acme-demo",
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": page.url},
            timeout=5,
        )
    if page.status_code != 200 or "/login/" in page.url:
        return []
    return [label for label in DETAIL_LABELS if f">{label}<" in page.text or label in page.text]
