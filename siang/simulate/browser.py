"""A staff member's browser for the admin: a logged-in session that reads a page's forms
(hidden fields and CSRF token included) and submits them, as a person filling them in would."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import requests


class FormError(RuntimeError):
    """A page had no such form, or the admin refused a submission (the page's error shown)."""


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                               "fields": []})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                fields.append((self._select, value))
                self._first_option = "\0chosen"
        elif tag == "textarea" and name:
            self._textarea = name
            fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if self._first_option not in (None, "\0chosen"):
                self.forms[-1]["fields"].append((self._select, self._first_option))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    """The page's forms: ``[{"action", "method", "fields": [(name, value), ...]}]``."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """A staff member logged in to the admin at ``base_url``.

    Raises:
        FormError: the login was refused.
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        self.requests = 0
        page = self.get("/admin/login")
        self.submit(page, "", {"username": username, "password": password})
        if "/admin/login" in self.get("/admin/").url:
            raise FormError("the admin refused the staff login")

    def get(self, path: str) -> requests.Response:
        """GET a page (raises for a 4xx/5xx answer)."""
        for _attempt in range(60):        # the admin answers 5xx while the database restarts
            self.requests += 1
            try:
                resp = self.session.get(self.base + path, timeout=60)
            except requests.ConnectionError:
                time.sleep(1.0)
                continue
            if resp.status_code < 500:
                break
            time.sleep(1.0)
        resp.raise_for_status()
        return resp

    def submit(self, page: requests.Response, action: str, values: dict[str, object],
               files: dict | None = None, ok: tuple[int, ...] = (200,)) -> requests.Response:
        """Fill the form of ``page`` whose action ends with ``action`` and post it.

        ``values`` replace the form's own (a list posts the name repeatedly); the
        rest (CSRF token, versions, hidden fields) are posted as the page had them.

        Raises:
            FormError: no such form, or the admin answered with a status not in ``ok``
                (after redirects) — the page's error text is in the message.
        """
        matching = [f for f in forms_of(page.text)
                    if (re.sub(r"\?.*$", "", f["action"]).endswith(action) if action
                        else not f["action"])]
        if not matching:
            raise FormError(f"no form posting to …{action} on {page.url}")
        form = matching[0]
        posted: list[tuple[str, object]] = [(n, v) for n, v in form["fields"] if n not in values]
        for name, value in values.items():
            for item in (value if isinstance(value, list) else [value]):
                posted.append((name, item))
        target = form["action"] or page.url
        if not target.startswith("http"):
            target = self.base + target if target.startswith("/") else page.url
        for _attempt in range(60):        # 503: the database is restarting, nothing was saved
            self.requests += 1
            resp = self.session.post(target, data=posted, files=files, timeout=120)
            if resp.status_code not in (502, 503):
                break
            time.sleep(1.0)
        if resp.status_code not in ok:
            raise FormError(f"POST {action} answered {resp.status_code}: {_error_text(resp.text)}")
        return resp


def _error_text(html: str) -> str:
    found = re.findall(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>(.*?)<', html, re.S)
    fields = re.findall(r'name="([^"]+)"[^>]*aria-invalid="true"', html)
    return (" | ".join(" ".join(f.split()) for f in found if f.strip())[:500] or html[:300]) + (
        f" (fields: {', '.join(fields)})" if fields else "")
