"""Siang's rich menu: seven areas, created through the Messaging API and set as default.

Layout (2500×1686, LINE's "large" size; a row of four over a row of three)::

    มีอะไรเปิดอยู่ (open) | ส่งไอเดีย (idea) | โหวต (vote) | ไอเดียของฉัน (mine)
    ความคืบหน้า (progress)  | ช่วยเหลือ (help)      | ความเป็นส่วนตัว (privacy)

"มีอะไรเปิดอยู่" (issue 18) lists what the resident's district has open now:
voting rounds, ideas collection, public hearings, council question windows.

Each area is a postback ``a=menu&m=<item>`` with the Thai label as
``displayText`` (so the chat shows what was tapped), handled by
:mod:`bot.handlers.menu`. The image is ``bot/static/richmenu.png``, drawn by
:mod:`bot.richmenu_draw` with a Thai font from Debian's ``fonts-thai-tlwg``
and shipped, so installing the menu needs neither Pillow nor the font.

LINE rules (Messaging API reference, "Rich menu object" and "Upload rich
menu image"): size 2500×1686 or 2500×843, 1–20 areas, ``chatBarText`` at
most 14 characters, action labels at most 20, image JPEG or PNG ≤1 MB of
exactly the menu's size.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from linebot.v3.messaging import RichMenuRequest
from linebot.v3.messaging.exceptions import ApiException

from bot import messages as m
from bot.catalog import t
from bot.line import LineClient

log = logging.getLogger(__name__)

NAME = "siang-main"
WIDTH, HEIGHT = 2500, 1686
#: Areas per row, top to bottom (LINE allows 1–20 areas; every pixel belongs to one).
ROW_SIZES: tuple[int, ...] = (4, 3)
IMAGE = Path(__file__).resolve().parent / "static" / "richmenu.png"
MAX_IMAGE_BYTES = 1024 * 1024
CHAT_BAR_MAX = 14
#: (menu item, catalog key of its label), row by row.
ITEMS: tuple[tuple[str, str], ...] = (
    ("open", "menu_open"), ("idea", "menu_idea"), ("vote", "menu_vote"), ("mine", "menu_mine"),
    ("progress", "menu_progress"), ("help", "menu_help"), ("privacy", "menu_privacy"),
)


class RichMenuError(RuntimeError):
    """LINE refused a rich menu call (the message says which and why)."""


def cell_bounds(index: int) -> dict[str, int]:
    """Pixel bounds of the ``index``-th area (row by row, :data:`ROW_SIZES`); the
    areas tile the menu exactly (integer edges, no gap, no overlap).

    Raises:
        IndexError: ``index`` beyond the last area.
    """
    row, col = 0, index
    while row < len(ROW_SIZES) and col >= ROW_SIZES[row]:
        col -= ROW_SIZES[row]
        row += 1
    if index < 0 or row >= len(ROW_SIZES):
        raise IndexError(f"no rich menu area {index}")
    columns, rows = ROW_SIZES[row], len(ROW_SIZES)
    x0, x1 = col * WIDTH // columns, (col + 1) * WIDTH // columns
    y0, y1 = row * HEIGHT // rows, (row + 1) * HEIGHT // rows
    return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}


def rich_menu_object(language: str = "th") -> dict[str, Any]:
    """The rich menu as LINE's JSON (``RichMenuRequest``)."""
    chat_bar = t("chat_bar", language)
    if len(chat_bar) > CHAT_BAR_MAX:
        raise ValueError(f"chat bar text longer than {CHAT_BAR_MAX} characters: {chat_bar!r}")
    areas = []
    for index, (item, key) in enumerate(ITEMS):
        label = t(key, language)
        areas.append({"bounds": cell_bounds(index),
                      "action": m.postback_action(label, m.postback_data("menu", m=item),
                                                  display_text=label)})
    return {"size": {"width": WIDTH, "height": HEIGHT}, "selected": True, "name": NAME,
            "chatBarText": chat_bar, "areas": areas}


def _check(call: str, exc: ApiException) -> RichMenuError:
    return RichMenuError(f"{call}: LINE answered {exc.status} {exc.reason}: {exc.body}")


def install(line: LineClient, image: bytes | None = None, *, replace: bool = True,
            timeout_s: float = 10.0) -> str:
    """Create the rich menu, upload its image, make it the default; returns its id.

    Args:
        line: a LINE client (``line.api`` / ``line.blob`` are used).
        image: PNG bytes of 2500×1686; default the shipped ``bot/static/richmenu.png``.
        replace: delete older menus named :data:`NAME` once the new one is the default.
        timeout_s: per-call timeout, seconds.

    Raises:
        RichMenuError: LINE refused a call (the menu created so far is deleted).
        ValueError: the image is over 1 MB.
    """
    data = IMAGE.read_bytes() if image is None else image
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"rich menu image is {len(data):,} bytes; LINE takes at most 1 MB")
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    try:
        created = line.api.create_rich_menu(RichMenuRequest.from_dict(rich_menu_object()),
                                            _request_timeout=timeout_s)
    except ApiException as exc:
        raise _check("create", exc) from None
    menu_id = created.rich_menu_id
    try:
        line.blob.set_rich_menu_image(menu_id, data, _headers={"Content-Type": content_type},
                                      _request_timeout=timeout_s)
        line.api.set_default_rich_menu(menu_id, _request_timeout=timeout_s)
    except ApiException as exc:
        try:
            line.api.delete_rich_menu(menu_id, _request_timeout=timeout_s)
        except ApiException:
            log.warning("could not delete the half-made rich menu %s", menu_id)
        raise _check("upload or set default", exc) from None
    if replace:
        try:
            menus = line.api.get_rich_menu_list(_request_timeout=timeout_s).richmenus or []
        except ApiException as exc:
            raise _check("list", exc) from None
        for menu in menus:
            if menu.name == NAME and menu.rich_menu_id != menu_id:
                try:
                    line.api.delete_rich_menu(menu.rich_menu_id, _request_timeout=timeout_s)
                except ApiException as exc:
                    log.warning("could not delete old rich menu %s: %s", menu.rich_menu_id,
                                exc.status)
    return menu_id
