"""posts/ -> the three feeds, in memory. The CLI writes them with `output.write_files`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import feeds
from .config import Site
from .posts import Post
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
    published = sorted((p for p in live if p.date <= now), key=lambda p: (p.date, p.slug), reverse=True)
    return published, [p for p in live if p.date > now]


def build(site: Site, *, now: datetime, posts_dir: Path | None = None, limit: int | None = None) -> Build:
    """Check every post, then render the newest `limit` (default: the site's feed_limit) into feeds."""
    report = check(collect([posts_dir or site.posts]), site, now=now)
    if not report.ok:
        return Build(report)
    published, future = publishable(report.posts, now)
    entries = [render(post, site) for post in published[: limit or site.feed_limit]]
    files = {
        feeds.ATOM_FILE: feeds.atom(site, entries),
        feeds.RSS_FILE: feeds.rss(site, entries),
        feeds.JSON_FILE: feeds.json_feed(site, entries),
    }
    return Build(report, entries, future, files)
