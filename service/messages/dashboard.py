"""Messages of the admins' dashboard: records by theme, district and language, the per-agency funnel
and the time to first interest; the header's short links to the planning pages and the dashboard."""

MESSAGES: dict[str, dict[str, str]] = {
    "dashboard_nav": {"th": "แดชบอร์ด", "en": "Dashboard"},
    "nav_drafts": {"th": "ร่างโจทย์", "en": "Drafts"},
    "nav_gaps": {"th": "แผนที่ช่องว่าง", "en": "Gap map"},
    "nav_complaints": {"th": "เรื่องร้องเรียน", "en": "Complaints"},
    "dashboard_title": {"th": "แดชบอร์ดของศูนย์นวัตกรรม", "en": "Innovation center dashboard"},
    "dashboard_intro": {"th": "ตัวเลขทั้งหมดคำนวณจากฐานข้อมูล ณ ขณะนี้ รวมโจทย์ที่ปิดแล้วและโจทย์ลับ",
                        "en": "Every figure is computed from the database now, closed and confidential challenges included."},
    "dashboard_records": {"th": "ข้อมูลในระบบ", "en": "Records"},
    "dashboard_records_intro": {"th": "ข้อมูลที่มีหลายประเด็นนับในทุกประเด็น นวัตกรที่ใช้ทั้งสองภาษานับในทั้งสองภาษา",
                                "en": "A record with several themes counts under each; an innovator working in "
                                      "both languages counts under both."},
    "dashboard_challenges_theme": {"th": "โจทย์ตามประเด็น", "en": "Challenges by theme"},
    "dashboard_challenges_district": {"th": "โจทย์ตามเขต", "en": "Challenges by district"},
    "dashboard_challenges_language": {"th": "โจทย์ตามภาษา", "en": "Challenges by language"},
    "dashboard_innovators_theme": {"th": "นวัตกรตามประเด็น", "en": "Innovators by theme"},
    "dashboard_innovators_district": {"th": "นวัตกรตามเขต", "en": "Innovators by district"},
    "dashboard_innovators_language": {"th": "นวัตกรตามภาษาที่ใช้", "en": "Innovators by working language"},
    "dashboard_not_given": {"th": "ไม่ระบุ", "en": "not given"},
    "dashboard_funnel": {"th": "ขั้นตอนต่อหน่วยงาน", "en": "Funnel per agency"},
    "dashboard_funnel_intro": {
        "th": "โพสต์และได้รับคำแนะนำนับเป็นจำนวนโจทย์ (ได้รับคำแนะนำ: มีนวัตกรที่ระดับ \"น่าจะเหมาะ\" ขึ้นไปใน {k} อันดับแรก) "
              "ติดต่อ คัดเลือก และตอบรับนับเป็นจำนวนคู่โจทย์กับนวัตกร แต่ละขั้นรวมคู่ที่ไปถึงขั้นถัดไปแล้ว",
        "en": "Posted and suggested count challenges (suggested: an innovator with at least a \"possible fit\" among "
              "the top {k}); contacted, shortlisted and accepted count challenge-innovator pairs, each stage "
              "including the pairs that went further."},
    "dashboard_funnel_total": {"th": "ทุกหน่วยงานรวมกัน", "en": "All agencies together"},
    "dashboard_all_agencies": {"th": "ทุกหน่วยงาน", "en": "All agencies"},
    "dashboard_no_agency": {"th": "ไม่มีบัญชีหน่วยงาน", "en": "no agency account"},
    "dashboard_stage_posted": {"th": "โพสต์", "en": "Posted"},
    "dashboard_stage_suggested": {"th": "ได้รับคำแนะนำ", "en": "Suggested"},
    "dashboard_stage_contacted": {"th": "ติดต่อ", "en": "Contacted"},
    "dashboard_stage_shortlisted": {"th": "คัดเลือก", "en": "Shortlisted"},
    "dashboard_stage_accepted": {"th": "ตอบรับ", "en": "Accepted"},
    "dashboard_suggested_unavailable": {
        "th": "ยังไม่มีแบบจำลองความเหมาะสมสำหรับตัวเข้ารหัสที่ใช้อยู่ จึงนับ \"ได้รับคำแนะนำ\" ไม่ได้ (รัน matcher fit)",
        "en": "No fit model matches the running encoders, so \"suggested\" cannot be counted (run matcher fit)."},
    "dashboard_first_interest": {"th": "เวลาจนถึงความสนใจแรก", "en": "Time to first interest"},
    "dashboard_first_interest_intro": {
        "th": "ค่ามัธยฐานของจำนวนวันตั้งแต่โพสต์โจทย์จนนวัตกรรายแรกกดสนใจ (n = จำนวนโจทย์ที่มีผู้สนใจ)",
        "en": "Median days from posting a challenge to the first innovator's interest (n = challenges with an interest)."},
    "dashboard_days": {"th": "{days} วัน (n={count})", "en": "{days} days (n={count})"},
    "dashboard_median_days": {"th": "มัธยฐาน (วัน)", "en": "Median (days)"},
    "dashboard_interest_count": {"th": "โจทย์ที่มีผู้สนใจ", "en": "Challenges with an interest"},
    "dashboard_no_interest": {"th": "ยังไม่มีนวัตกรกดสนใจ", "en": "No interest yet"},
    "dashboard_nothing": {"th": "ยังไม่มีข้อมูล", "en": "Nothing yet"},
    "dashboard_chart_values": {"th": "ตัวเลขแสดงอยู่ข้างแท่งกราฟ", "en": "Values are written next to the bars."},
}
