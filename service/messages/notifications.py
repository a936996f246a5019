"""Messages of notifications: the inbox page, the nav bar badge, and each kind's subject and body
(e-mail and inbox alike; service.notify renders them from the stored params)."""

MESSAGES: dict[str, dict[str, str]] = {
    "nav_inbox": {"th": "กล่องข้อความ", "en": "Inbox"},
    "nav_inbox_unread": {"th": "ยังไม่ได้อ่าน {count} รายการ", "en": "{count} unread"},
    "inbox_title": {"th": "การแจ้งเตือน", "en": "Notifications"},
    "inbox_intro": {"th": "คำเชิญ ความสนใจ โจทย์ใหม่ที่ตรงกับการค้นหาที่บันทึกไว้ และนวัตกรที่เหมาะใหม่ "
                          "(ส่งทางอีเมลด้วยหากชื่อเข้าระบบเป็นอีเมล)",
                    "en": "Invitations, interests, new challenges for your saved searches and new strong fits "
                          "(also sent by e-mail when your login is an e-mail address)"},
    "inbox_empty": {"th": "ยังไม่มีการแจ้งเตือน", "en": "No notifications yet"},
    "inbox_unread_only": {"th": "เฉพาะที่ยังไม่ได้อ่าน", "en": "Unread only"},
    "inbox_show_all": {"th": "แสดงทั้งหมด", "en": "Show all"},
    "inbox_mark_read": {"th": "ทำเครื่องหมายว่าอ่านแล้ว", "en": "Mark as read"},
    "inbox_mark_all_read": {"th": "อ่านแล้วทั้งหมด", "en": "Mark all as read"},
    "inbox_unread": {"th": "ใหม่", "en": "New"},
    "inbox_read_at": {"th": "อ่านเมื่อ {time}", "en": "Read {time}"},
    "inbox_open": {"th": "เปิดดู", "en": "Open"},
    "notify_note": {"th": "ข้อความ: {note}", "en": "Note: {note}"},
    "notify_invited_subject": {"th": "{agency} เชิญคุณร่วมแก้โจทย์ \"{challenge}\"",
                               "en": "{agency} invites you to the challenge \"{challenge}\""},
    "notify_invited_body": {"th": "{agency} เชิญ {innovator} ร่วมแก้โจทย์ \"{challenge}\" "
                                  "เปิดดูโจทย์แล้วแจ้งความสนใจพร้อมข้อเสนอสั้น ๆ หรือปฏิเสธได้",
                            "en": "{agency} invites {innovator} to the challenge \"{challenge}\". Open it to show "
                                  "interest with a short proposal, or decline."},
    "notify_interested_subject": {"th": "{innovator} สนใจโจทย์ \"{challenge}\"",
                                  "en": "{innovator} is interested in \"{challenge}\""},
    "notify_interested_body": {"th": "{innovator} แจ้งความสนใจโจทย์ \"{challenge}\" ของ {agency} "
                                     "ดูข้อเสนอและตอบกลับได้ในหน้าโจทย์",
                               "en": "{innovator} is interested in the challenge \"{challenge}\" of {agency}. "
                                     "See the proposal and respond on the challenge page."},
    "notify_saved_search_subject": {"th": "โจทย์ใหม่ตรงกับการค้นหา \"{search}\": {challenge}",
                                    "en": "New challenge for your search \"{search}\": {challenge}"},
    "notify_saved_search_body": {"th": "มีโจทย์ใหม่ที่ตรงกับการค้นหาที่คุณบันทึกไว้ \"{search}\": \"{challenge}\" "
                                       "จาก {agency}",
                                 "en": "A new challenge matches your saved search \"{search}\": \"{challenge}\" "
                                       "from {agency}."},
    "notify_new_suggestion_subject": {"th": "นวัตกรที่เหมาะใหม่สำหรับ \"{challenge}\": {innovator}",
                                      "en": "New strong fit for \"{challenge}\": {innovator}"},
    "notify_new_suggestion_body": {"th": "{innovator} เพิ่งเข้ามาอยู่ในกลุ่ม \"{band}\" สำหรับโจทย์ \"{challenge}\" "
                                         "ดูเหตุผลและเชิญได้ในหน้าโจทย์",
                                   "en": "{innovator} is now a \"{band}\" for your challenge \"{challenge}\". "
                                         "See the reasons and invite them on the challenge page."},
    "notify_email_footer": {"th": "อีเมลนี้ส่งจากระบบจับคู่ของศูนย์นวัตกรรมกรุงเทพฯ ดูการแจ้งเตือนทั้งหมดได้ที่ {inbox}",
                            "en": "Sent by the Bangkok Innovation Center matcher. All your notifications: {inbox}"},
}
