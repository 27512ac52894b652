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
              "• พิมพ์ไอเดียเพื่อส่งไอเดียให้เขตของคุณ (แนบรูปหรือแชร์ตำแหน่งได้)\n"
              "• ถ้ามีไอเดียคล้ายกันอยู่แล้ว กดสนับสนุนแทนการส่งซ้ำได้\n"
              "• เมนูด้านล่าง: ไอเดียของฉัน (ดูสถานะ แก้ไข ถอน) โหวต ความคืบหน้า ความเป็นส่วนตัว\n"
              "• พิมพ์ \"เปลี่ยนเขต\" เพื่อเปลี่ยนเขต\n"
              "• พิมพ์ \"English\" เพื่อใช้ภาษาอังกฤษ",
        "en": "Siang lets you take part in Bangkok's budget.\n"
              "• Type an idea to send it to your district (add a photo or location if you like)\n"
              "• If a similar idea exists, support it instead of sending a duplicate\n"
              "• Menu below: My ideas (status, edit, withdraw), Vote, Progress, Privacy\n"
              "• Type \"change district\" to change your district\n"
              "• Type \"ภาษาไทย\" to switch to Thai",
    },
    "unsupported": {
        "th": "ขออภัยค่ะ เสียงรับข้อความ รูปภาพ และตำแหน่งเท่านั้นค่ะ พิมพ์ไอเดียของคุณส่งมาได้เลยค่ะ",
        "en": "Sorry, Siang reads text, photos and locations only. Please type your idea.",
    },
    "language_set": {
        "th": "เปลี่ยนเป็นภาษาไทยแล้วค่ะ",
        "en": "Switched to English.",
    },
    "stale_action": {
        "th": "ขออภัยค่ะ ปุ่มนี้หมดอายุแล้ว ลองอีกครั้งได้เลยค่ะ",
        "en": "Sorry, that button has expired. Please try again.",
    },
    # Sent once per resident and project when staff promote a cluster (admin, issue 5).
    "project_promoted": {
        "th": "ข่าวดีค่ะ ไอเดียของคุณได้ถูกนำไปพัฒนาเป็นโครงการ \"{title}\" ของเขต{district} แล้วค่ะ "
              "เราจะแจ้งให้ทราบอีกครั้งเมื่อเปิดให้โหวตนะคะ",
        "en": "Good news: your idea is now part of the project \"{title}\" in {district} "
              "district. We will let you know when voting opens.",
    },
    # --- issue 4: the resident's LINE experience ---------------------------------
    # Rich menu and typed menu words.
    "menu_idea_prompt": {
        "th": "พิมพ์ไอเดียที่อยากให้เขต{district}ดีขึ้นส่งมาได้เลยค่ะ 💡\n"
              "เช่น \"อยากให้ติดไฟส่องสว่างในซอย 7 ที่มืดมาก\"\n"
              "ส่งรูปหรือแชร์ตำแหน่งประกอบไอเดียได้ด้วยนะคะ",
        "en": "Type an idea to make {district} better 💡\n"
              "e.g. \"Please put street lights in Soi 7, it is very dark\".\n"
              "You can add a photo or share a location too.",
    },
    "vote_none": {
        "th": "ตอนนี้ยังไม่มีการเปิดโหวตโครงการค่ะ เมื่อเปิดโหวตในเขตของคุณ เราจะแจ้งให้ทราบทาง LINE นะคะ",
        "en": "No voting round is open yet. We will tell you in LINE when voting opens "
              "in your district.",
    },
    "progress_none": {
        "th": "ยังไม่มีความคืบหน้าของโครงการที่จะรายงานค่ะ เมื่อไอเดียกลายเป็นโครงการและเริ่มดำเนินการ "
              "คุณจะติดตามความคืบหน้าได้ที่นี่ค่ะ",
        "en": "No project progress to report yet. Once ideas become projects and work starts, "
              "you can follow it here.",
    },
    "greeting": {
        "th": "สวัสดีค่ะ 😊 มีไอเดียอะไรอยากให้เขตของคุณดีขึ้น พิมพ์ส่งมาได้เลยค่ะ "
              "หรือแตะเมนูด้านล่างเพื่อดูไอเดียของคุณ",
        "en": "Hello! 😊 Type any idea to make your district better, or tap the menu below "
              "to see your ideas.",
    },
    "thanks_reply": {
        "th": "ยินดีค่ะ 😊 ขอบคุณที่ร่วมทำให้กรุงเทพฯ ดีขึ้นนะคะ",
        "en": "You're welcome! 😊 Thank you for helping make Bangkok better.",
    },
    "menu_help": {"th": "ช่วยเหลือ", "en": "Help"},
    "menu_idea": {"th": "ส่งไอเดีย", "en": "Send an idea"},
    "menu_mine": {"th": "ไอเดียของฉัน", "en": "My ideas"},
    "menu_privacy": {"th": "ความเป็นส่วนตัว", "en": "Privacy"},
    "menu_language": {"th": "English", "en": "ภาษาไทย"},
    "menu_vote": {"th": "โหวต", "en": "Vote"},
    "menu_progress": {"th": "ความคืบหน้า", "en": "Progress"},
    "chat_bar": {"th": "เมนูเสียง", "en": "Siang menu"},  # rich menu chat bar: ≤14 characters
    # Similar-idea check.
    "similar_intro": {
        "th": "มีไอเดียที่คล้ายกับของคุณในเขต{district}แล้วค่ะ 👇\n"
              "กด \"สนับสนุนไอเดียนี้\" ถ้าตรงกับที่คุณอยากได้ (ไอเดียนั้นจะมีเสียงสนับสนุนมากขึ้น) "
              "หรือกด \"ส่งเป็นไอเดียใหม่\" ถ้าไอเดียของคุณต่างออกไปค่ะ",
        "en": "There are ideas like yours in {district} already 👇\n"
              "Tap \"Support this idea\" if one is what you want (it gains your voice), "
              "or \"Send mine as new\" if yours is different.",
    },
    "similar_alt": {
        "th": "ไอเดียที่คล้ายกันในเขตของคุณ: {titles}",
        "en": "Similar ideas in your district: {titles}",
    },
    "similar_header": {"th": "ไอเดียที่คล้ายกัน {i}/{n}", "en": "Similar idea {i}/{n}"},
    "backers": {"th": "👥 มีผู้สนับสนุน {n} คน", "en": "👥 {n} supporters"},
    "support_button": {"th": "สนับสนุนไอเดียนี้", "en": "Support this idea"},
    "send_new_button": {"th": "ส่งเป็นไอเดียใหม่", "en": "Send mine as new"},
    "support_recorded": {
        "th": "ขอบคุณค่ะ 🙏 บันทึกว่าคุณสนับสนุนไอเดียนี้แล้ว ตอนนี้มีผู้สนับสนุน {n} คน\n"
              "\"{text}\"\nเราไม่ได้ส่งไอเดียของคุณซ้ำ มีเรื่องอื่นพิมพ์ส่งมาได้เลยค่ะ",
        "en": "Thank you 🙏 Your support is recorded; this idea now has {n} supporters.\n"
              "\"{text}\"\nYour message was not sent again as a duplicate. Type any other idea.",
    },
    "support_already": {
        "th": "คุณสนับสนุนไอเดียนี้ไว้แล้วค่ะ (ผู้สนับสนุน {n} คน)",
        "en": "You already support this idea ({n} supporters).",
    },
    "support_gone": {
        "th": "ขออภัยค่ะ ไอเดียนั้นไม่เปิดให้สนับสนุนแล้ว กด \"ส่งเป็นไอเดียใหม่\" เพื่อส่งไอเดียของคุณได้ค่ะ",
        "en": "Sorry, that idea can no longer be supported. Tap \"Send mine as new\" to send yours.",
    },
    "choice_done": {
        "th": "ขออภัยค่ะ ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว ไม่มีอะไรเปลี่ยนแปลงค่ะ "
              "แตะ \"ไอเดียของฉัน\" ที่เมนูเพื่อดูไอเดียของคุณได้ค่ะ",
        "en": "Sorry, that choice was already made or has expired; nothing changed. "
              "Tap \"My ideas\" in the menu to see your ideas.",
    },
    "pending_sent_as_new": {
        "th": "ไอเดียก่อนหน้าของคุณส่งเป็นไอเดียใหม่แล้วค่ะ (ไอเดียเลขที่ {number})",
        "en": "Your previous idea was sent as a new idea (idea no. {number}).",
    },
    "idea_already_sent": {
        "th": "คุณส่งไอเดียนี้ไว้แล้วค่ะ (ไอเดียเลขที่ {number}) ไม่ต้องส่งซ้ำนะคะ",
        "en": "You already sent this idea (idea no. {number}); no need to send it again.",
    },
    "photos_attached_new": {
        "th": "แนบรูป {n} รูปกับไอเดียนี้แล้วค่ะ 📷",
        "en": "{n} photo(s) attached to this idea 📷",
    },
    "location_attached_new": {
        "th": "แนบตำแหน่งกับไอเดียนี้แล้วค่ะ 📍",
        "en": "Location attached to this idea 📍",
    },
    # Abuse and odd input.
    "idea_too_short": {
        "th": "ช่วยเล่ารายละเอียดเพิ่มอีกนิดนะคะ 🙏 เช่น อยากให้ทำอะไร ที่ไหน "
              "(\"อยากให้ซ่อมทางเท้าหน้าตลาด...\")",
        "en": "Please tell us a little more 🙏: what should be done, and where "
              "(\"Please repair the footpath in front of ... market\").",
    },
    "emoji_only": {
        "th": "ขอบคุณค่ะ 😊 ถ้ามีไอเดีย พิมพ์เป็นข้อความส่งมาได้เลยนะคะ",
        "en": "Thank you! 😊 If you have an idea, please type it as text.",
    },
    "rate_limited": {
        "th": "ขอบคุณที่ตั้งใจส่งไอเดียมากมายนะคะ 🙏 แต่ละคนส่งได้ {limit} ไอเดียต่อชั่วโมง "
              "ส่งไอเดียถัดไปได้ตั้งแต่เวลา {time} น. ค่ะ",
        "en": "Thank you for all your ideas 🙏 Each person can send {limit} ideas an hour; "
              "you can send the next one from {time}.",
    },
    "idea_flagged": {
        "th": "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ {number}) เจ้าหน้าที่จะตรวจสอบก่อนนำไปรวมกับไอเดียอื่น "
              "ขอความร่วมมือใช้ถ้อยคำสุภาพนะคะ 🙏",
        "en": "We received your idea (idea no. {number}). Staff will review it before it is "
              "grouped with others. Please keep the wording polite 🙏",
    },
    # Photos.
    "photo_attached": {
        "th": "แนบรูปกับไอเดียเลขที่ {number} แล้วค่ะ 📷",
        "en": "Photo attached to idea no. {number} 📷",
    },
    "photo_held": {
        "th": "ได้รับรูปแล้วค่ะ 📷 พิมพ์ไอเดียที่เกี่ยวกับรูปนี้ส่งมาได้เลย "
              "รูปจะแนบกับไอเดียถัดไปที่คุณส่งภายใน {minutes} นาทีค่ะ",
        "en": "Photo received 📷 Now type the idea it goes with: it will be attached to the "
              "next idea you send within {minutes} minutes.",
    },
    "photo_too_large": {
        "th": "ขออภัยค่ะ รูปใหญ่เกิน {limit} MB ลองส่งรูปที่เล็กลงนะคะ",
        "en": "Sorry, photos can be at most {limit} MB. Please send a smaller one.",
    },
    "photo_bad_type": {
        "th": "ขออภัยค่ะ รับเฉพาะรูปแบบ JPG หรือ PNG ค่ะ",
        "en": "Sorry, only JPG or PNG photos can be attached.",
    },
    "photo_failed": {
        "th": "ขออภัยค่ะ รับรูปไม่สำเร็จ ลองส่งใหม่อีกครั้งนะคะ",
        "en": "Sorry, we could not receive that photo. Please send it again.",
    },
    "photo_limit": {
        "th": "ไอเดียเลขที่ {number} มีรูปครบ {limit} รูปแล้วค่ะ รูปนี้จะแนบกับไอเดียถัดไปที่คุณส่งนะคะ",
        "en": "Idea no. {number} already has {limit} photos; this one will go with your next idea.",
    },
    # Locations.
    "location_district_set": {
        "th": "จากตำแหน่งที่ส่งมา คุณอยู่เขต{district} บันทึกเขตแล้วค่ะ 📍\n"
              "หากไม่ถูกต้อง พิมพ์ \"เปลี่ยนเขต\" ได้เลย พิมพ์ไอเดียส่งมาได้เลยค่ะ",
        "en": "From the location you shared, you are in {district}: saved 📍\n"
              "If that is wrong, type \"change district\". Now type your idea.",
    },
    "location_attached": {
        "th": "บันทึกตำแหน่งของไอเดียเลขที่ {number} แล้วค่ะ 📍 (เขต{place})",
        "en": "Location saved for idea no. {number} 📍 ({place})",
    },
    "location_held": {
        "th": "บันทึกตำแหน่งแล้วค่ะ 📍 (เขต{place}) พิมพ์ไอเดียสำหรับที่นี่ส่งมาได้เลย "
              "ตำแหน่งจะแนบกับไอเดียถัดไปของคุณค่ะ",
        "en": "Location saved 📍 ({place}). Type your idea for this place: the location "
              "goes with your next idea.",
    },
    "location_other_district": {
        "th": "ตำแหน่งนี้อยู่ในเขต{place} แต่เขตที่คุณเลือกไว้คือเขต{district} "
              "ถ้าต้องการเปลี่ยนเขต แตะปุ่มด้านล่างได้เลยค่ะ",
        "en": "This place is in {place}, but your district is {district}. "
              "Tap below if you want to change your district.",
    },
    "use_district": {"th": "ใช้เขต{place}", "en": "Use {place}"},
    "location_outside": {
        "th": "ขออภัยค่ะ ตำแหน่งนี้อยู่นอกกรุงเทพฯ เสียงรับไอเดียเฉพาะ 50 เขตของกรุงเทพมหานครค่ะ",
        "en": "Sorry, that place is outside Bangkok; Siang takes ideas for Bangkok's 50 districts.",
    },
    # My ideas.
    "mine_none": {
        "th": "คุณยังไม่ได้ส่งไอเดียค่ะ พิมพ์ไอเดียที่อยากให้เขตของคุณดีขึ้นส่งมาได้เลยนะคะ 💡",
        "en": "You have not sent any ideas yet. Type one to make your district better 💡",
    },
    "mine_intro": {
        "th": "ไอเดียของคุณ {n} เรื่องค่ะ{more}",
        "en": "Your ideas: {n}{more}",
    },
    "mine_more": {
        "th": " (แสดง {shown} เรื่องล่าสุด)",
        "en": " (showing the latest {shown})",
    },
    "mine_supports": {
        "th": "\nคุณสนับสนุนไอเดียของผู้อื่น {n} เรื่อง",
        "en": "\nYou support {n} ideas of others.",
    },
    "mine_pending": {
        "th": "\nมีไอเดียที่รอคุณเลือก \"สนับสนุน\" หรือ \"ส่งเป็นไอเดียใหม่\" อยู่ 1 เรื่องค่ะ",
        "en": "\nOne idea is waiting for you to choose \"support\" or \"send as new\".",
    },
    "mine_alt": {"th": "ไอเดียของฉัน ({n} เรื่อง)", "en": "My ideas ({n})"},
    "idea_number": {"th": "ไอเดียเลขที่ {number}", "en": "Idea no. {number}"},
    "sent_on": {"th": "ส่งเมื่อ {date}", "en": "Sent {date}"},
    "edited_mark": {"th": " · แก้ไขแล้ว", "en": " · edited"},
    "has_photos": {"th": "📷 {n} รูป", "en": "📷 {n} photo(s)"},
    "has_location": {"th": "📍 มีตำแหน่ง", "en": "📍 located"},
    "status_received": {"th": "✅ ได้รับแล้ว", "en": "✅ Received"},
    "status_grouped": {
        "th": "🧩 รวมกลุ่มกับไอเดียที่คล้ายกันอีก {n} ไอเดีย",
        "en": "🧩 Grouped with {n} similar ideas",
    },
    "status_review": {"th": "⏳ รอเจ้าหน้าที่ตรวจสอบ", "en": "⏳ Waiting for staff review"},
    "status_hidden": {"th": "🚫 ไม่ได้เผยแพร่", "en": "🚫 Not published"},
    "status_merged": {"th": "🧩 รวมกับไอเดียอื่นแล้ว", "en": "🧩 Merged with another idea"},
    "status_project": {"th": "🏗️ เป็นส่วนหนึ่งของโครงการ \"{title}\"", "en": "🏗️ Part of the project \"{title}\""},
    "project_draft": {"th": "กำลังพัฒนาเป็นโครงการ", "en": "being developed"},
    "project_ready_for_vote": {"th": "รอการโหวต", "en": "up for the vote"},
    "project_selected": {"th": "🎉 ได้รับเลือกในการโหวต", "en": "🎉 selected in the vote"},
    "project_not_selected": {"th": "ไม่ได้รับเลือกในการโหวต", "en": "not selected in the vote"},
    "project_in_progress": {"th": "กำลังดำเนินการ", "en": "in progress"},
    "project_done": {"th": "✅ เสร็จแล้ว", "en": "✅ done"},
    "progress_percent": {"th": "ความคืบหน้า {percent}%", "en": "{percent}% done"},
    "edit_button": {"th": "แก้ไข", "en": "Edit"},
    "withdraw_button": {"th": "ถอนไอเดีย", "en": "Withdraw"},
    # Edit and withdraw.
    "edit_prompt": {
        "th": "พิมพ์ข้อความใหม่ของไอเดียเลขที่ {number} ส่งมาได้เลยค่ะ ✏️\nข้อความเดิม: \"{text}\"",
        "en": "Type the new text of idea no. {number} ✏️\nNow it says: \"{text}\"",
    },
    "cancel": {"th": "ยกเลิก", "en": "Cancel"},
    "cancelled": {"th": "ยกเลิกแล้วค่ะ ไม่มีอะไรเปลี่ยนแปลงค่ะ", "en": "Cancelled; nothing changed."},
    "edit_saved": {
        "th": "แก้ไขไอเดียเลขที่ {number} แล้วค่ะ ✏️\n{grouping}",
        "en": "Idea no. {number} updated ✏️\n{grouping}",
    },
    "edit_closed": {
        "th": "ขออภัยค่ะ ไอเดียนี้แก้ไขหรือถอนไม่ได้แล้ว เพราะช่วงรับไอเดียปิดแล้ว หรือไอเดียถูกถอนไปแล้วค่ะ",
        "en": "Sorry, this idea can no longer be edited or withdrawn: the idea stage has "
              "closed or it was withdrawn.",
    },
    "withdraw_confirm": {
        "th": "ยืนยันถอนไอเดียเลขที่ {number} ไหมคะ\n\"{text}\"\n"
              "ไอเดียที่ถอนแล้วจะไม่ถูกนำไปรวมกลุ่มหรือพัฒนาเป็นโครงการค่ะ",
        "en": "Withdraw idea no. {number}?\n\"{text}\"\n"
              "A withdrawn idea is not grouped or developed into a project.",
    },
    "withdraw_yes": {"th": "ถอนไอเดีย", "en": "Withdraw it"},
    "withdraw_no": {"th": "ไม่ถอน", "en": "Keep it"},
    "withdrawn": {"th": "ถอนไอเดียเลขที่ {number} แล้วค่ะ", "en": "Idea no. {number} withdrawn."},
    # Privacy (PDPA).
    "privacy_menu": {
        "th": "ความเป็นส่วนตัวของคุณ 🔒 เลือกได้เลยค่ะ\n"
              "• อ่านประกาศ: เราเก็บอะไร เพื่ออะไร นานแค่ไหน ใครเห็น\n"
              "• ข้อมูลของฉัน: สรุปข้อมูลทั้งหมดที่เราเก็บเกี่ยวกับคุณ\n"
              "• ลบข้อมูลของฉัน: ลบไอดี LINE เขต และไอเดียของคุณ\n"
              "• ถอนความยินยอม: หยุดให้เราใช้ข้อมูลของคุณ",
        "en": "Your privacy 🔒 Choose:\n"
              "• Notice: what we keep, why, for how long, who sees it\n"
              "• My data: a summary of everything we keep about you\n"
              "• Erase my data: remove your LINE id, district and ideas\n"
              "• Withdraw consent: stop us using your data",
    },
    "privacy_notice_button": {"th": "อ่านประกาศ", "en": "Notice"},
    "my_data_button": {"th": "ข้อมูลของฉัน", "en": "My data"},
    "erase_button": {"th": "ลบข้อมูลของฉัน", "en": "Erase my data"},
    "consent_off_button": {"th": "ถอนความยินยอม", "en": "Withdraw consent"},
    "news_off_button": {"th": "ไม่รับข่าวโครงการ", "en": "Stop project news"},
    "news_on_button": {"th": "รับข่าวโครงการ", "en": "Get project news"},
    "news_off": {
        "th": "หยุดส่งข่าวความคืบหน้าโครงการให้คุณแล้วค่ะ เปิดรับอีกครั้งได้ที่เมนูความเป็นส่วนตัวค่ะ",
        "en": "We will not send you project news any more; turn it back on in the privacy menu.",
    },
    "news_on": {
        "th": "เปิดรับข่าวความคืบหน้าโครงการแล้วค่ะ 📣",
        "en": "You will get project news again 📣",
    },
    "my_data": {
        "th": "ข้อมูลของคุณที่เราเก็บไว้ค่ะ 🔒\n"
              "• ไอดี LINE: เก็บไว้เพื่อตอบกลับคุณ (เจ้าหน้าที่ไม่เห็น)\n"
              "• ภาษา: {lang}\n"
              "• ให้ความยินยอมเมื่อ: {consent}\n"
              "• เขต: {district}\n"
              "• ไอเดีย: {ideas}\n"
              "• รูปที่แนบ: {photos} รูป · ไอเดียที่มีตำแหน่ง: {located} เรื่อง\n"
              "• การสนับสนุนไอเดียของผู้อื่น: {supports} เรื่อง\n"
              "• บัตรลงคะแนน: {ballots}\n"
              "• รับข่าวโครงการ: {news}\n"
              "• เรื่องที่รอคุณตอบ: {pending}\n"
              "ข้อความที่คุณพิมพ์ถูกลบออกจากบันทึกการรับข้อความหลังประมวลผลแล้วค่ะ",
        "en": "What we keep about you 🔒\n"
              "• LINE id: kept to answer you (staff never see it)\n"
              "• Language: {lang}\n"
              "• Consent given: {consent}\n"
              "• District: {district}\n"
              "• Ideas: {ideas}\n"
              "• Photos attached: {photos} · ideas with a location: {located}\n"
              "• Ideas of others you support: {supports}\n"
              "• Ballots: {ballots}\n"
              "• Project news: {news}\n"
              "• Waiting for your answer: {pending}\n"
              "What you type is removed from our message log once processed.",
    },
    "my_data_follow_only": {
        "th": "เราเก็บเพียงว่าคุณเพิ่มเพื่อนกับเสียง (ไอดี LINE และภาษา {lang}) "
              "ยังไม่มีข้อมูลอื่นค่ะ เพราะคุณยังไม่ได้ให้ความยินยอม",
        "en": "We only keep that you follow Siang (your LINE id and language: {lang}); "
              "nothing else, since you have not given consent.",
    },
    "language_th": {"th": "ไทย", "en": "Thai"},
    "language_en": {"th": "อังกฤษ", "en": "English"},
    "none": {"th": "ไม่มี", "en": "none"},
    "yes_word": {"th": "รับ", "en": "yes"},
    "no_word": {"th": "ไม่รับ", "en": "no"},
    "ideas_summary": {
        "th": "{n} เรื่อง{detail}",
        "en": "{n}{detail}",
    },
    "ballots_none_yet": {"th": "ยังไม่มี", "en": "none yet"},
    "erase_choose": {
        "th": "ต้องการลบข้อมูลของคุณใช่ไหมคะ 🗑️\n"
              "เราจะลบไอดี LINE เขต การสนับสนุน รูปที่รอแนบ และตัดความเชื่อมโยงบัตรลงคะแนนกับตัวคุณ\n"
              "สำหรับไอเดียที่คุณส่ง ({n} เรื่อง) เลือกได้ว่าจะ\n"
              "• ลบไอเดียทิ้งทั้งหมด (ข้อความ รูป และข้อมูลสำหรับจัดกลุ่ม) หรือ\n"
              "• เก็บไอเดียไว้แบบไม่ระบุตัวตน (ยังนับรวมในกลุ่มไอเดีย)\n"
              "การลบย้อนกลับไม่ได้ค่ะ",
        "en": "Erase your data? 🗑️\n"
              "We remove your LINE id, district, supports and waiting photos, and unlink "
              "your ballots from you.\n"
              "For the ideas you sent ({n}), choose:\n"
              "• delete them all (text, photos and grouping data), or\n"
              "• keep them anonymously (they still count in their group).\n"
              "This cannot be undone.",
    },
    "erase_delete": {"th": "ลบไอเดียด้วย", "en": "Delete my ideas"},
    "erase_anonymise": {"th": "เก็บไอเดียแบบนิรนาม", "en": "Keep ideas anonymous"},
    "erase_done": {
        "th": "ลบข้อมูลของคุณแล้วค่ะ ✅ ({ideas})\n"
              "เราบันทึกไว้เพียงว่ามีการลบเกิดขึ้น โดยไม่มีข้อมูลที่ระบุตัวคุณ "
              "หากต้องการใช้เสียงอีกครั้ง พิมพ์ข้อความใดก็ได้เพื่อเริ่มใหม่ค่ะ",
        "en": "Your data is erased ✅ ({ideas})\n"
              "We keep only a note that an erasure happened, with nothing that identifies you. "
              "To use Siang again, send any message to start afresh.",
    },
    "erase_done_deleted": {"th": "ลบไอเดีย {n} เรื่อง", "en": "{n} ideas deleted"},
    "erase_done_anonymised": {"th": "เก็บไอเดีย {n} เรื่องแบบนิรนาม", "en": "{n} ideas kept anonymously"},
    "consent_off_confirm": {
        "th": "ถอนความยินยอมใช่ไหมคะ\n"
              "เราจะหยุดใช้ข้อมูลของคุณ ลบเขตและการตั้งค่าของคุณ ส่วนไอเดียและการสนับสนุนที่ส่งแล้ว"
              "จะยังอยู่แบบไม่ระบุตัวตน (ถ้าต้องการลบไอเดียด้วย เลือก \"ลบข้อมูลของฉัน\" แทนค่ะ)",
        "en": "Withdraw your consent?\n"
              "We stop using your data and remove your district and settings; ideas and "
              "supports you sent stay, anonymously (to delete ideas too, choose \"Erase my data\").",
    },
    "consent_withdrawn": {
        "th": "ถอนความยินยอมแล้วค่ะ เราจะไม่ใช้ข้อมูลของคุณอีก "
              "ไอเดียที่ส่งแล้ว {n} เรื่องยังอยู่แบบไม่ระบุตัวตน หากเปลี่ยนใจ พิมพ์ \"ยินยอม\" ได้ทุกเมื่อค่ะ",
        "en": "Consent withdrawn: we will not use your data any more. Your {n} ideas stay, "
              "anonymously. If you change your mind, type \"consent\" at any time.",
    },
    "nothing_to_withdraw": {
        "th": "คุณยังไม่ได้ให้ความยินยอมค่ะ เราจึงไม่ได้เก็บข้อมูลอื่นนอกจากการเพิ่มเพื่อน",
        "en": "You have not given consent, so we keep nothing beyond the follow.",
    },
    "pending_idea_item": {"th": "ไอเดีย 1 เรื่องรอคุณเลือก", "en": "1 idea waiting for your choice"},
    "edit_item": {"th": "การแก้ไขไอเดีย", "en": "an idea being edited"},
    "held_photos_item": {"th": "รูปที่รอแนบ {n} รูป", "en": "{n} photo(s) waiting for an idea"},
    "held_location_item": {"th": "ตำแหน่งที่รอแนบ", "en": "a location waiting for an idea"},
    "ideas_detail_active": {"th": "ใช้งาน {n}", "en": "{n} active"},
    "ideas_detail_flagged": {"th": "รอตรวจสอบ {n}", "en": "{n} under review"},
    "ideas_detail_withdrawn": {"th": "ถอนแล้ว {n}", "en": "{n} withdrawn"},
    "ideas_detail_hidden": {"th": "ไม่เผยแพร่ {n}", "en": "{n} not published"},
    "ideas_detail_spam": {"th": "ไม่เผยแพร่ {n}", "en": "{n} not published"},
    "ideas_detail_merged": {"th": "รวมแล้ว {n}", "en": "{n} merged"},
    # --- issue 6: voting rounds (bot/handlers/vote.py, workers/voting.py) ---------------
    "vote_city": {"th": "ทั้งกรุงเทพฯ", "en": "all of Bangkok"},
    "vote_rule_approval": {
        "th": "เลือกได้ไม่เกิน {k} โครงการ",
        "en": "pick up to {k} projects",
    },
    "vote_rule_knapsack": {
        "th": "เลือกได้หลายโครงการ โดยรวมค่าใช้จ่ายไม่เกิน {budget} บาท",
        "en": "pick any projects whose costs add up to at most {budget} baht",
    },
    "vote_intro": {
        "th": "🗳️ {title}\nโหวตโครงการของ{area} งบประมาณรวม {budget} บาท\n"
              "วิธีโหวต: {rule} แตะ \"เลือกโครงการนี้\" ในการ์ดด้านล่าง แล้วกด \"ยืนยันการโหวต\" ค่ะ\n"
              "ปิดโหวต {closes} น. (เปลี่ยนการโหวตได้จนถึงตอนนั้นค่ะ)\n{status}",
        "en": "🗳️ {title}\nVote on projects for {area}, a budget of {budget} baht in total.\n"
              "How: {rule}. Tap \"Pick this project\" on the cards below, then \"Confirm my vote\".\n"
              "Voting closes {closes} (you can change your vote until then).\n{status}",
    },
    "vote_status_voted": {
        "th": "คุณโหวตแล้ว (ใบลงคะแนนเลขที่ {number} บันทึกเมื่อ {at} น.) เปลี่ยนได้ค่ะ",
        "en": "You have voted (ballot no. {number}, saved {at}); you can change it.",
    },
    "vote_status_not_yet": {"th": "คุณยังไม่ได้โหวตในรอบนี้ค่ะ", "en": "You have not voted in this round yet."},
    "vote_choose_round": {
        "th": "ตอนนี้เปิดโหวต {n} รอบค่ะ เลือกรอบที่ต้องการโหวตได้เลยค่ะ",
        "en": "{n} voting rounds are open. Choose one to vote in.",
    },
    "vote_upcoming": {
        "th": "การโหวต \"{title}\" จะเปิดวันที่ {opens} น. ค่ะ เราจะแจ้งให้ทราบทาง LINE เมื่อเปิดนะคะ",
        "en": "Voting on \"{title}\" opens {opens}. We will tell you in LINE when it opens.",
    },
    "vote_closed_published": {
        "th": "การโหวต \"{title}\" ปิดแล้วค่ะ ดูผลได้ที่ {url}",
        "en": "Voting on \"{title}\" has closed. See the results at {url}",
    },
    "vote_closed_counting": {
        "th": "การโหวต \"{title}\" ปิดแล้วค่ะ เจ้าหน้าที่กำลังตรวจนับ เราจะแจ้งผลให้ทราบทาง LINE ค่ะ",
        "en": "Voting on \"{title}\" has closed. Staff are checking the count; we will tell "
              "you the result in LINE.",
    },
    "vote_carousel_alt": {
        "th": "โครงการให้โหวต: {title} (หน้า {page}/{pages})",
        "en": "Projects to vote on: {title} (page {page}/{pages})",
    },
    "vote_project_header": {"th": "โครงการที่ {n}/{total}", "en": "Project {n}/{total}"},
    "vote_cost": {"th": "💰 {cost} บาท", "en": "💰 {cost} baht"},
    "vote_baht": {"th": "บาท", "en": "baht"},
    "vote_picked_mark": {"th": "✅ คุณเลือกโครงการนี้แล้ว", "en": "✅ You picked this project"},
    "vote_add_button": {"th": "เลือกโครงการนี้", "en": "Pick this project"},
    "vote_remove_button": {"th": "เอาออก", "en": "Remove"},
    "vote_summary_button": {"th": "ดูที่เลือกไว้", "en": "My picks"},
    "vote_next_button": {"th": "หน้าถัดไป", "en": "Next page"},
    "vote_previous_button": {"th": "หน้าก่อนหน้า", "en": "Previous page"},
    "vote_confirm_button": {"th": "ยืนยันการโหวต", "en": "Confirm my vote"},
    "vote_projects_button": {"th": "ดูโครงการ", "en": "See projects"},
    "vote_change_button": {"th": "เปลี่ยนการโหวต", "en": "Change my vote"},
    "vote_now_button": {"th": "โหวตเลย", "en": "Vote now"},
    "vote_page_header": {"th": "หน้า {page}/{pages}", "en": "Page {page}/{pages}"},
    "vote_page_body": {
        "th": "นี่คือหน้า {page} จาก {pages} หน้า เลื่อนดูโครงการอื่นได้ที่ปุ่มด้านล่างค่ะ",
        "en": "This is page {page} of {pages}. See the other projects with the buttons below.",
    },
    "vote_added": {"th": "เลือก \"{title}\" แล้วค่ะ", "en": "Picked \"{title}\"."},
    "vote_removed": {"th": "เอา \"{title}\" ออกแล้วค่ะ", "en": "Removed \"{title}\"."},
    "vote_already_picked": {
        "th": "คุณเลือก \"{title}\" ไว้แล้วค่ะ ไม่มีอะไรเปลี่ยนแปลงค่ะ",
        "en": "\"{title}\" is already among your picks; nothing changed.",
    },
    "vote_not_picked": {
        "th": "\"{title}\" ไม่ได้อยู่ในรายการที่คุณเลือกค่ะ ไม่มีอะไรเปลี่ยนแปลงค่ะ",
        "en": "\"{title}\" is not among your picks; nothing changed.",
    },
    "vote_refused_over_budget": {
        "th": "เลือก \"{title}\" ไม่ได้ค่ะ โครงการนี้ใช้งบ {cost} บาท แต่งบที่เหลือมีอยู่ {left} บาท "
              "เอาโครงการอื่นออกก่อนแล้วลองใหม่นะคะ",
        "en": "Could not pick \"{title}\": it costs {cost} baht and only {left} baht is left. "
              "Remove another project first, then try again.",
    },
    "vote_refused_too_many": {
        "th": "คุณเลือกครบ {k} โครงการแล้วค่ะ เอาโครงการอื่นออกก่อนแล้วลองใหม่นะคะ",
        "en": "You have already picked {k} projects. Remove one first, then try again.",
    },
    "vote_used_picks": {"th": "เลือกแล้ว {n} จาก {k} โครงการ", "en": "{n} of {k} picks used"},
    "vote_used_budget": {
        "th": "ใช้งบไปแล้ว {used} จาก {budget} บาท (เหลือ {left} บาท)",
        "en": "{used} of {budget} baht used ({left} baht left)",
    },
    "vote_and_more": {"th": "และอีก {n} โครงการ", "en": "and {n} more"},
    "vote_nothing_picked": {
        "th": "ยังไม่ได้เลือกโครงการค่ะ แตะ \"ดูโครงการ\" เพื่อเลือกค่ะ",
        "en": "Nothing picked yet. Tap \"See projects\" to pick.",
    },
    "vote_unsaved_state": {
        "th": "⚠️ ยังไม่ได้บันทึก แตะ \"ยืนยันการโหวต\" เพื่อบันทึกค่ะ",
        "en": "⚠️ Not saved yet: tap \"Confirm my vote\" to save it.",
    },
    "vote_saved_state": {
        "th": "✅ ตรงกับการโหวตที่บันทึกไว้แล้วค่ะ",
        "en": "✅ This is your saved vote.",
    },
    "vote_stale_summary": {
        "th": "ปุ่มยืนยันนี้เป็นของรายการเก่าค่ะ รายการที่เลือกไว้ตอนนี้เป็นดังนี้ ตรวจแล้วกดยืนยันอีกครั้งนะคะ",
        "en": "That confirm button was for an older list. Here are your picks now: check "
              "them and confirm again.",
    },
    "vote_already_saved": {
        "th": "บันทึกการโหวตนี้ไว้แล้วค่ะ (ใบลงคะแนนเลขที่ {number}) ไม่ต้องกดซ้ำนะคะ",
        "en": "This vote is already saved (ballot no. {number}); no need to tap again.",
    },
    "vote_recorded": {
        "th": "บันทึกการโหวตของคุณแล้วค่ะ ขอบคุณที่ร่วมตัดสินใจเรื่อง \"{title}\" นะคะ 🙏\n"
              "เปลี่ยนการโหวตได้จนถึง {closes} น. ค่ะ",
        "en": "Your vote is saved. Thank you for taking part in \"{title}\" 🙏\n"
              "You can change it until {closes}.",
    },
    "vote_changed": {
        "th": "เปลี่ยนการโหวตของคุณแล้วค่ะ นับเฉพาะการโหวตล่าสุดนี้ (\"{title}\")\n"
              "เปลี่ยนได้อีกจนถึง {closes} น. ค่ะ",
        "en": "Your vote is changed; only this latest one counts (\"{title}\").\n"
              "You can change it again until {closes}.",
    },
    "vote_receipt_header": {"th": "ใบรับการโหวต", "en": "Vote receipt"},
    "vote_receipt_number": {
        "th": "ใบลงคะแนนเลขที่ {number} · บันทึกครั้งที่ {version}",
        "en": "Ballot no. {number} · save no. {version}",
    },
    "vote_receipt_total": {"th": "รวม {n} โครงการ {total} บาท", "en": "{n} projects, {total} baht in total"},
    "vote_receipt_when": {
        "th": "บันทึกเมื่อ {at} น. · เปลี่ยนได้ถึง {closes} น.",
        "en": "Saved {at} · can be changed until {closes}",
    },
    "vote_receipt_alt": {
        "th": "ใบรับการโหวตเลขที่ {number}: {title}",
        "en": "Vote receipt no. {number}: {title}",
    },
    "vote_not_eligible": {
        "th": "ขออภัยค่ะ การโหวตต้องให้ความยินยอมและเลือกเขตที่อยู่ก่อน พิมพ์ \"ยินยอม\" เพื่อเริ่มค่ะ",
        "en": "Sorry, to vote you first need to give consent and choose your district. "
              "Type \"consent\" to start.",
    },
    "vote_err_bad_button": {
        "th": "ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว ไม่มีอะไรเปลี่ยนแปลงค่ะ พิมพ์ \"โหวต\" เพื่อเริ่มใหม่ได้เลยค่ะ",
        "en": "Sorry, that button no longer works; nothing changed. Type \"vote\" to start again.",
    },
    "vote_err_no_round": {
        "th": "ขออภัยค่ะ ไม่พบรอบการโหวตนี้ ไม่มีอะไรเปลี่ยนแปลงค่ะ พิมพ์ \"โหวต\" เพื่อดูรอบที่เปิดอยู่ค่ะ",
        "en": "Sorry, there is no such voting round; nothing changed. Type \"vote\" to see "
              "the open ones.",
    },
    "vote_err_closed": {
        "th": "ขออภัยค่ะ การโหวต \"{title}\" ปิดไปแล้วเมื่อ {closes} น. จึงโหวตหรือเปลี่ยนการโหวตไม่ได้แล้ว "
              "การโหวตที่บันทึกไว้ก่อนปิดยังนับอยู่ค่ะ เราจะแจ้งผลให้ทราบทาง LINE ค่ะ",
        "en": "Sorry, voting on \"{title}\" closed at {closes}, so votes can no longer be cast "
              "or changed. Votes saved before it closed still count; we will tell you the "
              "result in LINE.",
    },
    "vote_err_closed_published": {
        "th": "ขออภัยค่ะ การโหวต \"{title}\" ปิดไปแล้วเมื่อ {closes} น. ดูผลได้ที่ {url}",
        "en": "Sorry, voting on \"{title}\" closed at {closes}. See the results at {url}",
    },
    "vote_err_not_open_yet": {
        "th": "การโหวต \"{title}\" ยังไม่เปิดค่ะ จะเปิดวันที่ {opens} น. นะคะ",
        "en": "Voting on \"{title}\" has not opened yet; it opens {opens}.",
    },
    "vote_err_not_in_scope": {
        "th": "ขออภัยค่ะ รอบนี้เป็นการโหวตของผู้อยู่อาศัยใน{area} แต่เขตของคุณคือ {district} "
              "จึงโหวตรอบนี้ไม่ได้ค่ะ (ถ้าย้ายเขต พิมพ์ \"เปลี่ยนเขต\" ได้ค่ะ)",
        "en": "Sorry, this vote is for residents of {area}, and your district is {district}, "
              "so you cannot vote in it. (If you moved, type \"change district\".)",
    },
    "vote_err_unknown_project": {
        "th": "ขออภัยค่ะ โครงการนี้ไม่ได้อยู่ในรอบการโหวตนี้ ไม่มีอะไรเปลี่ยนแปลงค่ะ",
        "en": "Sorry, that project is not part of this vote; nothing changed.",
    },
    "vote_err_no_picks": {
        "th": "ยังไม่ได้เลือกโครงการเลยค่ะ เลือกอย่างน้อย 1 โครงการก่อนยืนยันนะคะ",
        "en": "You have not picked any project. Pick at least one before confirming.",
    },
    "vote_err_duplicate_project": {
        "th": "ขออภัยค่ะ มีโครงการซ้ำในรายการ ไม่มีอะไรเปลี่ยนแปลงค่ะ",
        "en": "Sorry, a project appears twice in the list; nothing changed.",
    },
    "vote_err_too_many": {
        "th": "เลือกได้ไม่เกิน {k} โครงการค่ะ เอาโครงการออกให้เหลือ {k} โครงการแล้วยืนยันอีกครั้งนะคะ",
        "en": "You can pick at most {k} projects. Remove some until {k} are left, then confirm again.",
    },
    "vote_err_over_budget": {
        "th": "โครงการที่เลือกรวม {total} บาท เกินงบ {budget} บาทค่ะ เอาบางโครงการออกแล้วยืนยันอีกครั้งนะคะ",
        "en": "Your picks add up to {total} baht, over the {budget} baht budget. Remove some, "
              "then confirm again.",
    },
    "vote_open_notice": {
        "th": "🗳️ เปิดโหวตแล้วค่ะ: {title}\nผู้อยู่อาศัยใน{area} ร่วมเลือกโครงการที่อยากให้ทำ "
              "งบประมาณรวม {budget} บาท ได้จนถึง {closes} น.\nแตะ \"โหวตเลย\" หรือพิมพ์ \"โหวต\" ค่ะ",
        "en": "🗳️ Voting is open: {title}\nResidents of {area} choose the projects to fund, "
              "{budget} baht in total, until {closes}.\nTap \"Vote now\" or type \"vote\".",
    },
    "vote_result_notice": {
        "th": "📣 ผลโหวต \"{title}\" ค่ะ (ผู้โหวต {n} คน)\nโครงการที่ได้รับเลือก:\n{winners}\n"
              "ใช้งบ {used} จาก {budget} บาท\nดูผลทั้งหมดได้ที่ {url}\nขอบคุณที่ร่วมโหวตค่ะ 🙏",
        "en": "📣 Results of \"{title}\" ({n} voters)\nProjects selected:\n{winners}\n"
              "{used} of {budget} baht used.\nFull results: {url}\nThank you for voting 🙏",
    },
    "vote_result_invalid": {
        "th": "📣 ผลโหวต \"{title}\" ค่ะ มีผู้โหวต {n} คน ไม่ถึงจำนวนขั้นต่ำ {quorum} คน "
              "ผลโหวตรอบนี้จึงไม่นับค่ะ\nรายละเอียด: {url}\nขอบคุณที่ร่วมโหวตค่ะ 🙏",
        "en": "📣 Results of \"{title}\": {n} people voted, fewer than the {quorum} needed, "
              "so this vote does not count.\nDetails: {url}\nThank you for voting 🙏",
    },
    # --- issue 7: progress of projects, announcements ---------------------------------
    "progress_intro": {
        "th": "โครงการที่คุณส่งไอเดีย สนับสนุน หรือโหวตให้ {n} โครงการค่ะ 👇",
        "en": "Projects you sent ideas for, supported or voted for: {n} 👇",
    },
    "progress_alt": {"th": "ความคืบหน้าโครงการของคุณ ({n} โครงการ)", "en": "Your projects' progress ({n})"},
    "progress_news_on": {
        "th": "\nเราจะแจ้งข่าวความคืบหน้าโครงการให้คุณทาง LINE (ไม่ส่งช่วง 21:00–08:00 น.) "
              "กด \"ไม่รับข่าวโครงการ\" ได้ทุกเมื่อค่ะ",
        "en": "\nWe tell you about project progress in LINE (never 21:00–08:00). "
              "Tap \"Stop project news\" at any time.",
    },
    "progress_news_off": {
        "th": "\nตอนนี้คุณปิดรับข่าวโครงการไว้ค่ะ กด \"รับข่าวโครงการ\" เพื่อเปิดรับอีกครั้ง",
        "en": "\nProject news is off for you. Tap \"Get project news\" to turn it back on.",
    },
    "progress_why_idea": {"th": "💡 จากไอเดียที่คุณส่งหรือสนับสนุน", "en": "💡 From an idea you sent or supported"},
    "progress_why_voted": {"th": "🗳️ คุณโหวตให้โครงการนี้", "en": "🗳️ You voted for it"},
    "progress_why_both": {
        "th": "💡🗳️ จากไอเดียของคุณ และคุณโหวตให้",
        "en": "💡🗳️ From your idea, and you voted for it",
    },
    "progress_card_header": {"th": "ความคืบหน้าโครงการ", "en": "Project progress"},
    "progress_card_meta": {"th": "เขต{district} · ปีงบประมาณ {fy}", "en": "{district} · FY {fy} (BE)"},
    "progress_card_money": {
        "th": "เบิกจ่ายแล้ว {disbursed} จาก {allocated} บาท",
        "en": "{disbursed} of {allocated} baht disbursed",
    },
    "progress_card_latest": {"th": "รายงานล่าสุด {date}: {text}", "en": "Latest report {date}: {text}"},
    "progress_card_no_report": {"th": "ยังไม่มีรายงานความคืบหน้า", "en": "No progress report yet"},
    "progress_card_button": {"th": "ดูรายละเอียด", "en": "See details"},
    "progress_card_alt": {"th": "ความคืบหน้า \"{title}\" {percent}%", "en": "\"{title}\": {percent}% done"},
}


def t(key: str, language: str = "th", **values: Any) -> str:
    """The text for ``key`` in ``language`` (Thai when unknown), with values filled in.

    Raises:
        KeyError: ``key`` is not in the catalog (a bug: tests check every key used).
    """
    entry = CATALOG[key]
    text = entry.get(language) or entry["th"]
    return text.format(**values) if values else text
