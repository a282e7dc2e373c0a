"""The only module that writes files (and reads back what an earlier run wrote): atomically, all
or nothing.

Every new file is written in full to a temporary file beside its target and flushed to disk
before any target is replaced, so a reader (or a crash) sees the old file or the new one,
never a truncated mix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from .errors import OutputError
from .files import open_regular, read_regular_file


def write_files(
    out_dir: Path,
    files: Mapping[str, bytes],
    remove: Iterable[str] = (),
    staging: Path | None = None,
) -> list[Path]:
    """Write `files` and delete `remove` (paths relative to `out_dir`; folders left empty go too),
    all or nothing as far as can be known beforehand: every target is checked (no folder in the
    way, its folder made and writable) and every new file written in full to a temporary file
    before the first one is replaced; on failure the temporary files and the folders made go again
    and nothing changed. Temporary files are made in `staging` (a private folder: none is ever left
    where a deploy publishes them) where it is on the targets' file system, else beside each target.
    Returns the paths written."""
    root = out_dir.resolve()
    targets = {_inside(root, relative, out_dir): data for relative, data in files.items()}
    doomed = [_inside(root, relative, out_dir) for relative in remove]
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    current = None
    try:
        device = _staging_device(staging)
        folders: dict[Path, list[str]] = {root: []}
        for current in targets:
            folders.setdefault(current.parent, []).append(current.name)
        for folder, names in folders.items():
            remove_temporaries(folder, names)
        for current, data in targets.items():
            _make_folder(current.parent, made)
            if current.is_dir():  # os.replace cannot put a file in its place, and would fail late
                raise OutputError(f"cannot write {current}: a folder is in the way")
            beside = staging is None or os.stat(current.parent).st_dev != device
            if not beside and not os.access(current.parent, os.W_OK | os.X_OK):
                raise OutputError(f"cannot write {current}: its folder is not writable")
            staged.append((_stage(current, data, current.parent if beside else staging), current))
        current = None
        _sync(staged)
        for current in doomed:
            if not os.access(current.parent, os.W_OK | os.X_OK):
                raise OutputError(f"cannot remove {current}: its folder is not writable")
        for temporary, current in staged:
            os.replace(temporary, current)
    except (OSError, OutputError) as exc:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OutputError):
            raise
        # The file being written, or the folder on its way that failed (not a temporary name).
        failed = (
            exc.filename if exc.filename and not str(exc.filename).endswith(".tmp") else current
        )
        raise OutputError(f"cannot write {failed or out_dir}: {exc.strerror or exc}") from None
    _remove_files(root, doomed)
    return list(targets)


def _staging_device(staging: Path | None) -> int | None:
    """The file system of `staging` (made if missing, its leftovers removed); None without one."""
    if staging is None:
        return None
    try:
        staging.mkdir(parents=True, exist_ok=True)
        remove_temporaries(staging)
        return os.stat(staging).st_dev
    except OSError:  # not usable: temporary files go beside their targets
        return None


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Create `folder` and its missing parents, adding each to `made` (outermost first)."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():  # a file where a folder should be, as mkdir would say
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder))
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:  # made meanwhile by another run: used, not ours to remove
            if not folder.is_dir():
                raise
            continue
        made.append(folder)


# `_stage` names a temporary file `.<target>.<process id>-<random>.tmp` (mkstemp's random part: 8
# letters, digits, _). A run killed before renaming it leaves it; later runs remove it
# (`remove_temporaries`), but not one of a run that is still going on.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?:(?P<pid>[0-9]+)-)?[a-z0-9_]{8}\.tmp")
STALE_SECONDS = (
    600  # where a process id cannot be looked up (Windows), a temporary file's age decides
)


def remove_temporaries(folder: Path, names: Iterable[str] | None = None) -> None:
    """Delete the temporary files in `folder` that killed runs left: named as `_stage` names
    them, for a file in `folder` or one of `names` (None: any), made before now, by a process that
    is gone. Nothing else is touched."""
    now = time.time()
    wanted = None if names is None else set(names)
    try:
        with os.scandir(folder) as entries:
            found = [
                (entry, match) for entry in entries if (match := _TEMPORARY.fullmatch(entry.name))
            ]
        for entry, match in found:
            name = match["name"]
            if (
                wanted is not None
                and name not in wanted
                and not os.path.isfile(os.path.join(folder, name))
            ):
                continue
            with contextlib.suppress(OSError):
                made = entry.stat(follow_symlinks=False).st_mtime
                ours_left = made < now and not _running(match["pid"], now - made)
                if ours_left and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    except OSError:  # a folder that cannot be listed: nothing to remove
        pass


def _running(pid: str | None, age: float) -> bool:
    """Whether the process of a temporary file (`pid` from its name, None: not named) may still
    be running."""
    if pid is None or age > STALE_SECONDS:
        return False
    if os.name == "nt":  # os.kill would end the process there
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # PermissionError: another user's process
        return True
    return int(pid) > 0


def _inside(root: Path, relative: str, out_dir: Path) -> Path:
    """The real path of `relative` under `root` (`out_dir` resolved, once per call of the
    caller); OutputError if it (or a link on the way) leaves it."""
    target = (root / relative).resolve()
    if root not in target.parents:
        raise OutputError(f"{relative}: refusing to write outside {out_dir}")
    return target


def prepare_writes() -> None:
    """Import what writing needs now (tempfile, with shutil, random, bz2 and lzma), at a
    moment this process would only wait (while a helper renders), not once the outputs are ready."""
    import tempfile  # noqa: F401


def lock(path: Path, *, wait: bool = False) -> IO[bytes] | None:
    """An exclusive lock on `path` (created if missing) for this process, held until the returned
    file is closed; if another process holds it, OutputError at once (or, with `wait`, once it is
    free). (None where the system has no such locks.)"""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "ab")
    except OSError as exc:
        raise OutputError(f"{path}: cannot open: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise OutputError(
            f"{path} is in use by another feedtool run; try again once it has finished"
        ) from None
    except OSError:  # a file system without locks (some network drives): nothing to hold
        handle.close()
        return None
    return handle


def read_if_present(path: Path) -> bytes | None:
    """The bytes of a file written earlier (to compare with or add to), None if it cannot be read
    or is no regular file (a pipe put in its place would hang the run)."""
    try:
        return read_regular_file(path)
    except OSError:
        return None


def write_file(path: Path, data: bytes, staging: Path | None = None) -> None:
    """Replace one file atomically, keeping its permissions (e.g. a post fixed by --fix)."""
    write_files(path.parent, {path.name: data}, staging=staging)


def ignore_in_git(folder: Path, entries: Iterable[str]) -> list[str]:
    """Add `entries` (folders such as ".feedtool-cache/") to `folder`/.gitignore, creating it if
    needed; those it lists already (as /name, name or name/) are left alone. Returns those added."""
    path = folder / ".gitignore"
    old = read_if_present(path)
    text = old.decode("utf-8", "replace") if old else ""
    listed = {line.strip().strip("/") for line in text.splitlines()}
    added = [entry for entry in dict.fromkeys(entries) if entry.strip("/") not in listed]
    if added:
        separator = "" if not text or text.endswith("\n") else "\n"
        write_file(
            path, (old or b"") + (separator + "".join(f"{entry}\n" for entry in added)).encode()
        )
    return added


def _stage(target: Path, data: bytes, folder: Path | None = None) -> Path:
    """Write `data` to a private (0600) temporary file in `folder` (default: beside `target`),
    for `_sync` to flush to disk and give its permissions."""
    # Here, not at the top: a render helper imports this module and never writes (prepare_writes).
    import tempfile

    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=folder or target.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _mode_of(target: Path, mode: int | None = None) -> int:
    """The permissions a new file for `target` takes: `mode`, else target's, else 0644."""
    if mode is not None:
        return mode
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o644


# Files flushed to disk at once: the disk then takes them in fewer rounds than one by one (a
# build with tag feeds writes a hundred files and more).
SYNC_THREADS = 8


def _sync(staged: list[tuple[Path, Path]], mode: int | None = None) -> None:
    """Finish each (temporary file, target) that `_stage` wrote: flush it to disk, then give it
    `mode`, else the target's permissions; up to SYNC_THREADS at a time. Raises the first
    OSError."""
    failures: list[OSError] = []

    def sync_each(share: list[tuple[Path, Path]]) -> None:
        try:
            for temporary, target in share:
                fd = os.open(temporary, os.O_RDONLY)  # (still 0600: readable, whatever the mode)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.chmod(temporary, _mode_of(target, mode))
        except OSError as exc:
            failures.append(exc)

    count = min(SYNC_THREADS, len(staged))
    if count < 2:
        sync_each(staged)
    else:
        shares = [staged[i::count] for i in range(count)]
        threads = [threading.Thread(target=sync_each, args=(share,)) for share in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]


def append_line(path: Path, line: str) -> int:
    """Append one line and flush it to disk before returning (the send ledger); returns the
    offset where it starts.

    A kill mid-write can leave at most a torn last line, which readers skip.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            if handle.tell() and not _ends_with_newline(path):
                handle.write(b"\n")  # never glue a new record onto a torn one
            start = handle.tell()
            handle.write(line.encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return start


def overwrite(path: Path, offset: int, data: bytes) -> None:
    """Write `data` over bytes already in the file at `offset`, flushed to disk. It takes no new
    space, so it works on a full disk (the send ledger reserves its lines this way)."""
    try:
        with open(path, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def create_files(out_dir: Path, files: Mapping[str, bytes], mode: int | None = None) -> list[Path]:
    """Write new files atomically (with `mode`, default 0644), never replacing one that exists
    (even if it appeared a moment ago): each is linked into place, which fails for an existing
    name. Raises OutputError."""
    written: list[Path] = []
    root = out_dir.resolve()
    for relative, data in files.items():
        target = _inside(root, relative, out_dir)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = _stage(target, data)
            try:
                _sync([(temporary, target)], mode)
                os.link(temporary, target)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network drives): create exclusively
                with open(
                    os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode or 0o644), "wb"
                ) as handle:
                    handle.write(data)
            finally:
                temporary.unlink(missing_ok=True)
        except FileExistsError:
            raise OutputError(f"{target}: already exists; not overwritten") from None
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        written.append(target)
    return written


def _remove_files(root: Path, targets: list[Path]) -> None:
    """Delete files under `root` and the folders they leave empty."""
    for target in targets:
        try:
            target.unlink(missing_ok=True)
            parent = target.parent
            while parent != root and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        except OSError as exc:
            raise OutputError(f"cannot remove {target}: {exc.strerror or exc}") from None
