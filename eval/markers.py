"""Generated blocks inside hand-written Markdown: `<!-- name:start -->` ... `<!-- name:end -->`.

One helper for every command that writes measured figures into README.md or RESULTS.md, so the
numbers there always come from a run and the surrounding prose is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_block(text: str, name: str, block: str, append_if_missing: bool = False) -> str:
    start, end = markers(name)
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    new = f"{start}\n{block}\n{end}"
    if pattern.search(text):
        return pattern.sub(lambda _: new, text)
    if append_if_missing:
        return text.rstrip() + "\n\n" + new + "\n"
    raise ValueError(f"no {start} ... {end} block to replace")


def extract_block(text: str, name: str) -> str | None:
    start, end = markers(name)
    found = re.search(re.escape(start) + ".*?" + re.escape(end), text, re.S)
    return found.group(0) if found else None


def update_file(path: Path, name: str, block: str, append_if_missing: bool = False) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_block(text, name, block, append_if_missing), encoding="utf-8")
