"""The rich menu (created through the emulator's Messaging API) and the message catalog (issue 4)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from PIL import Image

from bot import catalog, richmenu
from bot.handlers import menu
from bot.handlers.dispatch import POSTBACK_ACTIONS
from bot.line import LineClient


def test_rich_menu_object_follows_line_rules():
    from linesim.rules import line_length, validate_rich_menu

    body = richmenu.rich_menu_object()
    assert validate_rich_menu(body) == []
    assert line_length(body["chatBarText"]) <= 14
    assert [a["action"]["displayText"] for a in body["areas"]] == [
        "มีอะไรเปิดอยู่", "ส่งไอเดีย", "โหวต", "ไอเดียของฉัน", "ความคืบหน้า", "ช่วยเหลือ",
        "ความเป็นส่วนตัว"]                        # issue 18: "what's open" first
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in body["areas"]) == 2500 * 1686
    items = [a["action"]["data"].split("m=")[1] for a in body["areas"]]
    assert set(items) == set(menu.MENU) and "menu" in POSTBACK_ACTIONS
    boxes = [a["bounds"] for a in body["areas"]]       # no two areas overlap
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                    or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_shipped_image_is_a_2500x1686_png_under_1_mb():
    data = richmenu.IMAGE.read_bytes()
    assert len(data) < 1024 * 1024
    with Image.open(richmenu.IMAGE) as image:
        assert image.format == "PNG" and image.size == (2500, 1686)


def test_install_creates_uploads_and_sets_default(settings, sim):
    import requests

    client = LineClient(settings)
    try:
        first = richmenu.install(client)
        second = richmenu.install(client)           # a re-run replaces the first
    finally:
        client.close()
    base = settings.line_api_base
    auth = {"Authorization": f"Bearer {settings.channel_access_token}"}
    listed = requests.get(f"{base}/v2/bot/richmenu/list", headers=auth, timeout=5).json()
    ours = [m["richMenuId"] for m in listed["richmenus"] if m["name"] == richmenu.NAME]
    assert ours == [second] and first != second
    default = requests.get(f"{base}/v2/bot/user/all/richmenu", headers=auth, timeout=5).json()
    assert default == {"richMenuId": second}
    image = requests.get(f"{base}/v2/bot/richmenu/{second}/content", headers=auth, timeout=5)
    assert image.content == richmenu.IMAGE.read_bytes()


def test_cli_siang_line_richmenu(settings, sim):
    from siang.cli import main

    env = {"LINE_CHANNEL_SECRET": settings.channel_secret,
           "LINE_CHANNEL_ACCESS_TOKEN": settings.channel_access_token,
           "LINE_API_BASE": settings.line_api_base, "LINE_DATA_API_BASE": settings.line_data_api_base}
    result = CliRunner().invoke(main, ["line", "richmenu"], env=env)
    assert result.exit_code == 0, result.output
    assert '"default": true' in result.output
    wrong = CliRunner().invoke(main, ["line", "richmenu"],
                               env={**env, "LINE_CHANNEL_ACCESS_TOKEN": "wrong-token"})
    assert wrong.exit_code != 0 and "LINE answered 401" in wrong.output


@pytest.mark.parametrize("key", [
    "consent_yes", "consent_no", "more_districts", "menu_open", "open_go_vote", "open_go_ideas",
    "open_go_hearing", "open_go_council", "open_go_community_plan", "open_go_other",
    "open_more_button", "menu_idea", "menu_vote", "menu_mine",
    "menu_progress", "menu_help", "menu_privacy", "menu_language", "support_button",
    "send_new_button", "edit_button", "withdraw_button", "cancel", "withdraw_yes", "withdraw_no",
    "privacy_notice_button", "my_data_button", "erase_button", "consent_off_button",
    "news_off_button", "news_on_button", "erase_delete", "erase_anonymise",
])
def test_button_labels_fit_lines_20_characters(key):
    from linesim.rules import line_length

    for language in ("th", "en"):
        assert line_length(catalog.t(key, language)) <= 20, (key, language)


@pytest.mark.parametrize("language", ["th", "en"])
def test_switch_district_labels_fit(language):
    from types import SimpleNamespace

    from bot.handlers.location import switch_label
    from linesim.rules import line_length
    from pb.districts import DISTRICTS

    ctx = SimpleNamespace(t=lambda key, **v: catalog.t(key, language, **v))
    for th, en in DISTRICTS:
        label = switch_label(ctx, th if language == "th" else en)
        assert line_length(label) <= 20 and (th if language == "th" else en)[:6] in label
