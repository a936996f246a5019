"""The problem a complaint states, without the Traffy form around it.

Traffy Fondue tickets often follow a form: `ปัญหา: ...` then location fields (`จุดเกิดเหตุ:`,
`ซอย:`, `ถนน:`, `แขวง:`, `เขต:`, `บ้านเลขที่: [HOUSE_NO]`), a hotline tag `#1555` and redaction
placeholders. A draft's title and description are cut from the problem lines only: the street of
one complaint is not the topic of a cluster, and placeholders are not text. Nothing is rephrased;
lines are only dropped or trimmed.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\[(HOUSE_NO|PHONE|URL|EMAIL|COORDS)\]")
_HOTLINE = re.compile(r"#\d{3,5}\b")
_BOILERPLATE = re.compile(r"กรุณาอ่านข้อมูลบรรยายประกอบการปักหมุด\S*|"
                          r"ศูนย์เรื่องราวร้องทุกข์\s*ได้รับการประสาน.{0,200}?รหัสเรื่อง\s*\S+")
_PICTOGRAPH = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]+")
_BULLET = re.compile(r"^[\s*\-•·>]+")
_LABEL = (r"(?:จุดเกิ?ด?เห?[ตค]?ุ?|จุดเหตุ|จุดสังเกตุ?|พิกัด\S*|บ้านเลขที่|เลขที่\S*|ซอย|ตรอก|ถนน|แขวง|เเขวง|เขต|ขต|"
          r"สถานะ|หมายเลข\S*|อ้างอิง\S*|เลขร้องทุกข์\S*|ข้อมูลจากประชาชน|หมายเหตุ|\*+หมายเหตุ)")
_FIELD_LINE = re.compile(rf"^{_LABEL}\s*[:：]")
_EMPTY_FIELD = re.compile(r"^(?:บ้านเลขที่|เลขที่|ซอย|ถนน|แขวง|เขต)\s*[:：]?\s*-?\s*$")
_BARE_PLACE = re.compile(r"^(?:(?:เขต|แขวง|ซอย|ถนน)\s*\S{0,25}$|(?:จุดเกิดเหตุ?|จุดสังเกตุ?|พิกัด\S*)\s)")
_ADDRESS_LINE = re.compile(r"^(?:ซอย|ถนน|แขวง|เขต)\S*(?:\s+\S+){0,8}?\s*(?:ถนน|แขวง|เขต)\S+\s*$")
_STAMP_LINE = re.compile(r"^\d{1,2}[-/]\d{1,2}[-/]\d{4}\s+\d{1,2}:\d{2}")
_PROBLEM_LABEL = re.compile(r"^(?:(?:หมายเลขอ้างอิง|อ้างอิง\S*|เลขที่รับแจ้ง\S*)\s*[A-Z0-9]{5,8}\s*(?:หัวข้อหลัก\s*[:：]\s*)?"
                            r"|(?:ปัญหาที่แจ้ง|ปัญหา|เรื่อง)\s*[:：]\s*)")
_SPACES = re.compile(r"[ \t\u00a0]+")
_NOT_A_TITLE = re.compile(r"^(?:ตาม(?:เลขที่|หมายเลข)?รับแจ้ง|สถานะ|สวัสดี|เรียน\s|เรื่อง\s*$|ด้วย\s|รบกวน\s*$)")
CALL_CENTRE_CATEGORIES = ("สาธารณูปโภค", "เหตุเดือดร้อนรำคาญ", "เหตุเดือนร้อนรำคาญ", "ท่อระบายน้ำ", "ขยะและสิ่งปฏิกูล",
                          "ปัญหาที่ส่งผลกระทบกับการจราจร", "กระทำผิดในที่สาธารณะ", "ต้นไม้และสวนสาธารณะ", "ถนน", "อาคาร",
                          "ปัญหาความเดือดร้อนจากการดำเนินการของรัฐ", "บริการสาธารณะของหน่วยงานในสังกัดกรุงเทพมหานคร",
                          "เรื่องร้องทุกข์ประเภทอื่น ๆ", "เรื่องร้องทุกข์ประเภทอื่นๆ", "บาทวิถี", "น้ำท่วม")
"""Categories of the BMA 1555 call centre, whose tickets start `<category> เนื่องจาก <what was said>`."""
_CALL_CENTRE_PREFIX = re.compile(rf"^(?:{'|'.join(map(re.escape, CALL_CENTRE_CATEGORIES))})\s+เนื่องจาก\s+")
MIN_TITLE_CHARS = 8


def problem_lines(text: str) -> list[str]:
    """The lines of a complaint that state the problem, trimmed, in order (never empty for real text:
    if every line looks like a form field, the first line is kept)."""
    cleaned = _PICTOGRAPH.sub(" ", _BOILERPLATE.sub("", _HOTLINE.sub("", _PLACEHOLDER.sub("", text))))
    kept: list[str] = []
    first: str | None = None
    for raw in cleaned.splitlines():
        line = _SPACES.sub(" ", _BULLET.sub("", raw)).strip()
        if not line or line in ("-", ":"):
            continue
        first = first or line
        if _STAMP_LINE.match(line) or _FIELD_LINE.match(line) or _ADDRESS_LINE.match(line) or _EMPTY_FIELD.match(line) \
                or (kept and _BARE_PLACE.match(line)):
            continue
        line = _PROBLEM_LABEL.sub("", line).strip()
        if not kept:
            line = _CALL_CENTRE_PREFIX.sub("", line).strip()
        if line:
            kept.append(line)
    if not kept and first:
        kept = [_PROBLEM_LABEL.sub("", first).strip() or first]
    return kept


def problem_text(text: str) -> str:
    """The problem lines joined by newlines."""
    return "\n".join(problem_lines(text))


def cut(text: str, max_chars: int) -> str:
    """`text` up to `max_chars`, cut at a space or a Thai word boundary, with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    head = text[: max_chars - 1]
    space = head.rfind(" ")
    if space >= max_chars // 2:
        return head[:space].rstrip(" ,;:") + "…"
    from pythainlp.tokenize import word_tokenize

    words, total = [], 0
    for word in word_tokenize(text[: max_chars + 30], engine="newmm", keep_whitespace=True):
        if total + len(word) > max_chars - 1:
            break
        words.append(word)
        total += len(word)
    return ("".join(words) or head).rstrip(" ,;:") + "…"


def headline(text: str, max_chars: int = 140) -> str:
    """The first problem line of a complaint that can serve as a title (not a greeting, a salutation
    or a bare name), without a call-centre category prefix, cut to a title's length."""
    lines = problem_lines(text) or [text.strip()]
    for line in lines:
        line = _CALL_CENTRE_PREFIX.sub("", line).strip()
        if len(line) >= MIN_TITLE_CHARS and not _NOT_A_TITLE.match(line):
            return cut(line, max_chars)
    return cut(_CALL_CENTRE_PREFIX.sub("", lines[0]).strip() or lines[0], max_chars)


def informative(text: str) -> bool:
    """Whether a complaint yields a real title (used to prefer such a complaint for a draft's title)."""
    return any(len(_CALL_CENTRE_PREFIX.sub("", line)) >= MIN_TITLE_CHARS and not _NOT_A_TITLE.match(line)
               for line in problem_lines(text))
