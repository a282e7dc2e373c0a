"""The subscriber store: one SQLite file (WAL), its schema versioned by `PRAGMA user_version`.

Each address has a status, when and how it last changed, and where it came from. Addresses are
compared without case. Unsubscribed, bounced and complained addresses are the suppression list:
nothing makes them `confirmed` again but a new double opt-in (or the blogger's own `add`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FeedtoolError

STATUSES = ("pending", "confirmed", "unsubscribed", "bounced", "complained")
SUPPRESSED = frozenset(("unsubscribed", "bounced", "complained"))
# What a bounce or a complaint replaces: a complaint is the strongest suppression, then a bounce
# (a sign-up never revives either), then an unsubscribe; none ever makes an address receivable.
_WEAKER = {
    "bounced": ("pending", "confirmed", "unsubscribed"),
    "complained": ("pending", "confirmed", "unsubscribed", "bounced"),
}

# Migration n takes the schema from version n to n + 1; a new one is only ever appended.
_MIGRATIONS = (
    """
    CREATE TABLE subscribers (
        key TEXT PRIMARY KEY,          -- the address in lower case
        address TEXT NOT NULL,         -- as it was given
        ref TEXT NOT NULL UNIQUE,      -- random: what tokens carry instead of the address
        status TEXT NOT NULL,
        source TEXT NOT NULL,          -- where it came from (web, import FILE, cli...)
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL       -- how the status last changed
    );
    CREATE INDEX subscribers_status ON subscribers (status);
    """,
)


class StoreError(FeedtoolError):
    """The subscriber store cannot be opened or is not one feedtool knows."""


@dataclass(frozen=True)
class Subscriber:
    address: str
    ref: str
    status: str
    source: str
    created_at: str
    changed_at: str
    changed_by: str

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "ref"}


def _new_ref() -> str:
    import secrets  # not at import: every command imports this module for STATUSES

    return secrets.token_urlsafe(12)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    """The subscribers in `path`; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path):
        self.path = path
        import sqlite3  # not at import: the other commands do without it
        import threading

        self._lock = threading.Lock()
        try:
            if not path.parent.exists():  # a folder of its own: private, and kept out of git
                from .errors import OutputError
                from .output import create_files

                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                try:
                    create_files(path.parent, {".gitignore": b"*\n"})
                except OutputError:  # made meanwhile by another run
                    pass
            if not path.exists():  # personal data: readable by its owner only
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "PRAGMA synchronous=FULL"
            )  # a confirmed unsubscribe survives a power cut
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a subscriber database feedtool can use: {exc}") from None
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot open the subscriber database: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(_MIGRATIONS):
                raise StoreError(
                    f"{self.path}: made by a newer feedtool (schema {version}); upgrade feedtool"
                )
            for number in range(version, len(_MIGRATIONS)):
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {len(_MIGRATIONS)}")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One write transaction, taken at its start so that two writers never both read first."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, address: str) -> Subscriber | None:
        return self._one("key = ?", address.lower())

    def by_ref(self, ref: str) -> Subscriber | None:
        return self._one("ref = ?", ref)

    def _one(self, where: str, value: str) -> Subscriber | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE {where}", (value,)
            ).fetchone()
        return Subscriber(*row) if row else None

    def all(self, status: str | None = None) -> list[Subscriber]:
        query = f"SELECT {_COLUMNS} FROM subscribers" + (" WHERE status = ?" if status else "")
        with self._lock:
            rows = self._db.execute(
                query + " ORDER BY created_at, key", (status,) if status else ()
            ).fetchall()
        return [Subscriber(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            query = "SELECT status, COUNT(*) FROM subscribers GROUP BY status"
            found = dict(self._db.execute(query).fetchall())
        return {status: found.get(status, 0) for status in STATUSES}

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """The lower-cased addresses among `addresses` that must never be sent to."""
        wanted = {a.lower() for a in addresses}
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM subscribers WHERE status IN (?, ?, ?)", tuple(sorted(SUPPRESSED))
            ).fetchall()
        return {key for (key,) in rows if key in wanted}

    def add(self, address: str, status: str, source: str, how: str) -> bool:
        """Record `address` with `status` if new; True if it was. Known addresses keep theirs."""
        now = _now()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO subscribers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (address.lower(), address, _new_ref(), status, source, now, now, how),
            )
            return cursor.rowcount == 1

    def refs(self, addresses: Iterable[str], source: str, how: str) -> dict[str, str]:
        """Each address's ref, for its tokens; an unknown address is added as confirmed (in one
        transaction: one write to disk for a whole list)."""
        now = _now()
        found = {}
        with self._transaction() as db:
            for address in addresses:
                db.execute(
                    "INSERT OR IGNORE INTO subscribers VALUES (?, ?, ?, 'confirmed', ?, ?, ?, ?)",
                    (address.lower(), address, _new_ref(), source, now, now, how),
                )
                found[address] = db.execute(
                    "SELECT ref FROM subscribers WHERE key = ?", (address.lower(),)
                ).fetchone()[0]
        return found

    def request(self, address: str, source: str) -> Subscriber | None:
        """A sign-up: a new or unsubscribed address becomes pending. Returns the subscriber if
        a confirmation mail should go out (pending now), else None (confirmed, bounced,
        complained)."""
        now = _now()
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO subscribers VALUES (?, ?, ?, 'pending', ?, ?, ?, 'sign-up')",
                (address.lower(), address, _new_ref(), source, now, now),
            )
            db.execute(
                "UPDATE subscribers SET status = 'pending', changed_at = ?, changed_by = 'sign-up' "
                "WHERE key = ? AND status = 'unsubscribed'",
                (now, address.lower()),
            )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE key = ?", (address.lower(),)
            ).fetchone()
        found = Subscriber(*row)
        return found if found.status == "pending" else None

    def change(
        self, key: str, status: str, how: str, *, only_from: Iterable[str] = STATUSES
    ) -> bool:
        """Set the status of the address `key` (any case) if it is now one of `only_from`; True if
        the address is known and now has `status`."""
        allowed = tuple(only_from)
        with self._transaction() as db:
            db.execute(
                f"UPDATE subscribers SET status = ?, changed_at = ?, changed_by = ? WHERE key = ? "
                f"AND status != ? AND status IN ({', '.join('?' * len(allowed))})",
                (status, _now(), how, key.lower(), status, *allowed),
            )
            row = db.execute(
                "SELECT status FROM subscribers WHERE key = ?", (key.lower(),)
            ).fetchone()
        return bool(row) and row[0] == status

    def suppress(
        self, address: str, status: str, how: str, *, dry_run: bool = False
    ) -> tuple[str | None, bool]:
        """Mark a known `address` bounced or complained unless it holds that or a stronger
        suppression; (its status before, None if unknown; whether it changed, or would)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT status FROM subscribers WHERE key = ?", (address.lower(),)
            ).fetchone()
            before = row[0] if row else None
            changes = before in _WEAKER[status]
            if changes and not dry_run:
                db.execute(
                    "UPDATE subscribers SET status = ?, changed_at = ?, changed_by = ? "
                    "WHERE key = ?",
                    (status, _now(), how, address.lower()),
                )
        return before, changes


_COLUMNS = "address, ref, status, source, created_at, changed_at, changed_by"
