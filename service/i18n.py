"""UI strings in Thai and English; the page language comes from ?lang= or the `lang` cookie."""

from __future__ import annotations

LANGUAGES = ("th", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app": {"th": "ศูนย์นวัตกรรมกรุงเทพฯ: จับคู่ปัญหากับนวัตกร", "en": "Bangkok Innovation Center: matching"},
    "home_intro": {"th": "หน่วยงาน กทม. โพสต์ปัญหา ระบบแนะนำนวัตกรที่แก้ได้ พร้อมเหตุผล",
                   "en": "BMA agencies post pain points; the service suggests innovators who can solve them, with reasons."},
    "open_challenges": {"th": "โจทย์ที่เปิดรับ", "en": "Open challenges"},
    "login": {"th": "เข้าสู่ระบบ", "en": "Log in"},
    "logout": {"th": "ออกจากระบบ", "en": "Log out"},
    "api_key": {"th": "คีย์ API", "en": "API key"},
    "agency_page": {"th": "หน้าหน่วยงาน", "en": "Agency"},
    "innovator_page": {"th": "หน้านวัตกร", "en": "Innovator"},
    "post_pain_point": {"th": "โพสต์ปัญหา", "en": "Post a pain point"},
    "title": {"th": "หัวข้อ", "en": "Title"},
    "description": {"th": "รายละเอียด", "en": "Description"},
    "sectors": {"th": "สาขา", "en": "Sectors"},
    "themes": {"th": "ประเด็น", "en": "Themes"},
    "district": {"th": "เขต", "en": "District"},
    "confidential": {"th": "ลับ (เห็นเฉพาะหน่วยงานของเรา)", "en": "Confidential (own agency only)"},
    "check_similar": {"th": "ตรวจโจทย์ที่คล้ายกัน", "en": "Check similar challenges"},
    "similar": {"th": "โจทย์ที่คล้ายกัน (อาจซ้ำ)", "en": "Similar challenges (possible duplicates)"},
    "submit": {"th": "บันทึก", "en": "Save"},
    "my_challenges": {"th": "โจทย์ของหน่วยงาน", "en": "Our challenges"},
    "suggestions": {"th": "นวัตกรที่แนะนำ", "en": "Suggested innovators"},
    "why": {"th": "เหตุผล", "en": "Why"},
    "score": {"th": "คะแนน", "en": "Score"},
    "fit": {"th": "ความเหมาะสม", "en": "Fit"},
    "band_strong": {"th": "เหมาะมาก", "en": "strong fit"},
    "band_possible": {"th": "น่าจะเหมาะ", "en": "possible fit"},
    "band_weak": {"th": "อาจเกี่ยวข้อง", "en": "weak fit"},
    "nothing_fits": {"th": "ยังไม่มีนวัตกรที่เหมาะพอจะแนะนำ", "en": "No innovator fits well enough to suggest yet"},
    "shortlist": {"th": "คัดเลือก", "en": "Shortlist"},
    "accept": {"th": "ยอมรับ", "en": "Accept"},
    "reject": {"th": "ปฏิเสธ", "en": "Reject"},
    "decision": {"th": "สถานะ", "en": "Decision"},
    "feedback_log": {"th": "บันทึกการตัดสินใจ", "en": "Decisions recorded"},
    "matched_challenges": {"th": "โจทย์ที่เหมาะกับคุณ", "en": "Challenges that fit you"},
    "search": {"th": "ค้นหา", "en": "Search"},
    "search_placeholder": {"th": "พิมพ์คำค้น ไทยหรืออังกฤษ", "en": "Search in Thai or English"},
    "status": {"th": "สถานะ", "en": "Status"},
    "agency": {"th": "หน่วยงาน", "en": "Agency"},
    "export_csv": {"th": "ดาวน์โหลด CSV", "en": "Download CSV"},
    "need_login": {"th": "กรุณาเข้าสู่ระบบด้วยคีย์ API ที่เหมาะสม", "en": "Please log in with a suitable API key."},
    "cross_lingual": {"th": "ข้ามภาษา", "en": "cross-lingual"},
    "none": {"th": "ไม่มีรายการ", "en": "Nothing yet"},
    "preparing_index": {"th": "ระบบกำลังเตรียมดัชนีสำหรับการจับคู่ คำแนะนำจะแสดงเมื่อพร้อม",
                        "en": "Preparing the matching index; suggestions appear when it is ready"},
}


def pick_language(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return "th"


def translator(lang: str):
    def t(key: str) -> str:
        return STRINGS[key][lang]

    return t
