"""Loaders: records from JSON Lines, CSV or Parquet; BEIR folders; labeled pairs; Traffy Fondue.

Every error names the file, the line (1-based, for JSONL/CSV) and the field, so a curator can
fix a 10,000-line upload without guessing.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcher.records import Challenge, Innovator
from matcher.text import is_blank

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout (for commands that write generated docs); the library reads no data from it."""


def _corpora_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("corpora")))


CORPORA_DIR = _corpora_dir()
MAIN_DIR = CORPORA_DIR / "bic"
"""The main corpus: the demo, the service's seed data and the train/dev/test splits."""
SMALL_DIR = CORPORA_DIR / "demo"
"""The small templated corpus, for fast tests."""
SPLITS = ("train", "dev", "test")

M = TypeVar("M", bound=BaseModel)


class CorpusError(ValueError):
    """A record or file that cannot be loaded; the message says where and why."""


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        parts.append(f"field {loc!r}: {err['msg']}")
    return "; ".join(parts)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path}:{line}: invalid UTF-8 at byte {exc.start}") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc.strerror}") from None


def jsonl_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, object, None) for each non-blank JSON Lines line, or (number, None, problem)
    for a line that is not a JSON object; callers decide whether a bad line stops them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(obj, dict):
            yield number, None, f"expected a JSON object, got {type(obj).__name__}"
            continue
        yield number, obj, None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a bad line is a CorpusError."""
    for number, obj, problem in jsonl_lines(_read_text(path)):
        if problem is not None:
            raise CorpusError(f"{path}:{number}: {problem}")
        yield number, obj


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from iter_jsonl(path)
        return
    import pandas as pd

    if suffix == ".csv":
        _read_text(path)  # UTF-8 check with a line number
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        first_line = 2  # header is line 1
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        first_line = 1
    else:
        raise CorpusError(f"{path}: unsupported format {suffix!r}; use .jsonl, .csv or .parquet")
    for offset, row in enumerate(frame.to_dict(orient="records")):
        yield first_line + offset, {k: _decode_cell(v) for k, v in row.items() if not _is_missing(v)}


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd

        if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and value == ""


def _decode_cell(value: Any) -> Any:
    """Table cells holding lists or objects are written as JSON; ';'-separated lists also work."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


_LIST_FIELDS = {"sectors", "themes", "languages"}


def load_records(path: Path, model: type[M]) -> list[M]:
    """Load and validate every record; the first bad one raises CorpusError with file:line and field."""
    path = Path(path)
    out: list[M] = []
    seen: dict[str, int] = {}
    for number, raw in _rows(path):
        for name in _LIST_FIELDS & raw.keys():
            if isinstance(raw[name], str):
                raw[name] = [p.strip() for p in raw[name].split(";") if p.strip()]
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            raise CorpusError(f"{path}:{number}: {_format_validation(exc)}") from None
        record_id = getattr(record, "id")
        if record_id in seen:
            raise CorpusError(f"{path}:{number}: field 'id': duplicate id {record_id!r} (first on line {seen[record_id]})")
        seen[record_id] = number
        out.append(record)
    return out


def load_challenges(path: Path) -> list[Challenge]:
    return load_records(path, Challenge)


def load_innovators(path: Path) -> list[Innovator]:
    return load_records(path, Innovator)


@dataclass(frozen=True)
class LabeledPair:
    challenge_id: str
    innovator_id: str
    grade: int
    split: str


def load_pairs(path: Path) -> list[LabeledPair]:
    """Tab-separated `challenge_id innovator_id grade split` with a header line."""
    path = Path(path)
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(), delimiter="\t")
    needed = {"challenge_id", "innovator_id", "grade", "split"}
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise CorpusError(f"{path}:1: header must name {sorted(needed)}, got {reader.fieldnames}")
    out = []
    for number, row in enumerate(reader, start=2):
        try:
            grade = int(row["grade"])
        except (TypeError, ValueError):
            raise CorpusError(f"{path}:{number}: field 'grade': {row['grade']!r} is not 0, 1 or 2") from None
        if grade not in (0, 1, 2):
            raise CorpusError(f"{path}:{number}: field 'grade': {grade} is not 0, 1 or 2")
        if row["split"] not in SPLITS:
            raise CorpusError(f"{path}:{number}: field 'split': {row['split']!r} is not one of {SPLITS}")
        out.append(LabeledPair(row["challenge_id"], row["innovator_id"], grade, row["split"]))
    return out


@dataclass
class Corpus:
    challenges: list[Challenge]
    innovators: list[Innovator]
    pairs: list[LabeledPair] = field(default_factory=list)


def load_corpus(directory: Path = MAIN_DIR) -> Corpus:
    """The bundled demo corpus: challenges, innovators and graded pairs."""
    directory = Path(directory)
    challenges = load_challenges(directory / "challenges.jsonl")
    innovators = load_innovators(directory / "innovators.jsonl")
    pairs_path = directory / "pairs.tsv"
    pairs = load_pairs(pairs_path) if pairs_path.exists() else []
    known_c = {c.id for c in challenges}
    known_i = {i.id for i in innovators}
    for n, pair in enumerate(pairs, start=2):
        if pair.challenge_id not in known_c:
            raise CorpusError(f"{pairs_path}:{n}: field 'challenge_id': unknown challenge {pair.challenge_id!r}")
        if pair.innovator_id not in known_i:
            raise CorpusError(f"{pairs_path}:{n}: field 'innovator_id': unknown innovator {pair.innovator_id!r}")
    return Corpus(challenges, innovators, pairs)


def load_agencies(directory: Path = MAIN_DIR) -> list[dict[str, str]]:
    """The posting agencies of a corpus: id, Thai and English names (and district for district offices)."""
    path = Path(directory) / "agencies.jsonl"
    out = []
    for number, obj in iter_jsonl(path):
        for name in ("id", "name_th", "name_en"):
            if not str(obj.get(name, "")).strip():
                raise CorpusError(f"{path}:{number}: field {name!r} is required")
        out.append(obj)
    return out


# --- BEIR ---------------------------------------------------------------------------------------


@dataclass
class BeirDataset:
    name: str
    corpus: dict[str, dict[str, Any]]
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (header query-id corpus-id score)."""
    folder = Path(folder)
    for name in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / name).exists():
            raise CorpusError(f"{folder}: not a BEIR folder, {name} is missing")
    corpus: dict[str, dict[str, Any]] = {}
    skipped = 0
    for number, obj in iter_jsonl(folder / "corpus.jsonl"):
        if "_id" not in obj:
            raise CorpusError(f"{folder / 'corpus.jsonl'}:{number}: field '_id' is required")
        if is_blank(str(obj.get("text") or "")) and is_blank(str(obj.get("title") or "")):
            skipped += 1  # nothing to match on; it can only ever be a miss
            continue
        corpus[str(obj["_id"])] = obj
    queries: dict[str, dict[str, Any]] = {}
    for number, obj in iter_jsonl(folder / "queries.jsonl"):
        if "_id" not in obj:
            raise CorpusError(f"{folder / 'queries.jsonl'}:{number}: field '_id' is required")
        if is_blank(str(obj.get("text") or "")):
            skipped += 1
            continue
        queries[str(obj["_id"])] = obj
    if skipped:
        log.warning("%s: skipped %d documents/queries with empty text", folder, skipped)
    qrels: dict[str, dict[str, int]] = {}
    path = folder / "qrels" / f"{split}.tsv"
    lines = _read_text(path).splitlines()
    for number, line in enumerate(lines, start=1):
        parts = line.split("\t")
        if number == 1 and parts[0] in ("query-id", "query_id", "qid"):
            continue
        if not line.strip():
            continue
        if len(parts) < 3:
            raise CorpusError(f"{path}:{number}: expected query-id, corpus-id, score separated by tabs")
        qid, did, score = parts[0], parts[1], parts[-1]
        try:
            grade = int(float(score))
        except ValueError:
            raise CorpusError(f"{path}:{number}: field 'score': {score!r} is not a number") from None
        if qid in queries and did in corpus:
            qrels.setdefault(qid, {})[did] = grade
    return BeirDataset(folder.name, corpus, {q: queries[q] for q in qrels}, qrels)


def beir_doc_text(doc: dict[str, Any]) -> str:
    title = str(doc.get("title") or "").strip()
    text = str(doc.get("text") or "").strip()
    return f"{title}\n{text}" if title and text else (title or text)


# --- Traffy Fondue ------------------------------------------------------------------------------


def load_traffy(path: Path) -> list[dict[str, Any]]:
    """Real Traffy Fondue complaints (see ../shared/benchmarks/README.md): dicts with _id, text, labels."""
    out = []
    for number, obj in iter_jsonl(Path(path)):
        if not str(obj.get("text", "")).strip() or "_id" not in obj:
            raise CorpusError(f"{path}:{number}: field 'text' and '_id' are required")
        out.append(obj)
    return out
