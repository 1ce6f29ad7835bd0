"""Request-level errors of the OMS API, one class per kind, each with its E-code (oms-api.md §6).

Per-item errors are not here: they come from ``orders.errors`` (``ItemError`` subclasses). A
request-level error refuses the whole request; ``reason`` is the exact cause in plain words for
the request log (the service desk sees it), while ``message`` is all the caller gets.
"""

from __future__ import annotations

from typing import ClassVar


class ApiError(Exception):
    """A refused request: E-code, HTTP status, the caller's message and the log's reason."""

    code: ClassVar[int]
    http_status: ClassVar[int] = 400
    error_type: ClassVar[str] = "Sender"
    text: ClassVar[str]
    # The prefix of the key that signed the request, once the signature has been checked.
    api_key_prefix: str = ""

    def __init__(self, reason: str = "", *, detail: str = "") -> None:
        self.detail = detail
        self.reason = reason or self.message
        super().__init__(self.reason)

    @property
    def message(self) -> str:
        text = f"E{self.code:03d}: {self.text}"
        return f"{text} ({self.detail})" if self.detail else text


class MissingParameter(ApiError):
    code = 1

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"URL parameter {name} is missing")

    @property
    def message(self) -> str:
        return f"E001: Parameter {self.name} is mandatory"


class InvalidVersion(ApiError):
    code = 2
    text = "Invalid Version"


class TimestampExpired(ApiError):
    code = 3
    text = "Timestamp has expired"


class InvalidTimestamp(ApiError):
    code = 4
    text = "Invalid Timestamp format"


class InvalidRequestFormat(ApiError):
    """The request as a whole is malformed; ``detail`` (shown to the caller) says how."""

    code = 5
    text = "Invalid Request Format"

    def __init__(self, detail: str, *, http_status: int | None = None) -> None:
        super().__init__(f"invalid request format: {detail}", detail=detail)
        if http_status is not None:
            self.http_status = http_status  # type: ignore[misc]


class SignatureMismatch(ApiError):
    code = 7
    http_status = 401
    text = "Login failed. Signature mismatching"


class InvalidAction(ApiError):
    code = 8
    text = "Invalid Action"


class AccessDenied(ApiError):
    """Unknown or inactive system, or an IP it does not whitelist: the caller is not told which."""

    code = 9
    http_status = 403
    text = "Access Denied"


class StagingAuthRequired(AccessDenied):
    """Staging basic auth missing or wrong: 401 with ``WWW-Authenticate``."""

    http_status = 401


class RequestTooBig(ApiError):
    code = 11
    http_status = 413
    text = "Request too Big"


class EmptyRequest(ApiError):
    code = 30
    text = "Empty Request"


class TooManyRequests(ApiError):
    code = 429
    http_status = 429
    text = "Too many requests"

    def __init__(self, reason: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(reason)


class Gone(ApiError):
    """The legacy ``/oms`` endpoint: removed, names its replacement."""

    code = 8
    http_status = 410

    def __init__(self) -> None:
        super().__init__("legacy endpoint /oms (Order.UpdateItemStatus) was called")

    @property
    def message(self) -> str:
        return (
            "E008: Invalid Action (Order.UpdateItemStatus at /oms has been removed: "
            "use UpdateItemsStatus at /oms-api/)"
        )


class PlatformError(ApiError):
    """Something failed on Seller Center's side: resend later."""

    code = 1000
    http_status = 500
    error_type = "Platform"
    text = "Internal Application Error"


class PlatformUnavailable(PlatformError):
    """A dependency (the database) cannot be reached right now."""

    http_status = 503
