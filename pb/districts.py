"""Bangkok's 50 districts (เขต), and matching what a resident types to one of them."""

from __future__ import annotations

import difflib
import unicodedata

# (Thai name, English name), in the BMA's district-code order (1 = Phra Nakhon).
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("พระนคร", "Phra Nakhon"), ("ดุสิต", "Dusit"), ("หนองจอก", "Nong Chok"),
    ("บางรัก", "Bang Rak"), ("บางเขน", "Bang Khen"), ("บางกะปิ", "Bang Kapi"),
    ("ปทุมวัน", "Pathum Wan"), ("ป้อมปราบศัตรูพ่าย", "Pom Prap Sattru Phai"),
    ("พระโขนง", "Phra Khanong"), ("มีนบุรี", "Min Buri"), ("ลาดกระบัง", "Lat Krabang"),
    ("ยานนาวา", "Yan Nawa"), ("สัมพันธวงศ์", "Samphanthawong"), ("พญาไท", "Phaya Thai"),
    ("ธนบุรี", "Thon Buri"), ("บางกอกใหญ่", "Bangkok Yai"), ("ห้วยขวาง", "Huai Khwang"),
    ("คลองสาน", "Khlong San"), ("ตลิ่งชัน", "Taling Chan"), ("บางกอกน้อย", "Bangkok Noi"),
    ("บางขุนเทียน", "Bang Khun Thian"), ("ภาษีเจริญ", "Phasi Charoen"),
    ("หนองแขม", "Nong Khaem"), ("ราษฎร์บูรณะ", "Rat Burana"), ("บางพลัด", "Bang Phlat"),
    ("ดินแดง", "Din Daeng"), ("บึงกุ่ม", "Bueng Kum"), ("สาทร", "Sathon"),
    ("บางซื่อ", "Bang Sue"), ("จตุจักร", "Chatuchak"), ("บางคอแหลม", "Bang Kho Laem"),
    ("ประเวศ", "Prawet"), ("คลองเตย", "Khlong Toei"), ("สวนหลวง", "Suan Luang"),
    ("จอมทอง", "Chom Thong"), ("ดอนเมือง", "Don Mueang"), ("ราชเทวี", "Ratchathewi"),
    ("ลาดพร้าว", "Lat Phrao"), ("วัฒนา", "Watthana"), ("บางแค", "Bang Khae"),
    ("หลักสี่", "Lak Si"), ("สายไหม", "Sai Mai"), ("คันนายาว", "Khan Na Yao"),
    ("สะพานสูง", "Saphan Sung"), ("วังทองหลาง", "Wang Thonglang"),
    ("คลองสามวา", "Khlong Sam Wa"), ("บางนา", "Bang Na"), ("ทวีวัฒนา", "Thawi Watthana"),
    ("ทุ่งครุ", "Thung Khru"), ("บางบอน", "Bang Bon"),
)
THAI_NAMES: tuple[str, ...] = tuple(th for th, _ in DISTRICTS)
ENGLISH_NAMES: dict[str, str] = dict(DISTRICTS)
_BY_KEY: dict[str, str] = {}
for _th, _en in DISTRICTS:
    _BY_KEY[_th] = _th
    _BY_KEY[_en.lower().replace(" ", "")] = _th

_PREFIXES = ("เขต", "district", "แขวง")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().lower()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.replace(" ", "").replace("\u200b", "")


def match_district(text: str) -> str | None:
    """The Thai name of the district a resident typed, or None.

    Accepts the Thai name with or without "เขต", the English name (any case,
    spaces optional), and near misses (a typo or a dropped tone mark,
    difflib ratio ≥ 0.8).
    """
    key = _key(text)
    if not key:
        return None
    if key in _BY_KEY:
        return _BY_KEY[key]
    close = difflib.get_close_matches(key, list(_BY_KEY), n=1, cutoff=0.8)
    return _BY_KEY[close[0]] if close else None


def is_district(name: str) -> bool:
    """True for one of the 50 Thai district names."""
    return name in ENGLISH_NAMES
