"""Which files are posts, and how their paths are shown."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import FeedtoolError
from .files import PostFiles, find, post_files


def list_posts(folder: Path) -> PostFiles:
    """The posts in `folder`, with its folders' stats (`files.post_files`); a folder that is
    missing, or a file, as `collect` says."""
    return post_files(folder, 0) if os.path.isdir(folder) else PostFiles(collect([folder]))


def collect(paths: Iterable[str | Path]) -> list[str]:
    """Post files named by `paths` (files, or folders searched recursively), each once, sorted."""
    given = [os.fspath(path) for path in paths]
    if len(given) == 1 and os.path.isdir(given[0]):
        return find(given[0])  # sorted, each once already
    found: dict[str, None] = {}
    for path in given:
        try:
            os.stat(path)
        except FileNotFoundError:
            raise FeedtoolError(f"{path}: no such file or folder") from None
        except OSError as exc:  # a folder on the way that cannot be read, say
            raise FeedtoolError(f"{path}: {exc.strerror or exc}") from None
        for file in find(path) if os.path.isdir(path) else [path]:
            found.setdefault(file, None)
    return sorted(found)


_NOT_NORMAL = re.compile(
    "/(?:/|\\.{0,2}(?:/|\0))"
)  # //, /./, /../ or a name ending in /, /. or /..


def absolute_paths(files: Sequence[str], cwd: str) -> list[str]:
    """Each file's absolute, normalized path (posts/../posts/a.md is posts/a.md): os.path.abspath,
    but asking for the working folder once, not once per file."""
    files = list(map(os.fspath, files))
    if os.sep != "/":
        return [os.path.normpath(os.path.join(cwd, path)) for path in files]
    # Usually all are absolute and normal already (`find` in an absolute folder): seen in one
    # scan of them all, joined (no path holds a NUL), and kept as they are.
    joined = "\0".join(files) + "\0"
    if (
        joined[:1] == "/"
        and joined.count("\0/") == len(files) - 1
        and not _NOT_NORMAL.search(joined)
    ):
        return files
    return [
        path
        if path[:1] == "/"
        and "//" not in path
        and "/./" not in path
        and "/../" not in path
        and not path.endswith(("/", "/.", "/.."))
        else os.path.normpath(os.path.join(cwd, path))
        for path in files
    ]


def display_path(path: str | Path, cwd: str | None = None) -> str:
    """The path as the user should see it: relative to the working folder when inside it."""
    cwd = cwd or os.getcwd()
    text = os.fspath(path)
    absolute = text if os.path.isabs(text) else os.path.join(cwd, text)
    prefix = cwd.rstrip(os.sep) + os.sep
    return os.path.normpath(absolute[len(prefix) :]) if absolute.startswith(prefix) else text
