"""The plain-text part's view of a summary's HTML: paragraphs wrapped, links as numbered
references, images as [图：alt], code blocks verbatim, tables as aligned columns (or a pointer to
the post when they are too wide).

>>> blocks, links = summary_blocks('<p>见<a href="https://a.example/">文档</a>。<img alt="图"></p>')
>>> format_blocks(blocks, "   ", 72, "https://blog.example/p/", first=1)
'   见文档[1]。[图：图]'
>>> links
['https://a.example/']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

_BLOCKS = {
    "p",
    "div",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dl",
    "dt",
    "dd",
    "hr",
    "figure",
    "figcaption",
    "section",
    "article",
}
CODE_INDENT = "    "
_REF = "\ue000\ue001"  # around a reference's number until it is numbered in the whole message
_REFERENCE = re.compile("\ue000([0-9]+)\ue001")


@dataclass
class Block:
    kind: str  # "text", "code" or "table"
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)


def columns(text: str) -> int:
    """Display columns: CJK and other wide characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def summary_blocks(fragment: str) -> tuple[list[Block], list[str]]:
    """The blocks of a summary, and the link targets its [n] references number (from 1)."""
    maker = _maker()()
    maker.feed(fragment)
    maker.close()
    maker.flush()
    return maker.blocks, maker.links


@functools.cache  # html.parser only where messages are made
def _maker() -> type:
    from html.parser import HTMLParser

    class TextMaker(HTMLParser):
        """Collects text blocks, code blocks and tables from sanitized HTML."""

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.blocks: list[Block] = []
            self.links: list[str] = []
            self.words: list[str] = []  # the paragraph (or table cell) being read
            self.prefix = ""  # "- " or "1. " for a list item, "> " in a quote
            self.href: list[str | None] = []
            self.pre = 0
            self.table: list[list[str]] | None = None
            self.lists: list[
                list[int]
            ] = []  # per open list: [number of the next item] or [] if unordered
            self.quotes = 0

        def flush(self) -> None:
            text = re.sub(r"\s+", " ", "".join(self.words)).strip()
            self.words = []
            if self.table is not None:
                if self.table:
                    self.table[-1].append(text)
            elif text:
                self.blocks.append(Block("text", "> " * self.quotes + self.prefix + text))
                self.prefix = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "pre":
                self.flush()
                self.pre += 1
            elif tag == "table":
                self.flush()
                self.table = []
            elif self.table is not None and tag == "tr":
                self.table.append([])
            elif self.table is not None and tag in ("td", "th"):
                self.words = []
            elif tag in _BLOCKS or tag == "br":
                if self.pre:
                    self.words.append("\n") if tag == "br" else None
                    return
                self.flush()
                if tag in ("ul", "ol"):
                    self.lists.append([1] if tag == "ol" else [])
                elif tag == "li":
                    number = self.lists[-1] if self.lists else []
                    self.prefix = "  " * max(0, len(self.lists) - 1) + (
                        f"{number[0]}. " if number else "- "
                    )
                    if number:
                        number[0] += 1
                elif tag == "blockquote":
                    self.quotes += 1
            elif tag == "a":
                self.href.append(found.get("href"))
                self.link_start = len(self.words)
            elif tag == "img":
                alt = (found.get("alt") or "").strip()
                self.words.append(f"[图：{alt}]" if alt else "[图]")

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.handle_starttag(tag, attrs)

        def handle_endtag(self, tag: str) -> None:
            if tag == "pre" and self.pre:
                self.pre -= 1
                if not self.pre:
                    code = "".join(self.words).strip("\n")
                    self.words = []
                    if code.strip():
                        self.blocks.append(Block("code", code))
            elif self.pre:
                return
            elif tag == "table" and self.table is not None:
                rows = [row for row in self.table if any(row)]
                self.table = None
                if rows:
                    self.blocks.append(Block("table", rows=rows))
            elif self.table is not None and tag in ("td", "th"):
                self.flush()
            elif tag == "a" and self.href:
                href = self.href.pop()
                text = "".join(self.words[self.link_start :]).strip()
                if href and href != text:  # a bare URL is its own reference
                    if href not in self.links:
                        self.links.append(href)
                    self.words.append(f"{_REF[0]}{self.links.index(href) + 1}{_REF[1]}")
            elif tag in _BLOCKS:
                self.flush()
                if tag in ("ul", "ol") and self.lists:
                    self.lists.pop()
                elif tag == "blockquote" and self.quotes:
                    self.quotes -= 1

        def handle_data(self, data: str) -> None:
            self.words.append(data)

    return TextMaker


def format_blocks(blocks: list[Block], indent: str, width: int, url: str, *, first: int) -> str:
    """The blocks as text at `indent`, wrapped to `width` columns; references numbered from
    `first`; a table too wide for the width points to the post at `url` instead."""

    def numbered(text: str) -> str:
        return _REFERENCE.sub(lambda found: f"[{int(found[1]) + first - 1}]", text)

    shown: list[str] = []
    for block in blocks:
        if block.kind == "code":
            shown.append(
                "\n".join((indent + CODE_INDENT + line).rstrip() for line in block.text.split("\n"))
            )
        elif block.kind == "table":
            rows = [[numbered(cell) for cell in row] for row in block.rows]
            table = _aligned(rows)
            if max(columns(line) for line in table) <= width - len(indent) - len(CODE_INDENT):
                shown.append("\n".join((indent + CODE_INDENT + line).rstrip() for line in table))
            else:
                shown.append(f"{indent}[表格较宽，见原文]\n{indent}{url}")
        else:
            shown.append(wrap_cjk(numbered(block.text), width, indent))
    return "\n\n".join(shown)


def _aligned(rows: list[list[str]]) -> list[str]:
    """Rows as lines with each column padded to its widest cell (by display columns)."""
    count = max(len(row) for row in rows)
    rows = [row + [""] * (count - len(row)) for row in rows]
    widths = [max(columns(row[n]) for row in rows) for n in range(count)]
    lines = [
        "  ".join(cell + " " * (widths[n] - columns(cell)) for n, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))  # under the header row
    return lines


_NO_LINE_START = set("，。、；：！？）》」』】〕…·,.;:!?)]}%")


def wrap_cjk(text: str, width: int = 72, indent: str = "") -> str:
    """Wrap to `width` display columns: CJK may break between any two characters, Latin words
    and URLs only at spaces; a line never starts with closing punctuation (the character before
    it moves down with it, so the line above stays within the width)."""
    lines: list[list[str]] = []
    line: list[str] = []
    used, room = 0, width - len(indent)
    for token in re.findall(r"https?://[!-~]+|[A-Za-z0-9\u00c0-\u024f'’.\-_/@]+|\s+|.", text):
        if token.isspace():
            token = " "
            if not line:
                continue
        size = columns(token)
        if used + size > room and not token.isspace() and "".join(line).strip():
            while line[-1] == " ":
                line.pop()
            carried = [line.pop()] if token[0] in _NO_LINE_START and len(line) > 1 else []
            lines.append(line)
            line, used = carried, sum(map(columns, carried))
        line.append(token)
        used += size
    lines.append(line)
    return "\n".join(indent + "".join(words).rstrip() for words in lines if "".join(words).strip())
