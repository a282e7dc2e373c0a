"""Checks over a set of post files -> publishable posts plus every finding.

`build`, `digest` and `validate` all go through `check`, so a post that validates always builds.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import Site
from .dates import format_rfc3339
from .diagnostics import Diagnostic
from .errors import FeedtoolError
from .posts import KNOWN_KEYS, Loaded, Post, find, load, split_more


@dataclass(frozen=True)
class Report:
    """What `check` found: the posts that can be published and the sorted diagnostics."""

    posts: list[Post]
    diagnostics: list[Diagnostic]
    checked: int  # number of files read
    failed: set[Path]  # files with at least one error

    @property
    def ok(self) -> bool:
        return not self.failed


def collect(paths: Iterable[Path]) -> list[Path]:
    """Post files named by `paths` (files, or folders searched recursively), each once, sorted."""
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise FeedtoolError(f"{path}: no such file or folder")
        for file in find(path) if path.is_dir() else [path]:
            found.setdefault(file, None)
    return sorted(found)


def check(files: Sequence[Path], site: Site, *, now: datetime) -> Report:
    """Read and check every file; `now` decides which dates are in the future."""
    cwd = os.getcwd()
    loaded = [load(path, site, display=display_path(path, cwd)) for path in files]
    diagnostics = [d for item in loaded for d in item.diagnostics]
    for item in loaded:
        diagnostics += _lint(item, now)
    diagnostics += _duplicates([item for item in loaded if item.post])
    failed_names = {d.path for d in diagnostics if d.severity == "error"}
    failed = {item.path for item in loaded if item.name in failed_names}
    posts = [item.post for item in loaded if item.post and item.path not in failed]
    return Report(posts, sorted(diagnostics), len(files), failed)


def _lint(item: Loaded, now: datetime) -> list[Diagnostic]:
    """Findings that do not stop a post from building: unknown keys, dates in the future."""
    front, name = item.front_matter, item.name
    if front is None:
        return []
    found = []
    for key, (line, column) in front.key_positions.items():
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.7)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            found.append(Diagnostic(name, line, column, "warning", "FT115", f"unknown key '{key}'{hint}"))
    post = item.post
    if post is None:
        return found
    if not post.draft and post.date > now:
        line, column = front.positions.get("date", (1, 1))
        found.append(Diagnostic(name, line, column, "warning", "FT203",
                                f"date {format_rfc3339(post.date)} is in the future; the post stays out of the feeds until then"))
    before, after = split_more(post.body)
    if not (before + (after or "")).strip():
        if not post.draft:
            found.append(Diagnostic(name, front.body_line - 1, 1, "warning", "FT301", "empty body"))
    elif after is not None and not before.strip():
        line = post.body_line + before.count("\n")
        found.append(Diagnostic(name, line, 1, "warning", "FT302",
                                "nothing before the <!--more--> marker, so the summary would be empty"))
    found += _missing_local_files(post, name)
    return found


# Markdown links and images, reference definitions and HTML src/href, outside code.
_LINK = re.compile(
    r"""\]\(\s*<?(?P<a>[^)\s>]+)|^\s{0,3}\[[^\]]+\]:\s*<?(?P<b>\S+?)>?(?:\s|$)|(?:src|href)\s*=\s*["'](?P<c>[^"']+)""",
    re.MULTILINE,
)
_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`", re.MULTILINE | re.DOTALL)


def _missing_local_files(post: Post, name: str) -> list[Diagnostic]:
    """Relative links to files (a path with a suffix, like images/a.png or ../b.md) that don't exist."""
    body = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), post.body)  # keep offsets, drop code
    found = []
    for match in _LINK.finditer(body):
        target = match["a"] or match["b"] or match["c"]
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith(("/", "#")) or not parts.path:
            continue
        relative = unquote(parts.path)
        if not Path(relative).suffix or (post.path.parent / relative).exists():
            continue
        start = match.start("a") if match["a"] else match.start("b") if match["b"] else match.start("c")
        line = post.body_line + body.count("\n", 0, start)
        column = start - (body.rfind("\n", 0, start) + 1) + 1
        found.append(Diagnostic(name, line, column, "warning", "FT303", f"link to a missing local file: {target}"))
    return found


def _duplicates(loaded: list[Loaded]) -> list[Diagnostic]:
    """The same slug, permalink or id in two posts: an error in each file, naming the other."""
    found = []
    reported: set[tuple[str, str]] = set()
    for label, key in (("slug", lambda p: p.slug), ("permalink", lambda p: p.permalink), ("id", lambda p: p.id)):
        owners: dict[str, list[Loaded]] = defaultdict(list)
        for item in loaded:
            owners[key(item.post)].append(item)
        for value, items in owners.items():
            for item in items if len(items) > 1 else ():
                name = item.name
                others = ", ".join(other.name for other in items if other is not item)
                # A slug clash is usually a permalink and id clash too: say it once per pair.
                if (name, others) in reported:
                    continue
                reported.add((name, others))
                line, column = item.front_matter.positions.get(label, (1, 1))
                found.append(Diagnostic(name, line, column, "error", "FT208",
                                        f"{label} {value!r} is also used by {others}"))
    return found


def display_path(path: Path, cwd: str | None = None) -> str:
    """The path as the user should see it: relative to the working folder when inside it."""
    cwd = cwd or os.getcwd()
    text = os.fspath(path)
    absolute = text if os.path.isabs(text) else os.path.join(cwd, text)
    prefix = cwd.rstrip(os.sep) + os.sep
    return os.path.normpath(absolute[len(prefix):]) if absolute.startswith(prefix) else text
