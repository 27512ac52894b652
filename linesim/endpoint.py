"""What the LINE platform does around every Messaging API call, for :mod:`linesim.api`
and :mod:`linesim.richmenu`: the Bearer channel access token (401), injected
faults and the per-endpoint rate limit (429), ``x-line-request-id``, LINE's
error bodies, and the call record for ``GET /_sim/calls``.
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from linesim import rules
from linesim.state import Fault, Platform, SimConfig, new_request_id

AUTH_MISSING = ("Authorization header required. Must follow the scheme, "
                "'Authorization: Bearer <ACCESS TOKEN>'")
AUTH_FAILED = ("Authentication failed. Confirm that the access token in the "
               "authorization header is valid.")
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
FAULT_MESSAGES = {429: RATE_LIMITED, 500: "Internal server error", 503: "Service unavailable"}


def platform() -> Platform:
    """The emulator state of the current app."""
    return current_app.extensions["linesim"]["platform"]


def config() -> SimConfig:
    """The channel wiring of the current app."""
    return current_app.extensions["linesim"]["config"]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response that keeps Thai readable (no ``\\u`` escapes)."""
    resp = Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error(status: int, message: str, details: list[dict[str, str]] | None = None,
          **extra: Any) -> Response:
    """LINE's ``ErrorResponse``: ``{"message", "details"?}`` (details left out when empty)."""
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    body.update(extra)
    return json_response(body, status)


def body_errors(details: list[dict[str, str]]) -> Response:
    """400 for request-body errors, with LINE's ``details`` list."""
    return json_response(rules.error_body(details), 400)


def _request_body_for_record() -> Any:
    if request.mimetype == "application/json" or request.is_json:
        parsed = request.get_json(silent=True)
        return parsed if parsed is not None else request.get_data(as_text=True)[:2000]
    data = request.get_data()
    return {"bytes": len(data), "content_type": request.mimetype} if data else None


def _check_auth() -> tuple[bool, Response | None]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False, error(401, AUTH_MISSING)
    token = header[len("Bearer "):].strip()
    if not hmac.compare_digest(token.encode(), config().channel_access_token.encode()):
        return False, error(401, AUTH_FAILED)
    return True, None


def line_endpoint(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a Messaging API view with LINE's per-call behaviour.

    Order: Bearer token (401 with LINE's body) → injected fault (delay, then
    its status unless ``accepted``) → rate limit (429 with LINE's body) →
    the view → an ``accepted`` fault's status replaces the view's answer.
    Every answer carries ``x-line-request-id`` and is recorded as a call.
    """

    @functools.wraps(handler)
    def wrapped(**kwargs: Any) -> Response:
        g.line_request_id = new_request_id()
        p = platform()
        auth_ok, resp = _check_auth()
        fault: Fault | None = None
        if resp is None:
            fault = p.take_fault(request.path)
            if fault is not None and fault.delay_s > 0:
                time.sleep(fault.delay_s)
            if fault is not None and fault.status and not fault.accepted:
                resp = error(fault.status, FAULT_MESSAGES.get(fault.status, "Injected fault"))
            elif p.rate_limited(request.path):
                resp = error(429, RATE_LIMITED)
        if resp is None:
            resp = handler(**kwargs)
            if fault is not None and fault.status and fault.accepted:
                resp = error(fault.status, FAULT_MESSAGES.get(fault.status, "Injected fault"))
        resp.headers["x-line-request-id"] = g.line_request_id
        response_body: Any = None
        if resp.mimetype == "application/json":
            try:
                response_body = json.loads(resp.get_data())
            except ValueError:
                response_body = None
        p.record_call({
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode() or None,
            "headers": {"x-line-retry-key": request.headers.get("X-Line-Retry-Key"),
                        "auth_ok": auth_ok,
                        "content-type": request.headers.get("Content-Type")},
            "body": _request_body_for_record(),
            "status": resp.status_code,
            "response": response_body,
            "request_id": g.line_request_id,
            "fault": fault.as_dict() if fault is not None else None,
            "at": time.time(),
        })
        return resp

    return wrapped


def json_body() -> tuple[Any, Response | None]:
    """The request's JSON object, or (None, a 400 in LINE's shape) when it is not one."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return None, error(400, "The request body has 1 error(s)",
                           [{"message": "Must be a JSON object", "property": ""}])
    return body, None
