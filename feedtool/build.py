"""posts/ -> the three feeds, in memory. The CLI writes them with `output.write_files`."""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import feeds, sources
from .cache import UNTRUSTED, Cache, content_hash, listed, trusted
from .cache import inputs as cache_inputs
from .config import Site
from .diagnostics import Diagnostic
from .errors import FeedtoolError
from .files import Identity, PostFiles, post_files, read_regular_file, stat_identity, with_all_stats
from .output import prepare_writes, read_if_present
from .parallel import Helper, map_chunks
from .posts import Post, loads, newest_first
from .validate import (
    Analysis,
    Report,
    absolute_paths,
    as_named,
    check,
    check_bodies,
    collect,
    read_fresh,
    what_choices_see,
)

if TYPE_CHECKING:
    from .render import Rendered

T = TypeVar("T")


@dataclass(frozen=True)
class Build:
    """The outcome of a build: feed files by name (empty when the posts have errors)."""

    report: (
        Report  # its posts: all that can be published, or, with a kept choice, those the feeds show
    )
    published: list[Post] = field(default_factory=list)  # in the site's feeds, newest first
    future: list[Post] = field(default_factory=list)  # left out until their date
    files: dict[str, bytes] = field(default_factory=dict)  # to write: unchanged files are left out
    channels: int = 0  # tag and category feeds
    stale: list[str] = field(default_factory=list)  # feeds of tags no post has any more: to delete


def list_posts(folder: Path) -> PostFiles:
    """The posts in `folder`, with its folders' stats (`files.post_files`); a folder that is
    missing, or a file, as `validate.collect` says."""
    return post_files(folder, 0) if os.path.isdir(folder) else PostFiles(collect([folder]))


def publishable(posts: list[Post], now: datetime) -> tuple[list[Post], list[Post]]:
    """(posts to publish, newest first; posts scheduled after `now`). Drafts and expired posts
    are neither."""
    published = newest_first(p for p in posts if p.live_at(now))
    # Scheduled: live from their own start (not drafts, not expired by then), which is after now.
    return published, [p for p in posts if p.live_from > now and p.live_at(p.live_from)]


def read_posts(
    site: Site,
    *,
    now: datetime,
    posts_dir: Path | None = None,
    cache: Cache | None = None,
    progress: Callable[[int, int], None] | None = None,
    listing: PostFiles | None = None,
) -> Report:
    """Every post, checked as build and digest need them: their front matter. (The bodies
    they render are checked by `check_bodies`; the rest, and links to missing files, which
    never stop a build, are validate's.) `listing`: the posts folder's, if already made."""
    if listing is None:
        listing = list_posts(posts_dir or site.posts)
    return check(
        listing.files,
        site,
        now=now,
        cache=cache,
        bodies=False,
        progress=progress,
        stats=listing.stats,
    )


def build(
    site: Site,
    *,
    now: datetime,
    posts_dir: Path | None = None,
    out: Path | None = None,
    limit: int | None = None,
    cache: Cache | None = None,
    progress: Callable[[int, int], None] | None = None,
    helper: Helper | None = None,
    listing: PostFiles | None = None,
) -> Build:
    """Check every post's front matter, then render the newest `limit` (default: the site's
    feed_limit) into the site's feeds, and each tag's and category's feeds when enabled (their
    bodies checked first).

    With a cache, the last build's choice is reused while it holds (see `Selection`), and a feed
    whose posts and settings are the same as when the file in `out` was written (and which nobody
    changed since) is neither rendered nor written again. Rendering and the feeds are done by
    `helper` (one forked now by default), ready once `prepare_outputs` ran.
    """
    # A helper given is its caller's to stop and wait for (after the writes, say).
    with contextlib.nullcontext(helper) if helper else Helper(prepare_outputs) as helper:
        folder = posts_dir or site.posts
        listing = listing or list_posts(folder)
        limit = limit or site.feed_limit
        inputs = cache_inputs(site, folder, limit)
        choice = None
        if cache is not None and (kept := kept_selection(now, listing, inputs, cache)) is not None:
            listing = with_all_stats(listing)  # taken here, they serve `choose` too
            choice = kept_choice(site, listing, inputs, cache, kept)
        if choice is None:
            choice = choose(site, now, listing, limit, cache, progress)
            if not choice.report.ok:
                return Build(choice.report)
            if cache is not None:
                cache.keep(
                    inputs,
                    listing.files,
                    _proven(listing),
                    functools.partial(selection, choice, now, listing, cache),
                )
        report, channels, future = choice
        settings = repr(site)
        todo = []
        for channel, chosen in channels:
            made_from = [(p.path, report.digests.get(p.path), cover_of(site, p)) for p in chosen]
            key = content_hash(repr((settings, channel, made_from)).encode())
            names = [channel.folder + name for name in feeds.FEED_FILES]
            if (
                cache is None
                or out is None
                or not all(
                    cache.unchanged_output(
                        n,
                        key,
                        functools.partial(read_if_present, out / n),
                        stat_identity(str(out / n)),
                    )
                    for n in names
                )
            ):
                todo.append((channel, chosen, key, names))
        files: dict[str, bytes] = {}
        if todo:
            # Each post rendered once, however many feeds show it; the feeds made by the helper.
            feed_files = rendered_by(
                helper,
                _make_feeds,
                _each_once(chosen for _, chosen, _, _ in todo),
                site,
                report,
                cache,
                [(channel, chosen) for channel, chosen, _, _ in todo],
            )
            for (_, _, key, names), produced in zip(todo, feed_files):
                for name, data in zip(names, produced):
                    files[name] = data
                    if cache is not None:
                        cache.record_output(name, key, data)
    if site.stylesheet:
        # Beside this module, not through importlib.resources (8 ms of imports a run).
        stylesheet = (Path(__file__).parent / "templates" / feeds.STYLESHEET_FILE).read_bytes()
        if out is None or read_if_present(out / feeds.STYLESHEET_FILE) != stylesheet:
            files[feeds.STYLESHEET_FILE] = stylesheet
    produced = {channel.folder for channel, _ in channels}
    return Build(
        report, channels[0][1], future, files, len(channels) - 1, _stale_feeds(out, produced)
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
    cache: Cache | None,
    progress: Callable[[int, int], None] | None = None,
) -> Choice:
    """Check every post's front matter; choose the posts of the site's feed (the newest `limit`)
    and, when enabled, of each tag's and category's feed; check the bodies of all those."""
    report = read_posts(site, now=now, cache=cache, progress=progress, listing=listing)
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
    shown = _each_once(chosen for _, chosen in channels)
    return Choice(report.adding(check_bodies(report, shown, site, cache)), channels, future)


class Selection(NamedTuple):
    """A successful build's `Choice`, kept in the cache (`cache.Kept`) with what proves it still
    right. The next build with the same inputs and files reuses it after reading only the files
    changed since, if none of those changes touches what the choice depends on (what
    `validate.what_choices_see` says): a change to a post's body, title or summary, say. When
    those are posts the feeds show, the other posts' cache entries are not even loaded."""

    proofs: list[Identity]  # each listed file's stat when read (UNTRUSTED: to read again)
    unproven: dict[
        int, str
    ]  # the content hash of each file read too soon after a change to trust its stat
    now: datetime  # when the choice was made
    turns: list[
        datetime
    ]  # the posts' later go-live and expiry moments: the choice holds until the first
    diagnostics: list[Diagnostic]
    channels: list[tuple[feeds.Channel, list[str]]]  # each channel's posts, by path
    future: list[str]
    analyses: dict[str, Analysis]  # by path: of each post shown (complete) or future-dated


def selection(chosen: Choice, now: datetime, listing: PostFiles, cache: Cache) -> Selection:
    """The `Selection` that keeps `chosen` (made by `choose` with `cache`, which has every file's entry)."""
    report = chosen.report
    entries = list(
        map(
            cache.files.get,
            absolute_paths(listing.files, os.getcwd()),
            itertools.repeat((UNTRUSTED, "")),
        )
    )
    proofs = [entry[0] for entry in entries]
    unproven = {
        number: entry[1]
        for number, entry in enumerate(entries)
        if entry[0] == UNTRUSTED and entry[1]
    }
    turns = sorted(
        [moment for moment in map(_live_from, report.posts) if not moment <= now]
        + [
            moment
            for moment in map(_expires, report.posts)
            if moment is not None and not moment <= now
        ]
    )
    channels = [(channel, [post.path for post in posts]) for channel, posts in chosen.channels]
    paths = [
        post.path for post in _each_once([*(posts for _, posts in chosen.channels), chosen.future])
    ]
    # Under this run's names for the files (the cache may hold another spelling).
    analyses = {
        path: as_named(cache.entry(key), path)
        for path, key in zip(paths, absolute_paths(paths, os.getcwd()))
    }
    return Selection(
        proofs,
        unproven,
        now,
        turns,
        report.diagnostics,
        channels,
        [post.path for post in chosen.future],
        analyses,
    )


_live_from, _expires = Post.live_from.fget, operator.attrgetter("expires")


def _proven(listing: PostFiles) -> PostFiles | None:
    """`listing` as the cache keeps it for `files.kept_listing`: its files, and its folders with
    their stats, each trusted as a file's stat is (`cache.trusted`). None for a listing read
    from the cache, which is kept there already."""
    if not listing.listed_ns:
        return None
    folders = [
        (path, trusted(found, listing.listed_ns) if found else UNTRUSTED)
        for path, found in listing.folders
    ]
    return PostFiles(listing.files, None, folders)


def kept_selection(
    now: datetime, listing: PostFiles, inputs: str, cache: Cache
) -> Selection | None:
    """The cache's `Selection`, if made with these `inputs` from these files, and if no post
    went live or expired since."""
    if (
        cache.kept is None
        or cache.kept.inputs != inputs
        or cache.kept.listed != listed(listing.files)
    ):
        return None
    try:
        kept = pickle.loads(cache.kept.selection)
    except Exception:  # damaged: as if there were none
        return None
    if not isinstance(kept, Selection) or not (
        kept.now <= now and kept.now.timestamp() <= now.timestamp()
    ):
        return None
    return None if any(moment <= now for moment in kept.turns) else kept


def kept_choice(
    site: Site, listing: PostFiles, inputs: str, cache: Cache, kept: Selection
) -> Choice | None:
    """The choice `kept` (see `kept_selection`), if it still holds for these files (`listing`,
    with the stats of them all): if no file changed since in what the choice depends on. None
    otherwise. (The selection is renewed in the cache when files changed.)"""
    files = listing.files
    changed = [
        number
        for number, (found, proof) in enumerate(zip(listing.stats, kept.proofs))
        if found != proof
    ]
    proofs, unproven, analyses = list(kept.proofs), dict(kept.unproven), dict(kept.analyses)
    shown = {path for _, paths in kept.channels for path in paths}
    for number, (analysis, proof) in zip(
        changed, read_fresh([files[number] for number in changed], site)
    ):
        path, key = files[number], absolute_paths([files[number]], os.getcwd())[0]
        # What the file said: kept for a post shown or future-dated; else in the cache's entries
        # (read now, once: still far less than checking every post), if the entry is still the
        # one the choice saw (a failed build since may have stored a later one).
        before = analyses.get(path) or cache.entry_seen(
            key, kept.proofs[number], kept.unproven.get(number)
        )
        if before is None or what_choices_see(analysis) != what_choices_see(as_named(before, path)):
            return None
        if path in shown and analysis.body_findings != before.body_findings:
            return None
        proofs[number] = proof
        if proof == UNTRUSTED:
            unproven[number] = analysis.digest
        else:
            unproven.pop(number, None)
        if path in analyses:
            analyses[path] = analysis
        if cache.entries_read:  # its entry too, as the new proof says (the next lookup needs it)
            cache.store_proven(key, proof, analysis)
    proven = _proven(listing)
    if (
        changed or proven is not None
    ):  # new proofs, or a listing made now, which the next build may reuse
        cache.keep(
            inputs,
            files,
            proven,
            functools.partial(kept._replace, proofs=proofs, unproven=unproven, analyses=analyses),
        )
    posts = {path: analysis.post for path, analysis in analyses.items()}
    channels = [(channel, [posts[path] for path in paths]) for channel, paths in kept.channels]
    shown_posts = _each_once(chosen for _, chosen in channels)
    # The report's posts and digests are those of the posts the feeds show: the others were not looked at.
    report = Report(
        shown_posts,
        kept.diagnostics,
        len(files),
        set(),
        {post.path: analyses[post.path].digest for post in shown_posts},
    )
    return Choice(report, channels, [posts[path] for path in kept.future])


def _each_once(post_lists: Iterable[list[Post]]) -> list[Post]:
    """The posts of several feeds, each once, in the order they first appear."""
    return list({post.path: post for posts in post_lists for post in posts}.values())


def shows_entries(out: Path) -> bool:
    """Whether the site's feeds in `out`, as an earlier build wrote them, show any post."""
    atom, rss, json_feed = (read_if_present(out / name) or b"" for name in feeds.FEED_FILES)
    return b"<entry>" in atom or b"<item>" in rss or b'"items": [\n' in json_feed


def _stale_feeds(out: Path | None, produced: set[str]) -> list[str]:
    """Tag and category feeds left from earlier builds (a tag was dropped, a post became a draft):
    they must not keep a draft public. Only feedtool's own files, recognized by their generator."""
    stale = []
    for kind in ("tags", "categories"):
        folder = out / kind if out else None
        if folder is None or not folder.is_dir():
            continue
        for sub in sorted(folder.iterdir()):
            name = f"{kind}/{sub.name}/"
            atom = (
                read_if_present(sub / feeds.ATOM_FILE)
                if name not in produced and sub.is_dir()
                else None
            )
            if atom is not None and b">feedtool</generator>" in atom:
                stale += [name + file for file in feeds.FEED_FILES if (sub / file).is_file()]
    return stale


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
        for post, terms in zip(published, map(operator.itemgetter(index), terms_of)):
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


# From this many posts to render, a forked helper renders some of them (Markdown: 1.5 ms a post).
# Fewer are rendered faster by the helper alone: meanwhile this process pickles the cache, and a
# third process on two cores costs more than it saves (50 posts, a cold build: 0.984 of the time).
RENDER_PARALLEL_MIN = 100

ToRender = tuple  # (post, content hash, cover, cache key)


def rendered_by(
    helper: Helper,
    work: Callable[..., tuple[list, T]],
    posts: list[Post],
    site: Site,
    report: Report,
    cache: Cache | None,
    *args: Any,
) -> T:
    """What work(site, posts, the HTML the cache has, the posts it lacks, *args) makes in
    `helper`, for `posts`; `work` renders the missing ones with `rendered`, and returns the HTML it
    made (which the cache then keeps) and its result. Meanwhile this process, which would only
    wait, pickles the cache and gets ready to write the outputs."""
    html, to_render = cached_html(posts, site, report, cache)

    def meanwhile() -> None:
        if cache:
            cache.seal()
        prepare_writes()

    made, result = helper.call(work, site, posts, html, to_render, *args, meanwhile=meanwhile)
    for (_, digest, _, key), made_html in zip(to_render, made):
        if cache and digest:
            cache.store_rendered(key, made_html)
    return result


def cached_html(
    posts: list[Post], site: Site, report: Report, cache: Cache | None
) -> tuple[dict[str, tuple[str, str, str | None]], list[ToRender]]:
    """(the HTML the cache has, by path; the posts it lacks, to give `render_many`)."""
    found: dict[str, tuple[str, str, str | None]] = {}
    to_render: list[ToRender] = []
    for post in posts:
        digest = report.digests.get(post.path, "")
        cover = cover_of(site, post)
        # The HTML depends on the body (digest) and the post's own fields (its permalink
        # resolves relative links; its cover).
        key = content_hash(repr((digest, post, cover)).encode())
        hit = cache.rendered(key) if cache and digest else None
        if hit is None:
            to_render.append((post, digest, cover, key))
        else:
            found[post.path] = hit
    return found, to_render


def cover_of(site: Site, post: Post) -> str | None:
    """The post's cover: as its front matter says, or a Hugo bundle's cover.* beside it (not in
    the post: looked up on every run)."""
    return post.cover or sources.bundle_cover(site.source, post.path)


def render_many(to_render: list[ToRender], site: Site) -> list[tuple[str, str, str | None]]:
    """The HTML of posts the cache lacks, on both cores when there are many."""
    return map_chunks(
        functools.partial(_render_one, site=site), to_render, minimum=RENDER_PARALLEL_MIN
    )


def rendered(
    site: Site,
    posts: list[Post],
    html: dict[str, tuple[str, str, str | None]],
    to_render: list[ToRender],
) -> tuple[list[tuple[str, str, str | None]], list[Rendered]]:
    """(the HTML `render_many` made for `to_render`; `posts` with their HTML, found or made)."""
    from .render import Rendered  # only where posts are rendered: see prepare_outputs

    made = render_many(to_render, site)
    found = {
        **html,
        **{post.path: made_html for (post, _, _, _), made_html in zip(to_render, made)},
    }
    return made, [Rendered(post, *found[post.path]) for post in posts]


def prepare_outputs() -> None:
    """What a helper imports while this process reads the posts, to render them and make the
    feeds: Markdown and feedgen."""
    from .render import prepare

    prepare()
    feeds.prepare()


def _make_feeds(
    site: Site,
    posts: list[Post],
    html: dict[str, tuple[str, str, str | None]],
    to_render: list[ToRender],
    channels: list[tuple[feeds.Channel, list[Post]]],
) -> tuple[list, list[tuple[bytes, ...]]]:
    """(the HTML made for `to_render`; each channel's feeds, in FEED_FILES' order)."""
    made, entries = rendered(site, posts, html, to_render)
    by_path = {entry.post.path: entry for entry in entries}
    produced = []
    for channel, chosen in channels:
        shown = [by_path[post.path] for post in chosen]
        produced.append(
            (
                feeds.atom(site, shown, channel),
                feeds.rss(site, shown, channel),
                feeds.json_feed(site, shown, channel),
            )
        )
    return made, produced


def _render_one(item: tuple[Post, str, str | None, str], site: Site) -> tuple[str, str, str | None]:
    from .render import render

    post, digest, cover, _ = item
    rendered = render(_with_body(post, site, digest)._replace(cover=cover), site)
    return rendered.content_html, rendered.summary_html, rendered.cover_url


def _with_body(post: Post, site: Site, digest: str) -> Post:
    """The post read again, with its body: the same content that was checked, or an error."""
    try:
        data = read_regular_file(post.path)
    except OSError:
        data = b""
    loaded = loads(data, site, path=post.path) if content_hash(data) == digest else None
    if loaded is None or loaded.post is None or loaded.post._replace(body="") != post:
        raise FeedtoolError(f"{post.path} changed while feedtool was running; run it again")
    return loaded.post
