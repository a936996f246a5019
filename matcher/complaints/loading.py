"""Read complaints from the Traffy Fondue JSON Lines export (as is) or any CSV with a column mapping.

Every bad record becomes a `LineError` (line number, field, problem) and loading goes on with the
next one: one malformed line in a day's export must not hold back the other thousand. The loaders
read text and return records; they never touch a database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher import taxonomy
from matcher.corpora import jsonl_lines
from matcher.complaints.models import Complaint, LineError, LoadResult

FIELDS = ("id", "text", "district", "categories", "created_at", "state")
"""The complaint fields a source column can be mapped to."""

TRAFFY_COLUMNS: dict[str, str] = {"id": "_id", "text": "text", "district": "district", "categories": "labels",
                                  "created_at": "timestamp", "state": "state"}
"""Where each field is in the Traffy Fondue export; also the default for CSV files."""

Progress = Callable[[int], None]
_CATEGORY_SPLIT = re.compile(r"[,;|]")
_DISTRICT_PREFIX = re.compile(r"^\s*(เขต|khet\s+)", re.IGNORECASE)
_DISTRICT_SUFFIX = re.compile(r"\s+district\s*$", re.IGNORECASE)


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`["text=description", "district=khet"]` or `["text=description,district=khet"]` -> a full mapping
    (unmapped fields keep the Traffy column names). Raises ValueError naming the bad pair."""
    mapping = dict(TRAFFY_COLUMNS)
    for item in pairs:
        for pair in filter(None, (p.strip() for p in item.split(","))):
            name, sep, column = pair.partition("=")
            name, column = name.strip(), column.strip()
            if not sep or not column:
                raise ValueError(f"column mapping {pair!r}: expected FIELD=COLUMN")
            if name not in FIELDS:
                raise ValueError(f"column mapping {pair!r}: unknown field {name!r}; expected one of: {', '.join(FIELDS)}")
            mapping[name] = column
    return mapping


def resolve_district(raw: str | None) -> str | None:
    """The taxonomy key of a district name (Thai or English, with or without เขต / "District"), or None."""
    if raw is None or not str(raw).strip():
        return None
    name = _DISTRICT_SUFFIX.sub("", _DISTRICT_PREFIX.sub("", str(raw).strip()))
    for candidate in (str(raw).strip(), name):
        try:
            return taxonomy.resolve("district", candidate)
        except ValueError:
            continue
    return None


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (a trailing Z too) or `YYYY-MM-DD HH:MM[:SS]`; empty means unknown. Raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date/time: {str(value)[:60]!r} (expected ISO 8601, e.g. 2023-05-14T09:19:21+07:00)") from None


def parse_categories(value: Any) -> list[str]:
    """A JSON list, or one string split on commas, semicolons or bars; order kept, repeats dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                raise ValueError("looks like a JSON list but is not valid JSON") from None
        else:
            value = _CATEGORY_SPLIT.split(stripped)
    if not isinstance(value, list):
        raise ValueError(f"expected a list of labels or a comma-separated string, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        label = str(item).strip()
        if label and label not in out:
            out.append(label)
    return out


def _cell(record: Mapping[str, Any], mapping: Mapping[str, str], name: str) -> Any:
    column = mapping.get(name, name)
    if column in record:
        return record[column]
    return record.get(name)


def to_complaint(record: Mapping[str, Any], mapping: Mapping[str, str], line: int,
                 source: str) -> tuple[Complaint | None, list[LineError]]:
    """One source record -> a complaint, or every problem found in it (all fields are checked)."""
    errors: list[LineError] = []
    failed: set[str] = set()
    values: dict[str, Any] = {"source": source}
    raw_id = _cell(record, mapping, "id")
    values["id"] = "" if raw_id is None else str(raw_id).strip()
    text = _cell(record, mapping, "text")
    values["text"] = text if isinstance(text, str) else ("" if text is None else str(text))
    raw_district = _cell(record, mapping, "district")
    raw_district = None if raw_district is None or not str(raw_district).strip() else str(raw_district).strip()
    values["district_raw"], values["district"] = raw_district, resolve_district(raw_district)
    for name, parse in (("categories", parse_categories), ("created_at", parse_time)):
        try:
            values[name] = parse(_cell(record, mapping, name))
        except ValueError as exc:
            errors.append(LineError(line, mapping.get(name, name), str(exc)))
            failed.add(name)
    state = _cell(record, mapping, "state")
    values["state"] = None if state is None or not str(state).strip() else str(state).strip()
    values = {k: v for k, v in values.items() if k not in failed}
    try:
        complaint = Complaint.model_validate(values)
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else None
            errors.append(LineError(line, mapping.get(name, name) if name else None, _plain(problem, values.get(name))))
        return None, errors
    return (None, errors) if errors else (complaint, [])


def _plain(problem: dict[str, Any], value: Any) -> str:
    if problem["type"] in ("string_too_short", "missing") or (problem["type"] == "value_error" and not str(value or "").strip()):
        return "missing or empty"
    return problem["msg"].removeprefix("Value error, ")


def _jsonl_records(text: str) -> Iterator[tuple[int, dict[str, Any] | None, LineError | None]]:
    for number, obj, problem in jsonl_lines(text):
        yield number, obj, LineError(number, None, problem) if problem else None


def _csv_records(text: str, mapping: Mapping[str, str]) -> Iterator[tuple[int, dict[str, Any] | None, LineError | None]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for name in ("id", "text"):
        if mapping.get(name, name) not in header and name not in header:
            yield 1, None, LineError(1, mapping.get(name, name),
                                     f"no column {mapping.get(name, name)!r} in the header ({', '.join(header)}); "
                                     f"map it with {name}=COLUMN")
            return
    start = reader.line_num + 1
    for row in reader:
        if None in row:  # more cells than header columns
            yield start, None, LineError(start, None, f"{len(header) + len(row[None])} cells for {len(header)} columns")
        else:
            yield start, row, None
        start = reader.line_num + 1


def load_text(text: str, kind: str, mapping: Mapping[str, str] | None = None, source: str = "",
              progress: Progress | None = None) -> LoadResult:
    """Parse a whole file's text (`kind` 'jsonl' or 'csv'); duplicate ids within the file are errors."""
    mapping = dict(mapping or TRAFFY_COLUMNS)
    if text.startswith("\ufeff"):
        text = text[1:]
    if kind not in ("jsonl", "csv"):
        raise ValueError(f"unknown complaint file kind {kind!r}; expected jsonl or csv")
    records = _jsonl_records(text) if kind == "jsonl" else _csv_records(text, mapping)
    result = LoadResult()
    first_line: dict[str, int] = {}
    for number, record, error in records:
        result.lines += 1
        if record is None:
            result.errors.append(error)  # type: ignore[arg-type]
        else:
            complaint, errors = to_complaint(record, mapping, number, source)
            if complaint is not None and complaint.id in first_line:
                errors = [LineError(number, mapping.get("id", "id"),
                                    f"duplicate id {complaint.id!r} (first at line {first_line[complaint.id]})")]
                complaint = None
            result.errors.extend(errors)
            if complaint is not None:
                first_line[complaint.id] = number
                result.complaints.append(complaint)
        if progress is not None:
            progress(result.lines)
    return result


def kind_of(name: str) -> str:
    """'jsonl' or 'csv' from a file name (JSON Lines unless it ends in .csv)."""
    return "csv" if name.lower().endswith(".csv") else "jsonl"


def decode(data: bytes, name: str = "input") -> str:
    """UTF-8 text of an upload; a bad byte is reported with its line number."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"{name}: line {line}: not UTF-8 (byte {data[exc.start]:#04x})") from None


def load_file(path: Path, mapping: Mapping[str, str] | None = None, progress: Progress | None = None) -> LoadResult:
    """Read a complaint file from disk (the CLI's edge)."""
    path = Path(path)
    return load_text(decode(path.read_bytes(), str(path)), kind_of(path.name), mapping, path.name, progress)
