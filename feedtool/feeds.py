"""Atom 1.0 and RSS 2.0 (via feedgen) and JSON Feed 1.1 (via json); returns bytes, never writes.

Entries arrive sorted newest first. Every timestamp comes from the posts, never the clock,
so the same posts always give byte-identical feeds. A `Channel` is one set of feeds: the
site's, or a tag's or category's.
"""

from __future__ import annotations

import functools
import html
import json
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from . import __version__
from .config import Site
from .dates import format_rfc3339
from .output import read_if_present
from .posts import MAX_TERMS, Post
from .sources import hugo_case

if TYPE_CHECKING:  # rendering (nh3, html.parser) is imported only by the process that renders
    from .render import Rendered

ATOM_FILE = "atom.xml"
RSS_FILE = "rss.xml"
JSON_FILE = "feed.json"
STYLESHEET_FILE = "feed.xsl"
FEED_FILES = (ATOM_FILE, RSS_FILE, JSON_FILE)
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Channel:
    """Where a set of feeds lives (`folder`, '' for the site's own) and what it is called."""

    folder: str = ""  # on disk, relative to the output folder: "" or "tags/多模态/"
    title: str = ""  # "" = the site's title
    description: str = ""

    def url(self, site: Site, name: str = "") -> str:
        """The public URL of a file of this channel, percent-encoded (tags/%E5%A4%9A/atom.xml)."""
        return site.url(quote(self.folder + name, safe="/"))

    def describe(self, site: Site) -> str:
        """The channel's description, else the site's ('' when neither has one)."""
        return self.description or site.description


SITE = Channel()


def atom(site: Site, entries: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    data = _generator(site, entries, channel, ATOM_FILE).atom_str(pretty=True, encoding="UTF-8")
    return _with_stylesheet(site, data)


def rss(site: Site, entries: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    data = _generator(site, entries, channel, RSS_FILE).rss_str(pretty=True, encoding="UTF-8")
    return _with_stylesheet(site, data)


def _with_stylesheet(site: Site, data: bytes) -> bytes:
    """Link feed.xsl (same origin, from the site's root) so that a browser shows a readable page."""
    if not site.stylesheet:
        return data
    href = (urlsplit(site.base_url).path.rstrip("/") + "/" + STYLESHEET_FILE).encode()
    declaration_end = data.index(b"?>") + 2
    return (
        data[:declaration_end]
        + b'\n<?xml-stylesheet type="text/xsl" href="'
        + href
        + b'"?>'
        + data[declaration_end:]
    )


def prepare() -> None:
    """Import feedgen and the extensions every feed loads now (in a helper, ahead of writing)."""
    # feedgen.feed first: feedgen.util needs the lxml.etree it imports.
    import feedgen.feed  # noqa: F401

    # isort: split
    import feedgen.ext.dc
    import feedgen.ext.media  # noqa: F401

    _hub_extension()


@functools.cache
def _hub_extension() -> type:
    """WebSub for RSS: feedgen writes only the self link there, so the hub link is added here.
    (Made on first use: feedgen, with lxml and dateutil, is imported only by runs writing feeds.)"""
    from feedgen.ext.base import BaseExtension
    from feedgen.util import xml_elem

    class Hub(BaseExtension):
        hub = ""

        def extend_ns(self):
            return {"atom": ATOM_NS}

        def extend_rss(self, feed):
            if self.hub:
                channel = feed[0]
                xml_elem(f"{{{ATOM_NS}}}link", channel, href=self.hub, rel="hub")
            return feed

    return Hub


def _generator(site: Site, entries: Sequence[Rendered], channel: Channel, name: str) -> Any:
    from feedgen.feed import FeedGenerator  # imported here: see _hub_extension

    fg = FeedGenerator()
    # RSS <author> must be an email address; a name-only author goes in dc:creator instead.
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media", atom=True, rss=True)
    title = channel.title or site.title
    fg.id(channel.url(site))
    fg.title(title)
    description = channel.describe(site) or title  # RSS requires one
    # Readers render RSS's description as HTML: a tag such as <script> must arrive as text.
    fg.subtitle(html.escape(description, quote=False) if name == RSS_FILE else description)
    fg.language(site.language)
    # Atom needs an author for the feed or for every entry: the site's, else the site's title.
    fg.author({"name": site.author or site.title})
    fg.generator("feedtool", version=__version__)
    # The self link first and the alternate link last: feedgen's RSS <link> is the last one added.
    fg.link(href=channel.url(site, name), rel="self")
    if site.hub:
        fg.link(href=site.hub, rel="hub")
        fg.register_extension("websub", _hub_extension(), atom=False, rss=True)
        fg.websub.hub = site.hub
    fg.link(href=channel.url(site), rel="alternate")
    # RSS dates in the site's offset (+0800), as readers show them; Atom keeps each date's own.
    when = (
        (lambda moment: moment.astimezone(site.zone))
        if name == RSS_FILE
        else (lambda moment: moment)
    )
    # Never the clock: a feed with no entries yet is dated at the epoch.
    newest = when(max((e.post.modified for e in entries), default=EPOCH))
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for entry in entries:
        post = entry.post
        fe = fg.add_entry(order="append")
        fe.id(post.id)
        fe.guid(post.id, permalink=post.id == post.permalink)
        fe.title(post.title)
        fe.link(href=post.permalink, rel="alternate")
        fe.published(when(post.date))
        fe.updated(when(post.modified))
        if post.author:
            fe.author({"name": post.author})
            fe.dc.dc_creator(post.author)
        if terms := _terms(post):  # in one call: feedgen re-checks the whole list on every call
            fe.category([{"term": term} for term in terms])
        if entry.cover_url:
            # Straight under the entry: a media:group needs several media:content (feed validator).
            fe.media.content(
                {"url": entry.cover_url, "medium": "image", "type": _image_type(entry.cover_url)},
                group=None,
            )
        fe.summary(entry.summary_html, type="html")
        fe.content(entry.content_html, type="html")
    return fg


def _terms(post: Post) -> list[str]:
    """The terms a reader files a post under: its `feed_terms`, each once."""
    tags, categories = feed_terms(post)
    return list(dict.fromkeys((*tags, *categories)))


def feed_terms(post: Post) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tags, categories): the post's first MAX_TERMS terms, tags first, each once; its entries
    show them, and it is in the feeds of those terms alone."""
    tags = post.tags if len(post.tags) < 2 else tuple(dict.fromkeys(post.tags))
    if len(tags) + len(post.categories) <= MAX_TERMS and len(post.categories) < 2:
        return tags, post.categories
    tags = tags[:MAX_TERMS]
    return tags, tuple(dict.fromkeys(post.categories))[: MAX_TERMS - len(tags)]


def _image_type(url: str) -> str:
    guessed = _media_types().guess_type(urlsplit(url).path)[0]
    return guessed if guessed and guessed.startswith("image/") else "image/jpeg"


@functools.cache
def _media_types() -> mimetypes.MimeTypes:
    """Python's own table of types, without the machine's mime.types files (which differ from
    system to system: a .webp cover was image/jpeg on a machine without one), so that the
    same posts give the same feeds everywhere. WebP is in Python's table only from 3.13."""
    types = mimetypes.MimeTypes(filenames=())
    types.add_type("image/webp", ".webp")
    return types


def json_feed(site: Site, entries: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    """JSON Feed 1.1, Chinese written as UTF-8 rather than \\u escapes."""
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel.title or site.title,
        "home_page_url": channel.url(site),
        "feed_url": channel.url(site, JSON_FILE),
        "language": site.language,
    }
    if description := channel.describe(site):
        feed["description"] = description
    if site.author:
        feed["authors"] = [{"name": site.author}]
    if site.hub:
        feed["hubs"] = [{"type": "WebSub", "url": site.hub}]
    items = []
    for entry in entries:
        post = entry.post
        item: dict[str, object] = {
            "id": post.id,
            "url": post.permalink,
            "title": post.title,
            "content_html": entry.content_html,
            "summary": entry.summary_text,
            "date_published": format_rfc3339(post.date),
            "date_modified": format_rfc3339(post.modified),
        }
        if entry.cover_url:
            item["image"] = entry.cover_url
        if post.author:
            item["authors"] = [{"name": post.author}]
        if terms := _terms(post):
            item["tags"] = terms
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# Characters a folder name must not carry (separators, what Windows forbids, bidi controls that
# make a name read otherwise); the URL percent-encodes the rest (Chinese included).
_UNSAFE_SEGMENT = re.compile(
    '[\x00-\x1f\x7f/\\\\?#%*:|"<>\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+'
)
# Names Windows keeps for devices, with any suffix (con.txt is CON too).
_WINDOWS_DEVICE = re.compile(r"(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\..*)?")
MAX_FOLDER_BYTES = 180  # file systems allow 255 bytes a name; leave room for a suffix


def term_folder(term: str) -> str:
    """A tag's folder name, as Hugo's urlize makes it: lower case, spaces to hyphens, Chinese
    kept. Where more had to change (C# and C, .NET and NET, a Windows device name such as con)
    or the name is long, a short hash of the lower-cased tag keeps different tags apart (and
    C# with c# together); never '', '.', '..' or anything with a separator."""
    natural = unicodedata.normalize("NFC", hugo_case(term))
    segment = _UNSAFE_SEGMENT.sub("-", natural).strip("-.")
    if (
        segment == natural
        and 0 < len(segment.encode()) <= MAX_FOLDER_BYTES
        and not _WINDOWS_DEVICE.fullmatch(segment)
    ):
        return segment
    short = segment.encode()[:MAX_FOLDER_BYTES].decode("utf-8", "ignore").strip("-.")
    if _WINDOWS_DEVICE.fullmatch(short):
        short = short.replace(
            ".", "-"
        )  # con.txt-1a2b3c4d is still CON to Windows; con-txt-... is not
    import hashlib  # here: only names that need it (it loads OpenSSL)

    tag_hash = hashlib.sha1(natural.encode()).hexdigest()[:8]
    return f"{short}-{tag_hash}" if short else f"tag-{tag_hash}"


def shows_entries(out: Path) -> bool:
    """Whether the site's feeds in `out`, as an earlier build wrote them, show any post."""
    atom, rss, json_feed = (read_if_present(out / name) or b"" for name in FEED_FILES)
    return b"<entry>" in atom or b"<item>" in rss or b'"items": [\n' in json_feed


def stale_feeds(out: Path, produced: set[str]) -> list[str]:
    """Tag and category feeds left from earlier builds (a tag was dropped, a post became a draft):
    they must not keep a draft public. Only feedtool's own files, recognized by their generator."""
    stale = []
    for kind in ("tags", "categories"):
        folder = out / kind
        if not folder.is_dir():
            continue
        for sub in sorted(folder.iterdir()):
            name = f"{kind}/{sub.name}/"
            atom = (
                read_if_present(sub / ATOM_FILE) if name not in produced and sub.is_dir() else None
            )
            if atom is not None and b">feedtool</generator>" in atom:
                stale += [name + file for file in FEED_FILES if (sub / file).is_file()]
    return stale


def prepare_outputs() -> None:
    """What a helper imports while this process reads the posts, to render them and make the
    feeds: Markdown and feedgen."""
    from .render import prepare as prepare_render

    prepare_render()
    prepare()


def make_feeds(
    site: Site, entries: list[Rendered], channels: list[tuple[Channel, list[Post]]]
) -> list[tuple[bytes, ...]]:
    """Each channel's feeds, in FEED_FILES' order, from its posts among `entries`."""
    by_path = {entry.post.path: entry for entry in entries}
    produced: list[tuple[bytes, ...]] = []
    for channel, chosen in channels:
        shown = [by_path[post.path] for post in chosen]
        produced.append(
            (atom(site, shown, channel), rss(site, shown, channel), json_feed(site, shown, channel))
        )
    return produced
