"""Posts: a Markdown file with YAML (`---`) or TOML (`+++`) front matter -> a frozen `Post`.

Reading a post and checking that it can be published are one step: `load` returns the
`Post` (or None) together with every problem found on the way, each with its line and column.
"""

from __future__ import annotations

import codecs
import functools
import json
import operator
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from datetime import date as Date
from datetime import time as Time
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from . import config, sources
from .config import Site
from .dates import DateError, parse_date
from .diagnostics import Diagnostic, Severity, has_errors, place
from .files import read_regular_file
from .markdown_code import fence_before, fenced_blocks, in_block, without_blocks

# Front matter keys feedtool reads, and keys Hugo (and its PaperMod theme), Hexo and Jekyll
# define; a key one or two letters from one of these gets the validator's typo warning.
KNOWN_KEYS = frozenset(
    (
        "title",
        "date",
        "updated",
        "author",
        "tags",
        "categories",
        "summary",
        "draft",
        "slug",
        "id",
        "cover",
        "image",
        "featured_image",
        # Hugo
        "description",
        "lastmod",
        "publishDate",
        "expiryDate",
        "keywords",
        "weight",
        "url",
        "aliases",
        "layout",
        "type",
        "linkTitle",
        "isCJKLanguage",
        "markup",
        "outputs",
        "params",
        "resources",
        "series",
        "toc",
        "math",
        "images",
        "audio",
        "videos",
        "headless",
        "translationKey",
        "authors",
        "build",
        "cascade",
        "sitemap",
        "menu",
        # PaperMod and other common themes
        "ShowToc",
        "TocOpen",
        "ShowReadingTime",
        "ShowWordCount",
        "ShowBreadCrumbs",
        "ShowPostNavLinks",
        "ShowCodeCopyButtons",
        "ShowRssButtonInSectionTermList",
        "UseHugoToc",
        "disableShare",
        "disableHLJS",
        "hideSummary",
        "hidemeta",
        "searchHidden",
        "comments",
        "canonicalURL",
        "editPost",
        "showToc",
        "tocOpen",
        "mermaid",
        "katex",
        "featured",
        "thumbnail",
        "subtitle",
        # Hexo and Jekyll
        "permalink",
        "excerpt",
        "excerpt_separator",
        "published",
        "sticky",
        "top",
        "copyright",
        "mathjax",
        "password",
        "photos",
        "lang",
        "language",
        "redirect_from",
        "sidebar",
        "category",
        "last_modified_at",
        "updated_at",
        "hidden",
        "disqusId",
        "tag",
        "photo",
        "encrypt",
        "abstract",
        "message",
        # Hugo's other names for its dates, and its build options
        "pubdate",
        "modified",
        "unpublishdate",
        "_build",
    )
)
# Hugo writes <!--more-->, Hexo <!-- more -->; either marks the end of the summary.
# Indented by three spaces at most: four make it code.
MORE_MARKER = re.compile(r"^[ ]{0,3}<!--\s*more\s*-->[ \t]*$", re.MULTILINE | re.IGNORECASE)
# U+0000-U+001F except tab, LF, CR; U+FFFE/U+FFFF; lone surrogates (from YAML escapes).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The feeds file a post under its first this many terms (tags, then categories), so that they grow
# with the posts, not with their terms: 100,000 tags would be 100,000 categories in every feed
# (FT210).
MAX_TERMS = 20
MAX_TERM_CHARACTERS = 100  # and each at most this long (a 75,000-character tag is no tag)


class Post(NamedTuple):
    """A publishable post. `body` is the Markdown after the front matter.

    Immutable like a frozen dataclass, but a NamedTuple: a 10,000-post blog's cache loads and
    builds these ten times faster, which is most of a warm build.
    """

    path: str  # the file it was read from
    slug: str
    title: str
    date: datetime
    permalink: str
    id: str
    body: str
    body_line: int  # line of the file where `body` starts
    updated: datetime | None = None
    author: str = ""
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    summary: str | None = None
    draft: bool = False
    cover: str | None = None  # cover image as written (relative to the permalink, or absolute)
    publish: datetime | None = None  # Hugo's publishDate: not in any feed before it
    expires: datetime | None = None  # Hugo's expiryDate: in no feed from then on

    @property
    def live_from(self) -> datetime:
        """When the post may first appear in a feed."""
        return self.publish or self.date

    def live_at(self, now: datetime) -> bool:
        """Published (not a draft, not scheduled later, not expired) at `now`."""
        return (
            not self.draft
            and self.live_from <= now
            and (self.expires is None or self.expires > now)
        )

    @property
    def modified(self) -> datetime:
        """When the post last changed: `updated`, else `date`."""
        return self.updated or self.date

    def __reduce__(self) -> tuple:
        # Unpickled by one C call, not by the Python __new__ that NamedTuple generates: the cache
        # of a 10,000-post blog then loads as fast as plain tuples, with nothing to convert.
        return tuple.__new__, (Post, tuple(self))


class FrontMatter(NamedTuple):
    """Parsed front matter: values, where each key's value sits in the file, and the body.
    (A NamedTuple, not a frozen dataclass: made for every post of every cold run, 3x cheaper.)"""

    kind: str  # "yaml", "toml" or "json"
    values: dict[str, Any]
    texts: dict[str, str]  # scalars exactly as written (so `title: 1.10` stays "1.10")
    positions: dict[str, tuple[int, int]]  # key -> (line, column) of its value
    key_positions: dict[str, tuple[int, int]]
    ends: dict[str, tuple[int, int]]  # key -> (line, column) just after its value
    body: str
    body_line: int
    source: str = ""  # the front matter as written
    forbidden: tuple[
        tuple[int, int, str], ...
    ] = ()  # (line, column, character) XML forbids, left out


class Loaded(NamedTuple):
    """The result of reading one file: the post if it is publishable, and all findings."""

    path: str
    name: str  # the path as diagnostics show it
    post: Post | None
    front_matter: FrontMatter | None
    diagnostics: list[Diagnostic]


def newest_first(posts: Iterable[Post]) -> list[Post]:
    """Newest first, then by slug (on timestamps: comparing aware datetimes asks both zones for
    their offset on every comparison). Two stable sorts of plain keys, slug then time: twice as
    fast as one sort of (time, slug) pairs."""
    ordered = sorted(posts, key=_slug, reverse=True)
    ordered.sort(key=_timestamp, reverse=True)
    return ordered


_slug = operator.attrgetter("slug")


def _timestamp(post: Post) -> float:
    return post.date.timestamp()


def split_more(body: str) -> tuple[str, str | None]:
    """(text before the first more marker, text after it); (body, None) without a marker."""
    marker = MORE_MARKER.search(body) if "<!--" in body else None  # the cheap tests first
    if marker is not None and fence_before(body, marker.start()):
        marker = next(more_markers(body), None)  # perhaps in code: the first marker outside code
    if marker is None:
        return body, None
    return body[: marker.start()], body[marker.end() :]


def without_more(body: str) -> str:
    """The body without its more markers (those in code stay: they are what the code shows)."""
    for marker in reversed(list(more_markers(body))):
        body = body[: marker.start()] + body[marker.end() :]
    return body


def more_markers(body: str) -> Iterator[re.Match[str]]:
    """The more markers of a body, in order, except those inside fenced code (a post about Hugo
    may show one in an example), found as the renderer finds code blocks. Lazily: the first is
    found without reading the rest of the body."""
    if "<!--" not in body:  # the cheap test first
        return
    blocks = None
    for marker in MORE_MARKER.finditer(body):
        at = marker.start()
        if fence_before(body, at):  # perhaps in code
            if blocks is None:
                blocks = fenced_blocks(body)
            if in_block(blocks, at):
                continue
        yield marker


# What feedtool renders (FT304), whatever the Markdown release: its time grows with the square
# of the links in one paragraph, and it recurses once per level of nesting. No real post comes
# near these; a body built to reach them would take minutes or exhaust the stack.
MAX_BODY_CHARACTERS = 5_000_000
MAX_NESTING = 100
MAX_BRACKETS_PER_PARAGRAPH = 500
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_NESTING},}}", re.MULTILINE)  # then count tabs as 4
_DEEP_QUOTES = re.compile(rf"^(?:>[ \t]*){{{MAX_NESTING + 1}}}", re.MULTILINE)
# Where Markdown's inline parsing starts afresh: a blank line, or a line that starts a list item,
# a table row, a heading or a quote (each is parsed on its own, however long the list).
_INLINE_BLOCK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]|[ \t]*[|#>])")
# The work of those parses grows with the square of each one's links: their sum is bounded too.
MAX_BRACKET_WORK = 40 * MAX_BRACKETS_PER_PARAGRAPH**2
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def too_complex(post: Post) -> str | None:
    """Why a post's body or summary is beyond what feedtool renders (FT304), or None."""
    for part, text in (("body", post.body), ("summary", post.summary or "")):
        if problem := _beyond_limits(text):
            return f"the {part} {problem}; simplify it"
    return None


def _beyond_limits(text: str) -> str | None:
    """Why Markdown `text` is beyond what feedtool renders, or None.

    >>> _beyond_limits("[a](" * 600)
    "has more than 500 '[' in one paragraph, which would take too long to render"
    """
    if len(text) > MAX_BODY_CHARACTERS:
        return f"is over {MAX_BODY_CHARACTERS:,} characters long, too long to render"
    if text.count("[") > MAX_BRACKETS_PER_PARAGRAPH:
        prose = without_blocks(text)
        counts = [block.count("[") for block in _INLINE_BLOCK.split(prose)]
        if max(counts) > MAX_BRACKETS_PER_PARAGRAPH:
            return (
                f"has more than {MAX_BRACKETS_PER_PARAGRAPH} '[' in one paragraph, "
                "which would take too long to render"
            )
        if sum(count * count for count in counts) > MAX_BRACKET_WORK:
            return (
                "has too many paragraphs crowded with '[' (links), which would take too long to "
                "render; "
                "put fewer links in each paragraph"
            )
    # A list item indented 4 columns a level (Markdown's tab length) MAX_NESTING levels deep needs
    # 200 spaces or 50 tabs somewhere: cheap tests first.
    deep = (" " * (MAX_NESTING * 2) in text or text.count("\t") >= MAX_NESTING // 2) and any(
        len(m[0].expandtabs(4)) >= MAX_NESTING * 4 for m in _DEEP_INDENT.finditer(text)
    )
    if (
        deep
        or text.count(">") > MAX_NESTING
        and _DEEP_QUOTES.search(text)
        or text.count("markdown=") > MAX_NESTING
        and _markdown_html_depth(text) > MAX_NESTING
    ):
        return (
            f"nests lists, quotes or HTML blocks more than {MAX_NESTING} levels deep, too deep "
            "to render"
        )
    return None


def _markdown_html_depth(text: str) -> int:
    """How deeply HTML elements with a markdown attribute (Markdown inside HTML) nest."""
    open_tags: list[tuple[str, bool]] = []
    depth = deepest = 0
    for tag in _TAG.finditer(text):
        name = tag[2].lower()
        if not tag[1]:
            if name not in VOID_TAGS and not tag[3].endswith("/"):
                marked = "markdown" in tag[3]
                open_tags.append((name, marked))
                depth += marked
                deepest = max(deepest, depth)
        elif any(open_name == name for open_name, _ in open_tags):
            while open_tags:
                open_name, marked = open_tags.pop()
                depth -= marked
                if open_name == name:
                    break
    return deepest


class _Problem(Exception):
    """A file-level problem that stops reading: (line, column, code, message)."""

    def __init__(self, line: int, column: int, code: str, message: str):
        super().__init__(message)
        self.line, self.column, self.code, self.message = line, column, code, message


def load(path: str | Path, site: Site, *, display: str | None = None) -> Loaded:
    """Read one post file; never raises for anything the file contains."""
    path = os.fspath(path)
    name = display or path
    try:
        data = read_regular_file(path)
    except OSError as exc:
        return Loaded(
            path,
            name,
            None,
            None,
            [Diagnostic(name, 1, 1, "error", "FT104", f"cannot read file: {exc.strerror}")],
        )
    return loads(data, site, path=path, display=name)


def loads(
    data: bytes | str,
    site: Site,
    *,
    path: str | Path = "post.md",
    display: str | None = None,
    body: bool = True,
) -> Loaded:
    """Parse post content (bytes as on disk, or text) into a Post plus findings.

    `body=False` reads only the front matter of bytes: the post's body is left empty and
    unchecked (what build and digest need of the many posts they do not render).
    """
    path = os.fspath(path)
    name = display if display is not None else path
    try:
        if isinstance(data, bytes):
            text = decode(data if body else _front_matter_bytes(data))
        else:
            text = data
        front = split(text)
    except _Problem as p:
        return Loaded(
            path, name, None, None, [Diagnostic(name, p.line, p.column, "error", p.code, p.message)]
        )
    diagnostics: list[Diagnostic] = (
        forbidden_findings(front.forbidden, "front matter", name) if front.forbidden else []
    )
    if site.source != "auto":
        front = sources.adapt(site.source, front, path)
    post = _make_post(front, site, path, name, diagnostics)
    return Loaded(path, name, post, front, diagnostics)


# The line that closes YAML or TOML front matter, in the file's bytes (CRLF or LF).
_BYTE_CLOSERS = {
    b"---": re.compile(rb"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE),
    b"+++": re.compile(rb"^\+\+\+[ \t]*\r?$", re.MULTILINE),
}


def _front_matter_bytes(data: bytes) -> bytes:
    """The file up to the end of its front matter's closing line; all of it when unsure
    (JSON front matter, no closer, an unusual first line): then `split` decides."""
    newline = data.find(b"\n")
    opener = data[:newline].removeprefix(codecs.BOM_UTF8).strip()
    closers = _BYTE_CLOSERS.get(opener) if newline >= 0 else None
    closer = closers.search(data, newline + 1) if closers else None
    return (
        data[: closer.end() + 1] if closer else data
    )  # + 1: the line's "\n" (or nothing at the end)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is fine) -> str, with CRLF turned into LF; else a _Problem naming the
    encoding."""
    if not data.strip():
        raise _Problem(1, 1, "FT101", "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _Problem(1, 1, "FT102", "file is UTF-16; save it as UTF-8")
    if b"\x00" in data[:8192]:
        raise _Problem(1, 1, "FT103", "binary content (NUL bytes); not a Markdown post")
    try:  # utf-8-sig only with a BOM: its codec is Python code, four times slower
        text = data.decode("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError as exc:
        content = exc.object  # what was decoded (after a BOM): the error's positions are in it
        line = content.count(b"\n", 0, exc.start) + 1
        before = content[content.rfind(b"\n", 0, exc.start) + 1 : exc.start]
        column = len(before.decode("utf-8", "replace")) + 1  # in characters, as editors count
        raise _Problem(
            line, column, "FT102", f"not UTF-8{_guess_encoding(data)}; save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n")


def _guess_encoding(data: bytes) -> str:
    """Name the legacy encoding a non-UTF-8 file most likely uses (Chinese blogs: GBK, Big5)."""
    for encoding, label in (
        ("gb18030", "GBK/GB18030"),
        ("big5", "Big5"),
        ("shift_jis", "Shift_JIS"),
    ):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return f" (it looks like {label})"
    return ""


@functools.cache
def yaml_loader() -> tuple[Any, type[Any]]:
    """PyYAML and a safe loader (C if available) that leaves timestamps as text, so that
    feedtool's own date parser reads them. Imported on first use: warm runs parse no YAML."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in base.yaml_implicit_resolvers.items()
    }
    loader: type[Any] = type("FeedtoolYamlLoader", (base,), {"yaml_implicit_resolvers": resolvers})
    return yaml, loader


_CLOSERS = {
    "---": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE),
    "+++": re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE),
}


def split(text: str) -> FrontMatter:
    """Separate and parse the front matter block; positions are 1-based lines of the whole file."""
    try:
        return _split(text)
    except ValueError as exc:  # the parsers' own errors are _Problems already
        if "integer string conversion" not in str(exc):
            raise
        line, column = _long_number_place(text)
        raise _Problem(
            line,
            column,
            "FT112",
            f"a number of more than {sys.get_int_max_str_digits()} digits, "
            "longer than Python reads: write it as text",
        ) from None


# A run of digits (of any base) long enough to be the number Python refused to convert.
_LONG_NUMBER = re.compile(r"[0-9A-Fa-f_]{1000,}")


def _long_number_place(text: str) -> tuple[int, int]:
    """(line, column) of the first very long number in `text`; (2, 1) if none is found."""
    found = _LONG_NUMBER.search(text)
    if found is None:
        return 2, 1
    return place(text, found.start())


def _split(text: str) -> FrontMatter:
    newline = text.find("\n")
    first_line = text if newline < 0 else text[:newline]
    opener = first_line.strip()
    if opener.startswith("{"):
        return _parse_json(text)
    if opener not in _CLOSERS:
        raise _Problem(
            1,
            1,
            "FT110",
            "no front matter: the file must start with a '---' (YAML) or '+++' (TOML) line",
        )
    closer = _CLOSERS[opener].search(text, newline + 1) if newline >= 0 else None
    if closer is None:
        raise _Problem(
            1, 1, "FT111", f"front matter opened with '{opener}' on line 1 is never closed"
        )
    block = text[newline + 1 : max(newline + 1, closer.start() - 1)]
    body = text[closer.end() + 1 :]
    body_line = text.count("\n", 0, closer.start()) + 2
    forbidden: tuple[tuple[int, int, str], ...] = ()
    if XML_FORBIDDEN.search(block):  # YAML and TOML refuse them: left out, as from every output
        forbidden = tuple(places_of_forbidden(block, 2))
        block = XML_FORBIDDEN.sub("", block)
    front = (_parse_yaml if opener == "---" else _parse_toml)(block, body, body_line)
    return front._replace(forbidden=forbidden) if forbidden else front


# Past this many, the characters XML forbids in a file are counted, not listed one by one.
MAX_FORBIDDEN_LISTED = 100


def places_of_forbidden(text: str, first_line: int) -> Iterator[tuple[int, int, str]]:
    """(line, column, character) of each character XML forbids in `text`, which starts on
    `first_line`."""
    for bad in XML_FORBIDDEN.finditer(text):
        yield *place(text, bad.start(), first_line), bad[0]


def forbidden_findings(
    places: Iterable[tuple[int, int, str]], where: str, name: str = ""
) -> list[Diagnostic]:
    """FT206 warnings for characters XML forbids at `places` (the first MAX_FORBIDDEN_LISTED, then
    a count)."""
    found = []
    for number, (line, column, char) in enumerate(places):
        if number == MAX_FORBIDDEN_LISTED:  # where the next is
            found.append(
                Diagnostic(
                    name,
                    line,
                    column,
                    "warning",
                    "FT206",
                    f"{codepoint(char)} and more characters XML forbids in the {where}: "
                    "all are left out",
                )
            )
            break
        found.append(
            Diagnostic(
                name,
                line,
                column,
                "warning",
                "FT206",
                f"{where} contains {codepoint(char)}, which XML forbids: it is left out",
            )
        )
    return found


def _parse_json(text: str) -> FrontMatter:
    """Hugo's JSON front matter: an object at the top of the file, then the body. The object is
    walked key by key, so that each top-level key's place is known (and a repeated key caught)."""
    decoder = json.JSONDecoder()
    values: dict[str, Any] = {}
    positions: dict[str, tuple[int, int]] = {}
    key_positions: dict[str, tuple[int, int]] = {}
    ends: dict[str, tuple[int, int]] = {}

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    index = skip(text.index("{") + 1)
    try:
        while index < len(text) and text[index] != "}":
            if text[index] != '"':
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, index
                )
            key, after = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
            if key in values:
                line, column = place(text, index)
                raise _Problem(
                    line,
                    column,
                    "FT114",
                    f"duplicate key '{key}' (first set on line {key_positions[key][0]})",
                )
            colon = skip(after)
            if text[colon : colon + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, colon)
            start = skip(colon + 1)
            values[key], end = decoder.raw_decode(text, start)
            key_positions[key], positions[key], ends[key] = (
                place(text, index),
                place(text, start),
                place(text, end),
            )
            index = skip(end)
            if text[index : index + 1] == ",":
                index = skip(index + 1)
                if text[index : index + 1] != '"':  # JSON allows no comma after the last value
                    raise json.JSONDecodeError(
                        "Expecting property name enclosed in double quotes", text, index
                    )
            elif text[index : index + 1] != "}":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        if index >= len(text):
            raise json.JSONDecodeError("Expecting '}'", text, index)
    except json.JSONDecodeError as exc:
        raise _Problem(exc.lineno, exc.colno, "FT112", f"JSON syntax error: {exc.msg}") from None
    except RecursionError:
        raise _Problem(1, 1, "FT112", "JSON nested too deeply") from None
    texts = {
        k: str(v)
        for k, v in values.items()
        if isinstance(v, (str, int, float)) and not isinstance(v, bool)
    }
    block = text[: index + 1]
    newline = text.find("\n", index)
    body = "" if newline < 0 else text[newline + 1 :]
    return FrontMatter(
        "json", values, texts, positions, key_positions, ends, body, block.count("\n") + 2, block
    )


def _parse_yaml(block: str, body: str, body_line: int) -> FrontMatter:
    fast = _parse_flat_yaml(block, body, body_line)
    if fast is not None:
        return fast
    yaml, loader_class = yaml_loader()
    loader = loader_class(block)
    try:
        node = loader.get_single_node()
        if node is None:
            return FrontMatter("yaml", {}, {}, {}, {}, {}, body, body_line, block)
        if not isinstance(node, yaml.MappingNode):
            raise _Problem(
                2 + node.start_mark.line,
                1 + node.start_mark.column,
                "FT113",
                "front matter must be a mapping of keys to values (e.g. 'title: ...')",
            )
        values: dict[str, Any] = {}
        texts: dict[str, str] = {}
        positions: dict[str, tuple[int, int]] = {}
        key_positions: dict[str, tuple[int, int]] = {}
        ends: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            where = (2 + key_node.start_mark.line, 1 + key_node.start_mark.column)
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Problem(*where, "FT113", "front matter keys must be plain names")
            key = key_node.value
            if key in values:
                first = key_positions[key][0]
                raise _Problem(
                    *where, "FT114", f"duplicate key '{key}' (first set on line {first})"
                )
            values[key] = loader.construct_object(value_node, deep=True)
            if (
                isinstance(value_node, yaml.ScalarNode)
                and value_node.tag != "tag:yaml.org,2002:null"
            ):
                texts[key] = value_node.value
            positions[key] = (2 + value_node.start_mark.line, 1 + value_node.start_mark.column)
            ends[key] = (2 + value_node.end_mark.line, 1 + value_node.end_mark.column)
            key_positions[key] = where
        return FrontMatter(
            "yaml", values, texts, positions, key_positions, ends, body, body_line, block
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (2 + mark.line, 1 + mark.column) if mark else (2, 1)
        raise _Problem(
            line, column, "FT112", f"YAML syntax error: {exc.problem or exc.context}"
        ) from None
    except yaml.YAMLError as exc:
        raise _Problem(2, 1, "FT112", f"YAML error: {exc}") from None
    except RecursionError:
        raise _Problem(2, 1, "FT112", "YAML nested too deeply") from None
    finally:
        loader.dispose()


# Most front matter is flat: `key: value` lines. Those are read here without PyYAML (five
# times faster); anything else, or anything this reader is unsure of, goes to PyYAML.
# tests/test_posts.py proves both readers agree wherever this one answers.
_COMMENT = r"(?:[ \t]+#.*)?"
_DOUBLE = re.compile(r'"([^"\\]*)"' + _COMMENT)
_SINGLE = re.compile(r"'([^']*)'" + _COMMENT)
# A `key: value` line, the value one of: "text", 'text', [flow, list] (each with an optional
# comment after it), or anything else (a plain scalar, or what PyYAML must decide). One match
# per line: twice as fast as a match for the line, then one for its value.
_FLAT_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_-]*):[ \t]+(?:"
    + _DOUBLE.pattern
    + "|"
    + _SINGLE.pattern
    + r"|\[([^\[\]{}#]*)\]"
    + _COMMENT
    + r"|(\S(?:.*\S)?))[ \t]*"
)
# What YAML does not accept in a document, and its other line breaks (NEL, U+2028/9): front
# matter with any of these is PyYAML's to read or report. (The complement of YAML's printable
# set, written this way because it compiles much faster: every run compiles it.)
_YAML_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_PLAIN_FIRST_INVALID = set("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_BREAKS = re.compile(r":[ \t]|[ \t]#")  # a mapping value or a comment inside the text
# First characters of the plain scalars YAML 1.1 reads as something other than text (PyYAML's
# implicit resolvers: booleans, null, numbers, dates, merge keys). Text starting otherwise is
# text, and needs no PyYAML (a costly import). tests/test_posts.py checks this against PyYAML.
_RESOLVED_FIRST = frozenset("+-.0123456789<=FNOTYfnoty~")


def _parse_flat_yaml(block: str, body: str, body_line: int) -> FrontMatter | None:
    """Flat front matter read directly; None whenever PyYAML should decide."""
    if _YAML_UNPRINTABLE.search(block):
        return None
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    positions: dict[str, tuple[int, int]] = {}
    key_positions: dict[str, tuple[int, int]] = {}
    ends: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(block.split("\n"), start=2):
        if not line.strip(" ") or line.startswith("#"):  # blank (spaces only) or a comment
            continue
        match = _FLAT_LINE.fullmatch(line)
        if match is None or match[1] in values:
            return None
        key, double, single, flow, raw = match.groups()
        if raw is not None:
            value = _flat_plain(raw)
            if value is _UNSURE:
                return None
            text, start, end = (raw if value is not None else None), match.start(5), match.end(5)
        elif flow is not None:
            items = _flat_list(flow)
            if items is None:
                return None
            value, text, start, end = list(items), None, match.start(4) - 1, match.end(4) + 1
        else:  # quoted: the positions are those of the quotes
            group = 2 if double is not None else 3
            value = text = match[group]
            start, end = match.start(group) - 1, match.end(group) + 1
        values[key] = value
        if text is not None:
            texts[key] = text
        key_positions[key] = (number, 1)
        positions[key] = (number, start + 1)
        ends[key] = (number, end + 1)
    return FrontMatter(
        "yaml", values, texts, positions, key_positions, ends, body, body_line, block
    )


_UNSURE = object()


@functools.lru_cache(maxsize=4096)  # tags and authors repeat from post to post
def _flat_plain(raw: str) -> Any:
    """A plain scalar's value as YAML 1.1 reads it (text, true/false, null), or _UNSURE."""
    if raw[0] in _PLAIN_FIRST_INVALID or _PLAIN_BREAKS.search(raw) or raw.endswith(":"):
        return _UNSURE
    if raw[0] not in _RESOLVED_FIRST:
        return raw
    yaml, loader = yaml_loader()
    for tag, pattern in loader.yaml_implicit_resolvers.get(raw[0], ()):
        if pattern.match(raw):
            if tag == "tag:yaml.org,2002:bool":
                return loader.bool_values[raw.lower()]
            if tag == "tag:yaml.org,2002:null":
                return None
            return _UNSURE  # numbers and the rest: PyYAML knows best
    return raw


@functools.lru_cache(maxsize=4096)
def _flat_list(inner: str) -> tuple[Any, ...] | None:
    """`[a, "b c", d]` of simple items; None when unsure."""
    if not inner.strip():
        return ()
    items = []
    for item in inner.split(","):
        item = item.strip()
        if not item or ":" in item:
            return None
        first = item[0]  # a quoted item starts with its quote: only then try the pattern
        if first in "\"'" and (quoted := (_DOUBLE if first == '"' else _SINGLE).fullmatch(item)):
            items.append(quoted[1])
            continue
        value = _flat_plain(item)
        if value is _UNSURE or "#" in item:
            return None
        items.append(value)
    return tuple(items)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
# A one-line TOML value: a quoted string, or a bare value up to a comment.
_TOML_VALUE = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|[^#]*?(?=\s*(?:#|$))""")


def _parse_toml(block: str, body: str, body_line: int) -> FrontMatter:
    try:
        values = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        if match:
            line, column = 1 + int(match[1]), int(match[2])
        else:  # "(at end of document)": the last line of the block
            last = block.rsplit("\n", 1)[-1]
            line, column = 1 + block.count("\n") + 1, len(last) + 1
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc)).strip()
        if reason.startswith(
            ("Cannot overwrite a value", "Cannot declare")
        ):  # a key (or table) set twice
            text = block.split("\n")[line - 2] if 2 <= line <= block.count("\n") + 2 else ""
            raise _Problem(
                line, _first_column(text), "FT114", f"duplicate key ({reason})"
            ) from None
        raise _Problem(line, column, "FT112", f"TOML syntax error: {reason}") from None
    except RecursionError:
        raise _Problem(2, 1, "FT112", "TOML nested too deeply") from None
    texts: dict[str, str] = {}
    positions: dict[str, tuple[int, int]] = {}
    key_positions: dict[str, tuple[int, int]] = {}
    ends: dict[str, tuple[int, int]] = {}
    block_lines = block.split("\n")
    for key, value in values.items():
        # TOML dates become text so that one parser (with the site zone) reads every date.
        if isinstance(value, (Date, Time)):
            texts[key] = value.isoformat()
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            texts[key] = str(value)
        pattern = re.compile(
            rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=\s*"""
        )
        found = [
            (number, match)
            for number, line in enumerate(block_lines)
            if (match := pattern.match(line))
        ]
        if (
            len(found) > 1
        ):  # a line inside a multi-line string can look like the key's: the key's own
            found = [
                (n, m) for n, m in found if _toml_sets(block_lines[n:], key, value)
            ]  # starts the rest
        if found:
            number, match = found[0]
            text = block_lines[number]
            value_match = _TOML_VALUE.match(text, match.end())
            positions[key] = (number + 2, match.end() + 1)
            ends[key] = (number + 2, match.end() + 1 + len(value_match[0] if value_match else ""))
            key_positions[key] = (number + 2, _first_column(text))
    return FrontMatter(
        "toml", values, texts, positions, key_positions, ends, body, body_line, block
    )


def _first_column(line: str) -> int:
    """Where a line's text starts, after its indentation."""
    return len(line) - len(line.lstrip()) + 1


def _toml_sets(lines: list[str], key: str, value: Any) -> bool:
    """Whether these lines, the end of a TOML document, are TOML that sets `key` to `value`."""
    try:
        return tomllib.loads("\n".join(lines)).get(key, _UNSURE) == value
    except tomllib.TOMLDecodeError:
        return False


def _make_post(
    front: FrontMatter, site: Site, path: str, name: str, out: list[Diagnostic]
) -> Post | None:
    """Read the fields a feed needs; append a Diagnostic for every problem; None if any is an
    error."""

    def report(key: str | None, code: str, message: str, severity: Severity = "error") -> None:
        line, column = front.positions.get(key, (1, 1)) if key else (1, 1)
        out.append(Diagnostic(name, line, column, severity, code, message))

    def text(key: str) -> str | None:
        if key not in front.values or front.values[key] is None:
            return None
        if key not in front.texts:
            report(key, "FT209", f"'{key}' must be text, got {_describe(front.values[key])}")
            return None
        return front.texts[key]

    # Values can hold a forbidden character only if the text does, or an escape makes one: each
    # such value is read without them.
    if "\\" in front.source:
        said = set()  # a value copied to feedtool's name (description -> summary) is reported once
        for key, value in front.values.items():
            if bad := _forbidden_character(key, value):
                if front.positions.get(key, key) not in said:
                    said.add(front.positions.get(key, key))
                    report(
                        key,
                        "FT206",
                        f"'{key}' contains {codepoint(bad)}, which XML forbids: it is left out",
                        "warning",
                    )
                front.values[key] = _without_forbidden(value, {})
                if key in front.texts:
                    front.texts[key] = XML_FORBIDDEN.sub("", front.texts[key])

    # Every way a post can lack its title or date is an error: a post that is not published must
    # say why.
    title = text("title")
    if (
        front.values.get("title") is None or title is not None and not title.strip()
    ):  # (not text: FT209)
        report(
            "title" if "title" in front.values else None,
            "FT200",
            "missing title" if "title" not in front.values else "empty title",
        )

    date = _read_date(front, "date", site, report)
    if front.values.get("date") is None:  # absent, or `date:` with nothing after it
        report(
            "date" if "date" in front.values else None,
            "FT202",
            "missing date (add e.g. 'date: 2025-08-24')"
            if "date" not in front.values
            else "empty date (write one, e.g. 'date: 2025-08-24')",
        )
    updated = _read_date(front, "updated", site, report)
    if date and updated and updated < date:
        report(
            "updated",
            "FT204",
            f"updated ({front.texts['updated']}) is earlier than date ({front.texts['date']})",
        )

    slug = text("slug")
    if slug is None:
        slug = sources.default_slug(site.source, path)
    if not _is_safe_slug(slug):
        report(
            "slug" if "slug" in front.values else None,
            "FT207",
            f"slug {slug!r} must be a single URL path segment (no '/', '\\', '..', control "
            "characters, or "
            "bytes of a file name that are not UTF-8: rename the file or set a slug)",
        )

    tags = _read_list(front, "tags", report)
    categories = _read_list(front, "categories", report)
    for key, terms in (("tags", tags), ("categories", categories)):
        if any(len(term) > MAX_TERM_CHARACTERS for term in terms):
            report(
                key,
                "FT210",
                f"a term of '{key}' over {MAX_TERM_CHARACTERS} characters is no tag: "
                "it is left out of the feeds",
                "warning",
            )
    if any(len(term) > MAX_TERM_CHARACTERS for term in tags + categories):
        tags, categories = (
            tuple(t for t in terms if len(t) <= MAX_TERM_CHARACTERS) for terms in (tags, categories)
        )
    if len(tags) + len(categories) > MAX_TERMS:
        report(
            "tags" if len(tags) > MAX_TERMS else "categories",
            "FT210",
            f"{len(tags)} tags and {len(categories)} categories: the feeds file the post under the "
            "first "
            f"{MAX_TERMS} only (tags first)",
            "warning",
        )
    draft = front.values.get("draft", False)
    if not isinstance(draft, bool):
        report("draft", "FT209", f"'draft' must be true or false, got {_describe(draft)}")
    elif site.private_keys and sources.kept_private(
        front.values, tags, site.private_keys, site.private_tags
    ):
        draft = True  # hidden or encrypted by a plugin: in no feed, digest or archive
    summary = text("summary")
    cover = _read_cover(front, report)
    author = text("author")
    post_id = text("id")

    # A site that publishes future posts (Jekyll's `future`, Hugo's `buildFuture`, Hexo's
    # default) has them live from the start.
    publish = _read_date(front, "publishDate", site, report) if not site.future else _EVER
    expires = _read_date(front, "expiryDate", site, report)
    # A post's own URL: Hugo's `url`, Hexo's and Jekyll's `permalink` (a path on the site).
    own_url = text("permalink" if site.source in ("hexo", "jekyll") else "url")

    # Jekyll's own permalink may hold placeholders; Hexo's is taken as written.
    pattern = (
        sources.post_pattern(own_url, "jekyll")
        if own_url and site.source == "jekyll" and ":" in own_url.split("//", 1)[-1]
        else None
    )
    fields = None
    if (not own_url or pattern) and (
        wanted := config.own_fields(pattern or site.permalink, site.source)
    ):
        fields = sources.url_fields(
            site.source,
            wanted,
            path=path,
            root=os.fspath(site.posts),
            slug=slug,
            title=(title or "").strip(),
            front=front.values,
        )
        for missing in sorted(
            name for name in wanted if name.startswith("front.") and name not in fields
        ):
            key = missing[len("front.") :]
            report(
                key if key in front.values else None,
                "FT207",
                f"the permalink uses :{key}, "
                f"which this post does not set (add '{key}:' to its front matter)",
            )

    if has_errors(out) or title is None or date is None:
        return None
    title = title.strip()
    segment = (
        slug if _URL_SAFE.fullmatch(slug) else quote(slug, safe="")
    )  # quote() is slow; most slugs need none
    if pattern:
        permalink = site.permalink_for(
            segment, date, categories, title, pattern=pattern, fields=fields
        )
    elif own_url:
        permalink = (
            own_url
            if urlsplit(own_url).scheme in ("http", "https")
            else site.url(quote(own_url, safe="/%"))
        )
    else:
        permalink = site.permalink_for(segment, date, categories, title, fields=fields)
    # Hugo's and jekyll-feed's feeds show a title's HTML as its text; hexo-generator-feed shows
    # it as written, and so does a plain post (its title is text as written).
    if site.source in ("hugo", "jekyll") and ("<" in title or "&" in title):
        title = title_text(title) or title
    return Post(
        path=path,
        slug=slug,
        title=title,
        date=date,
        permalink=permalink,
        id=post_id or permalink,
        body=front.body,
        body_line=front.body_line,
        updated=updated,
        author=sys.intern(author) if author else site.author,
        tags=tags,
        categories=categories,
        summary=summary,
        draft=bool(draft),
        cover=cover,
        publish=publish,
        expires=expires,
    )


_EVER = datetime(1, 1, 2, tzinfo=UTC)  # a day on: in every zone, still in year 1


_MARKUP = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)


def title_text(title: str) -> str:
    """A title's text, as jekyll-feed shows it: tags stripped, entities decoded, spaces collapsed.

    >>> title_text("<em>Hugo</em> &amp; Hexo")
    'Hugo & Hexo'
    """
    import html

    return " ".join(html.unescape(_MARKUP.sub("", title)).split())


def _read_date(
    front: FrontMatter, key: str, site: Site, report: Callable[..., None]
) -> datetime | None:
    if front.values.get(key) is None:
        return None
    written = front.texts.get(key)
    if written is None:
        report(
            key,
            "FT201",
            f"'{key}' must be a date such as 2025-08-24, got {_describe(front.values[key])}",
        )
        return None
    try:
        return parse_date(written, tz=site.zone, absolute=True)
    except DateError as exc:
        report(key, "FT201", f'{key} "{written}": {exc.reason}')
        return None


COVER_KEYS = ("cover", "image", "featured_image")


def _read_cover(front: FrontMatter, report: Callable[..., None]) -> str | None:
    """The cover image: `cover`, `image` or `featured_image`, as text or as Hugo's `cover: {image:
    ...}`."""
    for key in COVER_KEYS:
        value = front.values.get(key)
        if isinstance(value, dict):
            value = value.get("image")
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            report(key, "FT209", f"'{key}' must be an image path or URL, got {_describe(value)}")
            return None
        return value.strip()
    return None


def _read_list(front: FrontMatter, key: str, report: Callable[..., None]) -> tuple[str, ...]:
    value = front.values.get(key)
    if value is None:
        return ()
    if type(value) is list and all(
        type(v) is str for v in value
    ):  # as nearly always: the short way
        # Interned: a blog has a few dozen tags over thousands of posts, so its cache stores (and
        # loads) each once, not once per post.
        return tuple(dict.fromkeys(sys.intern(text) for v in value if (text := v.strip())))
    if isinstance(value, str):
        report(key, "FT205", f"'{key}' should be a list, e.g. [{value!r}]", "warning")
        return (value,) if value.strip() else ()
    leaves = (
        _leaves(value) if isinstance(value, list) else None
    )  # Hexo nests: [[技术, Python], 生活]
    if leaves is None or not all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in leaves
    ):
        report(key, "FT205", f"'{key}' must be a list of strings, got {_describe(value)}")
        return ()
    return tuple(dict.fromkeys(sys.intern(text) for v in leaves if (text := str(v).strip())))


def _leaves(items: list[Any], depth: int = 0) -> list[Any] | None:
    """The items of a list, nested lists flattened (three levels at most; None beyond)."""
    if depth > 3:
        return None
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            inner = _leaves(item, depth + 1)
            if inner is None:
                return None
            out += inner
        else:
            out.append(item)
    return out


def _forbidden_character(*values: Any) -> str | None:
    """The first character XML forbids in any text inside `values` (each container visited once,
    so YAML alias "bombs" cost nothing)."""
    stack, seen = list(values), set()
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if bad := XML_FORBIDDEN.search(value):
                return bad[0]
        elif isinstance(value, (list, dict)) and id(value) not in seen:
            seen.add(id(value))
            stack.extend(value.items() if isinstance(value, dict) else value)
        elif isinstance(value, tuple):
            stack.extend(value)
    return None


def _without_forbidden(value: Any, done: dict[int, Any]) -> Any:
    """`value` with the characters XML forbids left out of every text in it (a container shared
    by YAML aliases is cleaned once)."""
    if isinstance(value, str):
        return XML_FORBIDDEN.sub("", value)
    if isinstance(value, (list, dict)):
        if id(value) not in done:
            if isinstance(value, dict):
                mapping: dict[Any, Any] = {}
                done[id(value)] = mapping
                mapping.update(
                    (_without_forbidden(k, done), _without_forbidden(v, done))
                    for k, v in value.items()
                )
            else:
                items: list[Any] = []
                done[id(value)] = items
                items.extend(_without_forbidden(item, done) for item in value)
        return done[id(value)]
    return (
        tuple(_without_forbidden(item, done) for item in value)
        if isinstance(value, tuple)
        else value
    )


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")  # what quote(text, safe="") leaves as it is
# Lone surrogates: the bytes of a file name that is not UTF-8, as Python keeps them.
_UNSAFE_IN_SLUG = re.compile("[/\\\\\x00-\x1f\x7f\ud800-\udfff]")


def _is_safe_slug(slug: str) -> bool:
    return bool(slug.strip()) and slug not in (".", "..") and not _UNSAFE_IN_SLUG.search(slug)


def _describe(value: Any) -> str:
    kinds = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
    }
    return kinds.get(type(value), type(value).__name__)


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"
