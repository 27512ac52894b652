"""English words for common PB topics, and the Thai word staff search ideas for.

Ideas are Thai; an officer reading the admin in English types "flood", not
"น้ำท่วม" (issue 16). The cluster search turns a known English topic into
its Thai stem (a substring of the normalised idea text), and an English
district name into that district. The list covers the BMA's idea categories
as Traffy Fondue files them (roads, drainage, flooding, lighting, waste,
footpaths, traffic, canals, trees, safety, noise, stray animals) and a few
common synonyms; a word not here is searched as typed.
"""

from __future__ import annotations

from pb import districts

# English (lower case, singular) → the Thai stem to search. A stem, not a whole
# phrase: "ท่อระบายน้ำ" is found inside "ท่อระบายน้ำอุดตัน".
TERMS: dict[str, str] = {
    "flood": "น้ำท่วม", "flooding": "น้ำท่วม", "floods": "น้ำท่วม",
    "drain": "ท่อระบายน้ำ", "drainage": "ท่อระบายน้ำ", "sewer": "ท่อระบายน้ำ",
    "road": "ถนน", "roads": "ถนน", "street": "ถนน", "pothole": "หลุม", "potholes": "หลุม",
    "light": "ไฟ", "lights": "ไฟ", "lighting": "ไฟ", "streetlight": "ไฟ", "lamp": "ไฟ",
    "electricity": "ไฟฟ้า", "power": "ไฟฟ้า",
    "garbage": "ขยะ", "trash": "ขยะ", "waste": "ขยะ", "rubbish": "ขยะ", "litter": "ขยะ",
    "footpath": "ทางเท้า", "sidewalk": "ทางเท้า", "pavement": "ทางเท้า",
    "traffic": "รถติด", "parking": "จอดรถ", "bus": "รถเมล์", "motorcycle": "มอเตอร์ไซค์",
    "canal": "คลอง", "canals": "คลอง", "water": "น้ำ",
    "tree": "ต้นไม้", "trees": "ต้นไม้", "park": "สวน", "garden": "สวน",
    "noise": "เสียงดัง", "smell": "กลิ่น", "dust": "ฝุ่น", "pollution": "มลพิษ",
    "dog": "สุนัข", "dogs": "สุนัข", "cat": "แมว", "stray": "จรจัด",
    "safety": "ปลอดภัย", "crime": "อาชญากรรม", "cctv": "กล้องวงจรปิด", "camera": "กล้อง",
    "bridge": "สะพาน", "school": "โรงเรียน", "market": "ตลาด", "vendor": "หาบเร่",
    "vendors": "หาบเร่", "playground": "สนามเด็กเล่น", "elderly": "ผู้สูงอายุ",
    "health": "สุขภาพ", "toilet": "ห้องน้ำ", "wire": "สายไฟ", "wires": "สายไฟ",
}


def english_district(query: str) -> str | None:
    """The Thai name of the district whose English name is ``query`` (any case), or None."""
    wanted = " ".join(query.lower().split())
    for thai, english in districts.ENGLISH_NAMES.items():
        if english.lower() == wanted:
            return thai
    return None


def thai_term(query: str) -> str | None:
    """The Thai stem for an English topic word (``"Flood"`` → ``"น้ำท่วม"``), or None."""
    return TERMS.get(" ".join(query.lower().split()))
