"""`validate --fix`: repairs that need no guessing, as small edits to the file's own text.

Only the edited values change; every other byte (BOM, CRLF, comments, key order, quoting of
other keys) stays as it was. A file with an error that cannot be fixed is left alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .config import Site
from .dates import format_rfc3339
from .diagnostics import has_errors
from .files import read_regular_file
from .posts import XML_FORBIDDEN, Loaded, codepoint, loads, places_of_forbidden

# Dates already written the ISO way are left as they are.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


@dataclass(frozen=True)
class Fix:
    """One repair at line:column of the file."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Fixed:
    """The repaired content of a file, and what was repaired."""

    path: str
    data: bytes
    fixes: list[Fix]


def fix(loaded: Loaded, original: bytes, site: Site) -> Fixed | None:
    """The repaired bytes of a post, or None when there is nothing to fix or it has other errors."""
    removed: list[Fix] = []
    if loaded.post is not None and not has_errors(loaded.diagnostics):
        original, removed = _without_forbidden(original)
        if removed:
            cleaned = loads(original, site, path=loaded.path)
            if cleaned.post is None or cleaned.post._replace(body="") != loaded.post._replace(
                body=""
            ):
                return None
            loaded = cleaned
    values = _fix_values(loaded, original, site)
    if values is None:
        return Fixed(loaded.path, original, removed) if removed else None
    return Fixed(
        loaded.path,
        values.data,
        sorted([*removed, *values.fixes], key=lambda f: (f.line, f.column)),
    )


def _without_forbidden(original: bytes) -> tuple[bytes, list[Fix]]:
    """The file without the characters XML forbids written in it as they are (an escape such
    as YAML's "\\x01" is left to the author), and a Fix for each."""
    text = original.decode("utf-8")  # a file with a post is UTF-8 (a BOM stays as it is)
    if not XML_FORBIDDEN.search(text):
        return original, []
    fixes = [
        Fix(line, column, f"removed {codepoint(char)}, which XML forbids")
        for line, column, char in places_of_forbidden(text.removeprefix("\ufeff"), 1)
    ]
    return XML_FORBIDDEN.sub("", text).encode("utf-8"), fixes


def _fix_values(loaded: Loaded, original: bytes, site: Site) -> Fixed | None:
    """Dates written the ISO way and single-string tags made lists; None when there is nothing
    to fix or the post has errors."""
    front, post = loaded.front_matter, loaded.post
    if front is None or post is None or has_errors(loaded.diagnostics):
        return None
    if front.kind == "json":  # values would need JSON quoting; left to the author
        return None
    edits: list[tuple[str, str, str]] = []  # (key, new value text, message)
    for key, value in (("date", post.date), ("updated", post.updated)):
        written = front.texts.get(key)
        if value is not None and written is not None and not _ISO_DATE.fullmatch(written.strip()):
            new = format_rfc3339(value)
            edits.append((key, new, f'{key} "{written}" -> {new}'))
    for key in ("tags", "categories"):
        value = front.values.get(key)
        if isinstance(value, str) and value.strip():
            new = json.dumps([value.strip()], ensure_ascii=False)
            edits.append((key, new, f"{key} {value!r} -> {new}"))
    # One-line values only, at a known place.
    edits = [
        e
        for e in edits
        if e[0] in front.positions and front.positions[e[0]][0] == front.ends[e[0]][0]
    ]
    if not edits:
        return None

    bom = original.startswith(b"\xef\xbb\xbf")
    text = original.decode("utf-8-sig")
    lines = text.split("\n")
    fixes = []
    for key, new, message in sorted(edits, key=lambda e: front.positions[e[0]], reverse=True):
        line, start = front.positions[key]
        end = front.ends[key][1]
        current = lines[line - 1]
        lines[line - 1] = current[: start - 1] + new + current[end - 1 :]
        fixes.append(Fix(line, start, message))
    data = ("\ufeff" if bom else "").encode() + "\n".join(lines).encode("utf-8")

    # Belt and braces: the repaired file must read back as the same post, with no errors, and
    # with every other front matter value as it was (an edit in the wrong place changes one).
    again = loads(data, site, path=loaded.path)
    # (An alias, such as Hugo's lastmod read as updated, sits where its key does: it changed too.)
    edited = {front.positions[key] for key, _, _ in edits}
    fixed = {key for key in front.values if front.positions.get(key) in edited}
    if (
        again.post is None
        or has_errors(again.diagnostics)
        or again.post != post
        or again.front_matter is None
        or (
            {k: v for k, v in again.front_matter.values.items() if k not in fixed}
            != {k: v for k, v in front.values.items() if k not in fixed}
        )
    ):
        return None
    return Fixed(loaded.path, data, sorted(fixes, key=lambda f: (f.line, f.column)))


def fix_files(files: list[str], site: Site, failed: set[str]) -> list[Fixed]:
    """Repairs for every file not in `failed` (files with errors, which are left alone)."""
    repaired = []
    for path in files:
        if path in failed:
            continue
        try:
            original = read_regular_file(path)  # never through a symbolic link
        except OSError:
            continue
        result = fix(loads(original, site, path=path), original, site)
        if result:
            repaired.append(result)
    return repaired
