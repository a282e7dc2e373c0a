"""Posts from an existing feed or a saved list page (`feedtool import SOURCE --into DIR`).

>>> report = plan_import("list.txt", "posts")            # doctest: +SKIP
>>> [(p.name, p.entry.date) for p in report.posts]      # doctest: +SKIP
[('glm-vl.md', '八月 24, 2025'), ...]

SOURCE is a local file (feedtool runs offline; a URL is refused). Its kind is detected:

- RSS 2.0 / RSS 1.0 / Atom, read with feedparser;
- JSON Feed 1.0 / 1.1, read with the json module (feedparser 6 does not read JSON Feed);
- an HTML list page such as Hugo PaperMod's (`<article class="post-entry">` cards with a
  heading, `.entry-content` and a `footer.entry-footer` meta line), read with html.parser;
- the same page saved as text: blocks of title, summary, then `八月 24, 2025 · 1 分钟 · pan`.

This module only reads: `plan_import` returns every post file it would write and what it
skipped; `api.import_posts` hands `report.files` to `output.create_files`, which never
replaces a file.

Decisions:

- Dates are written exactly as the source writes them (`"八月 24, 2025"`, RSS's
  `Sun, 24 Aug 2025 00:00:00 +0800`); only a feed that gives no date text at all gets RFC 3339.
  Dates without a zone are read in `tz`, the site's zone, which is what they mean once written.
  A date that `parse_date(..., absolute=True)` cannot read is still imported, with a note in
  the report, so the user can fix it (`feedtool validate` flags it as FT201). An entry with no
  date at all is skipped: there is nothing to fix it from.
- `updated` is written only when the feed gives one that is readable and later than `date`.
- List pages: the summary text becomes the body, as in the sample posts. Feeds: the entry's
  HTML content is kept as raw HTML in the body (Markdown allows it and feedtool sanitizes when
  it renders), so nothing is lost to a conversion. A feed summary is kept as `summary` only
  when it is not just the opening of the content (feedtool cuts its own summaries).
- File names are slugs: the link's last path segment when it looks like one
  (`/posts/glm-vl/` -> `glm-vl`, so permalinks survive), else ASCII words of the title
  (`GLM-VL系列论文解析` -> `glm-vl`), else `post-<8 hex of sha1(link or title)>`. The file name
  is the slug, so `slug` is never written. Existing posts are never overwritten: a taken name
  (also by an earlier entry, or case-insensitively) gets `-2`, `-3`, ... and a note.
- `id` is written only when the feed's id differs from its link (e.g. `tag:` URIs), so readers
  do not see the imported entries as new.
- Skipped: entries without a title, without any date, and repeats of an entry already taken
  from the same source (same id or link; for list pages without links, same title and date).
- Characters XML forbids are dropped: no feed could carry them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .catalog import collect
from .dates import DateError, format_rfc3339, parse_date
from .errors import FeedtoolError
from .files import read_regular_file
from .posts import MORE_MARKER, VOID_TAGS, XML_FORBIDDEN

__all__ = [
    "Entry",
    "ImportReport",
    "PlannedPost",
    "SkippedEntry",
    "Source",
    "SourceError",
    "parse_source",
    "plan",
    "plan_import",
    "post_text",
    "read_source",
    "slug_for",
    "yaml_quote",
]


class SourceError(FeedtoolError):
    """The import source cannot be used: missing, a URL, or not a feed or list page (exit 2)."""


@dataclass(frozen=True)
class Entry:
    """One post as the source describes it; empty strings where the source says nothing."""

    position: int  # 1-based place in the source, for the report
    title: str
    date: str  # as written
    author: str = ""
    tags: tuple[str, ...] = ()
    body: str = ""  # Markdown: plain text, or raw HTML from a feed
    summary: str = ""
    link: str = ""
    id: str = ""
    updated: str = ""  # as written
    cover: str = ""  # the entry's image (media:content, JSON Feed image), as the source has it


@dataclass(frozen=True)
class Source:
    """What a source file holds: its kind ("rss", "atom", "jsonfeed", "html", "text"), its
    entries, and warnings about the source as a whole (e.g. a feed that is not well-formed)."""

    kind: str
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedPost:
    """A post file to write: `name` inside the target folder, its bytes, and report notes."""

    name: str
    entry: Entry
    data: bytes
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedEntry:
    """An entry that is not imported, and why."""

    entry: Entry
    reason: str

    @property
    def label(self) -> str:
        """`entry 3 "Title"` (or the link when there is no title)."""
        named = f'"{self.entry.title}"' if self.entry.title else self.entry.link
        return f"entry {self.entry.position}" + (f" {named}" if named else "")


@dataclass(frozen=True)
class ImportReport:
    """The outcome of planning an import; nothing has been written yet."""

    kind: str
    posts: tuple[PlannedPost, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def files(self) -> dict[str, bytes]:
        """File name (inside `into`) -> content, for `output.create_files(into, ...)`."""
        return {post.name: post.data for post in self.posts}


# --------------------------------------------------------------------------- the whole import

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def plan_import(source: str | Path, into: str | Path, *, tz: str = "Asia/Shanghai") -> ImportReport:
    """Read `source` and plan one post per usable entry in folder `into` (writes nothing)."""
    into = Path(into)
    if into.exists() and not into.is_dir():
        raise FeedtoolError(f"{into}: not a folder")
    return plan(read_source(source), into, tz=tz)


def read_source(source: str | Path) -> Source:
    """Read a local feed or list page. URLs are refused: feedtool never goes online."""
    text = os.fspath(source)
    if _URL.match(text):
        raise SourceError(
            f"{text}: looks like a URL; feedtool works offline, so download it first "
            f"(e.g. curl -o feed.xml '{text}') and import the file"
        )
    path = Path(text)
    if path.is_dir():
        raise SourceError(f"{text}: is a folder; give a feed or a saved list page")
    try:
        data = read_regular_file(path, follow_symlinks=True)
    except FileNotFoundError:
        raise SourceError(f"{text}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{text}: cannot read: {exc.strerror or exc}") from None
    try:
        return parse_source(data)
    except SourceError as exc:
        raise SourceError(f"{text}: {exc}") from None


def parse_source(data: bytes) -> Source:
    """Detect the kind of `data` and read its entries; SourceError when it is none we know."""
    kind = _detect(data)
    if kind == "feed":
        return _parse_feed(data)
    if kind == "json":
        return _parse_json_feed(_decode(data, "JSON"))
    if kind == "html":
        return _parse_html_list(_decode(data, "an HTML page"))
    return _parse_text_list(_decode(data, "a text list page"))


def plan(source: Source, into: Path, *, tz: str = "Asia/Shanghai") -> ImportReport:
    """Decide which entries become which files in `into`, given the posts already there.

    `tz` is the zone for reading dates.
    """
    used = _existing_names(into)  # lower-cased slugs taken, in the folder or by this import
    chosen: dict[str, int] = {}  # lower-cased slug -> position of the entry that took it
    next_number: dict[str, int] = {}  # lower-cased base -> where its search for a free name goes on
    seen: dict[Any, int] = {}  # identity of an imported entry -> its position
    posts: list[PlannedPost] = []
    skipped: list[SkippedEntry] = []
    for entry in source.entries:
        if not entry.title:
            skipped.append(SkippedEntry(entry, "no title"))
            continue
        if not entry.date:
            skipped.append(SkippedEntry(entry, "no date"))
            continue
        identity = entry.id or entry.link or (entry.title, entry.date)
        if identity in seen:
            skipped.append(
                SkippedEntry(
                    entry,
                    f"duplicate of entry {seen[identity]} (same "
                    f"{'id' if entry.id else 'link' if entry.link else 'title and date'})",
                )
            )
            continue
        seen[identity] = entry.position
        notes: list[str] = []
        base = slug_for(entry)
        slug = _free_name(base, used, next_number)
        if slug != base:
            owner = chosen.get(base.lower())
            notes.append(
                f"renamed: {base}.md "
                + (f"is taken by entry {owner}" if owner else "already exists")
            )
        used.add(slug.lower())
        chosen[slug.lower()] = entry.position
        if problem := _date_problem(entry.date, tz):
            notes.append(
                f'date "{entry.date}" cannot be read ({problem}); fix it, '
                f"feedtool validate reports it"
            )
        entry = _with_readable_updated(entry, tz)
        posts.append(
            PlannedPost(f"{slug}.md", entry, post_text(entry).encode("utf-8"), tuple(notes))
        )
    return ImportReport(source.kind, tuple(posts), tuple(skipped), source.warnings)


def _free_name(base: str, used: set[str], next_number: dict[str, int]) -> str:
    """`base`, else the first of `base`-2, -3, ... not in `used` (lower-cased). Names are only
    ever added to `used`, so each base's search goes on where it last ended: n entries with
    one base try about n names, not n * n / 2."""
    key = base.lower()
    if key not in used:
        return base
    number = next_number.get(key, 2)
    while f"{key}-{number}" in used:
        number += 1
    next_number[key] = number + 1
    return f"{base}-{number}"


def _existing_names(into: Path) -> set[str]:
    """Lower-cased slugs already used in `into` (any post file, any subfolder; any other file
    or folder of that name at the top), so no file is overwritten and no slug repeats, even
    on case-insensitive file systems."""
    if not into.is_dir():
        return set()
    try:
        top = os.listdir(into)
    except OSError as exc:
        raise FeedtoolError(f"{into}: cannot read the folder: {exc.strerror or exc}") from None
    names = {Path(path).stem.lower() for path in collect([into])}
    return names | {name[:-3].lower() for name in top if name.lower().endswith(".md")}


def _date_problem(text: str, tz: str, *, absolute: bool = True) -> str | None:
    """Why a date cannot be read (by default as a post date: `absolute`), or None when it can."""
    try:
        parse_date(text, tz=tz, absolute=absolute)
    except DateError as exc:
        return exc.reason
    return None


def _with_readable_updated(entry: Entry, tz: str) -> Entry:
    """Keep `updated` only when it is readable and later than `date` (else FT204 would fire)."""
    if not entry.updated or entry.updated == entry.date:
        return dataclasses.replace(entry, updated="")
    try:
        later = parse_date(entry.updated, tz=tz, absolute=True) > parse_date(
            entry.date, tz=tz, absolute=True
        )
    except DateError:
        later = False
    return entry if later else dataclasses.replace(entry, updated="")


# --------------------------------------------------------------------------- writing a post


def post_text(entry: Entry) -> str:
    """The post file for `entry`: YAML front matter like the sample posts, then the body."""
    lines = ["---", f"title: {yaml_quote(entry.title)}", f"date: {yaml_quote(entry.date)}"]
    if entry.updated:
        lines.append(f"updated: {yaml_quote(entry.updated)}")
    if entry.author:
        lines.append(f"author: {_yaml_scalar(entry.author)}")
    if entry.tags:
        lines.append(f"tags: [{', '.join(_yaml_scalar(tag) for tag in entry.tags)}]")
    if entry.summary:
        lines.append(f"summary: {yaml_quote(entry.summary)}")
    if entry.cover:
        lines.append(f"cover: {yaml_quote(entry.cover)}")
    if entry.id and entry.id != entry.link:
        lines.append(f"id: {yaml_quote(entry.id)}")
    lines.append("---")
    body = entry.body.strip("\n")
    return "\n".join(lines) + "\n\n" + (body + "\n" if body else "")


# Characters that must be escaped in a YAML double-quoted scalar: controls, line breaks
# (also NEL, U+2028/9, which YAML would fold), the BOM, non-characters, and the quote and
# backslash themselves. Everything else is written as is, so CJK and emoji stay readable.
def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text` (PyYAML's own emitter).

    >>> yaml_quote('say "hi": #1 \\\\ 你好')
    '"say \\\\"hi\\\\": #1 \\\\\\\\ 你好"'
    """
    import yaml

    return yaml.dump(
        text, Dumper=yaml.SafeDumper, allow_unicode=True, default_style='"', width=2**31
    ).rstrip("\n")


# A plain scalar that YAML 1.1 reads as the same text: starts with a letter, then words
# joined by single spaces, dots or hyphens, and is none of YAML's true/false/null words.
_PLAIN = re.compile(r"[^\W\d_][\w.-]*(?: [\w.-]+)*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _yaml_scalar(text: str) -> str:
    """`pan` stays plain (as in the sample posts); anything YAML might misread is quoted."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return yaml_quote(text)


# --------------------------------------------------------------------------- file names

_LINK_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_PAGE_SUFFIX = re.compile(r"\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)
_INDEX_PAGE = re.compile(r"index(?:\.\w+)?", re.IGNORECASE)
_TITLE_SLUG_MAX = 60


def slug_for(entry: Entry) -> str:
    """A safe single path segment for the entry's file name (see the module's decisions)."""
    return (
        _slug_from_link(entry.link)
        or _slug_from_title(entry.title)
        or ("post-" + hashlib.sha1((entry.link or entry.title).encode("utf-8")).hexdigest()[:8])
    )


def _slug_from_link(link: str) -> str | None:
    """The link's last path segment if it looks like a slug: /posts/glm-vl/ -> glm-vl."""
    segments = [unquote(part) for part in urlsplit(link).path.split("/") if part]
    while segments and _INDEX_PAGE.fullmatch(segments[-1]):  # /posts/a/index.html names a
        segments.pop()
    if not segments:
        return None
    last = _PAGE_SUFFIX.sub("", segments[-1])
    # A letter is required: a bare number is usually a date part (/2025/08/24/) or an id.
    if _LINK_SLUG.fullmatch(last) and not last.endswith(".") and re.search("[A-Za-z]", last):
        return last
    return None


def _slug_from_title(title: str) -> str | None:
    """ASCII words of the title, lower-cased and hyphen-joined; None without a Latin letter."""
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c)
    )
    words = re.findall(r"[a-z0-9]+", folded.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > _TITLE_SLUG_MAX and slug:
            break
        slug = f"{slug}-{word}" if slug else word[:_TITLE_SLUG_MAX]
    return slug if re.search("[a-z]", slug) else None


# --------------------------------------------------------------------------- detection

_PROLOG = re.compile(r"<\?.*?\?>|<!--.*?-->|<![^>]*>", re.DOTALL)
_FIRST_TAG = re.compile(r"<([a-z][\w:.-]*)")
_FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf"}
# A DOCTYPE with an internal subset, or an entity declaration: what XML bombs are made of.
_DECLARES_ENTITIES = re.compile(rb"<!DOCTYPE[^>\[]*\[|<!ENTITY", re.IGNORECASE)


def _detect(data: bytes) -> str:
    """ "feed", "json", "html" or "text", from how the file begins."""
    if not data.strip():
        raise SourceError("empty file")
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        if _DECLARES_ENTITIES.search(head):
            raise SourceError(
                "the file declares XML entities in its DOCTYPE "
                "(<!DOCTYPE ... [<!ENTITY ...>]>), "
                "which feedtool refuses: they can expand without limit or read local "
                "files. Remove the DOCTYPE and import again"
            )
        opening = _PROLOG.sub("", head.decode("latin-1").lower()).lstrip()
        match = _FIRST_TAG.match(opening)
        return "feed" if match and match[1] in _FEED_ROOTS else "html"
    return "text"


def _decode(data: bytes, what: str) -> str:
    if b"\x00" in data[:8192]:
        raise SourceError("binary content: not a feed or a saved list page")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"not UTF-8 text; if it is {what}, save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(text: str) -> str:
    """Text without the characters XML forbids (no feed can carry them)."""
    return XML_FORBIDDEN.sub("", text)


# Plain text (a JSON Feed's content_text, an Atom text construct, a saved list page's summary)
# goes into a post as Markdown that shows exactly that text: what Markdown (with feedtool's
# extensions) would read as markup is escaped: backslash escapes inline, character references
# for HTML and for what marks a block at a line's start (heading, quote, list, fence, rule,
# definition), and no indentation (code) or trailing spaces (line breaks).
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]{}]")
_HTML_MARKUP = re.compile(r"[&<|]")
_LINE_MARKUP = re.compile(r"^(?:([#>+=~:-])|(\d+)([.)]))", re.MULTILINE)


def markdown_text(text: str) -> str:
    """Markdown that renders as `text` (its lines' own indentation aside)."""
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    text = _INLINE_MARKUP.sub(r"\\\g<0>", text)
    text = _HTML_MARKUP.sub(lambda m: f"&#{ord(m[0])};", text)
    return _LINE_MARKUP.sub(lambda m: f"&#{ord(m[1])};" if m[1] else f"{m[2]}&#{ord(m[3])};", text)


def _line(text: str) -> str:
    """One line, whitespace collapsed: titles, dates, authors, tags."""
    return " ".join(_clean(text).split())


# --------------------------------------------------------------------------- RSS and Atom


def _parse_feed(data: bytes) -> Source:
    import feedparser  # only an import needs it

    # A stream, never a str: feedparser would treat a str as a URL or a file name.
    parsed = feedparser.parse(io.BytesIO(data))
    version = parsed.get("version", "")
    if not version:
        reason = parsed.get("bozo_exception")
        raise SourceError("not a feed that can be read" + (f": {reason}" if reason else ""))
    feed_author = _person(parsed.feed)
    entries = tuple(
        _feed_entry(number, item, feed_author)
        for number, item in enumerate(parsed.entries, start=1)
    )
    warnings: tuple[str, ...] = ()
    notices = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)  # harmless
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), notices):
        # feedparser reads a broken feed leniently; say so, since entries may be missing.
        warnings = (
            f"the feed is not well-formed ({parsed.bozo_exception}); imported what could be read",
        )
    return Source("atom" if version.startswith("atom") else "rss", entries, warnings)


def _feed_entry(number: int, item: Any, feed_author: str) -> Entry:
    # dict.get, not item.get: feedparser maps a missing `updated` to `published` (with a warning).
    published, updated = dict.get(item, "published", ""), dict.get(item, "updated", "")
    date = (
        published
        or updated
        or _rfc3339_of(item.get("published_parsed") or item.get("updated_parsed"))
    )
    content, content_is_text = _feed_content(item)
    summary_is_text = (item.get("summary_detail") or {}).get("type") == "text/plain"
    link = (item.get("link") or "").strip()
    body, summary = _body_and_summary(
        content, item.get("summary", "") or "", content_is_text, summary_is_text, link
    )
    title = item.get("title", "") or ""
    if (item.get("title_detail") or {}).get("type") in ("text/html", "application/xhtml+xml"):
        title = _html_text(title)
    return Entry(
        position=number,
        title=_line(title),
        date=_line(date),
        author=_line(_person(item) or feed_author),
        tags=_tags(tag.get("term") or tag.get("label") for tag in item.get("tags", [])),
        body=body,
        summary=summary,
        link=link,
        id=(item.get("id") or "").strip(),
        updated=_line(updated) if published else "",
        cover=_line(
            next(
                (
                    m.get("url", "")
                    for m in item.get("media_content") or []
                    if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")
                ),
                "",
            )
        ),
    )


def _body_and_summary(
    content: str,
    summary: str,
    content_is_text: bool = False,
    summary_is_text: bool = False,
    link: str = "",
) -> tuple[str, str]:
    """The entry's body and its own summary, cleaned, as Markdown: plain text escaped, HTML as it
    is (Markdown keeps it) with its relative links and images made absolute against the entry's
    `link`, where they were published (the new post's address is elsewhere). Without content,
    the summary is the body."""
    if not content:
        content, summary, content_is_text, summary_is_text = summary, "", summary_is_text, False

    def markdown(part: str, is_text: bool) -> str:
        if is_text:
            return markdown_text(part)
        if urlsplit(link).scheme in ("http", "https") and re.search(
            r"(?i)\b(?:src|href|srcset)\s*=", part
        ):
            from .render import (
                sanitize,
            )  # (Atom's are absolute already: feedparser applies xml:base)

            # Each side of a more marker on its own: sanitizing drops comments, the marker too.
            pieces = re.split(f"({MORE_MARKER.pattern})", part, flags=MORE_MARKER.flags)
            return "".join(
                f"\n\n{piece.strip()}\n\n" if n % 2 else sanitize(piece, link)
                for n, piece in enumerate(pieces)
            )
        return part

    body = _clean(content).strip()
    own = _clean(summary).strip() if _is_own_summary(summary, content) else ""
    return markdown(body, content_is_text), markdown(own, summary_is_text) if own else own


def _feed_content(item: Any) -> tuple[str, bool]:
    """The entry's full content, HTML preferred (Atom may offer several); whether it is plain."""
    contents = item.get("content") or []
    for part in contents:
        if part.get("type") in ("text/html", "application/xhtml+xml"):
            return part.get("value", ""), False
    return (
        (contents[0].get("value", ""), contents[0].get("type") == "text/plain")
        if contents
        else ("", False)
    )


def _person(item: Any) -> str:
    detail = item.get("author_detail") or {}
    return detail.get("name") or item.get("author", "") or ""


def _rfc3339_of(parsed: Any) -> str:
    """A feed date known only as feedparser's UTC struct_time, as RFC 3339."""
    if not parsed:
        return ""
    year, month, day, hour, minute, second = parsed[:6]
    return format_rfc3339(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def _tags(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tag for tag in (_line(str(v)) for v in values if v) if tag))


# "…", "...", WordPress's "[…]" and "Read more" tails that mark a cut summary.
_CUT_TAIL = re.compile(r"\s*(?:\[?(?:…|\.\.\.)\]?)\s*$")


def _is_own_summary(summary: str, content: str) -> bool:
    """True when the summary says something of its own, not just the content's opening."""
    text = _CUT_TAIL.sub("", _html_text(summary))
    return bool(text) and not _html_text(content).startswith(text)


class _TextOf(HTMLParser):
    """Text of an HTML fragment, blocks kept apart (render.html_to_text runs them together, which
    is right for a feed's summary but not for comparing a summary with the content); scripts
    and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(fragment: str) -> str:
    """Plain text of HTML, whitespace collapsed."""
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


# --------------------------------------------------------------------------- JSON Feed

_JSON_FEED_VERSION = re.compile(r"https?://jsonfeed\.org/version/1(?:\.1)?/?")


def _parse_json_feed(text: str) -> Source:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.fullmatch(
        str(document.get("version", ""))
    ):
        raise SourceError(
            'JSON, but not a JSON Feed (no "version": "https://jsonfeed.org/version/1.1")'
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise SourceError('JSON Feed without an "items" list')
    feed_author = _json_author(document)
    return Source(
        "jsonfeed",
        tuple(_json_entry(number, item, feed_author) for number, item in enumerate(items, start=1)),
    )


def _json_entry(number: int, item: Any, feed_author: str) -> Entry:
    if not isinstance(item, dict):
        return Entry(number, "", "")
    published, modified = _json_text(item, "date_published"), _json_text(item, "date_modified")
    html, link = _json_text(item, "content_html"), _json_text(item, "url").strip()
    # JSON Feed's content_text and summary are plain text.
    body, summary = _body_and_summary(
        html or _json_text(item, "content_text"), _json_text(item, "summary"), not html, True, link
    )
    tags = item.get("tags")
    return Entry(
        position=number,
        title=_line(_json_text(item, "title")),
        date=_line(published or modified),
        author=_line(_json_author(item) or feed_author),
        tags=_tags(tags if isinstance(tags, list) else ()),
        body=body,
        summary=summary,
        link=link,
        id=str(item["id"]).strip() if isinstance(item.get("id"), (str, int)) else "",
        updated=_line(modified) if published else "",
        cover=_line(_json_text(item, "image")),
    )


def _json_text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _json_author(item: dict[str, Any]) -> str:
    """1.1's `authors` list, or 1.0's `author` object: the names, comma-joined."""
    people = item.get("authors")
    if not isinstance(people, list):
        people = [item.get("author")]
    names = [p["name"] for p in people if isinstance(p, dict) and isinstance(p.get("name"), str)]
    return ", ".join(name for name in names if name.strip())


# --------------------------------------------------------------------------- list pages

# Reading time and word count in a meta line: "1 分钟", "3 min", "500 字", "1200 words".
_MEASURE = re.compile(r"\d[\d,.]*\s*(?:分钟|分|min|mins|minutes?|字|个字|words?)", re.IGNORECASE)
_META_SEPARATOR = "·"


@dataclass(frozen=True)
class _Meta:
    date: str
    author: str


def _meta_parts(line: str) -> list[str]:
    """The non-empty `·`-separated parts of a meta line, each cleaned by `_line`."""
    return [p for p in (_line(part) for part in line.split(_META_SEPARATOR)) if p]


def _meta(line: str) -> _Meta:
    """Date and author of a PaperMod meta line `DATE · N 分钟 · [N 字 ·] AUTHOR`.

    The first part is the date unless it is a measure or plainly not a date (no digit and
    unreadable), as in `1 分钟 · pan` from a post without a date.
    """
    parts = _meta_parts(line)
    first = parts[0] if parts else ""
    date = (
        first
        if first
        and not _MEASURE.fullmatch(first)
        and (re.search(r"\d", first) or _readable(first, absolute=False))
        else ""
    )
    others = [p for p in parts[1 if date else 0 :] if not _MEASURE.fullmatch(p)]
    return _Meta(date, others[0] if others else "")


def _is_meta_line(line: str) -> bool:
    """A meta line has `·` parts with a reading time or word count, or a first part that is a
    date (even a relative one: it is the page's date, reported), or is a whole absolute date."""
    parts = _meta_parts(line)
    if len(parts) > 1:
        return any(_MEASURE.fullmatch(p) for p in parts) or _readable(parts[0], absolute=False)
    return bool(parts) and _readable(parts[0])


def _readable(text: str, *, absolute: bool = True) -> bool:
    # "Asia/Shanghai" is parse_date's own default zone, which list-page dates were always read in.
    return _date_problem(text, "Asia/Shanghai", absolute=absolute) is None


def _parse_text_list(text: str) -> Source:
    """Blocks separated by blank lines: title, summary, meta line; repeated.

    Text before the first post's title (the page header) and after the last meta line
    (pagination, footer) is not part of any post.
    """
    groups: list[tuple[list[str], str]] = []  # (paragraphs, meta line) per post
    pending: list[str] = []
    for block in re.split(r"\n[ \t\u3000\xa0]*\n", _clean(text)):
        lines: list[str] = []
        for line in block.strip().split("\n"):
            if line.strip() and _is_meta_line(line):
                if lines:
                    pending.append("\n".join(lines))
                    lines = []
                groups.append((pending, line))
                pending = []
            elif line.strip() or lines:
                lines.append(line.rstrip())
        if lines:
            pending.append("\n".join(lines).strip())
    if not groups:
        raise SourceError(
            "not an RSS/Atom feed, a JSON Feed or a list page: found no posts "
            "(a list page has blocks of title, summary and `DATE · N 分钟 · AUTHOR`)"
        )
    entries = []
    for number, (paragraphs, meta_line) in enumerate(groups, start=1):
        if number == 1:
            paragraphs = _first_post(paragraphs)
        title, summary = _title_and_summary(paragraphs)
        meta = _meta(meta_line)
        entries.append(
            Entry(number, _line(title), meta.date, author=meta.author, body=markdown_text(summary))
        )
    return Source("text", tuple(entries))


def _first_post(paragraphs: list[str]) -> list[str]:
    """The first post's paragraphs, without the page header before it: the last block alone
    when it holds both title and summary (no blank line between them), else the last two."""
    if paragraphs and "\n" in paragraphs[-1]:
        return paragraphs[-1:]
    return paragraphs[-2:]


def _title_and_summary(paragraphs: list[str]) -> tuple[str, str]:
    """The first line is the title; the rest (if any) is the summary."""
    if not paragraphs:
        return "", ""
    first, _, rest = paragraphs[0].partition("\n")
    summary = [part for part in (rest.strip(), *paragraphs[1:]) if part]
    return first, "\n\n".join(summary)


_HIDDEN = {"script", "style", "svg", "noscript", "template"}
_BREAKS = {
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
}
_HEADINGS = {"h1", "h2", "h3"}


@dataclass
class _Card:
    """One `<article>` as it is read (mutable while parsing only)."""

    classes: frozenset[str]
    title: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    time: list[str] = field(default_factory=list)
    link: str = ""
    entry_link: str = ""
    has_title: bool = False


class _ListPage(HTMLParser):
    """Collects each `<article>`: the first heading, `.entry-content`, the footer, any `<time>`
    and links (PaperMod's `a.entry-link` covers the card)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[_Card] = []
        self.card: _Card | None = None
        self.stack: list[tuple[str, str | None]] = []  # (tag, field it collects into)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = frozenset(attributes.get("class", "").split())
        if tag == "article":
            self.card = _Card(classes)
            self.cards.append(self.card)
            self.stack = []
        card = self.card
        if card is None:
            return
        if tag == "a" and attributes.get("href"):
            if "entry-link" in classes:
                card.entry_link = attributes["href"]
            elif self._collecting() == "title" and not card.link:
                card.link = attributes["href"]
        if tag in _BREAKS and self._collecting() == "content":
            card.content.append("\n\n")
        if tag in VOID_TAGS:
            return
        self.stack.append((tag, self._role(tag, classes, card)))

    def _role(self, tag: str, classes: frozenset[str], card: _Card) -> str | None:
        inside = self._collecting()
        if tag in _HIDDEN or inside == "hidden":
            return "hidden"
        if inside in ("content", "footer"):
            return inside
        if "entry-content" in classes:
            return "content"
        if tag == "footer" or "entry-footer" in classes:
            return "footer"
        if tag == "time":
            return "time"
        if (tag in _HEADINGS or "entry-title" in classes) and not card.has_title and inside is None:
            card.has_title = True
            return "title"
        return None

    def _collecting(self) -> str | None:
        for _, role in reversed(self.stack):
            if role is not None:
                return role
        return None

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.card, self.stack = None, []
            return
        if self.card is None or all(open_tag != tag for open_tag, _ in self.stack):
            return  # a stray end tag
        if tag in _BREAKS and self._collecting() == "content":
            self.card.content.append("\n\n")
        while self.stack:  # close what the page left open inside it, too
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        role = self._collecting()
        if self.card is not None and role in ("title", "content", "footer", "time"):
            getattr(self.card, role).append(data)


def _parse_html_list(text: str) -> Source:
    page = _ListPage()
    page.feed(text)
    page.close()
    cards = [card for card in page.cards if "post-entry" in card.classes] or page.cards
    if not cards:
        raise SourceError(
            'an HTML page without posts (looked for <article class="post-entry"> '
            "cards, as Hugo's PaperMod theme writes them)"
        )
    return Source(
        "html", tuple(_card_entry(number, card) for number, card in enumerate(cards, start=1))
    )


def _card_entry(number: int, card: _Card) -> Entry:
    meta = _meta("".join(card.footer)) if card.footer else _Meta(_line("".join(card.time)), "")
    paragraphs = [" ".join(part.split()) for part in "".join(card.content).split("\n\n")]
    return Entry(
        position=number,
        title=_line("".join(card.title)),
        date=meta.date,
        author=meta.author,
        body=markdown_text(_clean("\n\n".join(p for p in paragraphs if p))),
        link=(card.entry_link or card.link).strip(),
    )
