"""feedtool.toml -> a frozen `Site`.

>>> site = loads('title = "Blog"\\nbase_url = "https://example.com"')
>>> site.permalink_for("hello", None)
'https://example.com/posts/hello/'
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache, partial
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import sources
from .errors import ConfigError
from .files import read_regular_file

DEFAULT_PERMALINK = "{base_url}/posts/{slug}/"
PERMALINK_FIELDS = (
    "base_url",
    "slug",
    "title",
    "year",
    "month",
    "day",
    "i_month",
    "i_day",
    "short_year",
    "categories",
    "hour",
    "minute",
    "second",
    "y_day",
    "monthname",
    "short_month",
    "long_month",
    "w_year",
    "week",
    "w_day",
    "short_day",
    "long_day",
    "path",
    "section",
    "sections",
    "filename",
    "slug_or_title",
    "category",
)
# Fields whose value depends on the post's file or front matter, or on its generator's spelling
# (`sources.url_fields`); `front.KEY` ones too.
OWN_FIELDS = frozenset(
    ("path", "section", "sections", "filename", "slug_or_title", "category", "slug", "title")
)
# Fields that tell one post from another (a pattern needs one); `front.KEY`, a front matter value,
# too.
_POST_FIELDS = frozenset(("slug", "title", "filename", "slug_or_title"))
SUBJECT_FIELDS = ("title", "label", "year", "week", "count")
# BCP 47 as feeds and HTML use it: zh-CN, en, zh-Hant-TW (not zh_CN).
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")
SECURITY = ("starttls", "ssl", "none")
DEFAULT_TIMEZONE = "Asia/Shanghai"  # where feedtool's first users write; a site may say otherwise


@dataclass(frozen=True)
class Digest:
    """The `[digest]` table: how the weekly newsletter is addressed and titled."""

    subject: str = "{title}周报 · {label}"
    sender: str = field(default="", metadata={"key": "from"})  # "pan <news@example.com>"
    reply_to: str = ""
    unsubscribe_url: str = ""  # https page; each recipient's link adds ?token=TOKEN
    unsubscribe_mailto: str = ""  # address for mailto: unsubscribe
    limit: int = 20  # posts per digest
    ledger: Path = Path(".feedtool/sent.jsonl")  # who has received which digest (private)


@dataclass(frozen=True)
class Smtp:
    """The `[smtp]` table; user and password only ever come from the environment."""

    host: str = "localhost"
    port: int = 0  # 0: the default for the security mode (587, 465, 25)
    security: str = "starttls"
    # Seconds (RFC 5321 4.5.3.2): for each command's whole reply, for the reply to the message's
    # final dot, and for the whole run (then the rest is left for the next run).
    timeout: float = 300.0
    data_timeout: float = 600.0
    run_timeout: float = 3600.0
    rate: float = 0.0  # messages a second at most; 0: as fast as the server takes them
    per_day: int = 0  # messages a UTC day at most, counted in the send ledger; 0: no cap
    return_path: str = ""  # the envelope sender (MAIL FROM), where bounces go; "": the From address
    helo: str = ""  # the name given in EHLO; "": this machine's, as smtplib finds it


@dataclass(frozen=True)
class Dkim:
    """The `[dkim]` table: every message sent is signed for `domain` (the From address's domain
    or a parent of it) with the private key in `key_file` (a file only its owner can read)."""

    domain: str = ""
    selector: str = ""
    key_file: Path = Path(".feedtool/dkim.key")


@dataclass(frozen=True)
class Subscribe:
    """The `[subscribe]` table: `feedtool serve` and the subscriber store. The signing secret is
    never here: it comes from FEEDTOOL_SECRET or `key_file` (a file only its owner can read)."""

    url: str = ""  # the service's public address, e.g. https://news.example.com
    database: Path = Path(".feedtool/subscribers.db")  # private: addresses and their status
    key_file: Path = Path(".feedtool/secret.key")
    per_client: int = 10  # sign-ups an hour from one client (IP address)
    per_address: int = 3  # confirmation mails an hour to one address


@dataclass(frozen=True)
class Bounces:
    """The `[bounces]` table: the mailbox `feedtool bounces --imap` reads; the password only ever
    comes from the environment (FEEDTOOL_IMAP_PASSWORD)."""

    host: str = ""
    port: int = 0  # 0: the default for the security mode (993, 143)
    security: str = "ssl"  # ssl, starttls, or none (only for a server on this machine)
    user: str = ""
    folder: str = "INBOX"
    move_to: str = ""  # a folder for the reports read; empty: they are only flagged \Seen
    timeout: float = 60.0


@dataclass(frozen=True)
class TagFeeds:
    """The `[tag_feeds]` table: a feed per tag and per category, under tags/ and categories/."""

    enabled: bool = True
    limit: int = 10  # entries per tag feed (the site's feeds use feed_limit)
    include: tuple[str, ...] = ()  # only these tags and categories (empty: all)
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validate:
    """The `[validate]` table: warnings that are not reported (errors always are)."""

    ignore: tuple[str, ...] = ()  # codes, e.g. ["FT303"]


@dataclass(frozen=True)
class Site:
    """Site-wide settings, read from feedtool.toml."""

    title: str
    base_url: str  # absolute http(s) URL, no trailing slash
    source: str = "auto"  # plain, hugo, hexo or jekyll; auto: detected from the folder
    description: str = ""
    language: str = "zh-CN"
    timezone: str = DEFAULT_TIMEZONE
    author: str = ""
    permalink: str = DEFAULT_PERMALINK
    feed_limit: int = 20
    summary_length: int = 150
    posts: Path = Path("posts")
    out: Path = Path("public")
    cache: Path = Path(".feedtool-cache")  # safe to delete; refused inside `out`
    excerpt_separator: str = ""  # Jekyll's summary separator (its default: the first paragraph)
    hub: str = ""  # WebSub hub announced in the feeds and pinged by `build --ping`
    stylesheet: bool = True  # link feed.xsl so that browsers show a readable page
    digest: Digest = Digest()
    smtp: Smtp = Smtp()
    tag_feeds: TagFeeds = TagFeeds()
    subscribe: Subscribe = Subscribe()
    bounces: Bounces = Bounces()
    dkim: Dkim = Dkim()
    validate: Validate = Validate()
    # Warnings about settings feedtool chose (not a key of feedtool.toml).
    notes: tuple[str, ...] = field(
        default=(), compare=False, repr=False, metadata={"internal": True}
    )
    # What the blog's generator decides (sources.Blog.rules): posts its plugins keep private,
    # whether future-dated posts are published.
    private_keys: tuple[str, ...] = field(default=(), metadata={"internal": True})
    private_tags: tuple[str, ...] = field(default=(), metadata={"internal": True})
    future: bool = field(default=False, metadata={"internal": True})
    # The zone a generator writes a permalink's date in, where not `timezone` (Hexo: the machine's).
    url_timezone: str = field(default="", metadata={"internal": True})

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        """The site's host as mail headers carry it (`ascii_host`); "localhost" for a host that
        is no domain name (an IPv6 address: a Message-ID or List-Id cannot hold one)."""
        host = ascii_host(urlsplit(self.base_url).hostname or "")
        return host if _DOMAIN.fullmatch(host) else "localhost"

    @property
    def noreply(self) -> str:
        """The digest's From address when [digest] sender is not set."""
        return f"noreply@{self.domain}"

    def permalink_for(
        self,
        slug: str,
        date: datetime | None,
        categories: tuple[str, ...] = (),
        title: str = "",
        pattern: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> str:
        """The public URL of a post, from the configured pattern or the post's own (Jekyll's empty
        {categories} leaves no double slash; {title} is the title as Hugo urlizes it). `fields`:
        the values of the other fields (`sources.url_fields`), which win."""
        pattern = pattern or self.permalink
        used = _pattern_fields(pattern)
        values = {"base_url": self.base_url, "slug": slug}
        if "title" in used:
            values["title"] = quote(urlize(title), safe="") if title else slug
        if "categories" in used:
            values["categories"] = "/".join(quote(c.lower(), safe="") for c in categories)
        if used & _DATE_FIELDS:
            local = (
                date.astimezone(ZoneInfo(self.url_timezone) if self.url_timezone else self.zone)
                if date
                else None
            )
            values.update(_date_fields(local) if local else dict.fromkeys(_DATE_FIELDS, ""))
        if fields:
            values.update(fields)
        url = "".join(
            text + (values.get(field, "") if field is not None else "")
            for text, field in _pattern_parts(pattern)
        )
        scheme, rest = url.split("://", 1) if "://" in url else ("", url)
        if "//" in rest:
            rest = re.sub(r"/{2,}", "/", rest)
        return f"{scheme}://{rest}" if scheme else rest

    def url(self, path: str) -> str:
        """An absolute URL for a path on the site, e.g. url("atom.xml")."""
        return f"{self.base_url}/{path.lstrip('/')}"


# A host name as RFC 5322's dot-atom (Message-ID, addresses) and RFC 2919's List-Id take it.
_DOMAIN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_ADDRESS_LITERAL = re.compile(r"\[(?:[0-9.]+|IPv6:[0-9A-Fa-f:.]+)\]")  # RFC 5321 4.1.3


def ascii_host(host: str) -> str:
    """A host name in ASCII, as headers and URLs carry it: an IDN like 博客.example.com in
    punycode; "" if IDNA cannot encode it (a label too long, say)."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


# The fields a post's date fills: all but its own and the site's (`base_url`, `categories`).
_DATE_FIELDS = frozenset(PERMALINK_FIELDS) - OWN_FIELDS - {"base_url", "categories"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _date_fields(local: datetime) -> dict[str, str]:
    """The date fields of a permalink, in English whatever the machine's locale (as Jekyll's
    strftime and Hugo's month names)."""
    w_year, week, w_day = local.isocalendar()
    month, day = _MONTHS[local.month - 1], _DAYS[local.weekday()]
    return {
        "year": f"{local.year:04d}",
        "month": f"{local.month:02d}",
        "day": f"{local.day:02d}",
        "i_month": str(local.month),
        "i_day": str(local.day),
        "short_year": f"{local.year % 100:02d}",
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "second": f"{local.second:02d}",
        "y_day": f"{local.timetuple().tm_yday:03d}",
        "monthname": month.lower(),
        "short_month": month[:3],
        "long_month": month,
        "w_year": f"{w_year:04d}",
        "week": f"{week:02d}",
        "w_day": str(w_day),
        "short_day": day[:3],
        "long_day": day,
    }


_SECTIONS = {
    "digest": Digest,
    "smtp": Smtp,
    "tag_feeds": TagFeeds,
    "subscribe": Subscribe,
    "bounces": Bounces,
    "dkim": Dkim,
    "validate": Validate,
}
_CODE = re.compile(r"FT\d{3}")
_REQUIRED = ("title", "base_url")
MAX_SECONDS = 7 * 24 * 3600


def urlize(text: str) -> str:
    """A title as a URL path segment, the way Hugo makes one: lower case, spaces to hyphens,
    letters (Chinese too), digits and -._~+ kept, other punctuation dropped."""
    return "".join(c for c in sources.hugo_case(text) if c.isalnum() or c in "-._~+")


def load(path: str | Path | None, folder: Path | None = None) -> Site:
    """Read a feedtool.toml (optional beside a Hugo, Hexo or Jekyll site: `path` None and the
    site's `folder`); relative paths in it are taken from its folder."""
    if path is None:
        return loads("", source="(no feedtool.toml)", base_dir=(folder or Path.cwd()).absolute())
    path = Path(path)
    try:
        text = read_regular_file(path, follow_symlinks=True).decode(
            "utf-8-sig"
        )  # Notepad saves a BOM
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (create one with `feedtool init`)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return loads(text, source=str(path), base_dir=path.absolute().parent)


def loads(text: str, *, source: str = "feedtool.toml", base_dir: Path | None = None) -> Site:
    """Parse config text; raise ConfigError naming the file, line and key. With `base_dir`, the
    settings it leaves out come from the blog there (hugo.toml, _config.yml), if any."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    except ValueError as exc:  # a number longer than Python converts
        raise ConfigError(f"{source}: cannot read a value: {exc}") from None
    kind = data.get("source", "auto")
    if kind not in ("auto", *sources.KINDS):
        raise ConfigError(
            f"{_Locator(text, source)('source', '')}: source: expected one of auto, "
            f"{', '.join(sources.KINDS)}, got {kind!r}"
        )
    blog = sources.Blog("plain")
    if base_dir is not None:
        blog = sources.read_blog(base_dir, sources.detect(base_dir) if kind == "auto" else kind)
        data["source"] = blog.kind
        if blog.excerpt_separator and "excerpt_separator" not in data:
            data["excerpt_separator"] = blog.excerpt_separator
    elif kind == "auto":
        data["source"] = "plain"
    from_blog = {k: v for k, v in blog.settings.items() if k not in data}
    if from_blog:  # checked first, so that an error names the blog's own config file, line and key
        where = _Locator(
            partial(sources.config_text, blog.config_file),
            str(blog.config_file or source),
            blog.names,
            ":=",
        )
        _build(Site, {"title": "t", "base_url": "https://x", **from_blog}, where, "")
    data = {**from_blog, **data}
    for key in _REQUIRED:
        if key not in data:
            hint = {
                "hugo": " (or set it in hugo.toml)",
                "hexo": " (or set it in _config.yml)",
                "jekyll": " (or set it in _config.yml)",
            }.get(blog.kind, "")
            raise ConfigError(f"{source}: missing required key '{key}'{hint}")
    site = _build(Site, data, _Locator(text, source), "")
    site = dataclasses.replace(site, **blog.rules)
    if blog.zone_note and "timezone" in from_blog:
        site = dataclasses.replace(site, notes=(blog.zone_note,))
    if (
        base_dir is not None
    ):  # relative paths are relative to the config file, not the working folder
        digest = dataclasses.replace(site.digest, ledger=base_dir / site.digest.ledger)
        subscribe = dataclasses.replace(
            site.subscribe,
            database=base_dir / site.subscribe.database,
            key_file=base_dir / site.subscribe.key_file,
        )
        site = dataclasses.replace(
            site,
            posts=base_dir / site.posts,
            out=base_dir / site.out,
            cache=base_dir / site.cache,
            digest=digest,
            subscribe=subscribe,
            dkim=dataclasses.replace(site.dkim, key_file=base_dir / site.dkim.key_file),
        )
    if "dkim" in data:
        _check_dkim(site, _Locator(text, source))
    # The output folder is published: the subscriber ledger and the cache must never be in it.
    out = site.out.absolute()
    # (Nested either way is left alone: posts = "." holds public/, and a Jekyll site's feeds may
    # go into its source folder, which does not publish _posts as they are.)
    if out.resolve() == site.posts.resolve():
        raise ConfigError(
            f"{source}: out and posts are the same folder ({site.out}): the feeds would be written "
            "among the posts; give them a folder of their own"
        )
    for key, path in (
        ("digest.ledger", site.digest.ledger),
        ("cache", site.cache),
        ("subscribe.database", site.subscribe.database),
        ("subscribe.key_file", site.subscribe.key_file),
        ("dkim.key_file", site.dkim.key_file),
    ):
        if out == path.absolute() or out in path.absolute().parents:
            raise ConfigError(
                f"{source}: {key} ({path}) is inside the output folder {site.out}, which is "
                "published; put it outside (the default is beside feedtool.toml)"
            )
    return site


def _check_dkim(site: Site, where: _Locator) -> None:
    """A [dkim] table names its domain and selector, and its domain covers the From address
    (DMARC's alignment: the same domain or a parent of it)."""
    for key in ("domain", "selector"):
        if not getattr(site.dkim, key):
            raise ConfigError(f"{where('dkim', '')}: [dkim] needs {key} (see docs/subscribers.md)")
    sender = address_of(site.digest.sender) if site.digest.sender else site.noreply
    from_domain = ascii_host((sender or "").rpartition("@")[2]).lower()
    if from_domain != site.dkim.domain and not from_domain.endswith("." + site.dkim.domain):
        raise ConfigError(
            f"{where('domain', 'dkim')}: dkim.domain: {site.dkim.domain} does not cover the From "
            f"address {sender} (it must be {from_domain} or a parent of it, or DMARC fails)"
        )


class _Locator:
    """Finds the line of a key (tomllib gives values, not positions) for error messages. In a
    generator's config, keys go by the generator's `names` (`url` for base_url), set with : or =."""

    def __init__(
        self,
        text: str | Callable[[], str],
        source: str,
        names: dict[str, str] | None = None,
        separators: str = "=",
    ):
        self._text, self.source, self.names, self.separators = text, source, names or {}, separators

    @cached_property
    def text(self) -> str:
        """The file's text, read only when an error needs a line (a callable: not yet read)."""
        return self._text() if callable(self._text) else self._text

    def name(self, key: str) -> str:
        return self.names.get(key, key)

    def __call__(self, key: str, section: str) -> str:
        start = 0
        if section:
            header = re.search(
                rf"^[ \t]*\[[ \t]*{re.escape(section)}[ \t]*\]", self.text, re.MULTILINE
            )
            start = header.end() if header else 0
        line = sources.key_line(self.text, self.name(key), self.separators, start)
        return f"{self.source}:{line}" if line else self.source


def _build(cls: type, data: dict[str, Any], where: _Locator, section: str) -> Any:
    fields = {
        f.metadata.get("key", f.name): f
        for f in dataclasses.fields(cls)
        if not f.metadata.get("internal")
    }
    prefix = f"{section}." if section else ""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in fields:
            import difflib  # only for a mistake: not on every run

            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"{where(key, section)}: unknown key '{prefix}{key}'{hint}")
        name = fields[key].name
        if key in _SECTIONS and not section:
            if not isinstance(raw, dict):
                raise ConfigError(f"{where(key, section)}: '{key}' must be a table ([{key}])")
            values[name] = _build(_SECTIONS[key], raw, where, key)
            continue
        try:
            values[name] = _check(prefix + key, str(fields[key].type), raw)
        except ValueError as exc:
            raise ConfigError(f"{where(key, section)}: {prefix}{where.name(key)}: {exc}") from None
    return cls(**values)


# Settings that take an address alone, no name, and an example of one.
_BARE_ADDRESSES = {
    "digest.unsubscribe_mailto": "unsubscribe@example.com",
    "smtp.return_path": "bounces@example.com",
}


def _check(key: str, expected: str, value: Any) -> Any:
    """Validate and normalize one config value; ValueError says what is wrong."""
    if expected == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if expected.startswith("tuple[str"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f'expected a list of strings such as ["a", "b"], got {value!r}')
        if key == "validate.ignore" and (wrong := [v for v in value if not _CODE.fullmatch(v)]):
            raise ValueError(f'expected diagnostic codes such as "FT303", got {wrong[0]!r}')
        return tuple(value)
    if key == "smtp.rate":  # (not seconds: one a week is the slowest)
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or value * MAX_SECONDS < 1
        ):
            raise ValueError(
                f"expected messages a second, such as 0.5 for one every 2 s, at least one a week, "
                f"got {value!r}"
            )
        return float(value)
    if expected == "float":
        # At most a week: a socket's timeout and the clock's deadlines overflow far beyond it.
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not 0 < value <= MAX_SECONDS
        ):
            raise ValueError(
                f"expected a number of seconds above 0 and at most {MAX_SECONDS:,}, got {value!r}"
            )
        return float(value)
    if expected == "int":
        port = key in ("smtp.port", "bounces.port")
        least = 0 if port else 1  # port 0: the security mode's default port
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"expected a whole number of at least {least}, got {value!r}")
        if port and value > 65535:
            raise ValueError(f"expected a port from 1 to 65535 (0: the default), got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    if any(ord(c) < 32 or c == "\x7f" for c in value) and key != "excerpt_separator":
        raise ValueError(
            "must be one line without control characters (it goes into feed and email headers)"
        )
    if key == "title" and not value.strip():
        raise ValueError("must not be empty")
    if key in ("base_url", "digest.unsubscribe_url", "hub", "subscribe.url") and value:
        _check_url(key, value)
        host = urlsplit(value).hostname or ""
        if key == "subscribe.url" and urlsplit(value).scheme != "https" and not is_loopback(host):
            raise ValueError(
                f"expected an https URL (http only on 127.0.0.1 or localhost, to try it out), "
                f"got {value!r}"
            )
        return value.rstrip("/") if key in ("base_url", "subscribe.url") else value
    if key == "language" and not _BCP47.match(value):
        hint = f" (did you mean '{value.replace('_', '-')}'?)" if "_" in value else ""
        raise ValueError(f"expected a BCP 47 language tag such as zh-CN, got {value!r}{hint}")
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)") from None
    if key == "permalink":
        fields = _check_pattern(value, PERMALINK_FIELDS, front=True)
        if not _POST_FIELDS & fields and not any(f.startswith("front.") for f in fields):
            raise ValueError("pattern must contain {slug} (or {title}, {filename}, {front.KEY})")
        if not value.startswith("{base_url}") and not urlsplit(value).scheme:
            raise ValueError("pattern must start with {base_url} or an absolute URL")
    if key == "digest.subject":
        _check_pattern(value, SUBJECT_FIELDS)
    if key in ("digest.from", "digest.reply_to", "digest.unsubscribe_mailto") and value:
        if address_of(value) is None:
            raise ValueError(
                f"expected an email address such as 'pan <news@example.com>', got {value!r}"
            )
    if key in _BARE_ADDRESSES and value and address_of(value) != value:
        raise ValueError(
            f"expected a bare address such as {_BARE_ADDRESSES[key]} (no name or <>), got {value!r}"
        )
    if key in ("bounces.folder", "bounces.move_to") and (
        not value.isascii()
        or '"' in value
        or "\\" in value
        or (key == "bounces.folder" and not value)
    ):
        raise ValueError(f'expected an IMAP folder name in ASCII, without " or \\, got {value!r}')
    if key in ("dkim.domain", "dkim.selector", "smtp.helo"):
        name = ascii_host(value).lower()
        if not (
            _DOMAIN.fullmatch(name) or key == "smtp.helo" and _ADDRESS_LITERAL.fullmatch(value)
        ):
            literal = " or an address literal such as [192.0.2.1]" if key == "smtp.helo" else ""
            raise ValueError(
                f"expected a domain name such as mail.example.com{literal}, got {value!r}"
            )
        return name if key != "smtp.helo" or _DOMAIN.fullmatch(name) else value
    if key in ("smtp.security", "bounces.security") and value not in SECURITY:
        raise ValueError(f"expected one of {', '.join(SECURITY)}, got {value!r}")
    if expected == "Path":
        if not value.strip():  # Path("") is the config's own folder: never what was meant
            raise ValueError("must not be empty (a folder or file name)")
        return Path(value)
    return value


def _check_url(key: str, value: str) -> None:
    """An absolute http(s) URL with a plain host; base_url also without query, fragment or login
    (every address on the site is made by adding a path to it)."""
    example = f"expected an absolute http(s) URL such as https://example.com, got {value!r}"
    parts = urlsplit(value)
    try:
        bad_port = parts.port == 0 or parts.netloc.endswith(
            ":"
        )  # (.port raises for one that is not a number up to 65535)
    except ValueError:
        bad_port = True
    if bad_port:
        raise ValueError(f"{example} (its port is not a number from 1 to 65535)")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ValueError(example)
    if "@" in parts.netloc:  # a login in an address that is published or sent
        raise ValueError(f"{example}: no user@ in it")
    if key in ("base_url", "subscribe.url") and (
        parts.query or parts.fragment or "?" in value or "#" in value
    ):
        raise ValueError(
            f"{example}: no ?query or #fragment (addresses on the site are made by adding paths to "
            "it)"
        )


@lru_cache(maxsize=256)
def own_fields(pattern: str, kind: str) -> frozenset[str]:
    """The fields of a checked permalink pattern that `sources.url_fields` fills for a blog of
    `kind`: those of the post's file and front matter, and the generators' own spelling of slug
    and title."""
    own = (
        OWN_FIELDS
        if kind in ("jekyll", "hexo")
        else OWN_FIELDS - {"title"}
        if kind == "hugo"
        else OWN_FIELDS - {"slug", "title"}
    )
    return frozenset(
        name for name in _pattern_fields(pattern) if name in own or name.startswith("front.")
    )


@lru_cache(maxsize=256)  # the site's pattern, and posts' own (Jekyll, Hexo)
def _pattern_fields(pattern: str) -> frozenset[str]:
    """The {fields} a permalink pattern uses: the others are not worth computing for every post."""
    return frozenset(_check_pattern(pattern, PERMALINK_FIELDS, front=True))


@lru_cache(maxsize=256)
def _pattern_parts(pattern: str) -> tuple[tuple[str, str | None], ...]:
    """A checked pattern as (literal text, field or None) pairs; a `front.KEY:default` field keeps
    its default in its name."""
    return tuple(
        (text, None if field is None else field + (":" + spec if spec else ""))
        for text, field, spec, _ in string.Formatter().parse(pattern)
    )


def _check_pattern(value: str, names: tuple[str, ...], front: bool = False) -> set[str]:
    """The fields of a pattern filled per post or issue: only the plain {fields} in `names`
    (no {slug[0]}, {title.x}, {week:02d}, {}), so that filling it cannot fail; with `front`, also
    {front.KEY} and {front.KEY:default} (a front matter value)."""
    allowed = ", ".join("{" + name + "}" for name in names)
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:  # a lone { or }
        raise ValueError(
            f"bad pattern {value!r} ({exc}); use {allowed} ({{{{ and }}}} for braces)"
        ) from None
    fields = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        spec = spec or ""
        if front and re.fullmatch(r"front\.\w+", name) and not conversion and "{" not in spec:
            fields.add(name + (":" + spec if spec else ""))
            continue
        if name not in names or spec or conversion:
            written = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(f"bad pattern {value!r} (unknown field {written}); use {allowed}")
        fields.add(name)
    return fields


def address_of(value: str, *, utf8_local: bool = False) -> str | None:
    """The email address in 'Name <a@b.example>' or 'a@b.example', if it is one; else None.
    One rule for config addresses and for recipients; a recipient's local part may hold
    non-ASCII letters (`utf8_local`: RFC 6531 mail, which needs a server that takes SMTPUTF8)."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address
    from email.utils import getaddresses

    found = [address for _, address in getaddresses([value]) if address]
    if len(found) != 1:  # none, or several ("a@x, b@x": one would be dropped without a word)
        return None
    address = found[0]
    if "@" not in address or not address.isprintable() or any(c.isspace() for c in address):
        return None
    local, _, domain = address.rpartition("@")
    if utf8_local:  # RFC 6532: non-ASCII characters are atext, as any ASCII letter is
        local = "".join(c if c.isascii() else "a" for c in local)
    try:
        Address(addr_spec=f"{local}@{domain}")
    except (ValueError, IndexError, HeaderParseError):  # a@x.example. says the parser is at a loss
        return None
    return address


def template(
    folder: Path, kind: str, *, title: str | None = None, base_url: str | None = None
) -> tuple[str, Site]:
    """A commented feedtool.toml for the blog in `folder` (what `feedtool init` writes), and the
    settings it loads to there."""
    import json
    import os

    from jinja2 import Environment, PackageLoader

    blog = sources.read_blog(folder, kind)
    environment = Environment(
        loader=PackageLoader("feedtool", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    text = environment.get_template("feedtool.toml.j2").render(
        kind=kind,
        title=title,
        base_url=base_url,
        settings=sorted(
            (k, v)
            for k, v in blog.settings.items()
            if k != "posts" and not (k == "timezone" and blog.zone_note)
        ),
        zone=blog.settings["timezone"] if blog.zone_note else None,
        config_file=blog.config_file.name if blog.config_file else "its config",
        posts=os.path.relpath(blog.settings["posts"], folder)
        if blog.settings.get("posts")
        else "posts",
    )
    return text, loads(text, source="feedtool.toml", base_dir=folder)  # (it must load)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
