"""The weekly digest: which posts (a window in the site zone), and the newsletter itself:
HTML (Jinja2, CSS inlined), plain text from its own template, and the MIME message.

Nothing here writes files or talks to a server: `api.py` writes with `output.py`, and
`send.py` delivers.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .config import Site
from .dates import format_rfc822
from .errors import FeedtoolError
from .output import read_if_present
from .posts import Post, newest_first

if TYPE_CHECKING:  # the process that reads the posts never needs these: its helper does
    from email.headerregistry import Address
    from email.message import EmailMessage

    from .render import Rendered

DIGEST_DIR = "digest"
MAX_HTML_BYTES = 90 * 1024  # Gmail clips messages at about 102 KB
CONTENT_WIDTH = 552  # 600px table minus 24px padding each side
# Hugo's reading speeds: 500 CJK characters or 213 words a minute.
CJK_PER_MINUTE, WORDS_PER_MINUTE = 500, 213
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f]"
)
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’.-][A-Za-z0-9\u00c0-\u024f]+)*")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class DigestError(FeedtoolError):
    """A digest cannot be made as asked (bad week, bad range, oversized message)."""


# Windows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A span of time in the site zone: [start, end). `name` names the output files."""

    name: str  # "2025-W34", or "2025-08-18_2025-08-24" for a custom range
    label: str  # "2025 第 34 周", or "2025-08-18 至 2025-08-24"
    start: datetime
    end: datetime

    @property
    def year(self) -> int:
        """The ISO year and week of the window's first day (for the subject)."""
        return self.start.date().isocalendar()[0]

    @property
    def week(self) -> int:
        return self.start.date().isocalendar()[1]

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _midnight(day: date, site: Site) -> datetime:
    return datetime.combine(day, time(0), tzinfo=site.zone)


def iso_week(text: str, site: Site) -> Window:
    """'2025-W34' -> Monday 00:00 to the next Monday 00:00 in the site zone."""
    match = _WEEK.match(text.strip())
    if not match:
        raise DigestError(f"week {text!r}: expected an ISO week such as 2025-W34")
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise DigestError(f"week {text!r}: {year} has no week {week}") from None
    return _week_from(monday, site)


def _week_from(monday: date, site: Site) -> Window:
    year, week, _ = monday.isocalendar()
    return _window(f"{year}-W{week:02d}", f"{year} 第 {week} 周", monday, 7, site)


def _window(name: str, label: str, first: date, days: int, site: Site) -> Window:
    """`days` days from `first` 00:00 in the site zone; DigestError past the calendar's end."""
    try:
        return Window(
            name, label, _midnight(first, site), _midnight(first + timedelta(days=days), site)
        )
    except OverflowError:
        raise DigestError(
            f"{name}: ends after the year 9999, which the calendar cannot hold"
        ) from None


def week_of(moment: datetime, site: Site) -> Window:
    """The ISO week (in the site zone) that contains `moment`."""
    day = moment.astimezone(site.zone).date()
    return _week_from(day - timedelta(days=day.weekday()), site)


def last_week(now: datetime, site: Site) -> Window:
    """The last complete ISO week before today in the site zone (the Monday cron case)."""
    this_monday = week_of(now, site).start.date()
    return _week_from(this_monday - timedelta(days=7), site)


def date_range(since: date, until: date, site: Site) -> Window:
    """From `since` 00:00 to the end of `until` (inclusive), in the site zone."""
    if until < since:
        raise DigestError(f"--until {until} is before --since {since}")
    return _window(f"{since}_{until}", f"{since} 至 {until}", since, (until - since).days + 1, site)


def select(posts: Sequence[Post], window: Window, now: datetime) -> list[Post]:
    """Published posts in the window, newest first (drafts and future posts never)."""
    return newest_first(p for p in posts if p.live_at(now) and window.contains(p.date))


def latest(posts: Sequence[Post], now: datetime, site: Site) -> Window | None:
    """The newest week that has a published post."""
    published = [p.date for p in posts if p.live_at(now)]
    return week_of(max(published), site) if published else None


# Content ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One post as the digest shows it."""

    title: str
    url: str
    date: str  # 2025年8月24日
    minutes: int
    author: str
    tags: tuple[str, ...]
    cover: str | None
    summary_html: str
    cover_size: tuple[int, int | None] | None = (
        None  # as shown: the image's own, at most CONTENT_WIDTH wide
    )

    @functools.cached_property  # asked for by every recipient's text copy
    def text_blocks(self) -> tuple[list, list[str]]:
        """The summary's blocks for the text part, and the links its references number."""
        from .mailtext import summary_blocks

        return summary_blocks(self.summary_html)

    @property
    def meta(self) -> str:
        parts = [self.date, f"{self.minutes} 分钟", self.author]
        return " · ".join(p for p in parts if p)


def reading_minutes(text: str) -> int:
    """Minutes to read: CJK counted in characters, Latin text in words; at least 1."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return max(1, math.ceil(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))


# An email shows at most this much of a title, and this many tags, whatever a post holds.
TITLE_CHARS, TAGS_SHOWN = 200, 10


def item(entry: Rendered, site: Site) -> Item:
    from .render import html_to_text

    post = entry.post
    local = post.date.astimezone(site.zone)
    sized = functools.partial(_local_size, site=site, post=post)
    title = post.title if len(post.title) <= TITLE_CHARS else post.title[: TITLE_CHARS - 1] + "…"
    tags = (
        post.tags
        if len(post.tags) <= TAGS_SHOWN
        else (*post.tags[:TAGS_SHOWN], f"等 {len(post.tags)} 个")
    )
    return Item(
        title=title,
        url=post.permalink,
        date=f"{local.year}年{local.month}月{local.day}日",
        minutes=reading_minutes(html_to_text(entry.content_html)),
        author=post.author,
        tags=tags,
        cover=entry.cover_url,
        summary_html=_email_ready(entry.summary_html, sized),
        cover_size=_shown_size({}, sized(entry.cover_url)) if entry.cover_url else None,
    )


def _local_size(url: str | None, *, site: Site, post: Post) -> tuple[int, int] | None:
    """The pixel size of the post's own image at `url`, read from the file beside the post."""
    from .images import local_image_size

    return local_image_size(url, post.permalink, post.path, site.source) if url else None


Sizer = Callable[[str | None], tuple[int, int] | None]  # an image URL -> its local file's size


def _email_ready(fragment: str, sized: Sizer = lambda _: None) -> str:
    """A summary for mail clients: images get alt and their own size at most CONTENT_WIDTH wide
    (`sized` gives a local image's), tables a box of their own that scrolls."""
    fitter = _image_fitter()(sized)
    fitter.feed(fragment)
    fitter.close()
    return "".join(fitter.parts)


@functools.cache  # html.parser only where messages are made (the helper), not where posts are read
def _image_fitter() -> type:
    from html.parser import HTMLParser

    class ImageFitter(HTMLParser):
        """Re-emits sanitized HTML with every tag rebuilt from its parsed attributes, escaped
        again, and each <img> fitted: parsed, so "<img" inside an attribute's value stays there."""

        def __init__(self, sized: Sizer) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.sized = sized
            self.tables = 0  # open <table> elements: only the outermost gets a box

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            fitted = _fitted(dict(attrs), self.sized) if tag == "img" else attrs
            rendered = (
                f" {k}" if v is None else f' {k}="{html.escape(v, quote=True)}"' for k, v in fitted
            )
            if tag == "table":
                self.tables += 1
                if self.tables == 1:  # a wide table scrolls in its box, not the whole message
                    self.parts.append('<div class="scroll">')
            self.parts.append(f"<{tag}{''.join(rendered)}>")

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.handle_starttag(tag, attrs)  # as browsers read <p/>: a start tag

        def handle_endtag(self, tag: str) -> None:
            self.parts.append(f"</{tag}>")
            if tag == "table" and self.tables:
                self.tables -= 1
                if not self.tables:
                    self.parts.append("</div>")

        def close(self) -> None:
            super().close()
            self.parts.append("</div>" * min(self.tables, 1))  # a table left open (nh3 closes them)

        def handle_data(self, data: str) -> None:
            # Inside <style> or <script> (which the sanitizer drops) text is not escaped.
            self.parts.append(data if self.cdata_elem else html.escape(data, quote=False))

    return ImageFitter


def _fitted(attrs: dict[str, str | None], sized: Sizer) -> list[tuple[str, str | None]]:
    """An <img>'s attributes with alt, class="fluid", and the width and height it is shown at:
    as written or read from the local file, never enlarged, at most CONTENT_WIDTH wide; none
    when its size is not known (CSS keeps it within the card)."""
    size = _shown_size(attrs, sized(attrs.get("src")))
    attrs = {k: v for k, v in attrs.items() if k not in ("width", "height")}
    if size:
        attrs |= {"width": str(size[0])} | ({"height": str(size[1])} if size[1] else {})
    return list(({"alt": ""} | attrs | {"class": "fluid"}).items())


def _shown_size(
    attrs: Mapping[str, str | None], natural: tuple[int, int] | None
) -> tuple[int, int | None] | None:
    """(width, height or None) to show an image at: as its attributes say (a height the width
    alone implies, from `natural`), else its own size (`natural`); scaled down to CONTENT_WIDTH."""
    width, height = (_pixels(attrs.get(key)) for key in ("width", "height"))
    if width is None:
        width, height = natural or (None, None)
    elif height is None and natural:
        height = round(natural[1] * width / natural[0])
    if width is None:
        return None
    if width > CONTENT_WIDTH:
        width, height = CONTENT_WIDTH, height and max(1, round(height * CONTENT_WIDTH / width))
    return width, height


def _pixels(value: str | None) -> int | None:
    return (
        int(value)
        if value and value.isascii() and value.isdigit() and 0 < int(value) < 100_000
        else None
    )


# The newsletter --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Newsletter:
    """A rendered digest: what every recipient gets, but for their own unsubscribe link."""

    window: Window
    subject: str
    items: tuple[Item, ...]
    shortened_to: int | None = None  # characters each summary was cut to, to fit MAX_HTML_BYTES

    @property
    def preheader(self) -> str:
        titles = "、".join(i.title for i in self.items[:3]) + ("等" if len(self.items) > 3 else "")
        return f"本期 {len(self.items)} 篇：{titles}"

    @property
    def name(self) -> str:
        return self.window.name


def compose(site: Site, window: Window, entries: Sequence[Rendered]) -> Newsletter:
    """Subject, preheader and items of the digest for `window`, small enough for mail clients:
    when the HTML would pass MAX_HTML_BYTES, every summary is cut to the same number of
    characters, the most that fit (each post keeps one; `shortened_to` says how many)."""
    from .render import html_to_text, truncate_html

    items = tuple(item(e, site) for e in entries)
    subject = one_line(
        site.digest.subject.format(
            title=site.title,
            label=window.label,
            year=window.year,
            week=window.week,
            count=len(items),
        )
    )
    letter = Newsletter(window, subject, items)
    if html_size(site, letter) <= MAX_HTML_BYTES:
        return letter

    def cut(characters: int) -> Newsletter:
        shortened = tuple(
            dataclasses.replace(i, summary_html=truncate_html(i.summary_html, characters))
            for i in items
        )
        return dataclasses.replace(letter, items=shortened, shortened_to=characters)

    shown = cut(SUMMARY_FLOOR)
    size = html_size(site, shown)
    if size > MAX_HTML_BYTES:
        raise DigestError(
            f"the HTML of {window.name} is {size // 1024} KB even with summaries of "
            f"{SUMMARY_FLOOR} characters, over the {MAX_HTML_BYTES // 1024} KB that mail clients "
            "show unclipped; lower [digest] limit or --limit"
        )
    # A longer cut only adds, so a binary search finds the longest that fits in a few renders.
    fits, too_long = SUMMARY_FLOOR, max(len(html_to_text(i.summary_html)) for i in items)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        candidate = cut(middle)
        if html_size(site, candidate) <= MAX_HTML_BYTES:
            fits, shown = middle, candidate
        else:
            too_long = middle
    return shown


SUMMARY_FLOOR = 40  # characters of summary every post keeps, however full its week


def html_size(site: Site, letter: Newsletter) -> int:
    """The bytes of the largest recipient's HTML part as Gmail counts them (the decoded HTML,
    UTF-8: not its transfer encoding), with the longest unsubscribe link."""
    return len(render_html(site, letter, _LONGEST_TOKEN).encode())


# Each recipient's copy carries their token in links: size-check with a long one (room for a
# signed token from a subscriber list).
_LONGEST_TOKEN = "x" * 160


def address_token(recipient: str) -> str:
    """The opaque token that stands for `recipient` in unsubscribe links (never the address:
    spam filters score addresses in links, and links get forwarded): 32 hex digits of
    SHA-256("feedtool-unsubscribe:" + the address in lower case). The unsubscribe page finds the
    subscriber by hashing its list's addresses alike; a subscriber list that issues signed
    tokens passes its own to `message` instead."""
    import hashlib

    return hashlib.sha256(f"feedtool-unsubscribe:{recipient.lower()}".encode()).hexdigest()[:32]


def unsubscribe_link(site: Site, token: str | None) -> str:
    """The https unsubscribe page; a recipient's own link carries their token (in the query,
    before any #fragment, which never reaches the server). %-encoded: it goes in a header too."""
    from .render import (
        encoded_url,
    )  # where messages are made (the helper): not where posts are read

    base = site.digest.unsubscribe_url
    if not base or not token:
        return encoded_url(base)
    parts = urlsplit(base)
    query = "&".join(part for part in (parts.query, urlencode({"token": token})) if part)
    return encoded_url(urlunsplit(parts._replace(query=query)))


def archive_url(site: Site) -> str:
    return site.url(f"{DIGEST_DIR}/")


# Invisible filler after the preheader so clients don't pull body text into the preview.
_PREHEADER_PADDING = "\u034f\u200c\u00a0" * 40


@functools.cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("feedtool", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    from .mailtext import wrap_cjk

    env.filters["wrap_cjk"] = wrap_cjk
    return env


def render_html(
    site: Site, letter: Newsletter, token: str | None = None, unsubscribe: str | None = None
) -> str:
    """The HTML part: Jinja2 with autoescape, then CSS inlined (only @media rules stay in <style>).
    `unsubscribe`: the recipient's own link from `feedtool serve`, instead of unsubscribe_url's."""
    import css_inline

    page = (
        _environment()
        .get_template("digest.html.j2")
        .render(
            site=site,
            letter=letter,
            archive_url=archive_url(site),
            unsubscribe=unsubscribe or unsubscribe_link(site, token),
            width=CONTENT_WIDTH,
            padding=_PREHEADER_PADDING,
        )
    )
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return inliner.inline(page)


TEXT_WIDTH = 72  # display columns of the text part


@dataclass(frozen=True)
class TextEntry:
    """One post in the text part: its number, the summary as text, its numbered links."""

    number: str  # "1." padded to the indent
    item: Item
    body: str
    links: tuple[tuple[int, str], ...]


def text_entries(letter: Newsletter) -> tuple[str, list[TextEntry]]:
    """The indent every post shares (room for the widest number) and each post's text; link
    references are numbered through the whole message."""
    from .mailtext import format_blocks

    indent = " " * (len(str(len(letter.items))) + 2)
    entries, first = [], 1
    for number, shown in enumerate(letter.items, start=1):
        blocks, links = shown.text_blocks
        body = format_blocks(blocks, indent, TEXT_WIDTH, shown.url, first=first)
        entries.append(
            TextEntry(
                f"{number}.".ljust(len(indent)), shown, body, tuple(enumerate(links, start=first))
            )
        )
        first += len(links)
    return indent, entries


def render_text(
    site: Site, letter: Newsletter, token: str | None = None, unsubscribe: str | None = None
) -> str:
    """The plain-text part, from its own template."""
    indent, entries = text_entries(letter)
    return (
        _environment()
        .get_template("digest.txt.j2")
        .render(
            site=site,
            letter=letter,
            archive_url=archive_url(site),
            unsubscribe=unsubscribe or unsubscribe_link(site, token),
            indent=indent,
            entries=entries,
            width=TEXT_WIDTH,
        )
    )


def message(
    site: Site,
    letter: Newsletter,
    *,
    date: datetime,
    recipient: str | None = None,
    token: str | None = None,
    html: str | None = None,
    text: str | None = None,
    unsubscribe: str | None = None,
) -> EmailMessage:
    """The MIME message: multipart/alternative, text first and HTML last, UTF-8, RFC 2047 headers.

    Without a recipient it is the public archive copy (no personal data, generic unsubscribe).
    A recipient's unsubscribe links carry `token`, by default `address_token(recipient)`;
    `unsubscribe`: the recipient's one-click link from `feedtool serve`, for header and body.
    """
    import hashlib
    from email.message import EmailMessage

    from .render import encoded_url

    msg = EmailMessage(policy=_policy())
    msg["Subject"] = letter.subject
    msg["From"] = sender(site)
    msg["To"] = recipient or "undisclosed-recipients:;"
    token = token or (address_token(recipient) if recipient else None)
    if site.digest.reply_to:
        msg["Reply-To"] = one_line(site.digest.reply_to)
    msg["Date"] = format_rfc822(date.astimezone(site.zone))
    msg["Message-ID"] = message_id(site, letter, recipient)
    msg["List-Id"] = f"{one_line(site.title)} <digest.{site.domain}>"
    msg["List-Archive"] = f"<{encoded_url(archive_url(site))}>"
    links = []
    if unsubscribe or site.digest.unsubscribe_url:
        links.append(f"<{unsubscribe or unsubscribe_link(site, token)}>")
    if site.digest.unsubscribe_mailto:
        subject = quote(f"unsubscribe {token}" if token else "unsubscribe")
        links.append(f"<{mailto(site.digest.unsubscribe_mailto)}?subject={subject}>")
    if links:
        msg["List-Unsubscribe"] = ", ".join(links)
    # One-click needs https (RFC 8058); the service's url is, but on this machine, to try it out.
    if unsubscribe or urlsplit(site.digest.unsubscribe_url).scheme == "https":
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = text if text is not None else render_text(site, letter, token, unsubscribe)
    html = html if html is not None else render_html(site, letter, token, unsubscribe)
    msg.set_content(text, subtype="plain", charset="utf-8", cte=transfer_encoding(text))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte=transfer_encoding(html))
    for part in msg.iter_parts():
        del part["MIME-Version"]  # belongs on the top level only
    # A boundary from the content keeps the .eml byte-identical across runs; "=_" cannot occur
    # in base64 or quoted-printable bodies.
    msg.set_boundary("=_feedtool_" + hashlib.sha256((text + html).encode()).hexdigest()[:32])
    return msg


def transfer_encoding(text: str) -> str:
    """7bit for short ASCII lines; else the shorter on the wire of quoted-printable (mostly
    ASCII) and base64 (mostly CJK, which quoted-printable would triple): decided from the whole
    text, not from its first lines as the email package does (an HTML head is ASCII)."""
    import quopri

    data = text.encode()
    if text.isascii() and max(map(len, data.split(b"\n"))) <= 998:
        return "7bit"
    base64_size = (len(data) + 2) // 3 * 4 * 78 // 76  # with a CRLF every 76 characters
    return "quoted-printable" if len(quopri.encodestring(data)) <= base64_size else "base64"


def mailto(address: str) -> str:
    """A mailto: URL for a bare address, its local part %-encoded as RFC 6068 asks ("?", "%"...)."""
    local, _, domain = address.rpartition("@")
    return f"mailto:{quote(local, safe=_MAILTO_DELIMS)}@{domain}"


_MAILTO_DELIMS = "!$'()*+,;:"  # RFC 6068 some-delims, which an address holds as they are


@functools.cache
def _policy():
    """SMTP's policy, but with RFC 2369 list headers written as they are (see _UrlList)."""
    from email.headerregistry import HeaderRegistry
    from email.policy import SMTP

    registry = HeaderRegistry()
    for name in ("List-Unsubscribe", "List-Unsubscribe-Post"):
        registry.map_to_type(name, _url_list_class())
    return SMTP.clone(header_factory=registry)


@functools.cache
def _url_list_class() -> type:
    from email.headerregistry import UnstructuredHeader

    class _UrlList(UnstructuredHeader):
        """`<url>, <url>` unencoded: RFC 2369 headers hold URLs, never RFC 2047 encoded-words
        (mail clients would find no link); folded only after a comma, as RFC 2369 allows."""

        def fold(self, *, policy) -> str:
            items = str(self).split(", ")  # URLs hold no spaces: they are %-encoded
            lines, line = [], f"{self.name}:"  # type: ignore[attr-defined]  # set by the registry
            for number, item in enumerate(items):
                word = " " + item + ("," if number < len(items) - 1 else "")
                if number and len(line) + len(word) > (
                    policy.max_line_length or len(line) + len(word)
                ):
                    lines.append(line)
                    line = ""
                line += word
            return policy.linesep.join([*lines, line]) + policy.linesep

    return _UrlList


def sender(site: Site) -> Address:
    """The From address, built from its parts: a title like 'Tech: 周刊, AI' stays a name."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    name, address = (
        parseaddr(site.digest.sender) if site.digest.sender else (site.title, site.noreply)
    )
    return Address(display_name=one_line(name), addr_spec=address)


def one_line(text: str) -> str:
    """`text` fit for a header: what str.splitlines breaks at (also NEL, U+2028 and U+2029), which
    the email package refuses there, becomes a space."""
    return " ".join(text.splitlines())


def message_id(site: Site, letter: Newsletter, recipient: str | None) -> str:
    """Stable per digest and recipient, so a retried send carries the same id (clients dedupe)."""
    import hashlib

    who = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16] if recipient else "archive"
    return f"<digest.{letter.name}.{who}@{site.domain}>"


def issue_date(window: Window, now: datetime) -> datetime:
    """The archive copy's Date: the end of its window, or now for a window still running."""
    return min(window.end, now)


# Plain-text wrapping for CJK -------------------------------------------------------------------


# The archive -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveEntry:
    """One line of the public archive (no personal data)."""

    name: str
    subject: str
    label: str
    count: int
    titles: list[str]


def read_archive(site: Site, data: bytes | None) -> tuple[dict[str, ArchiveEntry], list[str]]:
    """The entries of an index.json written earlier, by name, and a note on each record left out:
    the file is public and may be tampered with, so nothing in it is trusted (a name goes into a
    link)."""
    if not data:
        return {}, []
    try:
        records = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return {}, [f"not readable as JSON ({type(exc).__name__}): rebuilt from this digest"]
    if not isinstance(records, list):
        return {}, ["not a list of digests: rebuilt from this digest"]
    entries: dict[str, ArchiveEntry] = {}
    notes = []
    for number, record in enumerate(records, start=1):
        problem = _record_problem(site, record)
        if problem:
            notes.append(f"entry {number} dropped: {problem}")
        else:
            entries[record["name"]] = ArchiveEntry(**record)
    return entries, notes


_FIELDS = {"name": str, "subject": str, "label": str, "count": int, "titles": list}


# What no title or subject that digest writes holds: control characters (but tab and line breaks)
# and lone surrogates (JSON can spell "\ud800"; UTF-8 cannot hold it).
_UNWRITTEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _record_problem(site: Site, record: object) -> str | None:
    """Why `record` is not an entry that `archive` wrote, or None."""
    import reprlib

    if not isinstance(record, dict) or set(record) != set(_FIELDS):
        return f"not a record of {', '.join(_FIELDS)}: {reprlib.repr(record)}"
    wrong = [
        f"{key} is {type(record[key]).__name__}, not {kind.__name__}"
        for key, kind in _FIELDS.items()
        if type(record[key]) is not kind
    ]  # a bool is no count
    if wrong:
        return "; ".join(wrong)
    if not all(isinstance(title, str) for title in record["titles"]):
        return "titles holds more than strings"
    texts = [record["subject"], record["label"], *record["titles"]]
    if any(_UNWRITTEN.search(text) for text in texts):
        return "a text holds a control character or a lone surrogate, which digest never writes"
    if not is_window_name(site, record["name"]):
        return (
            f"name {reprlib.repr(record['name'])} is not a week such as 2025-W34 or a range such "
            "as "
            "2025-08-18_2025-08-24"
        )
    return None


def is_window_name(site: Site, name: str) -> bool:
    """Whether `name` is the name of a window: a week that exists or a range in order, as
    written."""
    since, _, until = name.partition("_")
    try:
        if until:
            window = date_range(date.fromisoformat(since), date.fromisoformat(until), site)
        else:
            window = iso_week(name, site)
    except (DigestError, ValueError):
        return False
    return window.name == name


def archive(
    site: Site, archived: Mapping[str, ArchiveEntry], letter: Newsletter
) -> dict[str, bytes]:
    """index.json and index.html of OUT/digest/: the `archived` entries with `letter` added or
    replaced."""
    entries = {
        **archived,
        letter.name: ArchiveEntry(
            letter.name,
            letter.subject,
            letter.window.label,
            len(letter.items),
            [i.title for i in letter.items],
        ),
    }
    ordered = [entries[k] for k in sorted(entries, reverse=True)]
    page = _environment().get_template("archive.html.j2").render(site=site, entries=ordered)
    return {
        f"{DIGEST_DIR}/index.json": (
            json.dumps([asdict(e) for e in ordered], ensure_ascii=False, indent=2) + "\n"
        ).encode(),
        f"{DIGEST_DIR}/index.html": page.encode(),
    }


def prepare_composer() -> None:
    """What a helper imports (and compiles: the templates) while this process reads the posts,
    to render them and `make` the digest: Markdown, Jinja2, css-inline, the email package."""
    import email.headerregistry
    import email.message  # noqa: F401

    import css_inline  # noqa: F401

    from .render import prepare

    prepare()
    environment = _environment()
    for name in ("digest.html.j2", "digest.txt.j2", "archive.html.j2"):
        environment.get_template(name)


def make(
    site: Site, entries: list[Rendered], window: Window, now: datetime, out: Path | None
) -> tuple[Newsletter, dict[str, bytes], list[str]]:
    """The newsletter of the rendered posts `entries`, its `files`, and notes on the archive
    records in `out` left out: what the helper does (`engine.Run.render`)."""
    letter = compose(site, window, entries)
    archived, notes = read_archive(
        site, read_if_present(out / DIGEST_DIR / "index.json") if out else None
    )
    return letter, files(site, letter, now, archived), notes


def files(
    site: Site, letter: Newsletter, now: datetime, archived: Mapping[str, ArchiveEntry] | None
) -> dict[str, bytes]:
    """Everything `digest` writes: <name>.html, .txt, .eml and the archive index (adding to
    the `archived` entries, if any)."""
    html = render_html(site, letter)
    text = render_text(site, letter)
    msg = message(site, letter, date=issue_date(letter.window, now), html=html, text=text)
    return {
        f"{DIGEST_DIR}/{letter.name}.html": html.encode(),
        f"{DIGEST_DIR}/{letter.name}.txt": text.encode(),
        f"{DIGEST_DIR}/{letter.name}.eml": msg.as_bytes(),
        **archive(site, archived or {}, letter),
    }
