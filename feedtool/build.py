"""posts/ -> the three feeds, in memory. The CLI writes them with `output.write_files`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import feeds
from .cache import Cache
from .config import Site
from .errors import FeedtoolError
from .posts import Post, load
from .render import Rendered, render
from .validate import Report, check, collect


@dataclass(frozen=True)
class Build:
    """The outcome of a build: feed files by name (empty when the posts have errors)."""

    report: Report
    entries: list[Rendered] = field(default_factory=list)
    future: list[Post] = field(default_factory=list)  # left out until their date
    files: dict[str, bytes] = field(default_factory=dict)


def publishable(posts: list[Post], now: datetime) -> tuple[list[Post], list[Post]]:
    """(posts to publish, newest first; posts dated after `now`). Drafts are neither."""
    live = [p for p in posts if not p.draft]
    # Sort on timestamps: comparing aware datetimes asks both zones for their offset every time.
    published = sorted((p for p in live if p.date <= now), key=lambda p: (p.date.timestamp(), p.slug), reverse=True)
    return published, [p for p in live if p.date > now]


def build(site: Site, *, now: datetime, posts_dir: Path | None = None, limit: int | None = None,
          cache: Cache | None = None, progress: Callable[[int, int], None] | None = None) -> Build:
    """Check every post, then render the newest `limit` (default: the site's feed_limit) into feeds."""
    report = check(collect([posts_dir or site.posts]), site, now=now, cache=cache, links=False, progress=progress)
    if not report.ok:
        return Build(report)
    published, future = publishable(report.posts, now)
    entries = render_posts(published[: limit or site.feed_limit], site, report, cache)
    files = {
        feeds.ATOM_FILE: feeds.atom(site, entries),
        feeds.RSS_FILE: feeds.rss(site, entries),
        feeds.JSON_FILE: feeds.json_feed(site, entries),
    }
    return Build(report, entries, future, files)


def render_posts(posts: list[Post], site: Site, report: Report, cache: Cache | None) -> list[Rendered]:
    """Rendered HTML of `posts`: from the cache, or by reading the file again for its body."""
    entries = []
    for post in posts:
        digest = report.digests.get(post.path, "")
        hit = cache.rendered(digest) if cache and digest else None
        if hit is None:
            rendered = render(_with_body(post, site), site)
            hit = (rendered.content_html, rendered.summary_html, rendered.cover_url)
            if cache and digest:
                cache.store_rendered(digest, hit)
        entries.append(Rendered(post, *hit))
    return entries


def _with_body(post: Post, site: Site) -> Post:
    loaded = load(post.path, site)
    if loaded.post is None or loaded.post._replace(body="") != post:
        raise FeedtoolError(f"{post.path} changed while feedtool was running; run it again")
    return loaded.post
