"""Fixtures of the refresh tests: a real HTTP server playing the OMS (the demo OMS's server with
programmable answers) and a system credential pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from demo_oms.server import OmsServer
from maintenance.credentials import create_system
from maintenance.models import SystemCredential
from maintenance.refresh import queued_mark


@pytest.fixture
def oms() -> Iterator[OmsServer]:
    keys: dict[str, str | None] = {"key": None}
    server = OmsServer(key=lambda: keys["key"]).start()
    server.keys = keys
    yield server
    server.stop()


@pytest.fixture
def system(db, oms) -> SystemCredential:
    issued = create_system(service_name="OMS", networks=["127.0.0.1"], oms_url=oms.url)
    oms.keys["key"] = issued.secret
    # No "refresh queued" mark of an earlier test may linger in a shared cache.
    cache.delete(queued_mark(issued.api_key.credential.pk))
    return issued.api_key.credential
