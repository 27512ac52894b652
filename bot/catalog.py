"""Every text a resident reads, in Thai (default) and English.

Handlers never hold resident-facing strings; they ask :func:`t` for a key.
Thai text is short and polite and uses "ค่ะ" throughout.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("th", "en")

CATALOG: dict[str, dict[str, str]] = {
    "welcome": {
        "th": "สวัสดีค่ะ ยินดีต้อนรับสู่ เสียง (Siang) ช่องทางส่งไอเดียและโหวตโครงการ"
              "งบประมาณแบบมีส่วนร่วมของกรุงเทพมหานครค่ะ",
        "en": "Hello! Welcome to Siang, Bangkok's channel for sending ideas and voting "
              "on participatory budgeting projects.",
    },
    "privacy_notice": {
        "th": "ก่อนเริ่ม ขอแจ้งเรื่องข้อมูลส่วนบุคคล (PDPA) ค่ะ\n"
              "• เราเก็บ: ไอดี LINE ของคุณ เขตที่คุณเลือก ไอเดียและการโหวตของคุณ\n"
              "• เพื่อ: รวบรวมไอเดีย จัดกลุ่มไอเดียที่คล้ายกัน นับคะแนนโหวต "
              "และแจ้งความคืบหน้าโครงการให้คุณทราบ\n"
              "• ผู้ที่เห็น: เจ้าหน้าที่สำนักงานเขตและ กทม. เห็นไอเดียโดยไม่เห็นไอดี LINE ของคุณ\n"
              "• ระยะเวลา: จนจบโครงการปีงบประมาณนี้ หรือจนกว่าคุณจะขอลบ\n"
              "ไอเดียและการโหวตอาจสะท้อนความคิดเห็นทางการเมือง "
              "จึงเป็นข้อมูลอ่อนไหวที่ต้องได้รับความยินยอมจากคุณก่อนค่ะ",
        "en": "Before we start, about your personal data (Thailand's PDPA):\n"
              "• We keep: your LINE id, the district you choose, your ideas and votes\n"
              "• Why: to gather ideas, group similar ones, count votes and tell you "
              "how projects progress\n"
              "• Who sees it: district and BMA staff see ideas, never your LINE id\n"
              "• How long: until this fiscal year's projects end, or until you ask us to erase it\n"
              "Ideas and votes can reveal political opinions, so we need your explicit consent.",
    },
    "consent_question": {
        "th": "คุณยินยอมให้เราเก็บและใช้ข้อมูลตามที่แจ้งไว้หรือไม่คะ",
        "en": "Do you consent to us keeping and using your data as described?",
    },
    "consent_yes": {"th": "ยินยอม", "en": "I consent"},
    "consent_no": {"th": "ไม่ยินยอม", "en": "I do not consent"},
    "consent_thanks": {
        "th": "ขอบคุณค่ะ คุณอยู่เขตไหนคะ พิมพ์ชื่อเขต (เช่น ทุ่งครุ) หรือเลือกจากปุ่มด้านล่างได้เลยค่ะ",
        "en": "Thank you! Which district do you live in? Type its name (e.g. Thung Khru) "
              "or pick one below.",
    },
    "consent_declined": {
        "th": "รับทราบค่ะ เราจะไม่เก็บข้อมูลของคุณ หากเปลี่ยนใจ พิมพ์ \"ยินยอม\" ได้ทุกเมื่อค่ะ",
        "en": "Understood: we will not keep your data. If you change your mind, "
              "type \"consent\" at any time.",
    },
    "consent_needed": {
        "th": "ขออภัยค่ะ ก่อนส่งไอเดีย เราต้องได้รับความยินยอมจากคุณก่อนค่ะ",
        "en": "Sorry, we need your consent before you can send ideas.",
    },
    "district_question": {
        "th": "คุณอยู่เขตไหนคะ พิมพ์ชื่อเขต หรือเลือกจากปุ่มด้านล่างค่ะ",
        "en": "Which district do you live in? Type its name or pick one below.",
    },
    "district_unknown": {
        "th": "ขออภัยค่ะ ไม่พบเขต \"{text}\" ในกรุงเทพฯ ลองพิมพ์ชื่อเขตอีกครั้ง เช่น บางรัก หรือ จตุจักร ค่ะ",
        "en": "Sorry, \"{text}\" is not a Bangkok district. Try again, e.g. Bang Rak or Chatuchak.",
    },
    "district_saved": {
        "th": "บันทึกเขต{district}แล้วค่ะ พิมพ์ไอเดียที่อยากให้เขตของคุณดีขึ้นส่งมาได้เลยค่ะ "
              "เช่น \"อยากให้ซ่อมถนนหน้าซอย 5 ที่เป็นหลุม\"",
        "en": "Saved: {district} district. Now type an idea to make your district better, "
              "e.g. \"Please fix the potholes at the entrance of Soi 5\".",
    },
    "more_districts": {"th": "เขตอื่น ๆ", "en": "More districts"},
    "idea_received": {
        "th": "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ {number})\n{grouping}\n"
              "ขอบคุณที่ร่วมทำให้เขต{district}ดีขึ้นค่ะ",
        "en": "We received your idea (idea no. {number}).\n{grouping}\n"
              "Thank you for helping make {district} better.",
    },
    "grouped_alone": {
        "th": "เป็นไอเดียใหม่ในเขตของคุณค่ะ",
        "en": "It is a new idea in your district.",
    },
    "grouped_with": {
        "th": "ไอเดียนี้อยู่กลุ่มเดียวกับไอเดียที่คล้ายกันอีก {others} ไอเดียค่ะ",
        "en": "It joins {others} similar ideas from your district.",
    },
    "idea_empty": {
        "th": "ขออภัยค่ะ ข้อความว่างเปล่า กรุณาพิมพ์ไอเดียของคุณเป็นข้อความค่ะ",
        "en": "Sorry, that message is empty. Please type your idea as text.",
    },
    "idea_too_long": {
        "th": "ขออภัยค่ะ ไอเดียยาวเกิน {limit} ตัวอักษร (ของคุณ {length}) กรุณาสรุปให้สั้นลงค่ะ",
        "en": "Sorry, ideas can be at most {limit} characters (yours has {length}). "
              "Please shorten it.",
    },
    "sticker_only": {
        "th": "ขอบคุณสำหรับสติกเกอร์ค่ะ 😊 ถ้ามีไอเดีย พิมพ์เป็นข้อความส่งมาได้เลยค่ะ",
        "en": "Thanks for the sticker! 😊 If you have an idea, please type it as text.",
    },
    "help": {
        "th": "เสียง (Siang) ช่วยให้คุณมีส่วนร่วมในงบประมาณของกรุงเทพฯ ค่ะ\n"
              "• พิมพ์ไอเดียเพื่อส่งไอเดียให้เขตของคุณ\n"
              "• พิมพ์ \"เปลี่ยนเขต\" เพื่อเปลี่ยนเขต\n"
              "• พิมพ์ \"English\" เพื่อใช้ภาษาอังกฤษ",
        "en": "Siang lets you take part in Bangkok's budget.\n"
              "• Type an idea to send it to your district\n"
              "• Type \"change district\" to change your district\n"
              "• Type \"ภาษาไทย\" to switch to Thai",
    },
    "unsupported": {
        "th": "ขออภัยค่ะ ตอนนี้รับเฉพาะข้อความค่ะ พิมพ์ไอเดียของคุณส่งมาได้เลยค่ะ",
        "en": "Sorry, for now we can only read text. Please type your idea.",
    },
    "language_set": {
        "th": "เปลี่ยนเป็นภาษาไทยแล้วค่ะ",
        "en": "Switched to English.",
    },
    "stale_action": {
        "th": "ขออภัยค่ะ ปุ่มนี้หมดอายุแล้ว ลองอีกครั้งได้เลยค่ะ",
        "en": "Sorry, that button has expired. Please try again.",
    },
}


def t(key: str, language: str = "th", **values: Any) -> str:
    """The text for ``key`` in ``language`` (Thai when unknown), with values filled in.

    Raises:
        KeyError: ``key`` is not in the catalog (a bug: tests check every key used).
    """
    entry = CATALOG[key]
    text = entry.get(language) or entry["th"]
    return text.format(**values) if values else text
