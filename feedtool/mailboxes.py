"""Mail to read: .eml files, mbox files and maildir folders, or an IMAP mailbox.

Every file is read with `files.read_regular_file` (bounded, never through a pipe or device):
the std lib's mailbox.mbox and mailbox.Maildir open their files with open(), which waits
forever on a FIFO, so the formats are split here the way they split them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISLNK
from typing import TYPE_CHECKING

from .config import Bounces, is_loopback
from .errors import ConfigError, FeedtoolError
from .files import read_regular_file

if TYPE_CHECKING:
    from imaplib import IMAP4

MAX_MESSAGE_BYTES = 64 << 20  # one report with the message it returns; more is no bounce
_MBOX_NAMES = (".mbox", ".mbx")
_FROM_LINE = re.compile(rb"^From [^\n]*\n", re.MULTILINE)  # mailbox.mbox's separator


@dataclass(frozen=True)
class Mail:
    """One message: where it is (a path; a path and a number; an IMAP folder and UID), and its
    bytes or why it could not be read."""

    label: str
    data: bytes = b""
    problem: str = ""
    uid: str = ""


def from_paths(paths: Iterable[Path]) -> Iterator[Mail]:
    """The messages in files and folders named on the command line (a named link is followed;
    none inside a folder is)."""
    for path in paths:
        yield from _from_path(path, named=True)


_LINK_IN_FOLDER = "a symbolic link inside a folder: not followed"


def _from_path(path: Path, *, named: bool) -> Iterator[Mail]:
    try:
        found = os.stat(path) if named else os.lstat(path)
    except OSError as exc:
        yield Mail(str(path), problem=f"cannot read: {exc.strerror or exc}")
        return
    if S_ISLNK(found.st_mode):
        yield Mail(str(path), problem=_LINK_IN_FOLDER)
    elif not S_ISDIR(found.st_mode):
        yield from _file(path, follow=named)
    elif (path / "cur").is_dir() and (path / "new").is_dir():
        yield from _maildir(path)
    else:
        yield from _folder(path)


def _folder(folder: Path) -> Iterator[Mail]:
    """The .eml and mbox files and the maildirs in `folder` and below, in name order."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Mail(str(folder), problem=f"cannot read the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        name = entry.name.lower()
        if (
            entry.is_dir(follow_symlinks=False)
            or name.endswith((".eml", *_MBOX_NAMES))
            or name == "mbox"
        ):
            yield from _from_path(Path(entry.path), named=False)


def _maildir(folder: Path) -> Iterator[Mail]:
    """The messages in a maildir's new/ and cur/ (names starting with a dot are not messages)."""
    for sub in ("new", "cur"):
        try:
            names = sorted(n for n in os.listdir(folder / sub) if not n.startswith("."))
        except OSError as exc:
            yield Mail(str(folder / sub), problem=f"cannot read the folder: {exc.strerror or exc}")
            continue
        for name in names:
            yield _message(folder / sub / name, follow=False)


def _file(path: Path, *, follow: bool) -> Iterator[Mail]:
    """A file's message, or its messages if it is an mbox (it starts with a "From " line)."""
    try:
        data = read_regular_file(path, follow_symlinks=follow)
    except OSError as exc:
        yield Mail(str(path), problem=f"cannot read: {_reason(exc)}")
        return
    if not data.startswith(b"From "):
        yield _sized(str(path), data)
        return
    # What precedes the first From line is empty; each piece after one is a message.
    for number, chunk in enumerate(_FROM_LINE.split(data)[1:], start=1):
        yield _sized(f"{path}: message {number}", chunk)


def _message(path: Path, *, follow: bool) -> Mail:
    try:
        return _sized(str(path), read_regular_file(path, follow_symlinks=follow))
    except OSError as exc:
        return Mail(str(path), problem=f"cannot read: {_reason(exc)}")


def _sized(label: str, data: bytes) -> Mail:
    if len(data) > MAX_MESSAGE_BYTES:
        return Mail(label, problem=f"larger than {MAX_MESSAGE_BYTES >> 20} MB: no bounce report")
    return Mail(label, data)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return _LINK_IN_FOLDER
    return str(exc.strerror or exc)


# --- IMAP ---------------------------------------------------------------------------------

PASSWORD_VARIABLE = "FEEDTOOL_IMAP_PASSWORD"
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


class ImapError(FeedtoolError):
    """The mailbox cannot be reached or read."""


class Imap:
    """A session with the `[bounces]` mailbox: `messages` reads the unseen ones without marking
    them; `finish` flags (or moves) the ones read once the store holds what they say."""

    def __init__(self, settings: Bounces, password: str):
        if not settings.host or not settings.user:
            raise ConfigError(
                "--imap needs [bounces] host and user in the config (and the password in "
                f"{PASSWORD_VARIABLE})"
            )
        if not password:
            raise ConfigError(f"--imap needs the mailbox password in {PASSWORD_VARIABLE}")
        if settings.security == "none" and not is_loopback(settings.host):
            raise ConfigError(
                "[bounces] security = none sends the password in clear text; it is only "
                "allowed for a server on this machine (use ssl or starttls)"
            )
        self.settings = settings
        self.password = password
        self.port = settings.port or DEFAULT_PORTS[settings.security]
        self.address = f"{settings.host}:{self.port}"
        self._client: IMAP4 | None = None

    @property
    def client(self) -> IMAP4:
        if self._client is None:
            raise ImapError(f"{self.address}: the session has ended")
        return self._client

    def __enter__(self) -> Imap:
        import imaplib
        import ssl

        settings = self.settings
        port = self.port
        context = ssl.create_default_context()
        try:
            if settings.security == "ssl":
                self._client = imaplib.IMAP4_SSL(
                    settings.host, port, ssl_context=context, timeout=settings.timeout
                )
            else:
                self._client = imaplib.IMAP4(settings.host, port, timeout=settings.timeout)
                if settings.security == "starttls":
                    self._client.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot talk to {self.address}: {self._redact(exc)}") from None
        try:
            self.client.login(settings.user, self.password)
        except (imaplib.IMAP4.error, UnicodeEncodeError):
            self._close()  # the server's words are never shown: some echo what was sent
            raise ImapError(
                f"{self.address} refused the login of {settings.user} (check {PASSWORD_VARIABLE})"
            ) from None
        except OSError as exc:
            self._close()
            raise ImapError(f"cannot talk to {self.address}: {self._redact(exc)}") from None
        try:
            self._call(f"open the folder {settings.folder}", "select", _quoted(settings.folder))
        except ImapError:
            self._close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:  # the connection is gone already; nothing is lost
                pass
            self._client = None

    def _redact(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return text.replace(self.password, "*****") if len(self.password) >= 3 else text

    def _ok(self, answer: tuple[str, list], what: str) -> list:
        kind, data = answer
        if kind != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
            raise ImapError(f"{self.address}: cannot {what}: {kind} {detail[:200]}")
        return data

    def _call(self, what: str, command: str, *args: str) -> list:
        """An IMAP command (`select`, or one of the UID commands)."""
        import imaplib

        try:
            if command == "select":
                return self._ok(self.client.select(args[0]), what)
            return self._ok(self.client.uid(command, *args), what)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{self.address}: cannot {what}: {self._redact(exc)}") from None

    def messages(self) -> Iterator[Mail]:
        """The unseen messages of the folder, one at a time, left unseen (BODY.PEEK)."""
        found = self._call("search", "SEARCH", "UNSEEN")
        uids = b" ".join(found[0:1] or [b""]).split()
        if not uids:
            return
        sizes = self._sizes(b",".join(uids).decode())
        folder = self.settings.folder
        for uid in (u.decode() for u in uids):
            label = f"imap {folder} UID {uid}"
            if sizes.get(uid, 0) > MAX_MESSAGE_BYTES:
                yield Mail(label, problem=f"larger than {MAX_MESSAGE_BYTES >> 20} MB: not fetched")
                continue
            data = self._call(f"fetch UID {uid}", "FETCH", uid, "(BODY.PEEK[])")
            body = next((part[1] for part in data if isinstance(part, tuple)), None)
            if body is None:
                yield Mail(label, problem="the server sent no message for it", uid=uid)
                continue
            yield Mail(label, body, uid=uid)

    def _sizes(self, uids: str) -> dict[str, int]:
        sizes = {}
        for line in self._call("fetch sizes", "FETCH", uids, "(RFC822.SIZE)"):
            text = line[0] if isinstance(line, tuple) else line
            match = _SIZE.search(text) if isinstance(text, bytes) else None
            if match:
                uid, size = (match[1], match[2]) if match[1] else (match[4], match[3])
                sizes[uid.decode()] = int(size)
        return sizes

    def finish(self, mails: Iterable[Mail]) -> None:
        """Flag the mails read \\Seen, or move them to [bounces] move_to."""
        uids = ",".join(mail.uid for mail in mails if mail.uid)
        if not uids:
            return
        target = self.settings.move_to
        if not target:
            self._call("flag the reports read", "STORE", uids, "+FLAGS", "(\\Seen)")
        elif "MOVE" in self.client.capabilities:
            self._call(f"move the reports to {target}", "MOVE", uids, _quoted(target))
        else:  # no MOVE (RFC 6851): copied, and the originals marked for deletion
            self._call(f"copy the reports to {target}", "COPY", uids, _quoted(target))
            self._call("flag the reports read", "STORE", uids, "+FLAGS", "(\\Seen \\Deleted)")


def _quoted(folder: str) -> str:
    """An IMAP quoted string (config.py allows no quote or backslash in a folder name)."""
    return f'"{folder}"'
