"""Draw ``bot/static/richmenu.png``: the 2500×1686 rich menu image (seven areas), Thai first.

Labels come from the message catalog (the same keys as the menu's areas in
:mod:`bot.richmenu`), set in Waree from Debian's ``fonts-thai-tlwg``
(``/usr/share/fonts/truetype/tlwg/``) with Pillow's Raqm layout, so Thai
vowels and tone marks stack correctly. Icons are simple shapes drawn at
twice the size and scaled down (anti-aliasing). The PNG is shipped, so
installing the menu needs neither Pillow nor the font.

Usage::

    python -m bot.richmenu_draw [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from bot.catalog import t
from bot.richmenu import HEIGHT, IMAGE, ITEMS, MAX_IMAGE_BYTES, WIDTH, cell_bounds

FONT_DIR = Path("/usr/share/fonts/truetype/tlwg")
BOLD = FONT_DIR / "Waree-Bold.ttf"
REGULAR = FONT_DIR / "Waree.ttf"
S = 2  # supersampling factor

BACKGROUND = "#EEF3F2"
CARD = "#FFFFFF"
BORDER = "#D5E0DD"
INK = "#0F2E2B"
SUBTLE = "#5B6B68"
ACCENTS = {"open": "#BE123C", "idea": "#F59E0B", "vote": "#0F766E", "mine": "#2563EB",
           "progress": "#16A34A", "help": "#7C3AED", "privacy": "#475569"}


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size * S, layout_engine=layout)


def _fit(draw: ImageDraw.ImageDraw, text: str, path: Path, size: int, max_width: int
         ) -> ImageFont.FreeTypeFont:
    """The largest font (≤ size) whose rendering of ``text`` fits ``max_width`` pixels."""
    while size > 20:
        font = _font(path, size)
        left, _, right, _ = draw.textbbox((0, 0), text, font=font)
        if right - left <= max_width * S:
            return font
        size -= 4
    return _font(path, size)


def _icon(draw: ImageDraw.ImageDraw, item: str, cx: int, cy: int, r: int) -> None:
    """A white pictogram for ``item`` inside the accent circle of radius ``r`` at (cx, cy)."""
    w = "#FFFFFF"
    lw = max(r // 10, 2)
    if item == "open":  # a calendar page with a tick: what is open now
        cw, ch = int(r * 1.0), int(r * 0.9)
        x0, y0 = cx - cw // 2, cy - ch // 2 + lw
        draw.rounded_rectangle((x0, y0, x0 + cw, y0 + ch), radius=lw * 2, fill=w)
        draw.rectangle((x0 + lw, y0 + ch * 0.2, x0 + cw - lw, y0 + ch * 0.26),
                       fill=ACCENTS["open"])
        for dx in (0.28, 0.72):
            x = x0 + cw * dx
            draw.rounded_rectangle((x - lw, y0 - lw * 2.5, x + lw, y0 + lw * 2), radius=lw,
                                   fill=w, outline=ACCENTS["open"], width=max(lw // 2, 1))
        draw.line((x0 + cw * 0.28, y0 + ch * 0.6, x0 + cw * 0.45, y0 + ch * 0.78,
                   x0 + cw * 0.74, y0 + ch * 0.4), fill=ACCENTS["open"], width=lw * 2,
                  joint="curve")
    elif item == "idea":  # light bulb with rays
        br = int(r * 0.36)
        by = cy - int(r * 0.14)
        draw.ellipse((cx - br, by - br, cx + br, by + br), fill=w)
        draw.polygon([(cx - br * 0.6, by + br * 0.6), (cx + br * 0.6, by + br * 0.6),
                      (cx + br * 0.42, by + br * 1.35), (cx - br * 0.42, by + br * 1.35)], fill=w)
        for k in range(2):
            y = by + br * 1.5 + k * lw * 1.6
            draw.rounded_rectangle((cx - br * 0.42, y, cx + br * 0.42, y + lw), radius=lw // 2,
                                   fill=w)
        for dx, dy in ((-1, -1), (1, -1), (-1.3, 0.1), (1.3, 0.1), (0, -1.35)):
            x0, y0 = cx + dx * br * 1.25, by + dy * br * 1.25
            x1, y1 = cx + dx * br * 1.6, by + dy * br * 1.6
            draw.line((x0, y0, x1, y1), fill=w, width=lw)
    elif item == "vote":  # ballot into a box
        bw, bh = int(r * 0.95), int(r * 0.55)
        top = cy + int(r * 0.05)
        draw.rounded_rectangle((cx - bw // 2, top, cx + bw // 2, top + bh), radius=lw, fill=w)
        draw.rectangle((cx - bw // 3, top - lw // 2, cx + bw // 3, top + lw // 2),
                       fill=ACCENTS["vote"])
        pw, ph = int(r * 0.5), int(r * 0.62)
        py = top - ph + lw
        draw.rounded_rectangle((cx - pw // 2, py, cx + pw // 2, top), radius=lw // 2, fill=w,
                               outline=ACCENTS["vote"], width=lw // 2)
        draw.line((cx - pw * 0.25, py + ph * 0.45, cx - pw * 0.05, py + ph * 0.65,
                   cx + pw * 0.28, py + ph * 0.22), fill=ACCENTS["vote"], width=lw, joint="curve")
    elif item == "mine":  # a document with a list
        dw, dh = int(r * 0.8), int(r * 1.0)
        x0, y0 = cx - dw // 2, cy - dh // 2
        draw.rounded_rectangle((x0, y0, x0 + dw, y0 + dh), radius=lw * 2, fill=w)
        for k in range(3):
            y = y0 + dh * (0.25 + 0.25 * k)
            draw.ellipse((x0 + dw * 0.14, y - lw, x0 + dw * 0.14 + 2 * lw, y + lw),
                         fill=ACCENTS["mine"])
            draw.rounded_rectangle((x0 + dw * 0.32, y - lw * 0.6, x0 + dw * 0.84, y + lw * 0.6),
                                   radius=lw // 2, fill=ACCENTS["mine"])
    elif item == "progress":  # rising bars
        base = cy + int(r * 0.42)
        bw = int(r * 0.2)
        for k, height in enumerate((0.35, 0.6, 0.85)):
            x = cx - int(r * 0.45) + k * int(r * 0.33)
            draw.rounded_rectangle((x, base - int(r * height), x + bw, base), radius=lw // 2,
                                   fill=w)
        draw.line((cx - r * 0.55, base + lw, cx + r * 0.55, base + lw), fill=w, width=lw)
    elif item == "help":  # question mark
        font = _font(BOLD, int(r * 0.55))
        draw.text((cx, cy), "?", font=font, fill=w, anchor="mm")
    elif item == "privacy":  # padlock
        bw, bh = int(r * 0.8), int(r * 0.6)
        top = cy - int(r * 0.05)
        sr = int(r * 0.27)
        draw.arc((cx - sr, top - sr * 1.55, cx + sr, top + sr * 0.45), 180, 360, fill=w,
                 width=lw * 2)
        draw.line((cx - sr + lw, top - sr * 0.55, cx - sr + lw, top), fill=w, width=lw * 2)
        draw.line((cx + sr - lw, top - sr * 0.55, cx + sr - lw, top), fill=w, width=lw * 2)
        draw.rounded_rectangle((cx - bw // 2, top, cx + bw // 2, top + bh), radius=lw * 2, fill=w)
        kr = lw * 1.4
        ky = top + bh * 0.42
        draw.ellipse((cx - kr, ky - kr, cx + kr, ky + kr), fill=ACCENTS["privacy"])
        draw.rectangle((cx - kr * 0.45, ky, cx + kr * 0.45, ky + bh * 0.3),
                       fill=ACCENTS["privacy"])


def draw() -> Image.Image:
    """The rich menu image (RGB, 2500×1686)."""
    image = Image.new("RGB", (WIDTH * S, HEIGHT * S), BACKGROUND)
    pen = ImageDraw.Draw(image)
    margin = 22
    inner = cell_bounds(0)["width"] - 2 * margin - 90
    # One size for every label (the longest decides), so the grid reads evenly.
    thai_font = min((_fit(pen, t(key, "th"), BOLD, 118, inner) for _, key in ITEMS),
                    key=lambda f: f.size)
    english_font = min((_fit(pen, t(key, "en"), REGULAR, 64, inner) for _, key in ITEMS),
                       key=lambda f: f.size)
    for index, (item, key) in enumerate(ITEMS):
        b = cell_bounds(index)
        x0, y0 = (b["x"] + margin) * S, (b["y"] + margin) * S
        x1, y1 = (b["x"] + b["width"] - margin) * S, (b["y"] + b["height"] - margin) * S
        pen.rounded_rectangle((x0, y0, x1, y1), radius=48 * S, fill=CARD, outline=BORDER,
                              width=3 * S)
        cx = (x0 + x1) // 2
        r = 165 * S
        block = 2 * r + 300 * S  # circle, Thai label, English label
        cy = (y0 + y1 - block) // 2 + r
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ACCENTS[item])
        _icon(pen, item, cx, cy, r)
        pen.text((cx, cy + r + 115 * S), t(key, "th"), font=thai_font, fill=INK, anchor="mm")
        pen.text((cx, cy + r + 230 * S), t(key, "en"), font=english_font, fill=SUBTLE,
                 anchor="mm")
    return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else IMAGE
    out.parent.mkdir(parents=True, exist_ok=True)
    draw().save(out, format="PNG", optimize=True)
    size = out.stat().st_size
    print(f"{out}: {WIDTH}x{HEIGHT}, {size:,} bytes")
    if size > MAX_IMAGE_BYTES:
        print("warning: over LINE's 1 MB limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
