"""Markdown -> safe HTML with absolute URLs, and summaries cut at a sentence end.

>>> to_html("[a](../b/) ![x](c.png)", "https://example.com/posts/a/")
'<p><a href="https://example.com/posts/b/">a</a> <img alt="x" src="https://example.com/posts/a/c.png"></p>'
"""

from __future__ import annotations

import functools
import html
import os
import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3

from . import templating
from .config import Site, ascii_host
from .diagnostics import Diagnostic
from .errors import PostError
from .posts import XML_FORBIDDEN, Post, split_more, too_complex, without_more

SENTENCE_ENDS = "。！？；!?;"
CLAUSE_ENDS = "，、：,:"
SAFE_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = {"href", "src", "cite"}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "srcset", "alt", "title", "width", "height"},
    "a": {"href", "hreflang", "title"},
    "code": {"class"},  # language-python etc., from fenced code blocks
}
_VOID = {"area", "br", "col", "hr", "img", "wbr"}
# Blocks the ellipsis may step back into when the cut falls at their end (not code, links or
# emphasis: "…" is no part of those).
_CLOSING_TAGS = re.compile(
    r"(?:</(?:p|li|ul|ol|dd|dt|dl|blockquote|h[1-6]|div|td|th|tr|tbody|thead|table)>\s*)+$"
)
_PATH_CHARACTERS = (
    ":/@!$&'()*+,;=%~"  # besides letters, digits and -._: what a path may hold as it is
)
_UNWANTED = re.compile(XML_FORBIDDEN.pattern[:-1] + "\x80-\x9f\ufffd]")


@dataclass(frozen=True)
class Rendered:
    """A post with its HTML: the whole body and the summary, both safe and absolute."""

    post: Post
    content_html: str
    summary_html: str
    cover_url: str | None = None  # absolute, safe

    @functools.cached_property  # asked once per feed that shows the post
    def summary_text(self) -> str:
        return html_to_text(self.summary_html)


@functools.cache
def _markdown() -> Any:
    """One reusable Markdown converter, made on first use (warm builds render nothing)."""
    import markdown
    from markdown.extensions import (
        abbr,
        attr_list,
        def_list,
        fenced_code,
        footnotes,
        md_in_html,
        sane_lists,
        tables,
    )

    # "extra" and "sane_lists", as instances in extra's order: a name makes Markdown scan every
    # installed package's entry points for it, on every run.
    extra = [
        fenced_code.FencedCodeExtension(),
        footnotes.FootnoteExtension(),
        attr_list.AttrListExtension(),
        def_list.DefListExtension(),
        tables.TableExtension(),
        abbr.AbbrExtension(),
        md_in_html.MarkdownInHtmlExtension(),
    ]
    return markdown.Markdown(
        extensions=[*extra, sane_lists.SaneListExtension()], output_format="html"
    )


def prepare() -> None:
    """Import Markdown and make the converter now (in a helper process, ahead of rendering)."""
    _markdown()


def to_html(source: str, base_url: str) -> str:
    """Render Markdown, sanitize it, and make every link and image absolute against `base_url`."""
    converter = _markdown()
    converter.reset()
    return sanitize(converter.convert(source), base_url)


def sanitize(raw_html: str, base_url: str) -> str:
    """Drop scripts, event handlers, styles, iframes, forms and unsafe URLs; make URLs absolute."""

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return _safe_url(urljoin(base_url, value.strip()))
        if attribute == "srcset":
            candidates = []
            for candidate in value.split(","):
                url, _, descriptor = candidate.strip().partition(" ")
                resolved = _safe_url(urljoin(base_url, url)) if url else None
                if resolved is None:
                    return None
                candidates.append(f"{resolved} {descriptor.strip()}".strip())
            return ", ".join(candidates)
        return value

    cleaned = nh3.clean(
        raw_html,
        attributes=_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        attribute_filter=absolute,
        link_rel=None,
    ).strip()
    # Character references such as &#1; come out as the characters XML forbids, and &#xD800;
    # or &#0; as U+FFFD; C1 controls are never text. Feed validators reject all of them: drop them.
    return _UNWANTED.sub("", cleaned)


def encoded_url(url: str) -> str:
    """`url` as ASCII: its host in punycode (an IDN), and what a path, query or fragment may not
    hold as it is %-encoded (a % that starts no escape too)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, host_and_port = netloc.rpartition("@")
        host, colon, port = host_and_port.partition(":")  # (an IDN is never an IPv6 literal)
        netloc = userinfo + at + (ascii_host(host) or host) + colon + port

    def encoded(part: str, safe: str) -> str:
        return quote(re.sub("%(?![0-9A-Fa-f]{2})", "%25", part), safe=safe)

    return urlunsplit(
        (
            parts.scheme,
            netloc,
            encoded(parts.path, _PATH_CHARACTERS),
            encoded(parts.query, _PATH_CHARACTERS + "?"),
            encoded(parts.fragment, _PATH_CHARACTERS + "?"),
        )
    )


def _safe_url(url: str) -> str | None:
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in SAFE_SCHEMES else None


# No real post takes more than a second; a body built to make the Markdown parser backtrack
# (thousands of unclosed '[') could take hours. Past this, the post is reported instead.
RENDER_SECONDS = 10.0


class _TooSlow(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    """Raise _TooSlow after `seconds` (main thread on Unix; elsewhere no limit)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render(post: Post, site: Site) -> Rendered:
    """The content and summary HTML of a post, as feeds and the digest show them.

    A body (or summary) beyond feedtool's limits, or too slow to render, raises PostError (FT304).
    """
    problem = too_complex(post)
    if not problem:
        try:
            with _time_limit(RENDER_SECONDS):
                return _render(post, site)
        except _TooSlow:
            problem = f"the body takes over {RENDER_SECONDS:g} s to render as Markdown; simplify it"
        except RecursionError:  # within the limits, so only with an unusually small stack
            problem = "the body is nested too deeply to render as Markdown; simplify it"
    raise PostError(Diagnostic(post.path, post.body_line, 1, "error", "FT304", problem))


def _render(post: Post, site: Site) -> Rendered:
    body = _expanded(post.body, post, site)
    own_summary = _expanded(post.summary, post, site) if post.summary is not None else None
    content = to_html(without_more(body), post.permalink)
    before, after = split_more(body)
    separator = site.excerpt_separator
    if after is None and separator and separator in body.strip():  # Jekyll's excerpt
        before, _, after = body.strip().partition(separator)
    if own_summary:
        summary = to_html(own_summary, post.permalink)
    elif after is not None and before.strip():
        summary = to_html(before, post.permalink)
    else:
        summary = truncate_html(content, site.summary_length)
    if not html_to_text(summary) and html_to_text(content):  # only an image: the first text instead
        summary = truncate_html(_without_media(content), site.summary_length)
    # Spaces and Chinese in a file name written as they are: a feed's URL must have them %-encoded
    # (what is encoded already, and the URL's own punctuation, is kept).
    cover_url = _safe_url(encoded_url(urljoin(post.permalink, post.cover))) if post.cover else None
    return Rendered(post, content, summary, cover_url)


def _expanded(text: str, post: Post, site: Site) -> str:
    """`text` with the generator's tags rendered as the generator does (`templating`)."""
    if not templating.has_tags(text, site.source):
        return text
    includes = os.fspath(site.posts.parent / "_includes")  # Jekyll's
    return templating.expand(
        text, site.source, post.permalink, site.base_url, templating.resolver(site), includes
    )


_MEDIA = {"img", "source", "video", "audio", "picture", "track"}


def _without_media(fragment: str) -> str:
    """Sanitized HTML without its images and other media (parsed again by nh3, not by pattern)."""
    return nh3.clean(
        fragment,
        tags=set(nh3.ALLOWED_TAGS) - _MEDIA,
        attributes=_ATTRIBUTES,
        link_rel=None,
        url_schemes=SAFE_SCHEMES,
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, whitespace collapsed (for JSON Feed `summary`)."""
    text = XML_FORBIDDEN.sub("", html.unescape(nh3.clean(fragment, tags=set())))
    return re.sub(r"\s+", " ", text).strip()


def truncate_html(fragment: str, limit: int) -> str:
    """Cut HTML to about `limit` characters of text, preferably at 。！？；, closing open tags.

    Text is counted after entities are decoded, so a cut never lands inside a tag or an entity.
    """
    text = html_to_text(fragment)
    if len(text) <= limit:
        return fragment
    cut = _cut_point(text, limit)
    return _HtmlCutter(cut).run(fragment)


def _cut_point(text: str, limit: int) -> int:
    """How many characters of `text` to keep: through the last sentence end within the limit,
    else up to the last clause break (，、：), if that keeps at least half; else the limit,
    backing off a half Latin word."""
    window = text[:limit]
    for marks, keep_mark in ((SENTENCE_ENDS, 1), (CLAUSE_ENDS, 0)):
        end = max(window.rfind(mark) for mark in marks)
        if end + 1 >= limit // 2:
            return end + keep_mark
    if text[limit].isascii() and text[limit].isalnum():
        space = window.rfind(" ")
        if space >= limit // 2:
            return space
    return limit


class _HtmlCutter(HTMLParser):
    """Re-emits HTML until `budget` characters of (whitespace-collapsed) text are written,
    then closes what is open and ends with an ellipsis."""

    def __init__(self, budget: int):
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.parts: list[str] = []
        self.open: list[str] = []
        self.done = False
        self.last_space = True  # mirrors html_to_text's collapsing of leading whitespace

    def run(self, fragment: str) -> str:
        self.feed(fragment)
        self.close()
        # The ellipsis goes inside the last element, so that it stays in the paragraph: before the
        # tags that close the elements still open, and before those of blocks just closed when
        # the cut falls at a block's end.
        kept = "".join(self.parts).rstrip()
        closed = _CLOSING_TAGS.search(kept)
        at = closed.start() if closed else len(kept)
        return (
            kept[:at].rstrip()
            + "…"
            + kept[at:]
            + "".join(f"</{tag}>" for tag in reversed(self.open))
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.done = self.done or self.budget == 0
        if self.done:
            return
        rendered = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in attrs)
        self.parts.append(f"<{tag}{rendered}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.done or tag not in self.open:
            return
        while self.open:
            closed = self.open.pop()
            self.parts.append(f"</{closed}>")
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.done:
            return
        kept = []
        for char in data:
            if char.isspace():
                if self.last_space:
                    kept.append(char)
                    continue
                self.last_space = True
            else:
                self.last_space = False
            if self.budget == 0:
                self.done = True
                break
            kept.append(char)
            self.budget -= 1
        self.parts.append(html.escape("".join(kept), quote=False))
