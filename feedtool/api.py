"""The library: each job feedtool does, as one call that `cli` (or any Python program) makes.

    import feedtool
    site = feedtool.load_site(Path("feedtool.toml"))
    result = feedtool.build_site(site)          # writes the feeds; result.report has findings
    checked = feedtool.validate_posts(site)     # every post's findings, nothing written
    digest = feedtool.make_digest(site, feedtool.DigestRequest(week="2025-W34"))

A user's mistake is raised as a `FeedtoolError` (its `InputError` and `PostError` kinds: the
posts are at fault), or reported as findings in a result's `report`; nothing here prints or
exits. Speed (the cache, the helper process) is `engine`'s, and invisible here but for `run`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import engine
from .catalog import collect, display_path
from .diagnostics import plural
from .errors import ConfigError, FeedtoolError, InputError
from .output import lock, read_if_present, remove_temporaries, write_file, write_files

# Feature modules (reading, checking, choosing, rendering) are imported once a job's run has
# forked its helper (`engine.run`), so that both processes import at the same time.
if TYPE_CHECKING:
    from .config import Site
    from .digest import Newsletter, Window
    from .fix import Fixed
    from .importer import ImportReport
    from .posts import Post
    from .send import Outcome, Server
    from .validate import Report

DEFAULT_CONFIG = Path("feedtool.toml")
Progress = Callable[[int, int], None]


def load_site(config: Path | None = None) -> Site:
    """The settings in `config`, else in ./feedtool.toml, else those of the Hugo, Hexo or Jekyll
    site in the working folder. What feedtool had to choose (a zone) is in `site.notes`."""
    site = find_site(config)
    if site is None:
        raise FeedtoolError(
            f"no {DEFAULT_CONFIG} in {Path.cwd()}; pass --config FILE or create one with "
            "`feedtool init`"
        )
    return site


def find_site(config: Path | None = None) -> Site | None:
    """`load_site`, or None where there is neither a config nor a generator's site."""
    from . import config as config_module
    from .sources import detect

    if config is None and not DEFAULT_CONFIG.exists():
        if detect(Path.cwd()) == "plain":  # a Hugo, Hexo or Jekyll site needs no feedtool.toml
            return None
        return config_module.load(None, Path.cwd())
    return config_module.load(config or DEFAULT_CONFIG)


def default_site() -> Site:
    """The default settings (time zone Asia/Shanghai), to check posts where there is no site."""
    from .config import loads

    return loads('title = "-"\nbase_url = "https://example.invalid"', source="(defaults)")


# What `init_site` writes for a plain folder when not told its title and address.
PLACEHOLDER_TITLE, PLACEHOLDER_URL = "我的博客", "https://example.com"


def refuse_existing_config(folder: Path) -> None:
    """FeedtoolError if `folder` has a feedtool.toml already (`init_site` never writes over one)."""
    if (folder / DEFAULT_CONFIG).exists():
        raise FeedtoolError(
            f"{DEFAULT_CONFIG} already exists; edit it, or delete it to start again"
        )


def init_site(
    folder: Path, *, title: str | None = None, base_url: str | None = None
) -> tuple[Site, list[str]]:
    """Write a commented feedtool.toml for the blog in `folder` (never over one; a plain folder
    without `title` and `base_url` gets placeholders) and add the cache and ledger folders to its
    .gitignore: (the settings it holds, the lines added)."""
    from . import config as config_module
    from .output import create_files, ignore_in_git
    from .sources import detect

    refuse_existing_config(folder)
    kind = detect(folder)
    if kind == "plain":  # placeholders to edit; a generator's site has its own
        title, base_url = title or PLACEHOLDER_TITLE, base_url or PLACEHOLDER_URL
    text, site = config_module.template(folder, kind, title=title, base_url=base_url)
    create_files(folder, {DEFAULT_CONFIG.name: text.encode()})
    # The cache and the subscriber ledger are this machine's, never the repository's.
    private = [path for path in (site.cache, site.digest.ledger.parent) if folder in path.parents]
    added = ignore_in_git(folder, [path.relative_to(folder).as_posix() + "/" for path in private])
    return site, added


def import_posts(
    source: str | Path, into: Path, *, dry_run: bool = False, site: Site | None = None
) -> ImportReport:
    """Posts from a local feed or saved list page, written into folder `into` (created if
    missing; never over a file) unless `dry_run`. Dates without a zone are read in `site`'s
    zone (without a site, the defaults': Asia/Shanghai), the zone they mean once imported."""
    from .config import DEFAULT_TIMEZONE
    from .importer import plan_import
    from .output import create_files

    report = plan_import(source, into, tz=site.timezone if site else DEFAULT_TIMEZONE)
    if not dry_run and report.posts:
        create_files(into, report.files)  # never over a post, even one written meanwhile
    return report


def service_url(site: Site) -> str:
    """Where `feedtool serve` is reached ([subscribe] url), which its links and forms name."""
    if not site.subscribe.url:
        raise FeedtoolError(
            "[subscribe] url is not set: give the address where `feedtool serve` is reached, "
            'e.g. url = "https://news.example.com"'
        )
    return site.subscribe.url


def serve_subscriptions(
    site: Site, host: str, port: int, started: Callable[[], None] | None = None
) -> None:
    """Run the sign-up service ([subscribe]) until interrupted; `started` is called once the
    secret, the SMTP settings and the store are checked."""
    import functools

    from . import serve as service
    from . import tokens
    from .send import send_one

    service_url(site)
    key = tokens.secret(site.subscribe.key_file)
    server = smtp_server(site)
    server.check()
    store = subscriber_store(site)
    if started is not None:
        started()
    service.run(site, store, key, functools.partial(send_one, server), host, port)


def _staging(site: Site) -> Path:
    """Where outputs and fixed posts are written before they replace the old ones: in the cache
    folder, private, so that no temporary file is ever left where a deploy publishes it."""
    return site.cache / "staging"


@dataclass(frozen=True)
class BuildResult:
    """What `build_site` did: with errors in `report`, or `refused`, nothing was written."""

    report: Report
    out: Path
    published: list[Post] = field(default_factory=list)  # in the site's feeds, newest first
    future: list[Post] = field(default_factory=list)  # left out until their date
    files: dict[str, bytes] = field(default_factory=dict)  # written (unchanged files are not)
    channels: int = 0  # tag and category feeds
    stale: list[str] = field(default_factory=list)  # feeds of tags no post has any more: deleted
    pinged: list[str] = field(default_factory=list)  # feed URLs the hub was told about
    notes: list[str] = field(default_factory=list)  # warnings
    refused: str = ""  # why nothing was written though the posts are fine (feeds would empty)
    ping_error: FeedtoolError | None = None  # the feeds were written, the hub not told

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.refused


def build_site(
    site: Site,
    *,
    posts: Path | None = None,
    out: Path | None = None,
    limit: int | None = None,
    allow_empty: bool = False,
    ping: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check every post's front matter, render the newest `limit` (default: the site's
    feed_limit) into the site's feeds (and each tag's and category's, when enabled; their
    bodies checked first) and write them to `out`, unless a post has an error. A feed whose
    posts and settings are as when it was written is neither rendered nor written again.
    No post to publish while `out` has feeds that show some: nothing is written and `refused`
    says why, unless `allow_empty`. A hub that cannot be told: `ping_error`."""
    if ping and not site.hub:
        raise FeedtoolError('--ping needs a hub: set hub = "https://..." in feedtool.toml')
    folder, out = posts or site.posts, out or site.out
    if out.resolve() == folder.resolve():
        raise FeedtoolError(
            f"--out {out} is the posts folder: the feeds would be written among the posts"
        )
    now = now or datetime.now(site.zone)
    limit = limit or site.feed_limit
    with engine.run(site, folder, prepare=_prepare_feeds, kept_listing=True) as job:
        from . import feeds
        from .selection import choose, each_once, feed_keys

        chosen = job.choice(
            now, limit, lambda listing: choose(site, now, listing, limit, job.read, progress)
        )
        report, channels, future = chosen
        if not report.ok:
            job.save()
            return BuildResult(report, out, notes=job.notes)
        todo = []
        for (channel, shown), key in zip(
            channels, feed_keys(site, channels, report.digests), strict=True
        ):
            names = [channel.folder + name for name in feeds.FEED_FILES]
            if not job.unchanged(out, names, key):
                todo.append((channel, shown, key, names))
        files: dict[str, bytes] = {}
        if todo:  # each post rendered once, however many feeds show it
            made = job.render_each(
                feeds.make_feeds,
                each_once(shown for _, shown, _, _ in todo),
                report.digests,
                [(channel, shown) for channel, shown, _, _ in todo],
            )
            for (_, _, key, names), produced in zip(todo, made, strict=True):
                for name, data in zip(names, produced, strict=True):
                    files[name] = data
                    job.made(name, key, data)
        job.save()
        if site.stylesheet:
            stylesheet = (Path(__file__).parent / "templates" / feeds.STYLESHEET_FILE).read_bytes()
            if read_if_present(out / feeds.STYLESHEET_FILE) != stylesheet:
                files[feeds.STYLESHEET_FILE] = stylesheet
        stale = feeds.stale_feeds(out, {channel.folder for channel, _ in channels})
        result = BuildResult(
            report, out, channels[0][1], future, files, len(channels) - 1, stale, notes=job.notes
        )
        if not result.published and (refused := _refuse_to_empty(result, allow_empty)):
            return dataclasses.replace(result, files={}, stale=[], refused=refused)
        write_files(out, files, stale, staging=_staging(site))
    if ping:
        from .websub import ping as ping_hub

        # Every feed that changed in this run, tag feeds included; unchanged ones have no news.
        changed = [
            feeds.SITE.url(site, name)
            for name in files
            if name.rsplit("/", 1)[-1] in feeds.FEED_FILES
        ]
        try:
            ping_hub(site.hub, changed)
        except FeedtoolError as exc:  # the feeds are written: the caller says both
            return dataclasses.replace(result, ping_error=exc)
        result = dataclasses.replace(result, pinged=changed)
    return result


def _prepare_feeds() -> None:
    """What the helper imports while this process reads the posts (feeds and rendering)."""
    from .feeds import prepare_outputs

    prepare_outputs()


def _prepare_digest() -> None:
    from .digest import prepare_composer

    prepare_composer()


def _refuse_to_empty(result: BuildResult, allow_empty: bool) -> str:
    """No post to publish (an empty or wrong folder, every post a draft): a note, or, rather than
    emptying feeds that show posts, why not (unless `allow_empty`)."""
    from .feeds import shows_entries

    total = result.report.checked
    why = f"{plural(total, 'file')}: drafts, future-dated or expired" if total else "no posts found"
    if allow_empty or not shows_entries(result.out):
        result.notes.append(f"no posts to publish ({why}): the feeds are empty")
        return ""
    stale = len({name.rsplit("/", 1)[0] for name in result.stale})
    deleted = f" and {plural(stale, 'tag and category feed')} deleted" if stale else ""
    return (
        f"no posts to publish ({why}): the feeds in {display_path(result.out)}/ show entries, and "
        f"would be emptied{deleted}; nothing was written "
        "(pass --allow-empty to publish empty feeds)"
    )


@dataclass(frozen=True)
class ValidateResult:
    """What `validate_posts` found (after its fixes, if any) and fixed."""

    report: Report
    fixed: list[Fixed] = field(default_factory=list)  # files rewritten, with what was fixed


def validate_posts(
    site: Site,
    paths: Sequence[Path] = (),
    *,
    fix: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
    keep_cache: bool = True,
) -> ValidateResult:
    """Check the posts in `paths` (files or folders; default: the site's posts folder), bodies
    and links included. `fix`: rewrite what needs no guessing (`fix.fix_files`) in files with
    no other error, then check again. `keep_cache` False: leave no cache folder behind (a
    folder that is no site)."""
    files = collect(paths or [site.posts])
    now = now or datetime.now(site.zone)
    fixed: list[Fixed] = []
    with engine.run(site, save=keep_cache) as job:
        from .validate import check

        report = check(files, site, now=now, read=job.read, progress=progress)
        if fix:
            from .fix import fix_files

            staging = _staging(site) if keep_cache else None
            if staging is not None:
                remove_temporaries(staging)  # what a killed --fix left, here or beside a post
            for folder in dict.fromkeys(Path(path).parent for path in files):
                remove_temporaries(folder, ())
            fixed = fix_files(files, site, report.failed)
            for done in fixed:
                write_file(Path(done.path), done.data, staging)
            if fixed:
                report = check(files, site, now=now, read=job.read)
        job.save()
    return ValidateResult(report, fixed)


@dataclass(frozen=True)
class DigestRequest:
    """Which posts a digest shows: one of `week` (2025-W34), `last_week`, `since` and `until`
    (dates in the grammar of `dates.parse_date`), else the newest week with posts."""

    week: str | None = None
    last_week: bool = False
    since: str | None = None
    until: str | None = None
    limit: int | None = None  # at most this many posts (default: [digest] limit)


@dataclass(frozen=True)
class DigestResult:
    """What `make_digest` wrote: nothing when `letter` is None (no posts in the window; `window`
    says which, unless the site has no published post at all)."""

    report: Report
    window: Window | None = None
    letter: Newsletter | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    out: Path | None = None
    notes: list[str] = field(default_factory=list)


def make_digest(
    site: Site,
    request: DigestRequest = DigestRequest(),
    *,
    posts: Path | None = None,
    out: Path | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    before_writing: Callable[[], None] | None = None,
) -> DigestResult:
    """Write the digest of the request's window: OUT/digest/<week>.html, .txt and .eml, and the
    archive index. A post with an error: `DigestFailed`. Any error raised once the posts are
    read (a window that cannot be, what `before_writing` refuses) carries their findings as its
    `report`. `before_writing`: called once the posts are chosen, before anything is written
    (to check what sending needs, say)."""
    if bool(request.since) != bool(request.until):
        raise RequestError("--since", "and --until go together", usage=True)
    now = now or datetime.now(site.zone)
    out = out or site.out
    read: list[Report] = []  # what the posts said, as far as they were read
    try:
        return _make_digest(site, request, posts, out, now, progress, before_writing, read)
    except FeedtoolError as exc:
        if read and getattr(exc, "report", None) is None:
            exc.report = read[-1]  # type: ignore[attr-defined]
        raise


def _make_digest(
    site: Site,
    request: DigestRequest,
    posts: Path | None,
    out: Path,
    now: datetime,
    progress: Progress | None,
    before_writing: Callable[[], None] | None,
    read: list[Report],
) -> DigestResult:
    with engine.run(site, posts, prepare=_prepare_digest) as job:
        from . import digest as dg
        from .selection import read_posts
        from .validate import check_bodies

        report = read_posts(site, now, job.listing(), job.read, progress)
        read.append(report)
        if not report.ok:
            raise DigestFailed(report)
        window = _window(site, request, report.posts, now)
        if window is None:
            return DigestResult(report)
        chosen = dg.select(report.posts, window, now)[: request.limit or site.digest.limit]
        if not chosen:
            return DigestResult(report, window)
        report = report.adding(check_bodies(report, chosen, site, job.read))
        read.append(report)
        if not report.ok:
            job.save()
            raise DigestFailed(report)
        if before_writing is not None:
            before_writing()
        # The archive index is read (by the helper), added to and written back under a lock, so
        # that digests of other weeks written at the same time keep their entries. The lock and
        # the temporary files stay in the cache folder: nothing of them is ever published.
        held = lock(site.cache / "digest-archive.lock", wait=True)
        try:
            letter, files, notes = job.render(dg.make, chosen, report.digests, window, now, out)
            job.save()
            notes = [f"{display_path(out)}/{dg.DIGEST_DIR}/index.json: {n}" for n in notes]
            write_files(out, files, staging=_staging(site))
        finally:
            if held is not None:
                held.close()
    return DigestResult(report, window, letter, files, out, notes + job.notes)


class RequestError(FeedtoolError):
    """A request that cannot be met: `option` names what was asked, `reason` why; `usage`: the
    request is incomplete rather than a value wrong."""

    def __init__(self, option: str, reason: str, *, usage: bool = False) -> None:
        super().__init__(f"{option} {reason}" if usage else f"{option}: {reason}")
        self.option, self.reason, self.usage = option, reason, usage


class DigestFailed(InputError):
    """A post the digest reads has an error: its findings are in `report`."""

    def __init__(self, report: Report) -> None:
        super().__init__("digest not written: fix the errors above")
        self.report = report


def _window(site: Site, request: DigestRequest, posts: list[Post], now: datetime) -> Window | None:
    from . import digest as dg
    from .dates import DateError, parse_date

    if request.week:
        return dg.iso_week(request.week, site)
    if request.last_week:
        return dg.last_week(now, site)
    if request.since and request.until:
        try:
            start, end = (
                parse_date(text, tz=site.timezone, now=now).astimezone(site.zone).date()
                for text in (request.since, request.until)
            )
        except DateError as exc:
            raise RequestError("--since/--until", str(exc)) from None
        return dg.date_range(start, end, site)
    return dg.latest(posts, now, site)


def require_unsubscribe(site: Site, config: Path | None = None) -> None:
    """Mail to a list must say how to leave it (and bulk senders must, for Gmail and Yahoo)."""
    if not (site.digest.unsubscribe_url or site.digest.unsubscribe_mailto or site.subscribe.url):
        where = config or DEFAULT_CONFIG
        raise ConfigError(
            f"--send: {where} gives no way to unsubscribe; add one under [digest], e.g.\n"
            f'  unsubscribe_url = "{site.url("unsubscribe")}"\n'
            f'  unsubscribe_mailto = "unsubscribe@{site.domain}"\n'
            "or set [subscribe] url for feedtool serve's one-click links, "
            "or pass --allow-no-unsubscribe for a private list of friends. (Writing the files "
            "needs neither.)"
        )


@dataclass
class Delivery:
    """Who a digest goes to and how: made by `plan_delivery` before anything is written."""

    recipients: list[str]
    server: Server
    key: str | None  # signs each recipient's unsubscribe link (feedtool serve), if any
    suppressed: list[str] = field(default_factory=list)  # left out: unsubscribed and the like


def smtp_server(
    site: Site, host: str | None = None, port: int | None = None, security: str | None = None
) -> Server:
    """The site's SMTP server ([smtp]), with these overrides, signing with its [dkim] key (read
    now: a bad key is a config error before anything is written); login from the environment."""
    from .dkimsign import signer
    from .send import Server

    return Server(
        host=host or site.smtp.host,
        port=port or site.smtp.port,
        security=security or site.smtp.security,
        timeout=site.smtp.timeout,
        data_timeout=site.smtp.data_timeout,
        run_timeout=site.smtp.run_timeout,
        helo=site.smtp.helo,
        return_path=site.smtp.return_path,
        sign=signer(site.dkim),
        user=os.environ.get("FEEDTOOL_SMTP_USER", ""),
        password=os.environ.get("FEEDTOOL_SMTP_PASSWORD", ""),
    )


def plan_delivery(
    site: Site,
    server: Server,
    *,
    to: Iterable[str] = (),
    to_files: Iterable[Path] = (),
    test: str | None = None,
    dry_run: bool = False,
) -> Delivery:
    """Check the addresses and the server settings: `test` (one address), else `to` and
    `to_files`, else the confirmed subscribers; never an unsubscribed, bounced or complained
    address, whatever list is given."""
    from . import tokens
    from .config import address_of
    from .send import read_recipients

    suppressed: list[str] = []
    if test is not None:
        address = address_of(test)
        if address is None:
            raise RequestError("--test", f"not an email address: {test!r}")
        recipients = [address]
    else:
        store = subscriber_store(site, create=False)
        to, to_files = list(to), list(to_files)
        if to or to_files:
            recipients = read_recipients(to, to_files)
        else:
            recipients = [s.address for s in store.all("confirmed")] if store else []
            if not recipients:
                raise RequestError(
                    "--send",
                    "needs --to ADDR or --to-file FILE, or confirmed subscribers in "
                    f"{site.subscribe.database}",
                    usage=True,
                )
        gone = store.suppressed(recipients) if store else set()
        suppressed = [address for address in recipients if address.lower() in gone]
        recipients = [address for address in recipients if address.lower() not in gone]
    key = tokens.secret(site.subscribe.key_file) if site.subscribe.url and not dry_run else None
    server.check()
    return Delivery(recipients, server, key, suppressed)


def subscriber_store(site: Site, *, create: bool = True):  # -> Store | None
    """The site's subscriber store ([subscribe] database); None if it does not exist and
    `create` is False."""
    from .subscribers import Store

    if not create and not site.subscribe.database.exists():
        return None
    return Store(site.subscribe.database)


def _unsubscribe_link(site: Site, key: str, ref: str) -> str:
    from . import tokens

    return f"{site.subscribe.url}/unsubscribe/{tokens.make(key, 'unsubscribe', ref)}"


def send_test(site: Site, letter: Newsletter, delivery: Delivery) -> None:
    """One copy marked 【测试】 to the delivery's one address: no ledger line, no subscriber
    check."""
    from email.utils import make_msgid

    from . import digest as dg
    from .send import SendError, send_one

    address = delivery.recipients[0]
    store = subscriber_store(site, create=False) if delivery.key else None
    known = store.get(address) if store else None
    test = dataclasses.replace(letter, subject=f"【测试】{letter.subject}")
    message = dg.message(
        site,
        test,
        date=datetime.now(site.zone),
        recipient=address,
        unsubscribe=(
            _unsubscribe_link(site, delivery.key, known.ref) if delivery.key and known else None
        ),
    )
    del message["Message-ID"]  # the real copy's id would make mail clients drop the real copy later
    message["Message-ID"] = make_msgid(domain=site.domain)
    problem = send_one(delivery.server, message)
    if problem:
        raise SendError(f"the test copy was not sent to {address}: {problem}")


def pending(site: Site, letter: Newsletter, delivery: Delivery) -> tuple[list[str], list[str]]:
    """(the recipients still to get `letter`, those who got it), as the ledger says."""
    from .send import Ledger

    return Ledger(site.digest.ledger).split(letter.name, delivery.recipients)


def send_digest(
    site: Site, letter: Newsletter, delivery: Delivery, progress: Progress | None = None
) -> Outcome:
    """Send `letter` to each recipient that has not got it yet (the ledger, [digest] ledger,
    records each address that got each digest), each with their own unsubscribe link, at the
    pace of [smtp] rate, and stopping at [smtp] per_day (the outcome's `left`)."""
    from . import digest as dg
    from .send import Ledger, deliver

    links: dict[str, str] = {}
    if delivery.key is not None:
        # An address from --to or --to-file that the store does not know is added as confirmed,
        # so that its link works and its unsubscribe holds for every later list.
        refs = subscriber_store(site).refs(
            delivery.recipients, "digest --send --to", "sent a digest with --to or --to-file"
        )
        links = {
            address: _unsubscribe_link(site, delivery.key, ref) for address, ref in refs.items()
        }

    def build(recipient: str):  # -> EmailMessage
        return dg.message(
            site,
            letter,
            date=datetime.now(site.zone),
            recipient=recipient,
            unsubscribe=links.get(recipient),
        )

    return deliver(
        letter.name,
        delivery.recipients,
        build,
        delivery.server,
        Ledger(site.digest.ledger),
        rate=site.smtp.rate,
        per_day=site.smtp.per_day,
        progress=progress,
    )
