"""Diagnostics: one finding about one place in one post, and how they are printed.

>>> d = Diagnostic("posts/a.md", 3, 7, "error", "FT201", 'date "二月 30, 2025": no such day')
>>> d.text()
'posts/a.md:3:7: error FT201 date "二月 30, 2025": no such day'
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding at path:line:column (1-based; column 1 when only the line is known)."""

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    def text(self) -> str:
        d = self.printable()
        return f"{d.path}:{d.line}:{d.column}: {d.severity} {d.code} {d.message}"

    def printable(self) -> Diagnostic:
        """This diagnostic with every lone surrogate in its path and message escaped: no output
        stream can encode one (a JSON key "\\ud800", a file name that is not UTF-8)."""
        if not _SURROGATE.search(self.path) and not _SURROGATE.search(self.message):
            return self
        return dataclasses.replace(
            self, path=escape_surrogates(self.path), message=escape_surrogates(self.message)
        )

    def github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the file (its values
        escaped as GitHub's toolkit does: a property also escapes the `,` and `:` that end it)."""
        d = self.printable()
        kind = "error" if d.severity == "error" else "warning"
        return (
            f"::{kind} file={_escaped(d.path, property=True)},line={d.line},col={d.column},"
            f"title={d.code}::{_escaped(d.message)}"
        )


def place(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """(line, column) of `offset` in `text`, which starts on `first_line`; the column counts
    characters from 1.

    >>> place("一\\n二三", 3, first_line=5)
    (6, 2)
    """
    return first_line + text.count("\n", 0, offset), offset - text.rfind("\n", 0, offset)


_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """`text` with each lone surrogate written out: a byte of a file name that is not UTF-8
    (kept by Python as U+DC80-U+DCFF) as \\xNN, any other as \\uNNNN."""
    return _SURROGATE.sub(
        lambda m: (
            f"\\x{ord(m[0]) - 0xDC00:02x}"
            if "\udc80" <= m[0] <= "\udcff"
            else f"\\u{ord(m[0]):04x}"
        ),
        text,
    )


def _escaped(value: str, *, property: bool = False) -> str:
    """A workflow command's data, or a property's value (which escapes the , and : ending it)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property else value


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([asdict(d.printable()) for d in diagnostics], ensure_ascii=False, indent=2)


def summary_line(diagnostics: list[Diagnostic], post_count: int) -> str:
    """`Found 3 errors and 1 warning in 2 of 41 posts.`, or `No problems in 41 posts.`"""

    if not diagnostics:
        return f"No problems in {plural(post_count, 'post')}."
    errors = sum(d.severity == "error" for d in diagnostics)
    files = len({d.path for d in diagnostics})
    return (
        f"Found {plural(errors, 'error')} and {plural(len(diagnostics) - errors, 'warning')} "
        f"in {files} of {plural(post_count, 'post')}."
    )


def plural(count: int, word: str) -> str:
    """`count` and `word`, with an s unless there is one: "1 file", "3 files"."""
    return f"{count} {word}{'s' if count != 1 else ''}"
