"""The demo OMS's pushing side: the day of events, sent to Seller Center's ``/oms-api/``
through the reference client, then the status details of the returned and failed items keep
moving.

A step is sent again, with the same event time, while Seller Center cannot be reached yet, or
while it answers that a status detail is unknown: that answer queues a refresh of this OMS's
options in Seller Center, so a later try goes through. Steps refused for other reasons (an item
that moved on already, when the demo runs a second time) are reported and skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests

from omsapi.client import ClientResponse, send

from .scenario import DAY, Step, moving_step

UNKNOWN_DETAIL = "is not a known status detail"


class Pusher:
    def __init__(
        self,
        *,
        seller_center_url: str,
        service_name: str,
        key: Callable[[], str | None],
        step_seconds: float = 4.0,
        attempts: int = 15,
        stop: threading.Event | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.url = urljoin(seller_center_url, "/oms-api/")
        self.service_name = service_name
        self.key = key
        self.step_seconds = step_seconds
        self.attempts = attempts
        self.stop = stop or threading.Event()
        self.say = say

    def run(self, *, keep_moving: bool = True) -> None:
        """Push the day, then (``keep_moving``) move details on until stopped."""
        for number, step in enumerate(DAY, start=1):
            if self.stop.is_set():
                return
            self.push(step, label=f"step {number}/{len(DAY)}")
            self.stop.wait(self.step_seconds)
        tick = 0
        while keep_moving and not self.stop.is_set():
            self.push(moving_step(tick), label="moving on")
            tick += 1
            self.stop.wait(self.step_seconds)

    def push(self, step: Step, *, label: str) -> bool:
        """Send one step; whether Seller Center took it."""
        event_time = datetime.now(UTC).replace(microsecond=0).isoformat()
        body = {
            "Request": {"Items": [{**item, "status_event_time": event_time} for item in step.items]}
        }
        for _ in range(self.attempts):
            if self.stop.is_set():
                return False
            key = self.key()
            if not key:
                self.say(f"demo OMS: {label}: no API key yet (run python manage.py seed_demo)")
                self.stop.wait(self.step_seconds)
                continue
            try:
                answer = send(
                    url=self.url,
                    service_name=self.service_name,
                    api_key=key,
                    action=step.action,
                    body=body,
                    timeout=10,
                )
            except requests.RequestException:
                self.say(f"demo OMS: {label}: Seller Center not reachable yet at {self.url}")
                self.stop.wait(self.step_seconds)
                continue
            if answer.status == 200:
                self.say(f"demo OMS: {label}: {step.action} of {len(step.items)} items accepted")
                return True
            messages = _refusals(answer)
            if (
                answer.status >= 500
                or answer.status == 429
                or any(UNKNOWN_DETAIL in message for message in messages)
            ):
                self.say(f"demo OMS: {label}: {'; '.join(messages) or answer.status}: trying again")
                self.stop.wait(self.step_seconds)
                continue
            self.say(f"demo OMS: {label}: refused: {'; '.join(messages) or answer.text[:200]}")
            return False
        return False


def _refusals(answer: ClientResponse) -> list[str]:
    try:
        error = answer.json["ErrorResponse"]  # type: ignore[index]
    except (TypeError, KeyError):
        return []
    body = error.get("Body")
    if isinstance(body, dict):
        return [
            str(entry.get("ErrorMessage", ""))
            for entries in body.values()
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, dict)
        ]
    return [str(error.get("Head", {}).get("ErrorMessage", ""))]
