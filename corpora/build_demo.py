"""Build the demo corpus (corpora/demo/) deterministically from corpora/problems.py.

Run `python corpora/build_demo.py`; the output is byte-identical on every run. Challenges are
written in the voice of BMA departments and district offices, innovator profiles in the voice of
founders and community groups, in Thai, English and mixed Thai-English. Grades come from the
construction: an innovator whose main solution targets a challenge's problem directly solves it
(2), one whose secondary solution targets it partially solves it (1), and innovators working on
other problems of the same theme are labeled 0 (hard negatives).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from problems import PROBLEMS  # noqa: E402

from matcher import taxonomy  # noqa: E402

OUT = HERE / "demo"
SEED = 20261123

AGENCIES = {
    "traffic_transport": ("สำนักการจราจรและขนส่ง", "Traffic and Transportation Department"),
    "waste": ("สำนักสิ่งแวดล้อม", "Department of Environment"),
    "air_pm25": ("สำนักสิ่งแวดล้อม", "Department of Environment"),
    "street_vendors_sidewalks": ("สำนักเทศกิจ", "City Law Enforcement Department"),
    "transparency": ("สำนักงานปลัดกรุงเทพมหานคร", "Office of the Permanent Secretary, BMA"),
    "flooding_drainage": ("สำนักการระบายน้ำ", "Drainage and Sewerage Department"),
    "education": ("สำนักการศึกษา", "Education Department"),
    "health": ("สำนักอนามัย", "Health Department"),
    "tourism": ("สำนักวัฒนธรรม กีฬา และการท่องเที่ยว", "Culture, Sports and Tourism Department"),
    "ageing": ("สำนักพัฒนาสังคม", "Social Development Department"),
    "disability_access": ("สำนักพัฒนาสังคม", "Social Development Department"),
    "public_safety": ("สำนักป้องกันและบรรเทาสาธารณภัย", "Fire and Rescue Department"),
    "canals": ("สำนักการระบายน้ำ", "Drainage and Sewerage Department"),
    "street_lighting": ("สำนักการโยธา", "Public Works Department"),
    "green_space": ("สำนักสิ่งแวดล้อม", "Department of Environment"),
    "stray_animals": ("สำนักอนามัย", "Health Department"),
    "homelessness": ("สำนักพัฒนาสังคม", "Social Development Department"),
    "noise": ("สำนักสิ่งแวดล้อม", "Department of Environment"),
    "digital_services": ("สำนักยุทธศาสตร์และประเมินผล", "Strategy and Evaluation Department"),
    "employment_livelihood": ("สำนักพัฒนาสังคม", "Social Development Department"),
}

INTRO_TH = [
    "{agency} ได้รับเรื่องร้องเรียนจากประชาชนในพื้นที่{district}อย่างต่อเนื่อง",
    "จากการลงพื้นที่ของเจ้าหน้าที่{agency} พบว่าใน{district}",
    "ที่ผ่านมา{agency}พยายามแก้ไขปัญหานี้ในพื้นที่{district}แต่ยังไม่ได้ผล",
    "ชุมชนใน{district}สะท้อนปัญหาผ่านเวทีประชาคมว่า",
    "เรื่องนี้อยู่ในแผนปฏิบัติราชการของ{agency}ปีนี้ สำหรับ{district}",
    "ผู้อำนวยการ{agency}มอบหมายให้หาแนวทางใหม่สำหรับ{district}",
    "",
    "",
]
INTRO_EN = [
    "The {agency} keeps receiving complaints from residents of {district}.",
    "Field visits by the {agency} in {district} found the following.",
    "The {agency} has tried to tackle this in {district} for years without lasting success.",
    "Community meetings in {district} raised this problem repeatedly.",
    "This is a priority in this year's action plan of the {agency} for {district}.",
    "",
    "",
]
IMPACT_TH = [
    "ปัญหานี้กระทบประชาชนหลายหมื่นคนและเป็นเรื่องร้องเรียนอันดับต้นของเขต",
    "เจ้าหน้าที่มีจำนวนจำกัดและงบประมาณไม่เพียงพอที่จะแก้ด้วยวิธีเดิม",
    "ข้อมูลที่มีอยู่กระจัดกระจาย ทำให้วางแผนและติดตามผลได้ยาก",
    "กลุ่มเปราะบาง เช่น เด็ก ผู้สูงอายุ และผู้มีรายได้น้อย ได้รับผลกระทบมากที่สุด",
    "สภาเขตหยิบยกเรื่องนี้ขึ้นหารือหลายครั้งในปีที่ผ่านมา",
    "", "", "",
]
IMPACT_EN = [
    "Tens of thousands of residents are affected and it is among the district's most frequent complaints.",
    "Staff numbers and budgets are too limited to keep solving it the old way.",
    "What data exists is fragmented, which makes planning and follow-up difficult.",
    "Vulnerable groups such as children, older people and low-income families are hit hardest.",
    "The district council has discussed it several times over the past year.",
    "", "", "",
]
ASK_TH = [
    "ต้องการหาผู้ร่วมพัฒนาโครงการนำร่องภายใน 6 เดือน",
    "เปิดรับข้อเสนอจากสตาร์ทอัพ วิสาหกิจเพื่อสังคม และสถาบันการศึกษา",
    "มองหาแนวทางที่ขยายผลได้ทั่วกรุงเทพฯ และดูแลรักษาได้ด้วยงบประมาณของเขต",
    "ยินดีร่วมทดสอบในพื้นที่จริงและแบ่งปันข้อมูลที่เกี่ยวข้อง",
    "โปรดระบุค่าใช้จ่ายต่อปีและระยะเวลาติดตั้งในข้อเสนอ",
    "", "",
]
ASK_EN = [
    "We are looking for a partner to run a six-month pilot.",
    "Proposals from startups, social enterprises and universities are welcome.",
    "We want an approach that can scale across Bangkok and that the district can afford to maintain.",
    "We can provide a test site and share the relevant data.",
    "Please state yearly running costs and installation time.",
    "", "",
]
MIXED_ASK = [
    "ต้องการ partner ทำ pilot project ระยะ 6 เดือน พร้อม KPI ที่วัดผลได้",
    "สนใจ solution ที่ scale ได้ทั่ว กทม. และมี maintenance cost ต่ำ",
    "เปิดรับ proposal จาก startup, social enterprise และ university lab",
]

NAME_EN_A = ["Urban", "Smart", "Green", "Civic", "Open", "Bright", "Blue", "River", "Kind", "Next", "Siam", "Lotus",
             "Metro", "Canal", "Clear", "Humane", "Solar", "Agile", "True", "Nexa"]
NAME_EN_B = ["Labs", "Works", "Tech", "Solutions", "Collective", "Systems", "Studio", "Ventures", "Foundation", "Hub"]
NAME_TH_A = ["รักษ์", "ชุมชน", "เมือง", "ใจดี", "สร้าง", "ปัญญา", "ร่วม", "ไทย", "ฟ้าใส", "นวัต"]
NAME_TH_B = ["พัฒนา", "อาสา", "กรีน", "เทค", "ยั่งยืน", "ดีไซน์", "สุข", "ก้าวหน้า", "สายน้ำ", "เมืองดี"]
KIND_PREFIX_TH = {
    "startup": "บริษัท {n} จำกัด", "social_enterprise": "วิสาหกิจเพื่อสังคม {n}", "university_lab": "ห้องปฏิบัติการ{n} มหาวิทยาลัย",
    "community_enterprise": "วิสาหกิจชุมชน{n}", "sme": "ห้างหุ้นส่วน {n}", "ngo": "มูลนิธิ{n}",
}
KIND_INTRO_TH_ALT = ["", "", "ทีมงานของเรามีประสบการณ์ทั้งด้านเทคนิคและการทำงานกับชุมชน", "เราเริ่มจากปัญหาที่ทีมงานเจอเองในชีวิตประจำวัน"]
KIND_INTRO_EN_ALT = ["", "", "Our team combines engineering with community work.", "We started from a problem our founders faced themselves."]
FOCUS_TH = ["งานหลักของเราคือ{t}", "เชี่ยวชาญด้าน{t}", "ผลงานเด่น: {t}", "{t}"]
FOCUS_EN = ["Our main product: {t}.", "We specialise in {t}.", "Flagship: {t}.", "{t}."]
KIND_INTRO_TH = {
    "startup": "เราเป็นสตาร์ทอัพที่พัฒนาเทคโนโลยีเพื่อเมือง", "social_enterprise": "เราเป็นวิสาหกิจเพื่อสังคมที่นำกำไรกลับไปพัฒนาชุมชน",
    "university_lab": "ทีมวิจัยของเราในมหาวิทยาลัยทำงานด้านนี้มากว่าห้าปี", "community_enterprise": "กลุ่มของเราเกิดจากการรวมตัวของคนในชุมชน",
    "sme": "บริษัทของเราเป็นผู้ผลิตและติดตั้งในประเทศไทย", "ngo": "องค์กรของเราทำงานกับกลุ่มเปราะบางในกรุงเทพฯ",
}
KIND_INTRO_EN = {
    "startup": "We are a Bangkok startup building technology for cities.", "social_enterprise": "We are a social enterprise that reinvests its profits in communities.",
    "university_lab": "Our university research group has worked in this field for over five years.",
    "community_enterprise": "We are a community enterprise run by local residents.",
    "sme": "We are a Thai manufacturer and installer.", "ngo": "We are a non-profit working with vulnerable groups across Bangkok.",
}
TRACK_TH = ["ทดลองใช้จริงแล้วใน 3 ชุมชน", "ได้รับทุนสนับสนุนจาก NIA", "มีลูกค้าเป็นหน่วยงานท้องถิ่นหลายแห่ง", "กำลังหาพื้นที่ทดสอบแห่งแรก",
            "ชนะการประกวดนวัตกรรมเพื่อสังคมปีที่แล้ว", "", "", ""]
TRACK_EN = ["Piloted in three communities so far.", "Funded by an NIA grant.", "Already serving several local governments.",
            "Looking for our first test site.", "Winner of last year's social innovation award.", "", "", ""]


def _split_of(problem_key: str) -> str:
    bucket = int(hashlib.sha256(problem_key.encode()).hexdigest(), 16) % 10
    return "train" if bucket < 6 else ("dev" if bucket < 8 else "test")


def _district(rng: random.Random):
    return rng.choice(taxonomy.DISTRICTS)


def _challenge(rng: random.Random, n: int, problem, lang: str) -> dict:
    key, theme, sectors, pain_th, pain_en, _ = problem
    district = _district(rng)
    agency_th, agency_en = AGENCIES[theme]
    district_office = rng.random() < 0.4
    theme_term = taxonomy.term("theme", theme)
    if lang == "en":
        agency = f"{district.en} District Office" if district_office else agency_en
        parts = [rng.choice(INTRO_EN).format(agency=agency, district=district.en), pain_en, rng.choice(IMPACT_EN), rng.choice(ASK_EN)]
        title = rng.choice(["{t} in {d}", "{t}: help needed in {d}", "Pilot partner wanted: {t} ({d})"]).format(
            t=theme_term.en, d=district.en)
    else:
        agency = f"สำนักงานเขต{district.th}" if district_office else agency_th
        parts = [rng.choice(INTRO_TH).format(agency=agency, district=f"เขต{district.th}"), pain_th, rng.choice(IMPACT_TH)]
        parts.append(rng.choice(MIXED_ASK) if lang == "mixed" else rng.choice(ASK_TH))
        title = rng.choice(["ปัญหา{t} เขต{d}", "ขอความร่วมมือแก้ปัญหา{t}ในเขต{d}", "หาผู้ร่วมพัฒนา: {t} เขต{d}"]).format(
            t=theme_term.th, d=district.th)
        if lang == "mixed":
            title += rng.choice([" (pilot)", " – open call", " | innovation challenge"])
    created = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc) + timedelta(days=n * 2, hours=rng.randint(0, 8))
    budget = rng.choice([None, (200_000, 500_000), (500_000, 2_000_000), (1_000_000, 5_000_000)])
    return {
        "id": f"ch-{n:03d}", "agency": agency, "title": title, "description": " ".join(p for p in parts if p),
        "language": lang, "sectors": sectors, "themes": [theme], "district": district.key,
        "status": "closed" if n % 17 == 0 else "open", "confidential": False,
        "deadline": (date(2026, 12, 31) + timedelta(days=rng.randint(0, 240))).isoformat(),
        "budget_min_thb": budget[0] if budget else None, "budget_max_thb": budget[1] if budget else None,
        "created_at": created.isoformat(), "updated_at": created.isoformat(),
    }


def _name(rng: random.Random, kind: str, lang: str, used: set[str]) -> str:
    while True:
        if lang == "en":
            name = f"{rng.choice(NAME_EN_A)}{rng.choice(NAME_EN_B)}"
            name = name if kind != "university_lab" else f"{rng.choice(NAME_EN_A)} Lab, {rng.choice(['Chulalongkorn', 'Mahidol', 'KMUTT', 'Thammasat', 'KMITL'])} University"
        else:
            core = rng.choice(NAME_TH_A) + rng.choice(NAME_TH_B)
            name = KIND_PREFIX_TH[kind].format(n=core)
            if kind == "university_lab":
                name += rng.choice(["จุฬาลงกรณ์", "มหิดล", "เกษตรศาสตร์", "ธรรมศาสตร์", "พระจอมเกล้าธนบุรี"])
        if name not in used:
            used.add(name)
            return name


def _solution(approach, lang: str, trl: int) -> dict:
    title_th, title_en, desc_th, desc_en = approach
    if lang == "en":
        return {"title": title_en, "description": desc_en, "trl": trl}
    if lang == "mixed":
        return {"title": f"{title_en} ({title_th})", "description": desc_th, "trl": trl}
    return {"title": title_th, "description": desc_th, "trl": trl}


def build() -> None:
    rng = random.Random(SEED)
    problems = {p[0]: p for p in PROBLEMS}
    by_theme: dict[str, list[str]] = {}
    for p in PROBLEMS:
        by_theme.setdefault(p[1], []).append(p[0])

    challenges, challenge_problem = [], {}
    lang_cycle = ["th", "en", "mixed", "th", "en", "th"]
    n = 0
    for p in PROBLEMS:
        for v in range(3):
            n += 1
            lang = lang_cycle[(n + v) % len(lang_cycle)]
            ch = _challenge(rng, n, p, lang)
            challenges.append(ch)
            challenge_problem[ch["id"]] = p[0]

    innovators, primary, secondary = [], {}, {}
    kinds = ["startup", "social_enterprise", "university_lab", "community_enterprise", "sme", "ngo"]
    ilangs = ["en", "th", "mixed", "th", "en", "en", "th"]
    used: set[str] = set()
    m = 0
    slots = [(p[0], a) for p in PROBLEMS for a in range(2)]
    while m < 400:
        pkey, a = slots[m % len(slots)]
        p = problems[pkey]
        m += 1
        lang = ilangs[(m * 3 + a) % len(ilangs)]
        kind = rng.choice(kinds)
        name = _name(rng, kind, "en" if lang == "en" else "th", used)
        solutions = [_solution(p[5][a], lang, rng.randint(3, 9))]
        second = None
        if rng.random() < 0.3:
            # A secondary line of business, usually next door in the same theme.
            siblings = [k for k in by_theme[p[1]] if k != pkey]
            second = rng.choice(siblings) if siblings and rng.random() < 0.7 else rng.choice(list(problems))
            if second != pkey:
                solutions.append(_solution(problems[second][5][rng.randint(0, 1)], lang, rng.randint(2, 8)))
            else:
                second = None
        english = lang == "en"
        intro = KIND_INTRO_EN[kind] if english else KIND_INTRO_TH[kind]
        if rng.random() < 0.5:
            intro = rng.choice(KIND_INTRO_EN_ALT if english else KIND_INTRO_TH_ALT)
        track = rng.choice(TRACK_EN if english else TRACK_TH)
        focus = rng.choice(FOCUS_EN if english else FOCUS_TH).format(t=solutions[0]["title"])
        desc = " ".join(x for x in (intro, focus, track) if x)
        sectors = list(dict.fromkeys(p[2] + (problems[second][2] if second else [])))
        themes = list(dict.fromkeys([p[1]] + ([problems[second][1]] if second else [])))
        inv = {"id": f"in-{m:03d}", "name": name, "kind": kind, "description": desc, "solutions": solutions,
               "sectors": sectors, "themes": themes, "district": _district(rng).key,
               "languages": ["en"] if lang == "en" else (["th", "en"] if lang == "mixed" else ["th"]),
               "created_at": datetime(2025, 11, 1, tzinfo=timezone.utc).isoformat(),
               "updated_at": datetime(2025, 11, 1, tzinfo=timezone.utc).isoformat()}
        innovators.append(inv)
        primary[inv["id"]] = pkey
        if second:
            secondary[inv["id"]] = second

    pairs = []
    for ch in challenges:
        pkey = challenge_problem[ch["id"]]
        theme = problems[pkey][1]
        for inv in innovators:
            iid = inv["id"]
            if primary[iid] == pkey:
                grade = 2
            elif secondary.get(iid) == pkey:
                grade = 1
            elif problems[primary[iid]][1] == theme:
                grade = 0
            else:
                continue
            pairs.append((ch["id"], iid, grade, _split_of(pkey)))

    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("challenges", challenges), ("innovators", innovators)):
        with open(OUT / f"{name}.jsonl", "w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(OUT / "pairs.tsv", "w", encoding="utf-8", newline="\n") as fh:
        fh.write("challenge_id\tinnovator_id\tgrade\tsplit\n")
        for row in pairs:
            fh.write("\t".join(map(str, row)) + "\n")
    (OUT / "STATS.md").write_text(stats(challenges, innovators, pairs), encoding="utf-8")


def stats(challenges: list[dict], innovators: list[dict], pairs: list[tuple]) -> str:
    """Counts for the datasheet, computed from the files just written."""
    from collections import Counter

    from matcher.text import detect_language, same_language

    def lang(inv: dict) -> str:
        parts = [inv["name"], inv["description"]] + [f"{s['title']}: {s['description']}" for s in inv["solutions"]]
        return detect_language("\n".join(parts))

    languages = {c["id"]: c["language"] for c in challenges} | {i["id"]: lang(i) for i in innovators}
    relevant = [p for p in pairs if p[2] > 0]
    crossing = sum(not same_language(languages[c], languages[i]) for c, i, _, _ in relevant)
    lines = ["# Demo corpus statistics (written by build_demo.py)", "",
             f"- challenges: {len(challenges)}; by language: {dict(Counter(c['language'] for c in challenges))}",
             f"- innovators: {len(innovators)}; by detected language: {dict(Counter(lang(i) for i in innovators))}",
             f"- innovators by kind: {dict(Counter(i['kind'] for i in innovators))}",
             f"- innovators with more than one solution: {sum(len(i['solutions']) > 1 for i in innovators)}",
             f"- labeled pairs: {len(pairs)}; by grade: {dict(sorted(Counter(p[2] for p in pairs).items()))}",
             f"- labeled challenges by split: {dict(Counter(s for _, s in {(p[0], p[3]) for p in pairs}))}",
             f"- relevant pairs (grade 1-2) by split: {dict(Counter(p[3] for p in relevant))}",
             f"- relevant pairs crossing languages: {crossing} of {len(relevant)} ({crossing / len(relevant):.0%})",
             f"- themes covered by challenges: {len({t for c in challenges for t in c['themes']})}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    build()
