"""What each feed shows: the posts a build publishes, newest first, and its tag and category
feeds; what a choice depends on (`turns`)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from . import feeds
from .config import Site
from .files import PostFiles, content_hash
from .posts import Post, newest_first
from .sources import bundle_cover
from .validate import Reader, Report, check, check_bodies


def publishable(posts: list[Post], now: datetime) -> tuple[list[Post], list[Post]]:
    """(posts to publish, newest first; posts scheduled after `now`). Drafts and expired posts
    are neither."""
    published = newest_first(p for p in posts if p.live_at(now))
    # Scheduled: live from their own start (not drafts, not expired by then), which is after now.
    return published, [p for p in posts if p.live_from > now and p.live_at(p.live_from)]


def read_posts(
    site: Site,
    now: datetime,
    listing: PostFiles,
    read: Reader | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Every post, checked as build and digest need them: their front matter. (The bodies
    they render are checked by `check_bodies`; the rest, and links to missing files, which
    never stop a build, are validate's.)"""
    return check(
        listing.files,
        site,
        now=now,
        read=read,
        bodies=False,
        progress=progress,
    )


class Choice(NamedTuple):
    """What a build chose: the report of its checks, each channel's posts, the posts left out
    until their date."""

    report: Report
    channels: list[tuple[feeds.Channel, list[Post]]] = []
    future: list[Post] = []


def choose(
    site: Site,
    now: datetime,
    listing: PostFiles,
    limit: int,
    read: Reader | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Choice:
    """Check every post's front matter; choose the posts of the site's feed (the newest `limit`)
    and, when enabled, of each tag's and category's feed; check the bodies of all those."""
    report = read_posts(site, now, listing, read, progress)
    if not report.ok:
        return Choice(report)
    published, future = publishable(report.posts, now)
    channels = [(feeds.SITE, published[:limit])]
    if site.tag_feeds.enabled:
        channels += [
            (channel, chosen[: site.tag_feeds.limit])
            for channel, chosen in term_channels(site, published)
        ]
    # The bodies of every post a feed shows are checked, whether or not its feed is rebuilt, so
    # that a warm build says what a cold one does.
    shown = each_once(chosen for _, chosen in channels)
    return Choice(report.adding(check_bodies(report, shown, site, read)), channels, future)


def turns(posts: Iterable[Post], now: datetime) -> list[datetime]:
    """The moments after `now` when a post goes live or expires: a choice holds until the first."""
    moments = [post.live_from for post in posts] + [
        post.expires for post in posts if post.expires is not None
    ]
    return sorted(moment for moment in moments if not moment <= now)


def feed_keys(
    site: Site, channels: list[tuple[feeds.Channel, list[Post]]], digests: dict[str, str]
) -> list[str]:
    """What each channel's feeds are made from: the settings, and its posts' contents and covers
    (each post's cover looked up once, however many feeds show it)."""
    settings = repr(site)
    covers = {p.path: cover_of(site, p) for p in each_once(chosen for _, chosen in channels)}
    return [
        content_hash(
            repr(
                (settings, channel, [(p.path, digests.get(p.path), covers[p.path]) for p in chosen])
            ).encode()
        )
        for channel, chosen in channels
    ]


def each_once(post_lists: Iterable[list[Post]]) -> list[Post]:
    """The posts of several feeds, each once, in the order they first appear."""
    return list({post.path: post for posts in post_lists for post in posts}.values())


# Feeds for at most this many terms in all (the most used first; a post's own are bounded by
# `feeds.feed_terms`): a post with 10,000 tags must not mean 10,000 feeds.
MAX_CHANNELS = 1000


def term_channels(site: Site, published: list[Post]) -> list[tuple[feeds.Channel, list[Post]]]:
    """A channel per tag (tags/<tag>/) and per category (categories/<category>/), newest first,
    after the config's include/exclude lists (compared without regard to case)."""
    include = {t.lower() for t in site.tag_feeds.include}
    exclude = {t.lower() for t in site.tag_feeds.exclude}
    groups: dict[str, tuple[str, str, list[Post]]] = {}
    terms_of = list(map(feeds.feed_terms, published))
    for index, (kind, label) in enumerate((("tags", "标签"), ("categories", "分类"))):
        folders: dict[
            str, str | None
        ] = {}  # term -> its folder, None when left out: once per term, not per post
        for post, terms in zip(published, map(operator.itemgetter(index), terms_of), strict=True):
            for term in terms:
                folder = folders.get(term, "")
                if folder == "":  # a term not seen before
                    lowered = term.lower()
                    wanted = (not include or lowered in include) and lowered not in exclude
                    folder = folders[term] = (
                        f"{kind}/{feeds.term_folder(term)}/" if wanted else None
                    )
                if folder is None:
                    continue
                group = groups.get(folder)
                if group is None:
                    group = groups[folder] = (term, label, [])
                posts = group[2]
                if not posts or posts[-1] is not post:  # "AI" and "ai" share a folder: once each
                    posts.append(post)
    kept = sorted(groups, key=lambda folder: (-len(groups[folder][2]), folder))[:MAX_CHANNELS]
    channels = []
    for folder in sorted(kept):
        term, label, posts = groups[folder]
        title = f"{site.title} · {label}：{term}"
        channels.append(
            (feeds.Channel(folder, title, f"{site.title}中{label}为“{term}”的文章"), posts)
        )
    return channels


def cover_of(site: Site, post: Post) -> str | None:
    """The post's cover: as its front matter says, or a Hugo bundle's cover.* beside it (not in
    the post: looked up on every run)."""
    return post.cover or bundle_cover(site.source, post.path)
