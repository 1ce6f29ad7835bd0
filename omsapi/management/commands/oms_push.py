"""``python manage.py oms_push FILE --url URL --service NAME --action ACTION``.

Signs and sends a request body from a file (``-``: standard input) with the key from the
environment variable ``OMS_API_KEY``, never from the command line (it would land in the shell
history and the process list), and prints the answer.
"""

from __future__ import annotations

import json
import os
import sys

import requests
from django.core.management.base import BaseCommand, CommandError

from omsapi.client import send


class Command(BaseCommand):
    help = "Sign and send an OMS API request body from FILE (- for stdin); key from OMS_API_KEY."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/oms-api/")
        parser.add_argument("--service", required=True, help="the ServiceName, e.g. OMS")
        parser.add_argument("--action", required=True, help="e.g. UpdateItemsStatus")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="an extra URL parameter, e.g. IncludeHistory=1 (repeatable)",
        )
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, **options) -> None:
        api_key = os.environ.get("OMS_API_KEY", "").strip()
        if not api_key:
            raise CommandError("OMS_API_KEY is not set: put the system's API key in it")
        extra: dict[str, str] = {}
        for pair in options["param"]:
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise CommandError(f"--param must be NAME=VALUE, not {pair!r}")
            extra[name] = value
        body = self._read(options["file"])
        try:
            json.loads(body)
        except ValueError as exc:
            raise CommandError(f"{options['file']} is not JSON: {exc}") from exc
        try:
            answer = send(
                url=options["url"],
                service_name=options["service"],
                api_key=api_key,
                action=options["action"],
                body=body,
                extra_params=extra,
                timeout=options["timeout"],
            )
        except requests.RequestException as exc:
            raise CommandError(f"could not reach {options['url']}: {exc}") from exc
        shown = json.dumps(answer.json, indent=2) if answer.json is not None else answer.text
        self.stdout.write(f"HTTP {answer.status}")
        self.stdout.write(shown)
        if answer.status >= 400:
            raise CommandError(f"the API answered HTTP {answer.status}", returncode=1)

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        try:
            with open(name, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
