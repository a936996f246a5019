"""Check one author's raw file against the record schema and the authoring rules.

Usage: python corpora/bic/validate.py corpora/bic/raw/challenges-c1.jsonl

Authors run this on their own file before they finish; the corpus builder runs the same checks.
Exit 0 when every line is valid; otherwise each problem is printed with its line number.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from pydantic import ValidationError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from matcher.records import Challenge, Innovator  # noqa: E402
from matcher.text import detect_language  # noqa: E402

AGENCIES = {json.loads(line)["name_th"] for line in (HERE / "agencies.jsonl").read_text("utf-8").splitlines() if line}


def fictitious_contact(contact: dict | None) -> list[str]:
    """Contacts must be unmistakably invented: reserved e-mail domains, 555 phone numbers."""
    problems = []
    if not contact:
        return problems
    email = contact.get("email")
    if email and not email.lower().rstrip().endswith(".example"):
        problems.append(f"contact.email {email!r} must use an invented domain ending in .example")
    phone = contact.get("phone")
    if phone and "555" not in phone:
        problems.append(f"contact.phone {phone!r} must contain the fictitious block 555")
    site = contact.get("website")
    if site and ".example" not in site:
        problems.append(f"contact.website {site!r} must use a domain ending in .example")
    return problems


def check_file(path: Path) -> tuple[list[str], list[dict]]:
    kind = "challenge" if path.name.startswith("challenges") else "innovator"
    model = Challenge if kind == "challenge" else Innovator
    problems: list[str] = []
    records: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        meta = obj.pop("_meta", None)
        if not isinstance(meta, dict) or not meta.get("voice"):
            problems.append(f"line {number}: _meta.voice is required")
        rid = obj.get("id")
        if rid in seen:
            problems.append(f"line {number}: duplicate id {rid!r}")
        seen.add(rid)
        try:
            model(**obj)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(f"line {number}: field {loc!r}: {err['msg']}")
        if kind == "challenge" and obj.get("agency") not in AGENCIES:
            problems.append(f"line {number}: agency {obj.get('agency')!r} is not a Thai name from agencies.jsonl")
        problems.extend(f"line {number}: {p}" for p in fictitious_contact(obj.get("contact")))
        obj["_meta"] = meta
        records.append(obj)
    return problems, records


def summary(records: list[dict], kind: str) -> str:
    langs = Counter()
    lengths = []
    themes = Counter()
    for obj in records:
        if kind == "challenge":
            text = f"{obj.get('title', '')}\n{obj.get('description', '')}"
        else:
            text = "\n".join([obj.get("name", ""), obj.get("description", "")] + [
                f"{s.get('title', '')} {s.get('description', '')}" for s in obj.get("solutions", [])])
        langs[detect_language(text)] += 1
        lengths.append(len(text.split()) if detect_language(text) == "en" else len(text) // 5)
        themes.update(obj.get("themes", []))
    lengths.sort()
    mid = lengths[len(lengths) // 2] if lengths else 0
    return (f"{len(records)} records; languages {dict(langs)}; approx. words min/median/max "
            f"{lengths[0] if lengths else 0}/{mid}/{lengths[-1] if lengths else 0}; themes {dict(themes.most_common())}")


def main(argv: list[str]) -> int:
    status = 0
    for name in argv:
        path = Path(name)
        problems, records = check_file(path)
        kind = "challenge" if path.name.startswith("challenges") else "innovator"
        for problem in problems:
            print(f"{path}: {problem}")
        print(f"{path}: {summary(records, kind)}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
