"""Bilingual taxonomy: NIA social-innovation sectors, BMA pain-point themes, Bangkok districts.

Keys are stable ASCII identifiers stored in records and indexes; labels are for people. The
lists live in code (not a data file) so that validation, docs and error messages derive from one
registry and never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Term:
    """One taxonomy entry: a stable key plus Thai and English labels."""

    key: str
    th: str
    en: str

    def label(self, lang: str = "en") -> str:
        return self.th if lang == "th" else self.en


SECTORS: tuple[Term, ...] = (
    Term("environment", "สิ่งแวดล้อม", "Environment"),
    Term("food_water_energy", "อาหาร น้ำ และพลังงาน", "Food, water and energy"),
    Term("government_education", "การบริหารภาครัฐและการศึกษา", "Government and education"),
    Term("finance_employment_welfare", "การเงิน การจ้างงาน และสวัสดิการ", "Finance, employment and welfare"),
    Term("sustainable_agriculture", "เกษตรกรรมยั่งยืน", "Sustainable agriculture"),
    Term("urbanization", "การพัฒนาเมือง", "Urbanization"),
    Term("health", "สุขภาพ", "Health"),
    Term("tourism_culture", "การท่องเที่ยวและวัฒนธรรม", "Tourism and culture"),
    Term("disaster_management", "การจัดการภัยพิบัติ", "Disaster management"),
)

THEMES: tuple[Term, ...] = (
    Term("traffic_transport", "การจราจรและการขนส่ง", "Traffic and transport"),
    Term("waste", "ขยะและการคัดแยกขยะ", "Waste and waste sorting"),
    Term("air_pm25", "ฝุ่น PM2.5 และคุณภาพอากาศ", "PM2.5 and air quality"),
    Term("street_vendors_sidewalks", "หาบเร่แผงลอยและทางเท้า", "Street vendors and sidewalks"),
    Term("transparency", "ความโปร่งใสและต่อต้านการทุจริต", "Anti-corruption and transparency"),
    Term("flooding_drainage", "น้ำท่วมและการระบายน้ำ", "Flooding and drainage"),
    Term("education", "การศึกษา", "Education"),
    Term("health", "สาธารณสุข", "Health"),
    Term("tourism", "การท่องเที่ยว", "Tourism"),
    Term("ageing", "สังคมผู้สูงอายุ", "Ageing society"),
    Term("disability_access", "การเข้าถึงสำหรับคนพิการ", "Disability access"),
    Term("public_safety", "ความปลอดภัยสาธารณะ", "Public safety"),
    Term("canals", "คลองและแหล่งน้ำ", "Canals and waterways"),
    Term("street_lighting", "ไฟส่องสว่างสาธารณะ", "Street lighting"),
    Term("green_space", "ต้นไม้และพื้นที่สีเขียว", "Trees and green space"),
    Term("stray_animals", "สัตว์จรจัด", "Stray animals"),
    Term("homelessness", "คนไร้บ้าน", "Homelessness"),
    Term("noise", "เสียงรบกวน", "Noise"),
    Term("digital_services", "บริการดิจิทัลภาครัฐ", "Digital public services"),
    Term("employment_livelihood", "อาชีพและรายได้", "Jobs and livelihoods"),
)

DISTRICTS: tuple[Term, ...] = tuple(
    Term(key, th, en)
    for key, th, en in (
        ("phra_nakhon", "พระนคร", "Phra Nakhon"),
        ("dusit", "ดุสิต", "Dusit"),
        ("nong_chok", "หนองจอก", "Nong Chok"),
        ("bang_rak", "บางรัก", "Bang Rak"),
        ("bang_khen", "บางเขน", "Bang Khen"),
        ("bang_kapi", "บางกะปิ", "Bang Kapi"),
        ("pathum_wan", "ปทุมวัน", "Pathum Wan"),
        ("pom_prap_sattru_phai", "ป้อมปราบศัตรูพ่าย", "Pom Prap Sattru Phai"),
        ("phra_khanong", "พระโขนง", "Phra Khanong"),
        ("min_buri", "มีนบุรี", "Min Buri"),
        ("lat_krabang", "ลาดกระบัง", "Lat Krabang"),
        ("yan_nawa", "ยานนาวา", "Yan Nawa"),
        ("samphanthawong", "สัมพันธวงศ์", "Samphanthawong"),
        ("phaya_thai", "พญาไท", "Phaya Thai"),
        ("thon_buri", "ธนบุรี", "Thon Buri"),
        ("bangkok_yai", "บางกอกใหญ่", "Bangkok Yai"),
        ("huai_khwang", "ห้วยขวาง", "Huai Khwang"),
        ("khlong_san", "คลองสาน", "Khlong San"),
        ("taling_chan", "ตลิ่งชัน", "Taling Chan"),
        ("bangkok_noi", "บางกอกน้อย", "Bangkok Noi"),
        ("bang_khun_thian", "บางขุนเทียน", "Bang Khun Thian"),
        ("phasi_charoen", "ภาษีเจริญ", "Phasi Charoen"),
        ("nong_khaem", "หนองแขม", "Nong Khaem"),
        ("rat_burana", "ราษฎร์บูรณะ", "Rat Burana"),
        ("bang_phlat", "บางพลัด", "Bang Phlat"),
        ("din_daeng", "ดินแดง", "Din Daeng"),
        ("bueng_kum", "บึงกุ่ม", "Bueng Kum"),
        ("sathon", "สาทร", "Sathon"),
        ("bang_sue", "บางซื่อ", "Bang Sue"),
        ("chatuchak", "จตุจักร", "Chatuchak"),
        ("bang_kho_laem", "บางคอแหลม", "Bang Kho Laem"),
        ("prawet", "ประเวศ", "Prawet"),
        ("khlong_toei", "คลองเตย", "Khlong Toei"),
        ("suan_luang", "สวนหลวง", "Suan Luang"),
        ("chom_thong", "จอมทอง", "Chom Thong"),
        ("don_mueang", "ดอนเมือง", "Don Mueang"),
        ("ratchathewi", "ราชเทวี", "Ratchathewi"),
        ("lat_phrao", "ลาดพร้าว", "Lat Phrao"),
        ("watthana", "วัฒนา", "Watthana"),
        ("bang_khae", "บางแค", "Bang Khae"),
        ("lak_si", "หลักสี่", "Lak Si"),
        ("sai_mai", "สายไหม", "Sai Mai"),
        ("khan_na_yao", "คันนายาว", "Khan Na Yao"),
        ("saphan_sung", "สะพานสูง", "Saphan Sung"),
        ("wang_thonglang", "วังทองหลาง", "Wang Thonglang"),
        ("khlong_sam_wa", "คลองสามวา", "Khlong Sam Wa"),
        ("bang_na", "บางนา", "Bang Na"),
        ("thawi_watthana", "ทวีวัฒนา", "Thawi Watthana"),
        ("thung_khru", "ทุ่งครุ", "Thung Khru"),
        ("bang_bon", "บางบอน", "Bang Bon"),
    )
)

VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "sector": SECTORS,
    "theme": THEMES,
    "district": DISTRICTS,
}


@cache
def _by_key(vocabulary: str) -> dict[str, Term]:
    return {term.key: term for term in VOCABULARIES[vocabulary]}


@cache
def _by_label(vocabulary: str) -> dict[str, str]:
    """Map lower-cased Thai/English labels and keys to keys, so loaders accept human labels."""
    out: dict[str, str] = {}
    for term in VOCABULARIES[vocabulary]:
        for name in (term.key, term.th, term.en):
            out[name.casefold()] = term.key
    return out


def keys(vocabulary: str) -> list[str]:
    """All keys of a vocabulary, in registry order."""
    return [term.key for term in VOCABULARIES[vocabulary]]


def term(vocabulary: str, key: str) -> Term:
    """Look up one entry; raises KeyError naming the valid keys."""
    try:
        return _by_key(vocabulary)[key]
    except KeyError:
        raise KeyError(f"unknown {vocabulary} {key!r}; expected one of: {', '.join(keys(vocabulary))}") from None


def resolve(vocabulary: str, value: str) -> str:
    """Return the key for a key or a Thai/English label (case-insensitive).

    Raises ValueError naming the vocabulary and the valid keys, so a 422 or a loader error
    tells the user exactly what to write instead.
    """
    key = _by_label(vocabulary).get(value.strip().casefold())
    if key is None:
        raise UnknownTerm(vocabulary, value)
    return key


class UnknownTerm(ValueError):
    """A value that is neither a key nor a label of `vocabulary`; the message lists the keys, and
    `type` / `ctx` describe it for error payloads (matcher.validation) without parsing the message."""

    type = "unknown_term"

    def __init__(self, vocabulary: str, value: str):
        self.ctx = {"vocabulary": vocabulary, "value": value, "expected": keys(vocabulary)}
        super().__init__(f"unknown {vocabulary} {value!r}; expected one of: {', '.join(keys(vocabulary))}")
