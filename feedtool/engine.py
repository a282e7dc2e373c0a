"""Speed, behind one door: the cache, the forked helper and the kept choice.

Feature code (reading and checking posts, choosing what feeds show, rendering) never imports
this module: `api` runs each job in a `Run`, which hands feature code plain functions (read
these files, render these posts and call this with them) and makes them fast:

- files whose stat proves them unchanged are not read again: their analysis comes from the
  cache (`cache.Cache`), and many files to read are read on both cores (`parallel.map_chunks`);
- a helper process (`parallel.Helper`), forked when the run starts, lists the posts and imports
  the rendering libraries while this process loads the cache and reads, then renders and makes
  the outputs' bytes while this process gets ready to write;
- a build whose inputs and listed files are those of the last one reuses its choice of posts
  (`Selection`) after reading only the files changed since.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import cache as cache_module
from .cache import (
    KEPT_LISTING,
    UNTRUSTED,
    Cache,
    collector_paused,
    listed,
    make_entry,
    trusted,
)
from .cache import inputs as cache_inputs
from .cache import kept_listing as kept_listing_of
from .catalog import absolute_paths, list_posts
from .config import Site
from .diagnostics import Diagnostic
from .errors import FeedtoolError
from .files import (
    Identity,
    PostFiles,
    content_hash,
    post_files,
    read_regular_file,
    stat_identity,
    with_all_stats,
)
from .output import prepare_writes, read_if_present, write_files
from .parallel import Helper, map_chunks

# Feature modules are imported where they are used, not here: `run` forks the helper before
# this process imports them, so that both processes import at the same time.
if TYPE_CHECKING:
    from . import feeds
    from .posts import Post
    from .render import Rendered
    from .selection import Choice
    from .validate import Analysis

T = TypeVar("T")
V = TypeVar("V")


# Below this many files to read, a helper process costs more than it saves. A file whose body
# is checked too counts as several: it takes that much longer to read.
PARALLEL_MIN = 2000
COMPLETE_WEIGHT = 4


CHUNK = 100  # files per chunk of work (and per progress update)


def analyze_all(
    files: Sequence[str],
    site: Site,
    cache: Cache | None,
    progress: Callable[[int, int], None] | None = None,
    *,
    complete: bool = True,
    keys: Sequence[str],
    stats: Sequence[Identity | None] | None = None,
) -> list[Analysis]:
    """The analysis of each file, from the cache where it is provably current; the rest are
    read on every core when there are many of them. `complete=False`: front matter only
    (a cached complete analysis serves too). `keys`: the files' absolute paths;
    `stats`: the stats of the first of them (or of all), if taken."""
    with collector_paused():
        return _analyze_all(
            files,
            site,
            cache,
            progress,
            complete,
            keys,
            stats,
        )


def _analyze_all(
    files: Sequence[str],
    site: Site,
    cache: Cache | None,
    progress: Callable[[int, int], None] | None,
    complete: bool,
    keys: Sequence[str],
    stats: Sequence[Identity | None] | None,
) -> list[Analysis]:
    # Files the cache knows are looked up by their stat; the reader stats the rest itself (on a
    # cold run, in parallel) and reports what is not a readable regular file.
    from .validate import as_named

    results: list[Analysis | None] = (
        cache.current(files, keys, stats) if cache is not None else [None] * len(files)
    )
    todo = []
    for number, hit in enumerate(results):
        if hit is not None and (not complete or hit.complete):
            if hit.path != files[number]:
                results[number] = as_named(hit, files[number])
            continue
        results[number] = None
        todo.append((number, files[number], _expected_digest(cache, keys[number], complete)))
    done = len(files) - len(todo)
    for number, read_ns, digest, analysis, stat, stored in _read_all(
        todo, keys, site, cache, done, len(files), progress, complete
    ):
        path, key = files[number], keys[number]
        if analysis is None:  # the content the cache expected (only then is there no analysis)
            analysis = cache.refresh(key, stat, read_ns)  # type: ignore[union-attr]
        elif cache is not None and digest and not stored:  # files with no digest are never cached
            cache.store(key, stat, digest, analysis, read_ns)
        results[number] = as_named(analysis, path)
    return results  # type: ignore[return-value]


def _expected_digest(cache: Cache | None, key: str, complete: bool) -> str | None:
    """The content hash whose cached analysis serves this run (so a file with that content
    need not be analyzed again), if any."""
    cached = cache.entry(key) if cache else None
    return cached.digest if cached is not None and (cached.complete or not complete) else None


def _read_all(
    todo: list[tuple[int, str, str | None]],
    keys: Sequence[str],
    site: Site,
    cache: Cache | None,
    done: int,
    total: int,
    progress: Callable[[int, int], None] | None,
    complete: bool,
):
    """Yield (index, read_ns, digest, analysis or None when the digest is as expected, stat, whether
    it is in the cache already). With many files, a forked helper reads chunks of them beside
    this process, and sends the cache entries of each chunk pickled as the cache keeps them
    (`Cache.adopt`: a new cache then need not pickle them again)."""
    from . import validate
    from .posts import yaml_loader

    if len(todo) * (COMPLETE_WEIGHT if complete else 1) < PARALLEL_MIN:
        for number, item in enumerate(todo, start=1):
            yield *validate.read_one(item, site, complete), False
            if progress and number % CHUNK == 0:
                progress(done + number, total)
    else:
        yaml_loader()  # imported once, before the fork, not in both processes
        decode = _decoder()
        chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
        tick = (lambda n: progress(min(done + n * CHUNK, total), total)) if progress else None
        for chunk in map_chunks(
            functools.partial(_read_chunk, site=site, complete=complete),
            chunks,
            tick,
            pack=functools.partial(_pack_chunk, keys=keys),
        ):
            if isinstance(chunk, list):  # read here
                yield from ((*read, False) for read in chunk)
                continue
            numbers, batch, others = chunk
            entries = cache.adopt(batch) if cache is not None else pickle.loads(batch)
            # Stored already (by adopt): their read time and stat are not needed again.
            yield from (
                (n, 0, d, decode(a), s, cache is not None)
                for n, (s, d, a) in zip(numbers, entries.values(), strict=True)
            )
            yield from ((n, t, d, a, s, False) for n, t, d, a, s in others)
    if progress:
        progress(total, total)


def read_fresh(files: Sequence[str], site: Site) -> list[tuple[Analysis, Identity]]:
    """Each file read and analyzed whole, without a cache, with the stat that proves it unchanged
    later (`cache.UNTRUSTED` when none can: the file had just changed, or is not a regular file)."""
    from . import validate

    fresh = []
    for number, path in enumerate(files):
        _, read_ns, digest, analysis, stat = validate.read_one((number, path, None), site)
        fresh.append(
            (
                analysis,
                trusted(stat, read_ns) if stat and digest else UNTRUSTED,
            )
        )
    return fresh


def _read_chunk(
    chunk: list[tuple[int, str, str | None]], site: Site, complete: bool
) -> list[tuple]:
    from . import validate

    return [validate.read_one(item, site, complete) for item in chunk]


def _pack_chunk(read: list[tuple], keys: Sequence[str]) -> tuple[list[int], bytes, list[tuple]]:
    """A chunk read by the helper, as it crosses the pipe: (indexes, the cache entries of the new
    analyses pickled as {path: entry}, in that order; the rest)."""
    numbers, entries, others = [], {}, []
    for n, t, d, a, s in read:
        if a is not None and d and keys[n] not in entries:  # a new analysis of a readable file
            numbers.append(n)
            entries[keys[n]] = make_entry(s, d, t, _stored(a))
        else:
            others.append((n, t, d, a, s))
    return numbers, pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL), others


# How the cache keeps an analysis (a plain tuple pickles twice as fast as a NamedTuple; its post
# still pickles as a Post), and the Analysis made from that again: here, and by the reading helper.
_stored = tuple


def _decoder() -> Callable[[tuple], Analysis]:
    """An Analysis made again from how the cache keeps it (one C call an entry)."""
    from .validate import Analysis

    return functools.partial(tuple.__new__, Analysis)


def open_cache(site: Site, kept: bool = True) -> Cache:
    """The site's cache of analyses (only in memory, never saved, unless `kept`)."""
    return cache_module.open_cache(
        site.cache if kept else None, site, encode=_stored, decode=_decoder()
    )


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
    """The `Selection` that keeps `chosen` (made by `choose` with `cache`, which has every file's
    entry)."""
    from .selection import each_once, turns
    from .validate import as_named

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
    channels = [(channel, [post.path for post in posts]) for channel, posts in chosen.channels]
    paths = [
        post.path for post in each_once([*(posts for _, posts in chosen.channels), chosen.future])
    ]
    # Under this run's names for the files (the cache may hold another spelling).
    analyses = {
        path: as_named(_known(cache.entry(key)), path)
        for path, key in zip(paths, absolute_paths(paths, os.getcwd()), strict=True)
    }
    return Selection(
        proofs,
        unproven,
        now,
        turns(report.posts, now),
        report.diagnostics,
        channels,
        [post.path for post in chosen.future],
        analyses,
    )


def _known(value: V | None) -> V:
    """`value`, which the cache's own bookkeeping proves is there."""
    assert value is not None
    return value


def _proven(listing: PostFiles) -> PostFiles | None:
    """`listing` as the cache keeps it for `cache.kept_listing`: its files, and its folders with
    their stats, each trusted as a file's stat is (`cache.trusted`). None for a listing read
    from the cache, which is kept there already."""
    if not listing.listed_ns:
        return None
    folders: list[tuple[str, Identity | None]] = [
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
    from .selection import Choice, each_once
    from .validate import Report, as_named, what_choices_see

    files = listing.files
    changed = [
        number
        for number, (found, proof) in enumerate(zip(listing.stats or (), kept.proofs, strict=True))
        if found != proof
    ]
    proofs, unproven, analyses = list(kept.proofs), dict(kept.unproven), dict(kept.analyses)
    shown = {path for _, paths in kept.channels for path in paths}
    paths = [files[number] for number in changed]
    for number, key, (analysis, proof) in zip(
        changed, absolute_paths(paths, os.getcwd()), read_fresh(paths, site), strict=True
    ):
        path = files[number]
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
    posts = {path: _known(analysis.post) for path, analysis in analyses.items()}
    channels = [(channel, [posts[path] for path in paths]) for channel, paths in kept.channels]
    shown_posts = each_once(chosen for _, chosen in channels)
    # The report's posts and digests are those of the posts the feeds show: the others were not
    # looked at.
    report = Report(
        shown_posts,
        kept.diagnostics,
        len(files),
        set(),
        {post.path: analyses[post.path].digest for post in shown_posts},
    )
    return Choice(report, channels, [posts[path] for path in kept.future])


# From this many posts to render, a forked helper renders some of them. Fewer are rendered faster
# by the helper alone: meanwhile this process pickles the cache, and a third process on two cores
# costs more than it saves.
RENDER_PARALLEL_MIN = 100


ToRender = tuple  # (post, content hash, cover, cache key)


def rendered_by(
    helper: Helper,
    work: Callable[..., T],
    posts: list[Post],
    site: Site,
    digests: dict[str, str],
    cache: Cache,
    *args: Any,
) -> T:
    """What work(site, `posts` rendered, *args) makes in `helper`. The helper renders the posts
    the cache lacks (`_rendered_then`), and sends back that HTML too, which the cache then keeps.
    Meanwhile this process, which would only wait, pickles the cache and gets ready to write."""
    html, to_render = cached_html(posts, site, digests, cache)

    def meanwhile() -> None:
        cache.seal()
        prepare_writes()

    made, result = helper.call(
        _rendered_then, work, site, posts, html, to_render, *args, meanwhile=meanwhile
    )
    for (_, digest, _, key), made_html in zip(to_render, made, strict=True):
        if digest:
            cache.store_rendered(key, made_html)
    return result


def cached_html(
    posts: list[Post], site: Site, digests: dict[str, str], cache: Cache
) -> tuple[dict[str, tuple[str, str, str | None]], list[ToRender]]:
    """(the HTML the cache has, by path; the posts it lacks, to give `render_many`)."""
    from .selection import cover_of

    found: dict[str, tuple[str, str, str | None]] = {}
    to_render: list[ToRender] = []
    for post in posts:
        digest = digests.get(post.path, "")
        cover = cover_of(site, post)
        # The HTML depends on the body (digest) and the post's own fields (its permalink
        # resolves relative links; its cover).
        key = content_hash(repr((digest, post, cover)).encode())
        hit = cache.rendered(key) if digest else None
        if hit is None:
            to_render.append((post, digest, cover, key))
        else:
            found[post.path] = hit
    return found, to_render


def render_many(to_render: list[ToRender], site: Site) -> list[tuple[str, str, str | None]]:
    """The HTML of posts the cache lacks, on both cores when there are many."""
    return map_chunks(
        functools.partial(_render_one, site=site), to_render, minimum=RENDER_PARALLEL_MIN
    )


def _rendered_then(
    work: Callable[..., T],
    site: Site,
    posts: list[Post],
    html: dict[str, tuple[str, str, str | None]],
    to_render: list[ToRender],
    *args: Any,
) -> tuple[list[tuple[str, str, str | None]], T]:
    """In the helper: (the HTML made for `to_render`; work(site, `posts` with their HTML,
    *args))."""
    from .render import Rendered  # only where posts are rendered

    made = render_many(to_render, site)
    found = {
        **html,
        **{
            post.path: made_html for (post, _, _, _), made_html in zip(to_render, made, strict=True)
        },
    }
    return made, work(site, [Rendered(post, *found[post.path]) for post in posts], *args)


# From this many items for `render_each`, a forked helper makes some of them: each (a feed's
# three files of up to a few hundred entries) costs far more than the fork.
EACH_PARALLEL_MIN = 4


def _each_on_both_cores(
    site: Site,
    rendered: list[Rendered],
    work: Callable[[Site, list[Rendered], list[V]], list[T]],
    items: list[V],
) -> list[T]:
    """In the helper: work(site, rendered, items), one item at a time from a queue that this
    process and a fork of it share."""
    parts = map_chunks(
        functools.partial(work, site, rendered),
        [[item] for item in items],
        minimum=EACH_PARALLEL_MIN,
    )
    return [result for part in parts for result in part]


def _render_one(item: tuple[Post, str, str | None, str], site: Site) -> tuple[str, str, str | None]:
    from .render import render

    post, digest, cover, _ = item
    rendered = render(_with_body(post, site, digest)._replace(cover=cover), site)
    return rendered.content_html, rendered.summary_html, rendered.cover_url


def _with_body(post: Post, site: Site, digest: str) -> Post:
    """The post read again, with its body: the same content that was checked, or an error."""
    from .posts import loads

    try:
        data = read_regular_file(post.path)
    except OSError:
        data = b""
    loaded = loads(data, site, path=post.path) if content_hash(data) == digest else None
    if loaded is None or loaded.post is None or loaded.post._replace(body="") != post:
        raise FeedtoolError(f"{post.path} changed while feedtool was running; run it again")
    return loaded.post


# What lives until the process ends: `__main__` leaves with os._exit, so a large blog's cache
# (some 200,000 small objects) is never freed one by one. Emptied when a run starts, for callers
# that run several jobs in one process.
_kept_until_exit: list[Any] = []


# The share of the posts the helper stats; this process stats the rest once it has loaded the
# cache (so that the helper starts its imports sooner).
_HELPER_STATS = 0.7


class Run:
    """One job's speed machinery: the site's cache and, for jobs that render, a helper process.
    Made by `run`; feature code sees only the functions it hands out (`read`, `render`)."""

    def __init__(self, site: Site, folder: Path, cache: Cache, helper: Helper | None) -> None:
        self.site, self.folder, self.cache, self.helper = site, folder, cache, helper
        self._listing: PostFiles | None = None
        self.notes: list[str] = []  # what went wrong that only makes the next run slower

    def listing(self) -> PostFiles:
        """The posts in the folder (the helper's listing, or the last build's, still current)."""
        if self._listing is None:
            # (None from the helper: no such folder, or a file, which `list_posts` explains)
            listed = self.helper.first_result() if self.helper is not None else None
            self._listing = listed or list_posts(self.folder)
            _kept_until_exit.append(self._listing)
        return self._listing

    def read(
        self,
        files: Sequence[str],
        *,
        complete: bool = True,
        progress: Callable[[int, int], None] | None = None,
        whole: bool = False,
    ) -> list[Analysis]:
        """`validate.Reader`: each file's analysis, from the cache where it is provably current.
        `whole`: these are all the site's files (the cache forgets the others)."""
        keys = absolute_paths(files, os.getcwd())
        stats = self._stats_of(files) if whole else None  # (a few files: stat'ed here)
        analyses = analyze_all(
            files, self.site, self.cache, progress, complete=complete, keys=keys, stats=stats
        )
        if whole:  # only files that no longer exist: a partial run keeps the rest
            self.cache.forget_missing(set(keys))
        _kept_until_exit.append(analyses)
        return analyses

    def _stats_of(self, files: Sequence[str]) -> list[Identity | None] | None:
        """The stats the listing took of the first of `files` (which are the listing's files, or
        some of them in its order), so that those files are not stat'ed again."""
        listing = self._listing
        if listing is None or not listing.stats:
            return None
        if files is listing.files:
            return listing.stats
        listed, taken, found = listing.files, listing.stats, []
        at = 0
        for path in files:
            while at < len(taken) and listed[at] != path:
                at += 1
            if at == len(taken):
                break
            found.append(taken[at])
            at += 1
        return found

    def choice(
        self, now: datetime, inputs: object, choose: Callable[[PostFiles], Choice]
    ) -> Choice:
        """What `choose` makes of the listing, or the last build's choice with the same `inputs`
        while it still holds (`Selection`)."""
        key = cache_inputs(self.site, self.folder, inputs)
        listing = self.listing()
        kept = kept_selection(now, listing, key, self.cache)
        if kept is not None:
            listing = self._listing = with_all_stats(listing)  # they serve `choose` too
            chosen = kept_choice(self.site, listing, key, self.cache, kept)
            if chosen is not None:
                return chosen
        chosen = choose(listing)
        if chosen.report.ok:
            self.cache.keep(
                key,
                listing.files,
                _proven(listing),
                functools.partial(selection, chosen, now, listing, self.cache),
            )
        return chosen

    def unchanged(self, out: Path, names: Sequence[str], key: str) -> bool:
        """Whether the files `names` in `out` were made from `key` (and nobody changed them
        since)."""
        return all(
            self.cache.unchanged_output(
                name,
                key,
                functools.partial(read_if_present, out / name),
                stat_identity(str(out / name)),
            )
            for name in names
        )

    def made(self, name: str, key: str, data: bytes) -> None:
        """Output `name` was made from `key` (see `unchanged`)."""
        self.cache.record_output(name, key, data)

    def render(
        self, work: Callable[..., T], posts: list[Post], digests: dict[str, str], *args: Any
    ) -> T:
        """work(site, `posts` rendered, *args), run in the helper; each post rendered once (the
        cache has the HTML of most), on both cores when there are many."""
        assert self.helper is not None, "a run that renders is made with `prepare`"
        return rendered_by(self.helper, work, posts, self.site, digests, self.cache, *args)

    def render_each(
        self,
        work: Callable[[Site, list[Rendered], list[V]], list[T]],
        posts: list[Post],
        digests: dict[str, str],
        items: list[V],
    ) -> list[T]:
        """work(site, `posts` rendered, `items`), where `work` makes one result per item: as
        `render`, and then the items shared out between both cores when there are many."""
        return self.render(_each_on_both_cores, posts, digests, work, items)

    def save(self) -> None:
        """Write the cache if it changed; failing to is only a note (it is an optimization)."""
        if self.cache.folder is None:
            return
        try:
            write_files(self.cache.folder, self.cache.to_write())
        except FeedtoolError as exc:
            self.notes.append(f"cache not saved: {exc}")


@contextlib.contextmanager
def run(
    site: Site,
    folder: Path | None = None,
    *,
    prepare: Callable[[], None] | None = None,
    kept_listing: bool = False,
    save: bool = True,
) -> Iterator[Run]:
    """A job's `Run` over the posts in `folder` (the site's by default).

    With `prepare` (what rendering imports), a helper is forked first, before the heavy imports
    and the cache: it lists the posts (unless `kept_listing` and the last build's listing still
    holds) while this process imports and loads the cache, then runs `prepare` while this
    process reads the posts, then renders for it. (Forked later, with the cache loaded, every
    page this process then wrote to would be copied.) `save`: the cache is kept on disk."""
    _kept_until_exit.clear()
    folder = folder or site.posts
    known = kept_listing_of(site.cache / KEPT_LISTING, folder) if kept_listing else None
    with_stats = site.cache.is_dir()  # a cold run has no cache to look the stats up in

    def list_posts() -> PostFiles:
        return post_files(folder, stat=_HELPER_STATS if with_stats else 0)

    helper = None
    if prepare is not None:
        helper = Helper(prepare, first=None if known else list_posts)
    with helper if helper is not None else contextlib.nullcontext():
        cache = open_cache(site, save)
        _kept_until_exit.append(cache)
        if cache.folder is not None:
            cache.write_now = functools.partial(_write_now, cache.folder)
        if helper is not None and known is None:
            cache.read_entries()  # while the helper lists: no kept choice is likely to hold
            if not with_stats:  # a first run reads every post: import YAML while it waits
                from .posts import yaml_loader

                yaml_loader()
        job = Run(site, folder, cache, helper)
        job._listing = known
        yield job


def _write_now(folder: Path, files: dict[str, bytes]) -> bool:
    """Part of the cache written early; False if it could not be (`Run.save` says why later)."""
    try:
        write_files(folder, files)
    except FeedtoolError:
        return False
    return True
