"""Signed, expiring, purpose-bound tokens: the capability in confirm and unsubscribe links.

A token carries a subscriber's random `ref`, never the address; its signature covers the purpose
(a confirm token never unsubscribes) and the time it was made. The secret comes from
FEEDTOOL_SECRET or a key file that only its owner can read, never from the config.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigError
from .files import read_regular_file

SECRET_VARIABLE = "FEEDTOOL_SECRET"
MIN_SECRET = 32  # characters: a secret shorter than this can be guessed offline from one token
# Seconds a token is good for: a confirm link a week, as the mail says; an unsubscribe link as
# long as an old digest may be kept and clicked.
MAX_AGE = {"confirm": 7 * 86400, "unsubscribe": 2 * 365 * 86400}


class BadToken(Exception):
    """A token that was not made with this secret for this purpose, or has expired."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def secret(key_file: Path) -> str:
    """FEEDTOOL_SECRET, else the content of `key_file` (which must be 0600 or stricter)."""
    given = os.environ.get(SECRET_VARIABLE, "")
    where = SECRET_VARIABLE
    if not given:
        where = str(key_file)
        try:
            found = os.stat(key_file)
        except FileNotFoundError:
            raise ConfigError(
                f"no signing secret: set {SECRET_VARIABLE}, or make {key_file} (e.g. `umask 077; "
                f"python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > {key_file}`)"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"{key_file}: cannot read the signing secret: {exc.strerror or exc}"
            ) from None
        if stat.S_IMODE(found.st_mode) & 0o077:
            raise ConfigError(
                f"{key_file}: others can read the signing secret (mode "
                f"{stat.S_IMODE(found.st_mode):o}); run `chmod 600 {key_file}`"
            )
        try:
            given = read_regular_file(key_file, limit=4096).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{key_file}: cannot read the signing secret: {exc}") from None
    if len(given) < MIN_SECRET:
        raise ConfigError(f"the signing secret in {where} is shorter than {MIN_SECRET} characters")
    return given


def _serializer(key: str, purpose: str):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(key, salt=f"feedtool.{purpose}")


def make(key: str, purpose: str, ref: str) -> str:
    """A token for the subscriber `ref`, good for `purpose` only."""
    return str(_serializer(key, purpose).dumps(ref))


def read(key: str, purpose: str, token: str, *, max_age: int | None = None) -> str:
    """The `ref` in `token`; BadToken if it is forged, tampered with, foreign or expired."""
    from itsdangerous import BadData, SignatureExpired

    try:
        ref = _serializer(key, purpose).loads(
            token, max_age=MAX_AGE[purpose] if max_age is None else max_age
        )
    except SignatureExpired:
        raise BadToken(expired=True) from None
    except BadData:
        raise BadToken(expired=False) from None
    if not isinstance(ref, str):
        raise BadToken(expired=False)
    return ref
