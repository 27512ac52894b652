"""Rich menus on the Messaging API (``/v2/bot/richmenu...``, ``/v2/bot/user/.../richmenu``).

Create, validate, list, get and delete menus; upload and download the menu
image (a data-host path, served here too); the default menu and per-user
links. Each view goes through :func:`linesim.endpoint.line_endpoint`.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any

from flask import Blueprint, Response, request

from linesim import rules
from linesim.endpoint import body_errors, error, json_body, json_response, line_endpoint, platform

bp = Blueprint("line_richmenu", __name__)

MAX_RICH_MENU_IMAGE_BYTES = 1024 * 1024


def image_size(data: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) of PNG or baseline/progressive JPEG bytes, or None if unreadable."""
    if content_type == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if content_type == "image/jpeg" and data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return None


def _rich_menu_or_404(rich_menu_id: str) -> tuple[dict[str, Any] | None, Response | None]:
    with platform().lock:
        menu = platform().rich_menus.get(rich_menu_id)
    if menu is None:
        return None, error(404, "Not found")
    return menu, None


@bp.post("/v2/bot/richmenu")
@line_endpoint
def create_rich_menu() -> Response:
    """Create a rich menu → ``{"richMenuId"}``.

    LINE rules (``rules.validate_rich_menu``): size 2500×1686 or 2500×843,
    1–20 areas inside the menu, ``chatBarText`` ≤14 characters, area action
    labels ≤20.
    """
    body, resp = json_body()
    if resp is not None:
        return resp
    details = rules.validate_rich_menu(body)
    if details:
        return body_errors(details)
    rich_menu_id = "richmenu-" + uuid.uuid4().hex
    menu = {"richMenuId": rich_menu_id, "size": body["size"], "selected": body["selected"],
            "name": body["name"], "chatBarText": body["chatBarText"], "areas": body["areas"]}
    with platform().lock:
        platform().rich_menus[rich_menu_id] = menu
    return json_response({"richMenuId": rich_menu_id})


@bp.post("/v2/bot/richmenu/validate")
@line_endpoint
def validate_rich_menu() -> Response:
    """Validate a rich menu object without creating it (200 ``{}`` or 400)."""
    body, resp = json_body()
    if resp is not None:
        return resp
    details = rules.validate_rich_menu(body)
    return body_errors(details) if details else json_response({})


@bp.get("/v2/bot/richmenu/list")
@line_endpoint
def list_rich_menus() -> Response:
    """``{"richmenus": [RichMenuResponse...]}``, oldest first."""
    with platform().lock:
        menus = list(platform().rich_menus.values())
    return json_response({"richmenus": menus})


@bp.get("/v2/bot/richmenu/<rich_menu_id>")
@line_endpoint
def get_rich_menu(rich_menu_id: str) -> Response:
    """One ``RichMenuResponse``; 404 if unknown."""
    menu, resp = _rich_menu_or_404(rich_menu_id)
    return resp or json_response(menu)


@bp.delete("/v2/bot/richmenu/<rich_menu_id>")
@line_endpoint
def delete_rich_menu(rich_menu_id: str) -> Response:
    """Delete a rich menu, its image, and its default/per-user links; 404 if unknown."""
    p = platform()
    with p.lock:
        if p.rich_menus.pop(rich_menu_id, None) is None:
            return error(404, "Not found")
        p.rich_menu_images.pop(rich_menu_id, None)
        if p.default_rich_menu_id == rich_menu_id:
            p.default_rich_menu_id = None
        for user in p.users.values():
            if user.rich_menu_id == rich_menu_id:
                user.rich_menu_id = None
    return json_response({})


@bp.post("/v2/bot/richmenu/<rich_menu_id>/content")
@line_endpoint
def upload_rich_menu_image(rich_menu_id: str) -> Response:
    """Upload the menu image (data host): PNG or JPEG, ≤1 MB, once per menu.

    LINE rules: only ``image/png``/``image/jpeg``; at most 1 MB; the image's
    pixel size must equal the menu's size; a second upload is refused.
    """
    menu, resp = _rich_menu_or_404(rich_menu_id)
    if resp is not None:
        return resp
    content_type = request.mimetype
    if content_type not in ("image/png", "image/jpeg"):
        return error(415, "Unsupported Media Type: only image/png and image/jpeg are allowed")
    data = request.get_data()
    if not data:
        return error(400, "The request body is empty")
    if len(data) > MAX_RICH_MENU_IMAGE_BYTES:
        return error(413, "The image exceeds the maximum size of 1 MB")
    size = image_size(data, content_type)
    if size is None:
        return error(400, "The image could not be read")
    if size != (menu["size"]["width"], menu["size"]["height"]):
        return error(400, f"The image size {size[0]}x{size[1]} does not match the rich menu size "
                          f"{menu['size']['width']}x{menu['size']['height']}")
    with platform().lock:
        if rich_menu_id in platform().rich_menu_images:
            return error(400, "An image has already been uploaded to the richmenu")
        platform().rich_menu_images[rich_menu_id] = (data, content_type)
    return json_response({})


@bp.get("/v2/bot/richmenu/<rich_menu_id>/content")
@line_endpoint
def download_rich_menu_image(rich_menu_id: str) -> Response:
    """The uploaded menu image bytes; 404 if no image."""
    with platform().lock:
        item = platform().rich_menu_images.get(rich_menu_id)
    if item is None:
        return error(404, "Not found")
    return Response(item[0], mimetype=item[1])


def _require_image(rich_menu_id: str) -> Response | None:
    menu, resp = _rich_menu_or_404(rich_menu_id)
    if resp is not None:
        return resp
    with platform().lock:
        if rich_menu_id not in platform().rich_menu_images:
            return error(400, "Must upload richmenu image before applying it to user")
    return None


@bp.post("/v2/bot/user/all/richmenu/<rich_menu_id>")
@line_endpoint
def set_default_rich_menu(rich_menu_id: str) -> Response:
    """Make a rich menu the default for all users; it needs an uploaded image first."""
    resp = _require_image(rich_menu_id)
    if resp is not None:
        return resp
    with platform().lock:
        platform().default_rich_menu_id = rich_menu_id
    return json_response({})


@bp.get("/v2/bot/user/all/richmenu")
@line_endpoint
def get_default_rich_menu_id() -> Response:
    """``{"richMenuId"}`` of the default menu; 404 when none is set."""
    with platform().lock:
        rich_menu_id = platform().default_rich_menu_id
    if rich_menu_id is None:
        return error(404, "no default richmenu")
    return json_response({"richMenuId": rich_menu_id})


@bp.delete("/v2/bot/user/all/richmenu")
@line_endpoint
def cancel_default_rich_menu() -> Response:
    """Clear the default rich menu."""
    with platform().lock:
        platform().default_rich_menu_id = None
    return json_response({})


@bp.post("/v2/bot/user/<user_id>/richmenu/<rich_menu_id>")
@line_endpoint
def link_rich_menu_to_user(user_id: str, rich_menu_id: str) -> Response:
    """Link a rich menu to one user (overrides the default for them)."""
    resp = _require_image(rich_menu_id)
    if resp is not None:
        return resp
    user = platform().user(user_id)
    with platform().lock:
        user.rich_menu_id = rich_menu_id
    return json_response({})


@bp.get("/v2/bot/user/<user_id>/richmenu")
@line_endpoint
def get_rich_menu_id_of_user(user_id: str) -> Response:
    """``{"richMenuId"}`` linked to this user; 404 when none (the default menu is not a link)."""
    user = platform().user(user_id, create=False)
    with platform().lock:
        rich_menu_id = user.rich_menu_id if user else None
    if rich_menu_id is None:
        return error(404, "the user has no richmenu")
    return json_response({"richMenuId": rich_menu_id})


@bp.delete("/v2/bot/user/<user_id>/richmenu")
@line_endpoint
def unlink_rich_menu_from_user(user_id: str) -> Response:
    """Remove the user's own rich menu link (the default applies again)."""
    user = platform().user(user_id, create=False)
    if user is not None:
        with platform().lock:
            user.rich_menu_id = None
    return json_response({})
