"""Atom 1.0 and RSS 2.0 (via feedgen) and JSON Feed 1.1 (via json); returns bytes, never writes.

Entries arrive sorted newest first. Every timestamp comes from the posts, never the clock,
so the same posts always give byte-identical feeds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from . import __version__
from .config import Site
from .dates import format_rfc3339
from .render import Rendered

ATOM_FILE = "atom.xml"
RSS_FILE = "rss.xml"
JSON_FILE = "feed.json"


def atom(site: Site, entries: Sequence[Rendered]) -> bytes:
    return _generator(site, entries, site.url(ATOM_FILE)).atom_str(pretty=True, encoding="UTF-8")


def rss(site: Site, entries: Sequence[Rendered]) -> bytes:
    return _generator(site, entries, site.url(RSS_FILE)).rss_str(pretty=True, encoding="UTF-8")


def _generator(site: Site, entries: Sequence[Rendered], self_url: str) -> FeedGenerator:
    fg = FeedGenerator()
    # RSS <author> must be an email address; a name-only author goes in dc:creator instead.
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(site.url(""))
    fg.title(site.title)
    fg.subtitle(site.description or site.title)  # RSS requires a description
    fg.language(site.language)
    if site.author:
        fg.author({"name": site.author})
    fg.generator("feedtool", version=__version__)
    # The self link first and the alternate link last: feedgen's RSS <link> is the last one added.
    fg.link(href=self_url, rel="self")
    fg.link(href=site.url(""), rel="alternate")
    newest = max((e.post.modified for e in entries), default=None)
    if newest is not None:
        fg.updated(newest)
        fg.lastBuildDate(newest)
    for entry in entries:
        post = entry.post
        fe = fg.add_entry(order="append")
        fe.id(post.id)
        fe.guid(post.id, permalink=post.id == post.permalink)
        fe.title(post.title)
        fe.link(href=post.permalink, rel="alternate")
        fe.published(post.date)
        fe.updated(post.modified)
        if post.author:
            fe.author({"name": post.author})
            fe.dc.dc_creator(post.author)
        terms = list(dict.fromkeys((*post.tags, *post.categories)))
        if terms:  # in one call: feedgen re-checks the whole list on every call
            fe.category([{"term": term} for term in terms])
        fe.summary(entry.summary_html, type="html")
        fe.content(entry.content_html, type="html")
    return fg


def json_feed(site: Site, entries: Sequence[Rendered]) -> bytes:
    """JSON Feed 1.1, Chinese written as UTF-8 rather than \\u escapes."""
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site.title,
        "home_page_url": site.url(""),
        "feed_url": site.url(JSON_FILE),
        "language": site.language,
    }
    if site.description:
        feed["description"] = site.description
    if site.author:
        feed["authors"] = [{"name": site.author}]
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
        if post.author:
            item["authors"] = [{"name": post.author}]
        if post.tags or post.categories:
            item["tags"] = list(dict.fromkeys((*post.tags, *post.categories)))
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
