"""Security headers for Siang's pages (staff admin and public pages)."""

from __future__ import annotations

from flask import Response


def set_security_headers(response: Response, *, csp: str, cache: str | None,
                         referrer: str = "same-origin", frame_deny: bool = True) -> Response:
    """Set, unless a view already did, the headers every page of ours carries.

    Args:
        csp: the Content-Security-Policy of this family of pages.
        cache: the Cache-Control value, or None to leave it to the view.
        referrer: the Referrer-Policy.
        frame_deny: also send ``X-Frame-Options: DENY`` (older browsers' frame-ancestors).
    """
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if frame_deny:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", referrer)
    headers.setdefault("Content-Security-Policy", csp)
    if cache is not None:
        headers.setdefault("Cache-Control", cache)
    return response
