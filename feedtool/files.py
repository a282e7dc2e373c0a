"""Which files are posts: listing a folder, and what a cache remembers of each file's stat.

A module of its own, importing nothing but the standard library: a helper process lists the
posts with it while the main process imports the rest and loads the cache.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

POST_SUFFIXES = (".md", ".markdown")


def find(folder: str | Path) -> list[str]:
    """Every post file under `folder`, sorted, so outputs never depend on directory order.

    Symbolic links (to files or folders) and special files with a post's name are listed but
    never followed or read: each gets a warning, so no loop or pipe can hang a run and nothing
    outside the folder is read. A folder that cannot be listed is listed itself: its reader
    reports it as an error, since its posts would be missing.
    """
    found: list[str] = []
    pending = [os.fspath(folder)]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    post_name = entry.name.lower().endswith(POST_SUFFIXES)
                    if post_name and entry.is_file(follow_symlinks=False):
                        if not entry.name.startswith("_index."):  # Hugo's list pages are not posts
                            found.append(entry.path)
                    elif entry.is_symlink():
                        if post_name or entry.is_dir():
                            found.append(entry.path)
                    elif entry.is_dir():
                        pending.append(entry.path)
                    elif post_name:  # a named pipe or device: listed, so that it is reported, never read
                        found.append(entry.path)
        except OSError:
            found.append(current)  # listed, so that it is reported: its posts would be missing unseen
    return sorted(found)


# What a cache remembers of a file's stat: size, mtime_ns, ctime_ns and inode, packed into one
# bytes object (one object to compare, pickle and load, not five: a 10,000-post cache loads faster).
# 64-bit fields, or 128-bit ones for the rare file beyond them (a time after 2262, a 128-bit inode).
Identity = bytes
_IDENTITY = struct.Struct("<QqqQ")
_WIDE = 16  # bytes a field of the wide form takes


def identity(stat: os.stat_result) -> Identity:
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
        mtime, ctime = (int.from_bytes(stat_identity[_WIDE * n:_WIDE * (n + 1)], "little", signed=True) for n in (1, 2))
    return max(mtime, ctime)


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
    `files`, and the rest are stat'ed where they are looked up."""

    files: list[str]
    stats: list[Identity | None] | None = None

    def __reduce__(self) -> tuple:
        # From the helper as one string, not 10,000 (no path holds a NUL): half the pickling.
        return _split_files, ("\0".join(self.files), self.stats)


def _split_files(joined: str, stats: list[Identity | None] | None) -> PostFiles:
    return PostFiles(joined.split("\0") if joined else [], stats)


def post_files(folder: str | Path, stat: float) -> PostFiles:
    """The post files in `folder` (which must be a folder), with the stats of the first `stat`
    share of them (0 to 1; false: none): a helper process lists them while the main one loads
    the cache that looks them up (and stats the rest)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise NotADirectoryError(folder)
    files = find(folder)
    if not stat:
        return PostFiles(files)
    return PostFiles(files, list(map(stat_identity, files[:math.ceil(len(files) * stat)])))
