"""Siang's LINE Messaging API client: reply, push, multicast, broadcast.

A thin wrapper over line-bot-sdk v3 that (1) always passes a request timeout,
(2) carries ``X-Line-Retry-Key`` on push, multicast and broadcast, and
(3) turns the SDK's exceptions into one :class:`LineOutcome` that the outbox
sender acts on. Messages travel as LINE's own JSON (dicts), exactly as stored
in the outbox.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any
from urllib.parse import quote

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    BroadcastRequest,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.settings import Settings


@dataclasses.dataclass(frozen=True)
class LineOutcome:
    """What happened to one Messaging API call.

    Attributes:
        status: HTTP status (0 for a timeout or connection error).
        request_id: LINE's ``x-line-request-id`` (or the accepted one on 409).
        error: LINE's error message, if any.
    """

    status: int
    request_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def already_accepted(self) -> bool:
        """409 on a retry key: LINE accepted this request before (Messaging API, "Retry")."""
        return self.status == 409

    @property
    def retryable(self) -> bool:
        """429 (rate limit), 5xx and network errors are retried with the same retry key."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def invalid_reply_token(self) -> bool:
        return self.status == 400 and "reply token" in (self.error or "").lower()


@dataclasses.dataclass(frozen=True)
class MessageContent:
    """Bytes a user sent (an image), fetched from LINE's content endpoint.

    Attributes:
        status: HTTP status (0 for a timeout or connection error).
        data: the bytes (empty unless ``ok``).
        content_type: the ``Content-Type`` LINE gave, without parameters.
        error: why it failed: LINE's message, "too-large", or a network error.
    """

    status: int
    data: bytes = b""
    content_type: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    @property
    def too_large(self) -> bool:
        return self.error == "too-large"


def _outcome_of(exc: ApiException) -> LineOutcome:
    headers = exc.headers or {}
    request_id = headers.get("x-line-accepted-request-id") or headers.get("x-line-request-id")
    message = exc.reason or ""
    try:
        message = json.loads(exc.body or "{}").get("message", message)
    except (ValueError, AttributeError):
        pass
    return LineOutcome(int(exc.status or 0), request_id, str(message))


class LineClient:
    """Messaging API calls with timeouts and retry keys.

    Reaches LINE (or the emulator) only through ``Configuration(host=...)``.
    """

    def __init__(self, settings: Settings):
        self._timeout = settings.line_timeout_s
        self._loading_timeout = min(settings.line_loading_timeout_s, settings.line_timeout_s)
        self._token = settings.channel_access_token
        self._data_host = settings.line_data_api_base.rstrip("/")
        config = Configuration(host=settings.line_api_base,
                               access_token=settings.channel_access_token)
        data_config = Configuration(host=settings.line_data_api_base,
                                    access_token=settings.channel_access_token)
        self._api_client = ApiClient(config)
        self._data_client = ApiClient(data_config)
        self.api = MessagingApi(self._api_client)
        self.blob = MessagingApiBlob(self._data_client)

    def close(self) -> None:
        self._api_client.close()
        self._data_client.close()

    def _call(self, method, request, timeout_s: float | None = None,
              **kwargs: Any) -> LineOutcome:
        try:
            response = method(request, _request_timeout=timeout_s or self._timeout, **kwargs)
        except ApiException as exc:
            return _outcome_of(exc)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return LineOutcome(0, None, f"network: {type(exc).__name__}")
        headers = getattr(response, "headers", None) or {}
        return LineOutcome(int(getattr(response, "status_code", 200)),
                           headers.get("x-line-request-id"))

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> LineOutcome:
        """Reply with ≤5 messages; the reply token is single use and lives about a minute."""
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        return self._call(self.api.reply_message_with_http_info, request)

    def push(self, user_id: str, messages: list[dict[str, Any]], retry_key: str) -> LineOutcome:
        request = PushMessageRequest.from_dict({"to": user_id, "messages": messages})
        return self._call(self.api.push_message_with_http_info, request, x_line_retry_key=retry_key)

    def multicast(self, user_ids: list[str], messages: list[dict[str, Any]],
                  retry_key: str) -> LineOutcome:
        """Multicast to ≤500 user ids (Messaging API limit)."""
        if not 1 <= len(user_ids) <= 500:
            raise ValueError(f"multicast takes 1 to 500 user ids, got {len(user_ids)}")
        request = MulticastRequest.from_dict({"to": user_ids, "messages": messages})
        return self._call(self.api.multicast_with_http_info, request, x_line_retry_key=retry_key)

    def broadcast(self, messages: list[dict[str, Any]], retry_key: str) -> LineOutcome:
        request = BroadcastRequest.from_dict({"messages": messages})
        return self._call(self.api.broadcast_with_http_info, request, x_line_retry_key=retry_key)

    def show_loading(self, user_id: str, seconds: int = 5) -> LineOutcome:
        """LINE's loading animation in a one-to-one chat (5–60 s, steps of 5).

        The call has its own short timeout (``Settings.line_loading_timeout_s``,
        1 s): the resident's reply waits on it, and a slow LINE must not hold a
        reply for the full call timeout for a courtesy. A timeout comes back as
        status 0, like any other.
        """
        request = ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
        return self._call(self.api.show_loading_animation_with_http_info, request,
                          timeout_s=self._loading_timeout)

    def message_content(self, message_id: str, max_bytes: int) -> MessageContent:
        """Fetch what a user sent (``GET /v2/bot/message/{id}/content`` on the data host).

        The body is streamed and the download stops past ``max_bytes`` (and
        is refused at once when ``Content-Length`` says so), so an oversized
        upload never fills memory. Each read has the client's timeout and the
        whole download must finish within twice that.
        """
        url = f"{self._data_host}/v2/bot/message/{quote(message_id, safe='')}/content"
        deadline = time.monotonic() + 2 * self._timeout
        try:
            response = self._data_client.request(
                "GET", url, headers={"Authorization": f"Bearer {self._token}"},
                _preload_content=False, _request_timeout=self._timeout)
        except ApiException as exc:
            outcome = _outcome_of(exc)
            return MessageContent(outcome.status, error=outcome.error or "error")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return MessageContent(0, error=f"network: {type(exc).__name__}")
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        chunks: list[bytes] = []
        complete = False
        try:
            if int(response.headers.get("Content-Length") or 0) > max_bytes:
                return MessageContent(response.status, content_type=content_type, error="too-large")
            size = 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    return MessageContent(response.status, content_type=content_type,
                                          error="too-large")
                if time.monotonic() > deadline:
                    return MessageContent(0, error="network: download too slow")
                chunks.append(chunk)
            complete = True
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            return MessageContent(0, error=f"network: {type(exc).__name__}")
        finally:
            if complete:
                response.release_conn()
            else:  # a half-read body must not go back to the pool
                response.close()
        return MessageContent(response.status, b"".join(chunks), content_type)

    def profile_language(self, user_id: str) -> str | None:
        """The resident's LINE language (e.g. "th", "en"), or None if LINE doesn't say."""
        try:
            profile = self.api.get_profile(user_id, _request_timeout=self._timeout)
        except (ApiException, urllib3.exceptions.HTTPError, OSError):
            return None
        return getattr(profile, "language", None)
