"""feedtool.toml -> a frozen `Site`.

>>> site = loads('title = "Blog"\\nbase_url = "https://example.com"')
>>> site.permalink_for("hello", None)
'https://example.com/posts/hello/'
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

DEFAULT_PERMALINK = "{base_url}/posts/{slug}/"
PERMALINK_FIELDS = ("base_url", "slug", "year", "month", "day")
# BCP 47 as feeds and HTML use it: zh-CN, en, zh-Hant-TW (not zh_CN).
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")


@dataclass(frozen=True)
class Site:
    """Site-wide settings, read from feedtool.toml."""

    title: str
    base_url: str  # absolute http(s) URL, no trailing slash
    description: str = ""
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    author: str = ""
    permalink: str = DEFAULT_PERMALINK
    feed_limit: int = 20
    summary_length: int = 150
    posts: Path = Path("posts")
    out: Path = Path("public")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def permalink_for(self, slug: str, date: datetime | None) -> str:
        """The public URL of a post, from the configured pattern."""
        local = date.astimezone(self.zone) if date else None
        return self.permalink.format(
            base_url=self.base_url,
            slug=slug,
            year=f"{local.year:04d}" if local else "",
            month=f"{local.month:02d}" if local else "",
            day=f"{local.day:02d}" if local else "",
        )

    def url(self, path: str) -> str:
        """An absolute URL for a path on the site, e.g. url("atom.xml")."""
        return f"{self.base_url}/{path.lstrip('/')}"


_FIELDS = {f.name: f for f in dataclasses.fields(Site)}
_REQUIRED = ("title", "base_url")


def load(path: str | Path) -> Site:
    """Read a feedtool.toml; relative `posts`/`out` are taken from its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (create one with `feedtool init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return loads(text, source=str(path), base_dir=path.parent)


def loads(text: str, *, source: str = "feedtool.toml", base_dir: Path | None = None) -> Site:
    """Parse config text; raise ConfigError naming the file, line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None

    def where(key: str) -> str:
        match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
        return f"{source}:{text.count(chr(10), 0, match.start()) + 1}" if match else source

    for key in data:
        if key not in _FIELDS:
            close = difflib.get_close_matches(key, _FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where(key)}: unknown key '{key}'{hint}")
    for key in _REQUIRED:
        if key not in data:
            raise ConfigError(f"{source}: missing required key '{key}'")

    values: dict[str, Any] = {}
    for key, raw in data.items():
        try:
            values[key] = _check(key, raw)
        except ValueError as exc:
            raise ConfigError(f"{where(key)}: {key}: {exc}") from None
    for key in ("posts", "out"):
        if key in values and base_dir is not None and not values[key].is_absolute():
            values[key] = base_dir / values[key]
    if base_dir is not None:
        values.setdefault("posts", base_dir / "posts")
        values.setdefault("out", base_dir / "public")
    return Site(**values)


def _check(key: str, value: Any) -> Any:
    """Validate and normalize one config value; ValueError says what is wrong."""
    expected = _FIELDS[key].type
    if expected == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"expected a whole number of at least 1, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    if key == "title" and not value.strip():
        raise ValueError("must not be empty")
    if key == "base_url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an absolute http(s) URL such as https://example.com, got {value!r}")
        return value.rstrip("/")
    if key == "language" and not _BCP47.match(value):
        hint = f" (did you mean '{value.replace('_', '-')}'?)" if "_" in value else ""
        raise ValueError(f"expected a BCP 47 language tag such as zh-CN, got {value!r}{hint}")
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)") from None
    if key == "permalink":
        try:
            value.format(**{name: "x" for name in PERMALINK_FIELDS})
        except (KeyError, IndexError, ValueError) as exc:
            allowed = ", ".join("{" + name + "}" for name in PERMALINK_FIELDS)
            raise ValueError(f"bad pattern {value!r} ({exc}); use {allowed}") from None
        if "{slug}" not in value:
            raise ValueError("pattern must contain {slug}")
        if not value.startswith("{base_url}") and not urlsplit(value).scheme:
            raise ValueError("pattern must start with {base_url} or an absolute URL")
    if key in ("posts", "out"):
        return Path(value)
    return value
