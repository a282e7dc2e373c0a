"""An on-disk cache of what each post file says and of rendered HTML (safe to delete).

An entry is reused without reading the file when its size, mtime, ctime and inode are
unchanged and the file had not been changed for a while when it was read; otherwise the file
is read and its content hash decides. (ctime catches edits whose mtime was set back, since
nobody can set ctime; and, like git's "racy clean" rule, files read within a clock tick or two
of a change are always hashed, since a second edit in that tick would leave the stat as it was.) A
cache from
another feedtool version, for other site settings, or that cannot be read is ignored and
rebuilt, and so is one not signed with this user's key (`sign`): unpickling a cache that
came with the blog could run code.

On disk: `posts.pickle` holds every entry (read only when a run needs entries: after a small
header naming it); `journal.pickle` holds the entries changed since (and which output files were
made from what), so that editing one post rewrites a few kilobytes, not the whole cache;
`html.pickle` holds rendered HTML, the most recently used first (and the journal what was
rendered since, up to HTML_JOURNAL_MAX posts); `selection.pickle` what the last build chose
(`engine.Selection`: a build after an edit that changes no choice needs no other entry), and
`listing.marshal` the posts it listed, with the stats of their folders, which prove it current.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import marshal
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import feedtool

from . import __version__
from .config import Site
from .files import (
    Identity,
    PostFiles,
    _split_files,
    blake2b,
    changed_ns,
    content_hash,
    folder_identity,
    open_regular,
    read_regular_file,
    stat_identity,
)

BASE, JOURNAL, HTML, SELECTION = "posts.pickle", "journal.pickle", "html.pickle", "selection.pickle"
HTML_KEEP = 2000  # rendered posts kept (most recently used): several builds' and digests' worth
# Rendered posts added (or used again) since `html.pickle` was written go in the journal until
# there are this many: a build that renders one post then writes kilobytes, not megabytes.
HTML_JOURNAL_MAX = 100
# A file modified this close to the moment it was read is hashed on every run, never trusted by
# stat.
RACY_NS = 2_000_000_000
# The journal is folded into the base once it holds this share of the entries.
JOURNAL_SHARE = 0.05

Entry = tuple  # (stat identity or UNTRUSTED, content hash, analysis)
UNTRUSTED = b""  # in place of a stat that cannot prove the file unchanged: it is hashed next time
_NO_ENTRIES = itertools.repeat((object(), None, None))  # what a lookup of unknown files finds


# Settings that neither a post's analysis nor its rendering reads: changing them keeps the cache.
# Every other setting, a new one too, is part of the cache's key.
_UNREAD_SETTINGS = dict.fromkeys(
    (
        "title",
        "description",
        "feed_limit",
        "out",
        "cache",
        "hub",
        "stylesheet",
        "digest",
        "smtp",
        "tag_feeds",
        "subscribe",
        "bounces",
        "notes",
    )
)


def fingerprint(site: Site) -> str:
    """Everything that changes what a post reads or renders as: the settings, the libraries, and
    feedtool's own code and templates, by content (so that no change to it, whatever its size
    and mtime, can be served a stale analysis).

    A library is identified by its installed file's path, size and mtime (an upgrade rewrites it).
    """
    from importlib.util import find_spec

    libraries = []
    for name in ("markdown", "nh3", "yaml"):
        spec = find_spec(name)
        path = spec.origin if spec and spec.origin else name
        try:
            stat = os.stat(path)
            libraries.append((path, stat.st_size, stat.st_mtime_ns))
        except OSError:
            libraries.append((path, 0, 0))
    code = blake2b(digest_size=16)
    package = os.path.dirname(__file__)
    for folder in (package, os.path.join(package, "templates")):
        with contextlib.suppress(OSError):
            for name in sorted(os.listdir(folder)):
                if name.endswith((".py", ".j2")):
                    with open(os.path.join(folder, name), "rb") as source:  # feedtool's own
                        code.update(name.encode() + b"\0" + source.read())
    settings = dataclasses.replace(site, **dict.fromkeys(_UNREAD_SETTINGS, None))  # type: ignore[arg-type]
    key = (__version__, tuple(libraries), code.hexdigest(), repr(settings))
    return content_hash(repr(key).encode())


@dataclass
class Cache:
    """Entries by absolute path. `folder` None: in memory only, never saved."""

    folder: Path | None
    key: str
    # How an analysis is kept (validate: as a plain tuple, which pickles twice as fast as a
    # NamedTuple), and made again from that (one C call).
    encode: Callable[[Any], Any] = field(default=lambda analysis: analysis)
    decode: Callable[[Any], Any] = field(default=lambda kept: kept)
    base_id: str = ""
    # Entries by path: `files`, read from the base the first time a run asks (`_unread`: its file).
    _files: dict[str, Entry] = field(default_factory=dict)
    _unread: Path | None = None
    html: dict[str, tuple[str, str, str | None, int]] = field(
        default_factory=dict
    )  # ..., last used
    html_id: str = (
        ""  # names the html.pickle loaded or written, which the journal's rendered posts add to
    )
    html_new: dict[str, tuple[str, str, str | None, int]] = field(
        default_factory=dict
    )  # since html.pickle
    # file -> (inputs key, content hash, its stat identity when last found as written, or UNTRUSTED)
    outputs: dict[str, tuple[str, str, Identity]] = field(default_factory=dict)
    dirty: dict[str, Entry | None] = field(
        default_factory=dict
    )  # changed since the base; None: gone
    _entries_changed: bool = False  # `dirty` holds more than the journal it was read from
    _html_changed: bool = False
    _outputs_changed: bool = False
    # Where a new base is written as soon as `seal` has pickled it, if set (the CLI's writer; it
    # returns False when it could not): 3 MB written while the helper renders, not at the end.
    write_now: Callable[[dict[str, bytes]], bool] | None = None
    _due: dict[str, bytes] = field(default_factory=dict)  # pickled by `seal`, not yet written
    _base_written: bool = False  # by `write_now`: the journal must name it
    _batches: list[bytes] = field(default_factory=list)  # adopted entries, pickled, for a new base
    _batched: set[str] = field(default_factory=set)  # their paths, while unchanged since
    kept: Kept | None = None  # what the last build chose, as read
    _to_keep: tuple[str, list[str], PostFiles | None, Callable[[], Any]] | None = (
        None  # what this one chose
    )

    @property
    def files(self) -> dict[str, Entry]:
        if self._unread is not None:
            base, self._unread = self._unread, None
            try:
                with collector_paused():
                    self._files = _base_entries(base, self.base_id)
            except (
                Exception
            ):  # replaced since its header was read, or damaged: as if there were none
                self._files, self.base_id, self.dirty = {}, "", {}
            for path, entry in self.dirty.items():  # the journal's changes, over the base
                if entry is None:
                    self._files.pop(path, None)
                else:
                    self._files[path] = entry
        return self._files

    def read_entries(self) -> None:
        """Read the entries now (a run sure to need them, while it waits for something else)."""
        self.files  # noqa: B018

    @property
    def entries_read(self) -> bool:
        """Whether this run read the entries (a build that kept its selection does not)."""
        return self._unread is None

    def keep(
        self, inputs: str, files: list[str], listing: PostFiles | None, selection: Callable[[], Any]
    ) -> None:
        """Keep what a build chose from `files` (a `engine.Selection`, made by `selection()` when
        `seal` or `to_write` pickles it: while the helper renders), for the next build with the
        same `inputs` (see `Kept`); and `listing`, unless None (kept already), for
        `cache.kept_listing`."""
        self._to_keep = inputs, files, listing, selection

    def current(
        self,
        paths: Sequence[str],
        keys: Sequence[str],
        stats: Sequence[Identity | None] | None = None,
    ) -> list[Any | None]:
        """For each file (`keys`: the cache's names for `paths`), its analysis if the cache knows
        the file and its stat proves it unchanged, else None. Known files are stat'ed here, except
        the first len(`stats`), whose stats (None: not a regular file) were taken already. (One
        loop for all files, with nothing looked up twice: this is most of a warm run.)"""
        get, decode = self.files.get, self.decode
        taken = len(stats) if stats is not None else 0
        # The files whose stats were taken (an unknown file finds an entry whose stat equals
        # nothing).
        found: list[Any | None] = [
            decode(entry[2]) if entry[0] == known else None
            for entry, known in zip(map(get, keys, _NO_ENTRIES), stats or (), strict=False)
        ]
        for path, key in zip(paths[taken:], keys[taken:], strict=True):
            entry = get(key)
            found.append(
                decode(entry[2]) if entry is not None and entry[0] == stat_identity(path) else None
            )
        return found

    def entry(self, path: str) -> Any | None:
        """The analysis the cache holds for `path`, current or not."""
        entry = self.files.get(path)
        return self.decode(entry[2]) if entry is not None else None

    def entry_seen(self, path: str, proof: Identity, digest: str | None) -> Any | None:
        """The analysis the cache holds for `path` if it was made from the file as some earlier
        run saw it: with the stat `proof` (when trusted), or else with the content hash `digest`.
        None otherwise (the entry is of a later version, or there is none)."""
        entry = self.files.get(path)
        if entry is None or not (entry[0] == proof != UNTRUSTED or digest and entry[1] == digest):
            return None
        return self.decode(entry[2])

    def refresh(self, path: str, stat_identity: Identity, read_ns: int) -> Any:
        """The analysis for `path`, read again and found with the content it had when cached
        (its hash was the entry's): the entry takes the new stat, so that next time stat
        suffices."""
        entry = self.files[path]
        if entry[0] != stat_identity:  # a new stat (or one that can be trusted now)
            self._put(path, make_entry(stat_identity, entry[1], read_ns, entry[2]))
        return self.decode(entry[2])

    def store(
        self, path: str, stat_identity: Identity, digest: str, analysis: Any, read_ns: int
    ) -> None:
        self._put(path, make_entry(stat_identity, digest, read_ns, self.encode(analysis)))

    def store_proven(self, path: str, proof: Identity, analysis: Any) -> None:
        """Store an analysis with the stat that proves it current (`trusted`, decided already);
        analyses whose file had no content hash are never cached."""
        if analysis.digest:
            self._put(path, (proof, analysis.digest, self.encode(analysis)))

    def adopt(self, batch: bytes) -> dict[str, Entry]:
        """Entries made by a helper process that read their files, as it pickled them
        ({path: entry}): added as `store` adds one, and kept as they are for a new base, which
        then need not pickle them again."""
        entries = pickle.loads(batch)
        for path, entry in entries.items():
            self._put(path, entry)
        if not self.base_id:
            self._batches.append(batch)
            self._batched.update(entries)
        return entries

    def _put(self, path: str, entry: Entry) -> None:
        self.files[path] = entry
        self.dirty[path] = entry
        self._entries_changed = True
        self._batched.discard(path)  # the new entry is not the one its batch holds

    def forget_missing(self, present: set[str]) -> None:
        """Drop entries of files that no longer exist (not merely left out of this run)."""
        gone = [p for p in self.files if p not in present and not os.path.lexists(p)]
        for path in gone:
            del self.files[path]
            self.dirty[path] = None
            self._entries_changed = True
        if gone and self._batches:
            # A batch may hold an earlier entry of a file now gone (even one stored again since):
            # the base is then pickled whole instead.
            self._batches, self._batched = [], set()

    def rendered(self, key: str) -> tuple[str, str, str | None] | None:
        hit = self.html.get(key)
        if hit is None:
            return None
        now = time.time_ns()
        if now - hit[3] > 3600 * 10**9:  # refresh "last used" hourly, not on every read
            self.html[key] = self.html_new[key] = (*hit[:3], now)
            self._html_changed = True
        return hit[:3]

    def store_rendered(self, key: str, value: tuple[str, str, str | None]) -> None:
        self.html[key] = self.html_new[key] = (*value, time.time_ns())
        self._html_changed = True

    def unchanged_output(
        self, name: str, key: str, read: Callable[[], bytes | None], stat: Identity | None
    ) -> bool:
        """True if the file `name` was made from the same inputs (`key`) and is still as written.
        `stat`: its stat identity now (None: not a regular file); `read()`: its content now, or
        None. It is read only when the inputs are the same and its stat cannot prove it unchanged
        (the first time after it was written): when its content is as written, its stat is kept,
        by the same rule as a post's (see `make_entry`), so that next time the stat suffices."""
        recorded = self.outputs.get(name)
        if recorded is None or recorded[0] != key or stat is None:
            return False
        if recorded[2] == stat:
            return True
        existing = read()
        if existing is None or recorded[1] != content_hash(existing):
            return False
        self.outputs[name] = (key, recorded[1], trusted(stat, time.time_ns()))
        self._outputs_changed = True
        return True

    def record_output(self, name: str, key: str, data: bytes) -> None:
        made = (key, content_hash(data))
        recorded = self.outputs.get(name)
        if recorded is None or recorded[:2] != made:
            self.outputs[name] = (
                *made,
                UNTRUSTED,
            )  # its stat is known once it is written: next run
            self._outputs_changed = True

    def seal(self) -> None:
        """Pickle now what is due, and write it at once if `write_now` can: the selection when it
        changed, and a new base when the journal has grown too large or there is none. A build
        does this while its helper renders, instead of after."""
        due = {}
        if self._to_keep is not None:
            inputs, files, listing, selection = self._to_keep
            chosen = pickle.dumps(selection(), protocol=pickle.HIGHEST_PROTOCOL)
            kept = Kept(self.key, inputs, listed(files), chosen, content_hash(chosen))
            due[SELECTION] = sign(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
            if listing is not None:
                due[KEPT_LISTING] = dump_listing(listing)
            self._to_keep = None
        # Unread entries are as the base and journal have them: no new base is due.
        if self.entries_read and (
            len(self.dirty) > JOURNAL_SHARE * max(len(self.files), 1) or not self.base_id
        ):
            self.base_id = os.urandom(8).hex()
            # Adopted batches as they are, then every other entry (read back in that order).
            rest = (
                {p: e for p, e in self.files.items() if p not in self._batched}
                if self._batched
                else self.files
            )
            header = sign(
                pickle.dumps(
                    {"key": self.key, "id": self.base_id}, protocol=pickle.HIGHEST_PROTOCOL
                )
            )
            body = sign(
                pickle.dumps(
                    {"id": self.base_id, "batches": self._batches, "files": rest},
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            )
            due[BASE] = len(header).to_bytes(4, "little") + header + body
            self._batches, self._batched = [], set()
            self.dirty = {}
        if due and self.write_now is not None and self.write_now(due):
            self._base_written = self._base_written or BASE in due
        else:
            self._due.update(due)

    def to_write(self) -> dict[str, bytes]:
        """File name -> content for what changed: the journal, or a new base when it grew."""
        out = {}
        if self._html_changed and (not self.html_id or len(self.html_new) > HTML_JOURNAL_MAX):
            recent = sorted(self.html.items(), key=lambda item: item[1][3], reverse=True)[
                :HTML_KEEP
            ]
            self.html_id, self.html_new = os.urandom(8).hex(), {}
            out[HTML] = sign(
                pickle.dumps(
                    {"key": self.key, "id": self.html_id, "html": dict(recent)},
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            )
        self.seal()
        out.update(self._due)
        self._due = {}
        if (
            BASE in out
            or self._base_written
            or self._entries_changed
            or self._outputs_changed
            or self._html_changed
        ):
            out[JOURNAL] = sign(
                pickle.dumps(
                    {
                        "key": self.key,
                        "base": self.base_id,
                        "dirty": self.dirty,
                        "outputs": self.outputs,
                        "html_base": self.html_id,
                        "html": self.html_new,
                    },
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            )
        self._base_written = False
        return out


def make_entry(stat_identity: Identity, digest: str, read_ns: int, analysis: Any) -> Entry:
    """The entry of a file read at `read_ns`, with its stat if that can be trusted (`trusted`).
    (The moment itself is not kept: it decides only this, once.)"""
    return trusted(stat_identity, read_ns), digest, analysis


def trusted(stat_identity: Identity, read_ns: int) -> Identity:
    """The stat of a file read at `read_ns`, or UNTRUSTED if the file changed (mtime or ctime) too
    close to that moment: decided once, when it is read, not on every lookup."""
    return UNTRUSTED if changed_ns(stat_identity) > read_ns - RACY_NS else stat_identity


class Kept(NamedTuple):
    """What a build chose (a `engine.Selection`, pickled apart), and what is compared before it is
    unpickled: the cache's key, the hash of the inputs it was chosen with (`inputs`), and the
    posts listed."""

    key: str  # the cache's `fingerprint`
    inputs: str
    listed: str  # `listed` of the files it chose from
    selection: bytes
    check: str  # its content hash: a damaged file is ignored


def inputs(site: Site, posts: Path, limit: object) -> str:
    """What a build's choice depends on besides the posts: the settings, the posts folder as
    given, the feed limit and the working folder (the reports name files relative to it)."""
    return content_hash(repr((repr(site), os.fspath(posts), limit, os.getcwd())).encode())


def listed(files: list[str]) -> str:
    """A hash of a list of files."""
    return content_hash("\0".join(files).encode("utf-8", "surrogateescape"))


def open_cache(
    folder: Path | None,
    site: Site,
    encode: Callable[[Any], Any] = lambda analysis: analysis,
    decode: Callable[[Any], Any] = lambda kept: kept,
) -> Cache:
    """The cache in `folder` for this site, or an empty one when absent, stale or unreadable;
    `encode` and `decode` say how an analysis is kept."""
    key = fingerprint(site)
    cache = Cache(folder, key, encode=encode, decode=decode)
    if folder is None:
        return cache
    try:
        # Only the header now: the entries are read if the run asks for them (`Cache.files`).
        cache.base_id, cache._unread = _base_header(folder / BASE, key), folder / BASE
    except Exception:  # absent, corrupt, truncated, or from another version: start afresh
        return cache
    journal: dict[str, Any] = {}
    try:
        journal = _read(folder / JOURNAL, key)
        if journal["base"] == cache.base_id:
            cache.dirty, cache.outputs = dict(journal["dirty"]), dict(journal["outputs"])
    except Exception:  # a lost journal only costs re-reading the files it named
        pass
    try:
        with open(open_regular(folder / SELECTION), "rb") as handle:
            kept = pickle.loads(verified(handle.read()))
        valid = (
            isinstance(kept, Kept)
            and kept.key == key
            and content_hash(kept.selection) == kept.check
        )
        cache.kept = kept if valid else None
    except Exception:  # a lost selection only costs the next build a full check
        pass
    try:
        html = _read(folder / HTML, key)
        cache.html, cache.html_id = dict(html["html"]), html["id"]
        if journal.get("html_base") == cache.html_id:
            cache.html_new = dict(journal["html"])
            cache.html.update(cache.html_new)
    except Exception:  # lost rendered HTML is rendered again
        pass
    return cache


def _read(path: Path, key: str) -> dict[str, Any]:
    with open(open_regular(path), "rb") as handle:
        data = handle.read()
    with collector_paused():
        state = pickle.loads(verified(data))
    if not isinstance(state, dict) or state.get("key") != key:
        raise ValueError("another version or other settings")
    return state


def _base_header(path: Path, key: str) -> str:
    """The id of the base in `path`, from its header alone. A base is a 4-byte length, a small
    header, then its entries (`_base_entries`)."""
    with open(open_regular(path), "rb") as handle:
        header = pickle.loads(verified(handle.read(int.from_bytes(handle.read(4), "little"))))
    if not isinstance(header, dict) or header.get("key") != key:
        raise ValueError("another version or other settings")
    return header["id"]


def _base_entries(path: Path, base_id: str) -> dict[str, Entry]:
    """The entries of the base in `path`, its batches then the rest, if it is still the one
    whose header named `base_id` (another run may have replaced it since)."""
    with open(open_regular(path), "rb") as handle:
        data = memoryview(handle.read())
    state = pickle.loads(
        verified(data[4 + int.from_bytes(data[:4], "little") :])
    )  # 100,000 new objects: see the caller
    if state["id"] != base_id:
        raise ValueError("not the base the header named")
    files: dict[str, Entry] = {}
    for batch in state["batches"]:
        files.update(pickle.loads(batch))
    files.update(state["files"])
    return files


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while many objects are made, none in a cycle (loading the
    cache, reading 10,000 posts): it would walk them again and again. In the feedtool program
    (`__main__`), which freezes what lives as long as it does, they are then frozen too (reference
    counting still frees what is dropped); a library caller's process is left as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if feedtool.program:
            gc.freeze()
        if enabled:
            gc.enable()


# Cache files are signed with a key kept outside the blog: FEEDTOOL_CACHE_KEY, else a file in the
# user's cache folder, made on first use. A `.feedtool-cache/` that came with the blog (a pull
# request's) then reads as no cache: unpickling it could run code.
CACHE_KEY_VARIABLE = "FEEDTOOL_CACHE_KEY"


_MAC_SIZE = 32


def cache_key_file() -> Path:
    """Where the cache key is kept: $XDG_CACHE_HOME/feedtool/cache-key (~/.cache by default)."""
    return (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "feedtool" / "cache-key"
    )


_cache_key: bytes | None = None


def _key() -> bytes:
    global _cache_key
    if _cache_key is None:
        given = os.environ.get(CACHE_KEY_VARIABLE)
        _cache_key = given.encode("utf-8", "surrogateescape") if given else _key_from_file()
    return _cache_key


def _key_from_file() -> bytes:
    """The key in `cache_key_file`, made (0600) if missing; without a usable file, a key for this
    run alone: nothing cached is then reused, which costs time only."""
    try:
        path = cache_key_file()
        key = read_regular_file(path, limit=4096) if path.exists() else b""
        if len(key) < 32:
            from .errors import OutputError
            from .output import create_files

            try:
                create_files(path.parent, {path.name: os.urandom(32).hex().encode()}, mode=0o600)
            except OutputError:  # another run made it meanwhile, or the folder is not writable
                pass
            key = read_regular_file(path, limit=4096)
        if len(key) >= 32:
            return key
    except (OSError, RuntimeError):  # no home folder, or an unreadable key
        pass
    return os.urandom(32)


def sign(data: bytes) -> bytes:
    """`data` behind its keyed hash (see `verified`)."""
    return blake2b(data, key=_key()[:64], digest_size=_MAC_SIZE).digest() + data


def verified(blob: bytes | memoryview) -> memoryview:
    """The data `sign` signed with this user's key; ValueError for anything else."""
    view = memoryview(blob)
    data = view[_MAC_SIZE:]
    if (
        len(view) < _MAC_SIZE
        or blake2b(data, key=_key()[:64], digest_size=_MAC_SIZE).digest() != view[:_MAC_SIZE]
    ):
        raise ValueError("not signed with this user's cache key")
    return data


# A listing kept between runs (`kept_listing`), read before anything else is imported: marshal,
# built into Python, reads it with nothing to import. Signed (`sign`): a damaged file, another
# user's, or one from another Python reads as nothing, and the posts are listed.
_LISTING_FORMAT = 3


KEPT_LISTING = "listing.marshal"  # its file's name in the cache folder


def dump_listing(listing: PostFiles) -> bytes:
    """`listing`'s files and folders, for `kept_listing` (its folders' identities as proofs:
    UNTRUSTED where a stat cannot prove the folder unchanged)."""
    return sign(marshal.dumps((_LISTING_FORMAT, "\0".join(listing.files), listing.folders)))


def kept_listing(path: Path, root: Path) -> PostFiles | None:
    """The listing of `root` kept in `path` by `dump_listing`, if each of its folders (the
    first of them `root`) still has the identity kept, so that `find` would list the same
    files; None otherwise. (Its `listed_ns` is 0: it was not listed now.)"""
    try:
        version, joined, folders = marshal.loads(verified(read_regular_file(path)))
        if version != _LISTING_FORMAT:
            return None
    except Exception:  # absent, damaged, or from another Python
        return None
    if (
        not folders
        or folders[0][0] != os.fspath(root)
        or not all(folder_identity(folder) == kept for folder, kept in folders)
    ):
        return None
    return _split_files(joined, None, folders)
