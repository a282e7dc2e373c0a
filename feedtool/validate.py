"""Checks over a set of post files -> publishable posts plus every finding.

`build`, `digest` and `validate` all go through `check`, so a post that validates always builds.
What a file says about itself (`Analysis`) depends only on its bytes and the site settings,
so it is cached; what depends on the clock, other files or the file system is checked each run.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import os
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from . import sources, templating
from .catalog import display_path
from .config import Site
from .dates import format_rfc3339
from .diagnostics import Diagnostic, place
from .errors import FeedtoolError
from .files import are_posts, content_hash, identity, read_with_stat
from .markdown_code import Code
from .posts import (
    KNOWN_KEYS,
    XML_FORBIDDEN,
    Loaded,
    Post,
    forbidden_findings,
    loads,
    places_of_forbidden,
    split_more,
    too_complex,
)


class Analysis(NamedTuple):
    """What one file says about itself. The post's body is dropped (it is re-read to render).

    A NamedTuple so that the cache of a large blog loads fast.
    """

    path: str
    digest: str  # content hash of the file
    post: Post | None
    diagnostics: tuple[Diagnostic, ...]  # with path "" (the display name depends on the cwd)
    places: dict[
        str, tuple[int, int]
    ]  # line, column of date / slug / id (shared: never change one)
    links: tuple[tuple[str, int, int], ...]  # relative links to local files: target, line, column
    body_findings: tuple[Diagnostic, ...] | None = None  # None: only the front matter was read

    @property
    def complete(self) -> bool:
        return self.body_findings is not None


@dataclass(frozen=True)
class Report:
    """What `check` found: the posts that can be published and the sorted diagnostics."""

    posts: list[Post]  # without bodies: rendering reads them again (`engine.render_many`)
    diagnostics: list[Diagnostic]
    checked: int  # number of files read
    failed: set[str]  # files with at least one error
    digests: dict[str, str]  # content hash of each file, for the render cache

    @property
    def ok(self) -> bool:
        return not self.failed

    def adding(self, found: Sequence[tuple[str, Diagnostic]]) -> Report:
        """This report with more findings (path, diagnostic with its display path)."""
        if not found:
            return self
        failed = self.failed | {path for path, d in found if d.severity == "error"}
        return Report(
            [p for p in self.posts if p.path not in failed],
            sorted([*self.diagnostics, *(d for _, d in found)]),
            self.checked,
            failed,
            self.digests,
        )


class Reader(Protocol):
    """What reads files into analyses for `check`: `plain_reader`, or a faster one (`engine`)."""

    def __call__(
        self,
        files: Sequence[str],
        *,
        complete: bool = True,
        progress: Callable[[int, int], None] | None = None,
        whole: bool = False,
    ) -> list[Analysis]:
        """Each file's analysis (`complete`: with its body's); `whole`: these are all the
        site's files."""


def plain_reader(site: Site) -> Reader:
    """A `Reader` that reads and analyzes every file, one after the other."""

    def read(
        files: Sequence[str],
        *,
        complete: bool = True,
        progress: Callable[[int, int], None] | None = None,
        whole: bool = False,
    ) -> list[Analysis]:
        found = []
        for number, path in enumerate(files):
            analysis = read_one((number, path, None), site, complete)[3]
            found.append(analysis)
            if progress and (number + 1) % 100 == 0:
                progress(number + 1, len(files))
        return found

    return read


def check(
    files: Sequence[str],
    site: Site,
    *,
    now: datetime,
    read: Reader | None = None,
    bodies: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Read (with `read`) and check every file; `now` decides which dates are in the future.

    `bodies=False` reads and checks only the front matter (what build and digest need of
    every post); `check_bodies` then checks the bodies they render.
    """
    cwd = os.getcwd()
    if site.source in ("hugo", "jekyll"):  # the files their generator does not take for posts
        kept = are_posts(site.source, site.posts, list(files))
        if not all(kept):
            files = [file for file, keep in zip(files, kept, strict=True) if keep]
    read = read or plain_reader(site)
    analyses = read(files, complete=bodies, progress=progress, whole=True)
    listing = _Listing() if bodies else None
    # Most posts have no findings: each kind is gathered only from the posts that can have some.
    found = [(a.path, d) for a in analyses if a.diagnostics for d in a.diagnostics]
    if bodies:
        found += [(a.path, d) for a in analyses if a.body_findings for d in a.body_findings]
    found += [
        (a.path, d)
        for a in analyses
        if a.links and listing or a.post and a.post.live_from > now
        for d in _time_and_place(a, now, listing, site.source)
    ]
    found += _duplicates([a for a in analyses if a.post], cwd)
    if site.validate.ignore:
        found = [(path, d) for path, d in found if not ignored(d, site)]
    failed = {path for path, d in found if d.severity == "error"}
    posts = [a.post for a in analyses if a.post and a.path not in failed]
    # Display names only for files with findings: most of a large blog has none.
    diagnostics = sorted(dataclasses.replace(d, path=display_path(path, cwd)) for path, d in found)
    return Report(posts, diagnostics, len(files), failed, {a.path: a.digest for a in analyses})


def check_bodies(
    report: Report, posts: Sequence[Post], site: Site, read: Reader | None = None
) -> list[tuple[str, Diagnostic]]:
    """What the bodies of `posts` (the ones an output shows) add to `report`, a check that
    read only front matter: (path, diagnostic) pairs, for `Report.adding`."""
    cwd = os.getcwd()
    analyses = (read or plain_reader(site))([post.path for post in posts], complete=True)
    for a in analyses:
        if a.digest != report.digests.get(a.path):
            raise FeedtoolError(f"{a.path} changed while feedtool was running; run it again")
    return [
        (a.path, dataclasses.replace(d, path=display_path(a.path, cwd)))
        for a in analyses
        for d in a.body_findings or ()
        if not ignored(d, site)
    ]


def ignored(d: Diagnostic, site: Site) -> bool:
    """A warning the site's `[validate] ignore` leaves unreported (an error never is)."""
    return d.severity == "warning" and d.code in site.validate.ignore


def as_named(analysis: Analysis, path: str) -> Analysis:
    """The analysis under the name the file has in this run (a cache may hold another spelling)."""
    if analysis.path == path:
        return analysis
    post = analysis.post._replace(path=path) if analysis.post else None
    return analysis._replace(path=path, post=post)


def what_choices_see(a: Analysis) -> str:
    """What of a file's analysis a build's choices depend on (`check`'s findings about the front
    matter, which posts are published and in which order, the tag and category channels): all of
    it but the content hash, the body's findings and links, and the fields only rendering uses.
    As text, so that equal means written alike (a date's zone too)."""
    post = a.post and a.post._replace(
        title="", body_line=0, updated=None, author="", summary=None, cover=None
    )
    return repr(a._replace(digest="", post=post, links=(), body_findings=None))


def read_one(item: tuple[int, str, str | None], site: Site, complete: bool = True) -> tuple:
    """(index, read time, content hash, analysis or None when the hash is the expected one,
    the file's stat as the cache keeps it). Only regular files are read: no hash for the rest."""
    number, path, expected = item
    read_ns = time.time_ns()
    try:  # the stat is the open file's: no lstat of every post (only of one that fails)
        data, stat = read_with_stat(path)
    except OSError as exc:
        try:
            stat = os.lstat(path)
        except OSError as missing:
            return number, 0, "", _unreadable(path, missing), None
        if S_ISDIR(stat.st_mode):  # a folder `find` could not list
            return number, 0, "", _unreadable_folder(path), None
        if not S_ISREG(stat.st_mode):
            return number, 0, "", _not_a_file(path, stat), None
        return number, read_ns, "", _unreadable(path, exc), None
    digest = content_hash(data)
    if digest == expected:
        return number, read_ns, digest, None, identity(stat)
    return (
        number,
        read_ns,
        digest,
        analyze_bytes(data, site, path, digest, complete),
        identity(stat),
    )


def analyze_bytes(
    data: bytes, site: Site, path: str, digest: str, complete: bool = True
) -> Analysis:
    """The analysis of a file's content. Its front matter findings are the same whether or
    not the body is read: a body that is not UTF-8 text is a finding about the body."""
    loaded = loads(data, site, path=path, display="", body=complete)
    if complete and loaded.front_matter is None:  # unreadable: the front matter, or only the body?
        head = loads(data, site, path=path, display="", body=False)
        # What the whole read adds (the same problem may be worded apart: the encoding guessed
        # differs).
        said = {(d.line, d.column, d.code) for d in head.diagnostics}
        body = tuple(d for d in loaded.diagnostics if (d.line, d.column, d.code) not in said)
        return analyze(head, digest, complete=False, site=site)._replace(body_findings=body)
    return analyze(loaded, digest, complete, site)


def _not_a_file(path: str, stat: os.stat_result) -> Analysis:
    kind = "a symbolic link" if S_ISLNK(stat.st_mode) else "not a regular file"
    d = Diagnostic(
        "",
        1,
        1,
        "warning",
        "FT105",
        f"{kind}; feedtool does not follow links or read special files, so it is skipped",
    )
    return Analysis(path, "", None, (d,), {}, (), ())


def _unreadable(path: str, exc: OSError | None, kind: str = "file") -> Analysis:
    reason = exc.strerror or str(exc) if exc is not None else "it could not be listed"
    tail = "; the posts in it are not checked" if kind == "folder" else ""
    d = Diagnostic("", 1, 1, "error", "FT104", f"cannot read {kind}: {reason}{tail}")
    return Analysis(path, "", None, (d,), {}, (), ())


def _unreadable_folder(path: str) -> Analysis:
    """A folder `find` could not list, and why (asked again: it saw only that it failed)."""
    try:
        os.scandir(path).close()
    except OSError as exc:
        return _unreadable(path, exc, "folder")
    return _unreadable(path, None, "folder")


def analyze(item: Loaded, digest: str, complete: bool = True, site: Site | None = None) -> Analysis:
    """File-local findings (beyond those of reading it): keys that look like typos, and with
    `complete` (the item was read with its body) the body's findings and links (and, with the
    `site`, the generator's tags that feedtool does not render)."""
    kind = site.source if site is not None else "plain"
    found = list(item.diagnostics)
    front, post = item.front_matter, item.post
    places: dict[str, tuple[int, int]] = {}
    links: tuple[tuple[str, int, int], ...] = ()
    body: list[Diagnostic] = []
    if front is not None:
        places = _places(
            {
                k: front.positions[k]
                for k in ("date", "publishDate", "slug", "id")
                if k in front.positions
            }
        )
        for key, (line, column) in front.key_positions.items():
            if key not in KNOWN_KEYS and (meant := typo_of(key, kind == "hugo")):
                found.append(
                    Diagnostic(
                        "",
                        line,
                        column,
                        "warning",
                        "FT115",
                        f"unknown key '{key}' (did you mean '{meant}'?)",
                    )
                )
    if post is not None and complete:
        text = post.body
        if XML_FORBIDDEN.search(text):  # every one, left out of the outputs (`render.sanitize`)
            body += forbidden_findings(places_of_forbidden(text, post.body_line), "body")
        if site is not None and templating.has_tags(text, site.source):
            body += _unrendered_tags(text, post.body_line, site)
        before, after = split_more(text)
        if not (before + (after or "")).strip():
            if not post.draft:
                body.append(Diagnostic("", post.body_line - 1, 1, "warning", "FT301", "empty body"))
        elif after is not None and not before.strip():
            body.append(
                Diagnostic(
                    "",
                    post.body_line + before.count("\n"),
                    1,
                    "warning",
                    "FT302",
                    "nothing before the <!--more--> marker, so the summary would be empty",
                )
            )
        if problem := too_complex(post):
            body.append(Diagnostic("", post.body_line, 1, "error", "FT304", problem))
        links = _local_links(post)
    if post is not None and post.body:
        post = post._replace(body="")  # re-read to render: 10,000 bodies would fill the cache
    return Analysis(
        item.path, digest, post, tuple(found), places, links, tuple(body) if complete else None
    )


def _unrendered_tags(text: str, first_line: int, site: Site) -> list[Diagnostic]:
    """FT305: each tag or shortcode in a body that rendering leaves out (`templating`)."""
    found = []
    includes = os.fspath(site.posts.parent / "_includes")
    for at, name in templating.findings(text, site.source, includes):
        line, column = place(text, at, first_line)
        shown = (
            name
            if name.startswith("{{")
            else f"{{{{< {name} >}}}}"
            if site.source == "hugo"
            else f"{{% {name} %}}"
        )
        why = (
            "not found in _includes/" if name.startswith("include ") else "not one feedtool renders"
        )
        found.append(
            Diagnostic(
                "",
                line,
                column,
                "warning",
                "FT305",
                f"{site.source} tag {shown}: {why}; it is left out of the feeds and the digest",
            )
        )
    return found


@functools.lru_cache(maxsize=1024)
def typo_of(key: str, any_case: bool = False) -> str | None:
    """The known key that `key` is a typo of: one edit (a letter added, dropped, changed, or two
    swapped) from it, two for a key of over 5 letters; else None, for themes and plugins have keys
    of their own. With `any_case` (Hugo's keys) a key that differs only in case is no typo.

    >>> typo_of("titel"), typo_of("donate"), typo_of("header-img"), typo_of("Title", True)
    ('title', None, None, None)
    """
    folded = key.lower()
    if any_case and folded in _KNOWN_FOLDED:
        return None
    best = None
    for known in sorted(KNOWN_KEYS):
        allowed = (
            0 if len(known) <= 2 else 1 if len(known) <= 5 else 2
        )  # (any key is an edit from "id")
        if not allowed or abs(len(known) - len(key)) > allowed:
            continue
        if (distance := _edits(folded, known.lower())) <= allowed and (
            best is None or distance < best[0]
        ):
            best = (distance, known)
    return best[1] if best else None


_KNOWN_FOLDED = frozenset(key.lower() for key in KNOWN_KEYS)


def _edits(a: str, b: str) -> int:
    """Edits from `a` to `b` (insert, delete, replace, swap two neighbours): optimal string
    alignment."""
    before, row = None, list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, start=1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (char != other))
            if before is not None and i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]


_PLACES: dict[tuple, dict[str, tuple[int, int]]] = {}


def _places(places: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """One dict for every analysis with the same places (most posts put their date on the same
    line and column), never changed once made: the cache then pickles, loads and holds it once."""
    return _PLACES.setdefault(tuple(places.items()), places)


def _time_and_place(
    a: Analysis, now: datetime, listing: _Listing | None, kind: str
) -> list[Diagnostic]:
    """Findings that depend on the clock or the file system: future dates, missing files."""
    found = []
    post = a.post
    if post is not None and not post.draft and post.live_from > now:
        line, column = a.places.get(
            "publishDate" if post.publish else "date", a.places.get("date", (1, 1))
        )
        found.append(
            Diagnostic(
                "",
                line,
                column,
                "warning",
                "FT203",
                f"date {format_rfc3339(post.live_from)} is in the future; the post stays out of "
                "the feeds until then",
            )
        )
    for target, line, column in a.links if listing else ():
        relative = unquote(urlsplit(target).path)
        assert listing is not None
        if not any(
            listing.exists(folder, relative) for folder in sources.resource_folders(kind, a.path)
        ):
            found.append(
                Diagnostic(
                    "", line, column, "warning", "FT303", f"link to a missing local file: {target}"
                )
            )
    return found


# A relative link to a file, right after "](" (link, image), "]:" (reference) or src=/href=:
# no scheme, not root-relative or a fragment, and a path that ends in a suffix.
_TARGET = re.compile(
    r"""[ \t]*<?(?![A-Za-z][A-Za-z0-9+.-]*:|[/#])"""
    r"""(?P<target>[^\s)"'<>#?]+\.[A-Za-z0-9]{1,8}(?:[#?][^\s)"'<>]*)?)(?=[\s)"'>]|$)"""
)
_ATTRIBUTE = re.compile(r"""\s*=\s*["']""")


def _local_links(post: Post) -> tuple[tuple[str, int, int], ...]:
    """Relative links to files (a path with a suffix, like images/a.png or ../b.md), outside code.

    str.find for the anchors, then a regex at each: five times faster than one regex scan.
    """
    body, found = post.body, []
    starts = []
    for anchor in ("](", "]:"):
        at = body.find(anchor)
        while at >= 0:
            starts.append(at + 2)
            at = body.find(anchor, at + 2)
    for anchor in ("src", "href"):
        at = body.find(anchor)
        while at >= 0:
            if quote := _ATTRIBUTE.match(body, at + len(anchor)):
                starts.append(quote.end())
            at = body.find(anchor, at + len(anchor))
    code = None
    for at in sorted(starts):
        match = _TARGET.match(body, at)
        if match is None:
            continue
        if code is None:
            code = Code(body)
        if match.start("target") in code:
            continue
        start = match.start("target")
        found.append((match["target"], *place(body, start, post.body_line)))
    return tuple(found)


class _Listing:
    """Answers "does this file exist" from one directory listing per folder."""

    def __init__(self) -> None:
        self.folders: dict[str, set[str] | None] = {}

    def exists(self, base: str, relative: str) -> bool:
        full = os.path.normpath(os.path.join(base, relative))
        folder, name = os.path.split(full)
        if folder not in self.folders:
            try:
                self.folders[folder] = set(os.listdir(folder))
            except OSError:
                self.folders[folder] = None
        names = self.folders[folder]
        return names is not None and name in names


def _same_file(post: Post) -> str:
    """The permalink as a disk that ignores case and Unicode normalisation (macOS, Windows) sees
    it: /Hello/ and /hello/, or café in NFC and NFD, would be one file there."""
    link = unquote(post.permalink)
    return link.lower() if link.isascii() else unicodedata.normalize("NFC", link).casefold()


def _duplicates(analyses: list[Analysis], cwd: str) -> list[tuple[str, Diagnostic]]:
    """The same permalink or id in two posts: an error in each file, naming the other. (Slugs may
    repeat: Hugo's in two folders, Jekyll's on two days are distinct URLs.)"""
    found = []
    reported: set[tuple[str, str]] = set()
    posts = [a.post for a in analyses if a.post is not None]  # (all: the caller's choice)
    for label in ("permalink", "id"):
        value_of: Callable[[Post], str] = (
            _same_file if label == "permalink" else operator.attrgetter(label)
        )
        if len(set(map(value_of, posts))) == len(posts):  # all different, as nearly always
            continue
        groups: dict[str, list[Analysis]] = {}
        for a in analyses:
            if a.post is not None:
                groups.setdefault(value_of(a.post), []).append(a)
        for items in [items for items in groups.values() if len(items) > 1]:
            for a in items:
                value = getattr(a.post, label)
                name = display_path(a.path, cwd)
                others = ", ".join(
                    display_path(other.path, cwd) for other in items if other is not a
                )
                # A permalink clash is usually an id clash too: say it once per pair.
                if (name, others) in reported:
                    continue
                reported.add((name, others))
                line, column = a.places.get("slug" if label == "permalink" else label, (1, 1))
                found.append(
                    (
                        a.path,
                        Diagnostic(
                            "",
                            line,
                            column,
                            "error",
                            "FT208",
                            f"{label} {value!r} is also used by {others}",
                        ),
                    )
                )
    return found
