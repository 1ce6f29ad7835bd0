"""The demo OMS's HTTP side: ``getStatusDetailOptionList`` (oms-api.md §7).

A threaded server from the standard library. It checks every request as Seller Center checks
the OMS's: mandatory parameters, the signature (HMAC-SHA256 with the shared key, the same
signing function both sides use), the version and a fresh timestamp; a request that fails is
answered with an ErrorResponse. What it answers can be replaced (``responder``), so tests can
play an OMS that is down, slow, or answers garbage; it counts requests in flight, so a test can
see whether two refreshes ever overlapped.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from maintenance.signing import SIGNATURE_PARAMETER, matching_key

from .options import DEMO_OPTIONS, option_list

ACTION = "getStatusDetailOptionList"
MANDATORY = ("Action", "ServiceName", "Timestamp", "Version", SIGNATURE_PARAMETER)


@dataclass
class Answer:
    """One HTTP answer. ``delay`` holds it back first, as a slow OMS would."""

    status: int = 200
    body: bytes | dict | list | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # False: no Content-Length, the body ends when the connection closes (as some servers do).
    declare_length: bool = True

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


def _head(action: str) -> dict[str, str]:
    return {
        "RequestId": str(uuid.uuid4()),
        "RequestAction": action,
        "ResponseType": "StatusDetailOptions",
        "Timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def success(options: list[dict[str, str]]) -> Answer:
    return Answer(
        200,
        {"SuccessResponse": {"Head": _head(ACTION), "Body": {"StatusDetailOptions": options}}},
    )


def error(http_status: int, code: int, message: str, action: str = ACTION) -> Answer:
    head = {
        "RequestId": str(uuid.uuid4()),
        "RequestAction": action,
        "ErrorType": "Sender",
        "ErrorCode": str(code),
        "ErrorMessage": message,
    }
    return Answer(http_status, {"ErrorResponse": {"Head": head, "Body": ""}})


class OmsServer:
    """The demo OMS's server on ``host:port`` (port 0: any free one, see ``url``)."""

    def __init__(
        self,
        *,
        key: Callable[[], str | None],
        host: str = "127.0.0.1",
        port: int = 0,
        options: tuple[tuple[str, str, str], ...] = DEMO_OPTIONS,
        max_skew_seconds: int = 300,
    ) -> None:
        self.key = key
        self.options = options
        self.max_skew_seconds = max_skew_seconds
        # Replaces the checked option list when set: receives the query parameters.
        self.responder: Callable[[dict[str, str]], Answer] | None = None
        self.requests: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> OmsServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="demo-oms", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    # --- answering -----------------------------------------------------------------------

    def answer(self, parameters: dict[str, str]) -> Answer:
        if self.responder is not None:
            return self.responder(parameters)
        refusal = self.check(parameters)
        if refusal is not None:
            return refusal
        return success(option_list(self.options))

    def check(self, parameters: dict[str, str]) -> Answer | None:
        """The ErrorResponse for a request that must be refused, or None."""
        action = parameters.get("Action", "")
        for name in MANDATORY:
            if not parameters.get(name):
                return error(400, 1, f"E001: Parameter {name} is mandatory", action)
        key = self.key()
        if not key or matching_key(parameters, parameters[SIGNATURE_PARAMETER], [key]) is None:
            return error(401, 7, "E007: Login failed. Signature mismatching", action)
        if parameters["Version"] != "1.0":
            return error(400, 2, "E002: Invalid Version", action)
        try:
            sent = datetime.fromisoformat(parameters["Timestamp"])
        except ValueError:
            return error(400, 4, "E004: Invalid Timestamp format", action)
        if sent.tzinfo is None:
            return error(400, 4, "E004: Invalid Timestamp format", action)
        if abs((datetime.now(UTC) - sent).total_seconds()) > self.max_skew_seconds:
            return error(400, 3, "E003: Timestamp has expired", action)
        if action != ACTION:
            return error(400, 8, "E008: Invalid Action", action)
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                parameters = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                with server._lock:
                    server.requests.append(parameters)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    answer = server.answer(parameters)
                    if answer.delay:
                        time.sleep(answer.delay)  # playing a slow OMS
                    body = answer.encoded()
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if answer.declare_length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (a timeout): nothing to answer
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_request(self, code: object = "-", size: object = "-") -> None:
                # The path only: the query is of no use in a log.
                print(f"demo OMS: {self.command} {urlsplit(self.path).path} {code}", flush=True)

        return Handler
