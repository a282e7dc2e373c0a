"""Which files are posts: listing a folder, and what a cache remembers of each file's stat.

A module of its own, importing nothing but the standard library: a helper process lists the
posts with it while the main process imports the rest and loads the cache.
"""

from __future__ import annotations

import errno
import math
import os
import re
import struct
import time
from pathlib import Path
from stat import S_ISREG
from typing import Any, NamedTuple, Protocol

# hashlib's own BLAKE2, without loading OpenSSL, which `import hashlib` costs every run.
try:
    from _blake2 import blake2b
except ImportError:  # another Python implementation
    from hashlib import blake2b

POST_SUFFIXES = (".md", ".markdown")
# Jekyll's DATE_FILENAME_MATCHER: a file in _posts without a date in its name is no post.
_JEKYLL_POST_NAME = re.compile(r"\d{2,4}-\d{1,2}-\d{1,2}-[^/]*\.[^.]+")


def find(folder: str | Path, folders: list[tuple[str, Identity | None]] | None = None) -> list[str]:
    """Every post file under `folder`, sorted, so outputs never depend on directory order.

    Symbolic links (to files or folders) and special files with a post's name are listed but
    never followed or read: each gets a warning, so no loop or pipe can hang a run and nothing
    outside the folder is read. A folder that cannot be listed is listed itself: its reader
    reports it as an error, since its posts would be missing. `folders`, if given, gets each
    folder looked into with its `folder_identity` from just before: while those are unchanged,
    so is what this returns (a name added, removed or renamed changes its folder's mtime).
    """
    found: list[str] = []
    pending = [os.fspath(folder)]
    while pending:
        current = pending.pop()
        if folders is not None:
            folders.append((current, folder_identity(current)))
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    post_name = entry.name.lower().endswith(POST_SUFFIXES)
                    if post_name and entry.is_file(follow_symlinks=False):
                        if not entry.name.startswith("_index."):  # Hugo's list pages are not posts
                            found.append(entry.path)
                    elif entry.is_symlink():
                        if folders is not None and not post_name:
                            # Listed or not by what it points to, which can change while this
                            # folder's stat does not: the listing cannot be proven by it.
                            folders[-1] = (current, None)
                        if post_name or entry.is_dir():
                            found.append(entry.path)
                    elif entry.is_dir():
                        pending.append(entry.path)
                    elif (
                        post_name
                    ):  # a named pipe or device: listed, so that it is reported, never read
                        found.append(entry.path)
        except OSError:
            found.append(
                current
            )  # listed, so that it is reported: its posts would be missing unseen
    return sorted(found)


MAX_FILE_BYTES = 256 << 20  # a post, config, feed or list of recipients: more is a mistake


def open_regular(path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of `path`, which must be a regular file and no symbolic link (OSError
    otherwise): a pipe or device put in place of one of feedtool's own files (the cache, a lock)
    cannot make a run wait or read forever, nor a link send a write elsewhere."""
    return _open_regular(path, flags, mode, follow_symlinks=False)[0]


def _open_regular(
    path: str | Path, flags: int, mode: int, *, follow_symlinks: bool
) -> tuple[int, os.stat_result]:
    """`open_regular`, optionally through a symbolic link; with the file's stat."""
    flags |= os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)  # a FIFO: no wait for a writer
    fd = os.open(path, flags | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0)), mode)
    found = os.fstat(fd)
    if not S_ISREG(found.st_mode):
        os.close(fd)
        raise OSError(
            errno.EINVAL, "not a regular file (a device, a pipe or a folder)", os.fspath(path)
        )
    return fd, found


def read_regular_file(
    path: str | Path, *, follow_symlinks: bool = False, limit: int = MAX_FILE_BYTES
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; else OSError with a clear strerror.
    A symbolic link is refused (ELOOP) unless `follow_symlinks`. A device (/dev/zero) or a named
    pipe is refused before any read: it could hang the run or fill the memory."""
    return read_with_stat(path, follow_symlinks=follow_symlinks, limit=limit)[0]


def read_with_stat(
    path: str | Path, *, follow_symlinks: bool = False, limit: int = MAX_FILE_BYTES
) -> tuple[bytes, os.stat_result]:
    """`read_regular_file`, with the file's stat, taken when it was opened (before the read)."""
    fd, found = _open_regular(path, os.O_RDONLY, 0o644, follow_symlinks=follow_symlinks)
    try:
        size = found.st_size
        if size <= limit:
            parts = [os.read(fd, size + 1)]  # one read usually takes it all
            size = len(parts[0])
            while (
                parts[-1] and size <= limit
            ):  # until the end: the file may have grown since its stat
                parts.append(os.read(fd, 1 << 20))
                size += len(parts[-1])
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(
            errno.EFBIG, f"larger than {limit >> 20} MB, the most feedtool reads", os.fspath(path)
        )
    return (parts[0] if len(parts) == 2 else b"".join(parts)), found


# What a cache remembers of a file's stat: size, mtime_ns, ctime_ns and inode, packed into one
# bytes object (one object to compare, pickle and load, not five: a 10,000-post cache loads faster).
# 64-bit fields, or 128-bit ones for the rare file beyond them (a time after 2262, a 128-bit inode).
Identity = bytes
_IDENTITY = struct.Struct("<QqqQ")
_WIDE = 16  # bytes a field of the wide form takes


class Stat(Protocol):
    """What `identity` reads of a stat: os.stat_result, or a test's values beyond its range."""

    @property
    def st_size(self) -> int: ...
    @property
    def st_mtime_ns(self) -> int: ...
    @property
    def st_ctime_ns(self) -> int: ...
    @property
    def st_ino(self) -> int: ...


def identity(stat: Stat) -> Identity:
    fields = stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino
    try:
        return _IDENTITY.pack(*fields)
    except struct.error:
        return b"".join(field.to_bytes(_WIDE, "little", signed=True) for field in fields)


def changed_ns(stat_identity: Identity) -> int:
    """When the file last changed (its mtime or ctime, whichever is later)."""
    if len(stat_identity) == _IDENTITY.size:
        _, mtime, ctime, _ = _IDENTITY.unpack(stat_identity)
    else:
        mtime, ctime = (
            int.from_bytes(stat_identity[_WIDE * n : _WIDE * (n + 1)], "little", signed=True)
            for n in (1, 2)
        )
    return max(mtime, ctime)


def folder_identity(path: str) -> Identity | None:
    """A folder's `identity` (following a symbolic link, as listing it does); None if gone."""
    try:
        return identity(os.stat(path))
    except OSError:
        return None


def stat_identity(path: str) -> Identity | None:
    """The file's `identity`; None if it is not a regular file, or is gone."""
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return identity(found) if S_ISREG(found.st_mode) else None


class PostFiles(NamedTuple):
    """The post files in a folder, as `find` lists them, and, when taken, the stat `identity`
    of the first of them (None: not a regular file, or gone): `stats` may be shorter than
    `files`, and the rest are stat'ed where they are looked up. `folders`: as `find` gives
    them, and `listed_ns`: when the listing began."""

    files: list[str]
    stats: list[Identity | None] | None = None
    folders: list[tuple[str, Identity | None]] = []
    listed_ns: int = 0

    def __reduce__(self) -> tuple:
        # From the helper as one string, not 10,000 (no path holds a NUL): half the pickling.
        return _split_files, ("\0".join(self.files), *self[1:])


def _split_files(joined: str, *rest: Any) -> PostFiles:
    return PostFiles(joined.split("\0") if joined else [], *rest)


def with_all_stats(listing: PostFiles) -> PostFiles:
    """`listing` with the stat `identity` of every file (those taken already kept)."""
    stats = listing.stats or []
    if len(stats) == len(listing.files):
        return listing
    return listing._replace(stats=[*stats, *map(stat_identity, listing.files[len(stats) :])])


def are_posts(kind: str, root: str | Path, files: list[str]) -> list[bool]:
    """Which of the files `find` lists under the posts folder `root` are posts for the
    generator `kind`: Jekyll's need a date in their name; Hugo's pages at the content root (an
    about page) are not posts, nor are Markdown files in a page bundle other than its index."""
    # What is listed only to be reported (a folder that cannot be read) is kept.
    if kind == "jekyll":
        return [
            not name.lower().endswith(POST_SUFFIXES)
            or bool(_JEKYLL_POST_NAME.fullmatch(name))
            and not name.startswith((".", "_", "#", "~"))
            for name in map(os.path.basename, files)
        ]
    if kind != "hugo":
        return [True] * len(files)
    root = os.path.abspath(root)
    indexes: dict[str, str | None] = {}  # folder -> its bundle's index file, if it is in a bundle

    def bundle(folder: str) -> str | None:
        if folder not in indexes:
            parent = os.path.dirname(folder)
            indexes[folder] = _bundle_index(folder) or (
                bundle(parent) if parent != folder and parent.startswith(root + os.sep) else None
            )
        return indexes[folder]

    found = []
    for path in files:
        if not path.lower().endswith(POST_SUFFIXES):
            found.append(True)
            continue
        folder = os.path.abspath(os.path.dirname(path))
        own = os.path.join(folder, os.path.basename(path))
        found.append(folder != root and bundle(folder) in (None, own))
    return found


def _bundle_index(folder: str) -> str | None:
    """A Hugo leaf bundle's index file in `folder` (index.md, or index.LANG.md), if any."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    return next(
        (
            os.path.join(folder, name)
            for name in names
            if name.startswith("index.") and name.lower().endswith(POST_SUFFIXES)
        ),
        None,
    )


def post_files(folder: str | Path, stat: float) -> PostFiles:
    """The post files in `folder` (which must be a folder), with the stats of the first `stat`
    share of them (0 to 1; false: none): a helper process lists them while the main one loads
    the cache that looks them up (and stats the rest)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise NotADirectoryError(folder)
    listed_ns = time.time_ns()
    folders: list[tuple[str, Identity | None]] = []
    files = find(folder, folders)
    stats = list(map(stat_identity, files[: math.ceil(len(files) * stat)])) if stat else None
    return PostFiles(files, stats, folders, listed_ns)


def content_hash(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()
