"""Assemble the BIC corpus from the authors' raw files (deterministic; same bytes every run).

    python corpora/bic/build.py

- reads `raw/challenges-*.jsonl` and `raw/innovators-*.jsonl` (one file per independent author,
  each written from a brief in `briefs/`), validates every record against `matcher.records`;
- moves each record's `_meta` (voice, parts of a multi-part challenge) into `meta.jsonl`, sets the
  posting agency's id from `agencies.jsonl`, and gives records stable creation times;
- writes `challenges.jsonl`, `innovators.jsonl` and `meta.jsonl`.

Labels are not made here: they come from pooled, independently judged pairs (`judging/`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from matcher.records import Challenge, Innovator  # noqa: E402

EPOCH = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _stable_time(record_id: str) -> str:
    """A creation time spread over six months, derived from the id (no randomness between runs)."""
    minutes = int(hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:8], 16) % (180 * 24 * 60)
    return (EPOCH + timedelta(minutes=minutes)).isoformat()


def _raw(pattern: str) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((HERE / "raw").glob(pattern)):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    out.append((f"{path.name}:{number}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{number}: not valid JSON ({exc.msg})")
    return out


def build() -> dict[str, int]:
    agencies = {json.loads(line)["name_th"]: json.loads(line)["id"]
                for line in (HERE / "agencies.jsonl").read_text("utf-8").splitlines() if line}
    meta_lines: list[str] = []
    outputs: dict[str, list[str]] = {"challenges": [], "innovators": []}
    seen: set[str] = set()
    for side, pattern, model in (("challenges", "challenges-*.jsonl", Challenge), ("innovators", "innovators-*.jsonl", Innovator)):
        for where, obj in _raw(pattern):
            meta = obj.pop("_meta", None) or {}
            if obj["id"] in seen:
                raise SystemExit(f"{where}: duplicate id {obj['id']!r}")
            seen.add(obj["id"])
            if side == "challenges":
                obj["agency_id"] = agencies[obj["agency"]]
            obj.setdefault("created_at", _stable_time(obj["id"]))
            obj.setdefault("updated_at", obj["created_at"])
            record = model.model_validate(obj)
            outputs[side].append(record.model_dump_json(exclude_none=False))
            meta_lines.append(json.dumps({"id": record.id, "side": side, "author": where.split(":")[0],
                                          "voice": meta.get("voice", ""), "parts": meta.get("parts", [])},
                                         ensure_ascii=False))
    for side, lines in outputs.items():
        (HERE / f"{side}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (HERE / "meta.jsonl").write_text("".join(line + "\n" for line in meta_lines), encoding="utf-8")
    return {side: len(lines) for side, lines in outputs.items()}


if __name__ == "__main__":
    print(json.dumps(build()))
