"""Messages of the consortium suggestions (service/templates/_consortia.html)."""

MESSAGES: dict[str, dict[str, str]] = {
    "consortia_title": {"th": "ทีมที่แนะนำ (หลายฝ่ายร่วมกัน)", "en": "Suggested teams (consortia)"},
    "consortia_intro": {"th": "โจทย์นี้แบ่งเป็นความต้องการย่อยตามข้อความ แต่ละทีมรวมนวัตกรที่ช่วยกันครอบคลุมความต้องการเหล่านี้",
                        "en": "This challenge is split into needs from its text; each team brings together innovators "
                                "who cover those needs between them"},
    "consortia_needs": {"th": "ความต้องการย่อย", "en": "Needs"},
    "consortia_team": {"th": "ทีม", "en": "Team"},
    "consortia_coverage": {"th": "ความครอบคลุม", "en": "coverage"},
    "consortia_covers": {"th": "รับผิดชอบความต้องการข้อ", "en": "covers need"},
    "consortia_covers_none": {"th": "เสริมทีม (ไม่ได้ครอบคลุมข้อใดโดยเฉพาะ)", "en": "supports the team (no need of its own)"},
    "consortia_best_single": {"th": "นวัตกรรายเดียวที่ครอบคลุมมากที่สุด", "en": "Best single innovator"},
    "consortia_none": {"th": "ไม่มีทีมใดครอบคลุมได้มากกว่านวัตกรรายเดียว",
                       "en": "No team covers more than the best single innovator"},
}
