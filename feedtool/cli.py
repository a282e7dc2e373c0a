"""The command line: parse options, call the library, map outcomes to exit codes.

Exit codes: 0 success; 1 the posts (or dates) have errors; 2 usage, configuration or I/O problems;
3 digest --send stopped at the day's cap.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .diagnostics import plural
from .errors import FeedtoolError, InputError, PostError

if TYPE_CHECKING:
    from .api import Delivery
    from .config import Site
    from .digest import Newsletter


def _reports_errors(command: Callable[..., int | None]) -> Callable[..., None]:
    """The one place outcomes become exit codes: the code a command returns (its findings: 1,
    3), feedtool's own errors, printed as one line (exit 2, or 1 when the posts are at fault),
    and a bug, which prints what to report (exit 2); only --debug shows a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = command(*args, **kwargs)
        except PostError as exc:
            from .catalog import display_path

            diagnostic = exc.diagnostic
            click.echo(
                dataclasses.replace(diagnostic, path=display_path(diagnostic.path)).text(), err=True
            )
            click.echo("nothing was written.", err=True)
            sys.exit(1)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except FeedtoolError as exc:
            click.echo(f"error: {_redact(str(exc))}", err=True)
            sys.exit(2)
        except (click.ClickException, click.Abort):
            raise  # click reports usage errors itself (exit 2)
        except KeyboardInterrupt:
            click.echo("interrupted; outputs are either as before or complete.", err=True)
            sys.exit(130)
        except Exception as exc:
            context = click.get_current_context(silent=True)
            if context is not None and context.meta.get("feedtool.debug"):
                raise
            click.echo(
                f"feedtool: internal error: {type(exc).__name__}: {_redact(str(exc))}\n"
                "This is a bug in feedtool, not in your posts. Run the same command with "
                "`feedtool --debug ...` and include its traceback in a report.",
                err=True,
            )
            sys.exit(2)
        if code:
            sys.exit(code)

    return wrapper


def _redact(message: str) -> str:
    """Never show the SMTP or IMAP password, whatever a library put in a message."""
    for variable in ("FEEDTOOL_SMTP_PASSWORD", "FEEDTOOL_IMAP_PASSWORD"):
        secret = os.environ.get(variable, "")
        message = message.replace(secret, "*****") if len(secret) >= 3 else message
    return message


class _Progress:
    """A progress bar on stderr for long runs: only on a terminal, not in CI, not with --quiet,
    and only once the run has taken a second."""

    def __init__(self, label: str, quiet: bool, *, speed: bool = False):
        self.clock = time.monotonic
        self.started = self.clock()
        self.label = label
        self.shown = False
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self.speed = speed  # show the rate and the time left

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or self.clock() - self.started < 1.0:
            return
        width = 30
        filled = width * done // max(total, 1)
        self.line = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        self.line += self.rate(done, total)
        click.echo("\r" + self.line, nl=False, err=True)
        self.shown = True

    def rate(self, done: int, total: int) -> str:
        """The rate and the time left, e.g. ", 2.5/s, 3 min left" (with `speed`)."""
        elapsed = self.clock() - self.started
        if not self.speed or not done or elapsed <= 0:
            return ""
        per_second = done / elapsed
        left = (total - done) / per_second
        when = (
            f"{left:.0f} s"
            if left < 60
            else f"{left / 60:.0f} min"
            if left < 3600
            else f"{left / 3600:.1f} h"
        )
        speed = f"{per_second:.1f}/s" if per_second >= 1 else f"{per_second * 60:.1f}/min"
        return f", {speed}, {when} left"

    def close(self) -> None:
        if self.shown:  # blank the line so that what follows starts clean
            click.echo("\r" + " " * len(self.line) + "\r", nl=False, err=True)
            self.shown = False


def _load_site(config: Path | None) -> Site:
    """The site's settings; what feedtool had to choose for it (a zone) is said once, on stderr."""
    from . import api

    site = api.load_site(config)
    _print_notes(site.notes)
    return site


config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Site config file.  [default: ./feedtool.toml]",
)
posts_option = click.option(
    "--posts",
    "posts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of Markdown posts.  [default: 'posts' in the config, posts/]",
)
quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar and no summary line."
)
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder.  [default: 'out' in the config, public/]",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedtool")
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an unexpected error (for bug reports)."
)
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """feedtool: Markdown blog posts to Atom, RSS and JSON feeds and a weekly email digest.

    Run `feedtool COMMAND --help` for the options of a command. Exit codes: 0 success,
    1 the posts have errors, 2 usage, configuration or I/O problems, 3 digest --send stopped
    at the day's cap ([smtp] per_day): run it again the next day.
    """
    context.meta["feedtool.debug"] = debug


@cli.command()
@posts_option
@out_option
@config_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Entries per feed.  [default: feed_limit in the config, 20]",
)
@click.option(
    "--ping", is_flag=True, help="After writing, notify the WebSub hub set as `hub` in the config."
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Publish empty feeds when no post is published, over feeds that show posts.",
)
@quiet_option
@_reports_errors
def build(
    posts_dir: Path | None,
    out_dir: Path | None,
    config: Path | None,
    limit: int | None,
    ping: bool,
    allow_empty: bool,
    quiet: bool,
) -> int:
    """Build OUT/atom.xml, OUT/rss.xml and OUT/feed.json from the posts.

    Posts are newest first; drafts (draft: true) and posts dated in the future are left out.
    Also writes a feed for each tag and category (OUT/tags/<tag>/, OUT/categories/<name>/)
    unless [tag_feeds] enabled = false, and OUT/feed.xsl, which makes browsers show the
    feeds as a readable page. If any post has an error, each problem is printed as
    path:line:col, nothing is written and the exit code is 1, so a good feed is never
    replaced by a broken one. Every post's front matter is checked, and the bodies of the
    posts the feeds show (`feedtool validate` checks every body).
    """
    from . import api
    from .catalog import display_path

    site = _load_site(config)
    progress = _Progress("Reading posts", quiet)
    try:
        result = api.build_site(
            site,
            posts=posts_dir,
            out=out_dir,
            limit=limit,
            allow_empty=allow_empty,
            ping=ping,
            progress=progress,
        )
    finally:
        progress.close()
    for diagnostic in result.report.diagnostics:
        click.echo(diagnostic.text(), err=True)
    _print_notes(result.notes)
    if not result.report.ok:
        errors = sum(d.severity == "error" for d in result.report.diagnostics)
        click.echo(f"build failed: {plural(errors, 'error')}; nothing was written.", err=True)
        return 1
    if result.refused:
        raise InputError(result.refused)
    if not quiet:
        future = f" ({len(result.future)} future-dated left out)" if result.future else ""
        extra = (
            f" and {plural(result.channels, 'tag and category feed')}" if result.channels else ""
        )
        click.echo(
            f"Built {plural(len(result.published), 'post')} into {display_path(result.out)}/: "
            f"atom.xml, rss.xml, feed.json{extra}{future}"
        )
    if result.ping_error:
        raise result.ping_error
    if ping and not quiet:
        click.echo(f"Pinged {site.hub} for {plural(len(result.pinged), 'changed feed')}.")
    return 0


def _print_notes(notes: Iterable[str]) -> None:
    for note in notes:
        click.echo(f"warning: {note}", err=True)


@cli.command()
@click.argument("text", nargs=-1)
@click.option(
    "--tz",
    help="Time zone (IANA name) for dates without one.  [default: the site's, else Asia/Shanghai]",
)
@click.option(
    "--now",
    "now_text",
    metavar="DATETIME",
    help="Reference time for relative dates and dates without a year (RFC 3339).  [default: now]",
)
@_reports_errors
def dates(text: tuple[str, ...], tz: str | None, now_text: str | None) -> int:
    """Parse dates with feedtool's date grammar and print them in RFC 3339.

    Reads each TEXT argument, or each line of stdin when there are none, and prints
    `input<TAB>2025-08-24T00:00:00+08:00` or `input<TAB>error: reason`. Exits 1 if any failed.
    Relative dates (3小时前) are read against --now; in a post's front matter they are refused,
    since a post's date must not change as time passes.

    \b
    Example:
      feedtool dates "八月 24, 2025" "2025年8月24日 下午3:04" "3小时前"
    """
    from .dates import DateError, format_rfc3339, parse_date

    if tz is None:
        try:
            tz = _load_site(None).timezone
        except FeedtoolError:  # no site here: the usual zone of a Chinese blog
            from .config import DEFAULT_TIMEZONE

            tz = DEFAULT_TIMEZONE
    try:
        parse_date("2000-01-01", tz=tz)  # only to try the zone
    except DateError as exc:
        raise click.BadParameter(exc.reason, param_hint="--tz") from None
    now = None
    if now_text is not None:
        try:
            now = parse_date(now_text, tz=tz)
        except DateError as exc:
            raise click.BadParameter(str(exc), param_hint="--now") from None
    lines = text or (line.rstrip("\r\n") for line in sys.stdin)
    failed = False
    for line in lines:
        if not text and not line.strip():
            continue
        try:
            click.echo(f"{line}\t{format_rfc3339(parse_date(line, tz=tz, now=now))}")
        except DateError as exc:
            failed = True
            click.echo(f"{line}\terror: {exc}")
    return 1 if failed else 0


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: path:line:col lines and a count; json: an array; github: Actions annotations.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@quiet_option
@click.option(
    "--fix",
    "apply_fixes",
    is_flag=True,
    help="Rewrite what needs no guessing (dates to RFC 3339, a single tag string to a list); "
    "files with other errors are left alone.",
)
@_reports_errors
def validate(
    paths: tuple[Path, ...],
    config: Path | None,
    output_format: str,
    strict: bool,
    quiet: bool,
    apply_fixes: bool,
) -> int:
    """Check posts and report every problem as path:line:col: severity CODE message.

    PATHS are post files or folders (default: the configured posts folder). Prints one line
    per finding, sorted by file and line, then a count. Exit 0 when there are no errors
    (warnings allowed unless --strict), 1 when there are, 2 for usage or config problems.
    The codes are explained in feedtool's docs/diagnostics.md.
    """
    from . import api
    from . import diagnostics as diag
    from .catalog import display_path
    from .config import DEFAULT_TIMEZONE

    found = api.find_site(config)
    lint = found is None  # a linter needs no base URL: the defaults do
    if found is None:
        click.echo(
            f"note: no {api.DEFAULT_CONFIG} and no Hugo, Hexo or Jekyll site in {Path.cwd()}: "
            f"checking the posts with the default settings (time zone {DEFAULT_TIMEZONE})",
            err=True,
        )
    else:
        _print_notes(found.notes)
    site = found or api.default_site()
    progress = _Progress("Checking posts", quiet)
    try:
        result = api.validate_posts(
            site, paths, fix=apply_fixes, progress=progress, keep_cache=not lint
        )
    finally:
        progress.close()
    for fixed in result.fixed:
        for f in fixed.fixes:
            click.echo(
                f"{display_path(fixed.path)}:{f.line}:{f.column}: fixed {f.message}", err=True
            )
    if result.fixed:
        count = sum(len(f.fixes) for f in result.fixed)
        click.echo(
            f"Fixed {plural(count, 'problem')} in {plural(len(result.fixed), 'file')}.", err=True
        )
    report = result.report
    if output_format == "json":
        click.echo(diag.to_json(report.diagnostics))
    else:
        for d in map(diag.Diagnostic.printable, report.diagnostics):
            if output_format == "github":
                click.echo(d.github())
            else:
                colour = "red" if d.severity == "error" else "yellow"
                click.echo(
                    f"{click.style(d.path, bold=True)}:{d.line}:{d.column}: "
                    f"{click.style(d.severity, fg=colour)} {d.code} {d.message}"
                )
        if not quiet:
            click.echo(
                diag.summary_line(report.diagnostics, report.checked), err=output_format == "github"
            )
    failing = not report.ok or (strict and report.diagnostics)
    return 1 if failing else 0


@cli.command()
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="An ISO week, e.g. 2025-W34 (Monday 00:00 to Sunday 24:00 in the site zone).",
)
@click.option(
    "--last-week", is_flag=True, help="The last complete week before today (for a Monday cron job)."
)
@click.option("--latest", is_flag=True, help="The newest week that has posts.  [the default]")
@click.option(
    "--since", metavar="DATE", help="Start of a custom range (with --until), e.g. 2025-08-18."
)
@click.option("--until", metavar="DATE", help="End of a custom range, inclusive.")
@posts_option
@out_option
@config_option
@click.option(
    "--limit", type=click.IntRange(min=1), help="At most N posts.  [default: [digest] limit, 20]"
)
@click.option(
    "--send",
    is_flag=True,
    help="Send the digest by SMTP to --to / --to-file, else to the "
    "confirmed subscribers (each address once, ever; never to an unsubscribed one).",
)
@click.option(
    "--to", "to_addresses", multiple=True, metavar="ADDR", help="A recipient (repeatable)."
)
@click.option(
    "--to-file",
    "to_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of recipients, one per line (# comments allowed).",
)
@click.option("--smtp-host", help="SMTP server.  [default: [smtp] host, localhost]")
@click.option(
    "--smtp-port",
    type=click.IntRange(1, 65535),
    help="SMTP port.  [default: 587, 465 for ssl, 25 for none]",
)
@click.option(
    "--smtp-security",
    type=click.Choice(["starttls", "ssl", "none"]),
    help="starttls (default), ssl, or none (only for a relay on localhost).",
)
@click.option("--dry-run", is_flag=True, help="With --send: show who would get it, send nothing.")
@click.option(
    "--allow-no-unsubscribe",
    is_flag=True,
    help="With --send: send although [digest] has no unsubscribe_url or unsubscribe_mailto "
    "(a private list of friends).",
)
@click.option(
    "--test",
    "test_address",
    metavar="ADDR",
    help="Send one copy marked 【测试】 to ADDR, outside the ledger and the subscriber checks.",
)
@quiet_option
@_reports_errors
def digest(
    week,
    last_week,
    latest,
    since,
    until,
    posts_dir,
    out_dir,
    config,
    limit,
    send,
    to_addresses,
    to_files,
    smtp_host,
    smtp_port,
    smtp_security,
    dry_run,
    allow_no_unsubscribe,
    test_address,
    quiet,
) -> int:
    """Write the weekly digest as OUT/digest/<week>.html, .txt and .eml, and optionally send it.

    The window is one of --week, --last-week, --latest (default) or --since/--until.
    The .eml is multipart/alternative (plain text, then HTML with inlined CSS).
    OUT/digest/index.html lists every digest written so far.

    A window with no posts writes nothing, sends nothing, says so and exits 0, so a cron
    job can run it every Monday. With --send, a ledger ([digest] ledger in the config)
    records each address that got each digest: running again sends only to those that
    have not got it yet. SMTP user and password come from FEEDTOOL_SMTP_USER and
    FEEDTOOL_SMTP_PASSWORD.

    \b
    Examples:
      feedtool digest --week 2025-W34
      feedtool digest --last-week --send --to-file subscribers.txt
    """
    chosen = [
        flag
        for flag, on in (
            ("--week", week),
            ("--last-week", last_week),
            ("--latest", latest),
            ("--since/--until", since or until),
        )
        if on
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    if (to_addresses or to_files or dry_run or allow_no_unsubscribe) and not send:
        raise click.UsageError(
            "--to, --to-file, --dry-run and --allow-no-unsubscribe go with --send"
        )
    if send and test_address:
        raise click.UsageError("choose one of --send and --test")
    from . import api
    from .catalog import display_path

    site = _load_site(config)
    if send and not allow_no_unsubscribe:
        api.require_unsubscribe(site, config)
    request = api.DigestRequest(week, last_week, since, until, limit)
    plan: list[Delivery] = []

    def check_sending() -> None:  # the addresses and settings, before anything is written
        if send or test_address:
            server = api.smtp_server(site, smtp_host, smtp_port, smtp_security)
            plan.append(
                api.plan_delivery(
                    site,
                    server,
                    to=to_addresses,
                    to_files=to_files,
                    test=test_address,
                    dry_run=dry_run,
                )
            )

    progress = _Progress("Reading posts", quiet)
    try:
        result = api.make_digest(
            site,
            request,
            posts=posts_dir,
            out=out_dir,
            progress=progress,
            before_writing=check_sending,
        )
    except FeedtoolError as exc:
        progress.close()
        found = getattr(exc, "report", None)  # what the posts said before the error
        for d in found.diagnostics if found is not None else ():
            click.echo(d.text(), err=True)
        if isinstance(exc, api.RequestError):
            if exc.usage:
                raise click.UsageError(str(exc)) from None
            raise click.BadParameter(exc.reason, param_hint=exc.option) from None
        raise
    finally:
        progress.close()
    for d in result.report.diagnostics:
        click.echo(d.text(), err=True)
    _print_notes(result.notes)
    for address in plan[0].suppressed if plan else ():
        click.echo(f"not sent (unsubscribed, bounced or complained)\t{address}", err=True)
    letter, window = result.letter, result.window
    if letter is None:
        if window is None:
            click.echo("No published posts; nothing written, nothing sent.")
        else:
            click.echo(
                f"No posts in {window.name} ({window.label}); nothing written, nothing sent."
            )
        return 0
    if letter.shortened_to:  # said even when quiet: the reader gets less than the posts hold
        from .digest import MAX_HTML_BYTES

        click.echo(
            f"note: every summary shortened to {letter.shortened_to} characters to keep the HTML "
            f"under {MAX_HTML_BYTES // 1024} KB (Gmail clips larger messages); --limit sends fewer "
            "posts",
            err=True,
        )
    if not quiet:
        from .digest import DIGEST_DIR

        click.echo(
            f"Wrote {display_path(result.out or site.out)}/{DIGEST_DIR}/{letter.name}.html, .txt, "
            f".eml and index.html ({plural(len(letter.items), 'post')}: {letter.subject})"
        )
    if not plan:
        return 0
    delivery = plan[0]
    if test_address:
        api.send_test(site, letter, delivery)
        if not quiet:
            click.echo(
                f"Sent a test copy of {letter.name} to {delivery.recipients[0]} (not in the "
                "ledger)."
            )
    else:
        return _send(site, letter, delivery, dry_run, quiet)
    return 0


def _send(site: Site, letter: Newsletter, delivery: Delivery, dry_run: bool, quiet: bool) -> int:
    """Send (or, with `dry_run`, list) and say how it went: 1 if an address failed, 3 if the
    day's cap stopped the run, else 0."""
    from . import api
    from .catalog import display_path

    server = delivery.server
    if dry_run:
        todo, done = api.pending(site, letter, delivery)
        already = set(done)  # not a list lookup per address: quadratic in a long list
        for address in delivery.recipients:
            click.echo(f"{'already sent' if address in already else 'would send'}\t{address}")
        click.echo(
            f"Dry run: {len(todo)} of {len(delivery.recipients)} would get {letter.name} via "
            f"{server.host}:{server.port or 'default'} ({server.security}); nothing sent."
        )
        return 0
    step = max(1, min(100, len(delivery.recipients) // 20))
    bar = _Progress(f"Sending {letter.name}", quiet, speed=True)

    def progress(done: int, total: int) -> None:
        if bar.enabled:
            bar(done, total)
        elif done % step == 0 or done == total:  # a log, not a terminal: a line now and then
            click.echo(f"sending {letter.name}: {done}/{total}{bar.rate(done, total)}", err=True)

    many = len(delivery.recipients) > 1 and not quiet
    try:
        outcome = api.send_digest(site, letter, delivery, progress if many else None)
    finally:
        bar.close()
    if not quiet:
        click.echo(
            f"Sent {letter.name} to {plural(len(outcome.sent), 'recipient')}"
            + (f"; {len(outcome.skipped)} already had it" if outcome.skipped else "")
            + (
                f"; {len(outcome.failed) + len(outcome.deferred)} not sent"
                if outcome.failed or outcome.deferred
                else ""
            )
            + (f"; {len(outcome.uncertain)} unconfirmed" if outcome.uncertain else "")
            + "."
        )
    for address, reason in {**outcome.failed, **outcome.deferred}.items():
        kind = (
            "failed"
            if address in outcome.failed
            else "not sent (temporary failure; run again later)"
        )
        click.echo(f"{kind}\t{address}\t{reason}", err=True)
    for address, reason in outcome.uncertain.items():
        click.echo(
            "unconfirmed (not sent again; to resend, delete its line from "
            f"{display_path(site.digest.ledger)})\t{address}\t{reason}",
            err=True,
        )
    if outcome.left:  # said even when quiet: it is why the exit code is 3
        click.echo(
            f"Stopped at the day's cap ([smtp] per_day = {site.smtp.per_day}, UTC): "
            f"{len(outcome.left)} left; the next run after 00:00 UTC goes on from the ledger.",
            err=True,
        )
    return 1 if not outcome.ok else 3 if outcome.left else 0


def _subscribers(site: Site, *, create: bool = True):  # -> Store | None
    from . import api

    return api.subscriber_store(site, create=create)


@cli.group()
def subscribers() -> None:
    """The subscriber store: [subscribe] database, .feedtool/subscribers.db by default.

    Statuses: pending (signed up, not confirmed), confirmed, and unsubscribed, bounced or
    complained, which are never sent to, whatever list `digest --send` is given.
    """


_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)


@subscribers.command(name="list")
@config_option
@click.option(
    "--status",
    help="Only addresses with this status (pending, confirmed, unsubscribed, bounced, complained).",
)
@_format_option
@_reports_errors
def list_subscribers(config: Path | None, status: str | None, output_format: str) -> None:
    """List addresses (address, status, when and how it changed, source), then counts by status."""
    import json

    from .subscribers import STATUSES  # not at the top: only these commands need the store

    if status is not None and status not in STATUSES:
        raise click.BadParameter(
            f"{status!r} is not one of {', '.join(STATUSES)}", param_hint="--status"
        )
    store = _subscribers(_load_site(config), create=False)
    found = store.all(status) if store else []
    counts = store.counts() if store else dict.fromkeys(STATUSES, 0)
    if output_format == "json":
        click.echo(
            json.dumps(
                {"subscribers": [s.as_dict() for s in found], "counts": counts},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for s in found:
        click.echo(f"{s.address}\t{s.status}\t{s.changed_at}\t{s.changed_by}\t{s.source}")
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


@subscribers.command(name="add")
@click.argument("addresses", nargs=-1, required=True)
@config_option
@click.option(
    "--source", default="feedtool subscribers add", show_default=True, help="Where they came from."
)
@_reports_errors
def add_subscribers(addresses: tuple[str, ...], config: Path | None, source: str) -> None:
    """Add addresses as confirmed (you vouch that they opted in). Known ones keep their status:
    an unsubscribed address is never subscribed again but by its owner."""
    from .send import read_recipients

    store = _subscribers(_load_site(config))
    for address in read_recipients(addresses, ()):
        if store.add(address, "confirmed", source, "added with feedtool subscribers add"):
            click.echo(f"added\t{address}")
        else:
            click.echo(f"kept\t{address}\t{store.get(address).status}")


@subscribers.command(name="remove")
@click.argument("addresses", nargs=-1, required=True)
@config_option
@_reports_errors
def remove_subscribers(addresses: tuple[str, ...], config: Path | None) -> None:
    """Unsubscribe addresses. They stay in the store, so that no list ever sends to them again
    (an unknown address is recorded as unsubscribed too)."""
    from .send import read_recipients

    store = _subscribers(_load_site(config))
    how = "removed with feedtool subscribers remove"
    for address in read_recipients(addresses, ()):
        store.add(address, "unsubscribed", "feedtool subscribers remove", how)
        store.change(address, "unsubscribed", how, only_from=("pending", "confirmed"))
        click.echo(f"{store.get(address).status}\t{address}")


@subscribers.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.option(
    "--confirmed", is_flag=True, help="Required: the addresses already opted in elsewhere."
)
@click.option(
    "--source", help="Where they came from (e.g. 'Mailchimp export 2025-08').  [default: FILE]"
)
@_reports_errors
def import_subscribers(
    file: Path, config: Path | None, confirmed: bool, source: str | None
) -> None:
    """Import an opted-in list (one address a line, # comments) as confirmed. Addresses already
    in the store keep their status; unsubscribed ones stay unsubscribed."""
    from .send import read_recipients

    if not confirmed:
        raise click.UsageError(
            "import only takes addresses that opted in already: pass --confirmed "
            "(new sign-ups go through `feedtool serve`, which asks them to confirm)"
        )
    addresses = read_recipients((), (file,))  # all checked before any is added
    store = _subscribers(_load_site(config))
    how = f"imported from {file.name}"
    added = sum(store.add(address, "confirmed", source or str(file), how) for address in addresses)
    click.echo(
        f"Imported {added} new address{'es' if added != 1 else ''} as confirmed; "
        f"{len(addresses) - added} already known kept their status."
    )


@subscribers.command(name="export")
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)
@_reports_errors
def export_subscribers(config: Path | None, output_format: str) -> None:
    """Print every address with its status and history (CSV or JSON), for a backup or a move."""
    import csv
    import io
    import json

    store = _subscribers(_load_site(config), create=False)
    rows = [s.as_dict() for s in store.all()] if store else []
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    text = io.StringIO()
    out = csv.DictWriter(text, fieldnames=list(_EXPORT_FIELDS), lineterminator="\n")
    out.writeheader()
    out.writerows(rows)
    click.echo(text.getvalue(), nl=False)


_EXPORT_FIELDS = ("address", "status", "source", "created_at", "changed_at", "changed_by")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--imap", is_flag=True, help="Also read the unseen mail of the [bounces] IMAP mailbox."
)
@config_option
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@_format_option
@_reports_errors
def bounces(
    paths: tuple[Path, ...], imap: bool, config: Path | None, dry_run: bool, output_format: str
) -> int:
    """Read bounces (RFC 3464 delivery reports) and complaints (ARF) and suppress the addresses.

    PATHS are .eml files, mbox files and maildir folders; other folders are searched for them.
    A permanent failure (5.x.x) makes a subscriber bounced, a complaint complained; transient
    failures change nothing, and unknown addresses are only reported. With --imap the password
    comes from FEEDTOOL_IMAP_PASSWORD. Exit 0 when every input was read (messages that are not
    reports are ignored), 1 when some could not be.
    """
    import json

    from .bounces import printable, run
    from .mailboxes import PASSWORD_VARIABLE

    if not paths and not imap:
        raise click.UsageError("give .eml, mbox or maildir paths, or --imap")
    site = _load_site(config)
    summary = run(
        site,
        paths,
        _subscribers(site, create=False),
        imap_password=os.environ.get(PASSWORD_VARIABLE, "") if imap else None,
        dry_run=dry_run,
    )
    if output_format == "json":
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        for label in summary.ignored:
            click.echo(f"{label}: not a delivery report or complaint; ignored", err=True)
        for problem in summary.problems:
            click.echo(problem, err=True)
        for o in summary.outcomes:
            fields = (o.result, o.address or "(no address)", o.status, o.diagnostic, o.source)
            click.echo("\t".join(printable(f) for f in fields))
        click.echo(summary.text())
    return 1 if summary.problems else 0


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on.",
)
@config_option
@_reports_errors
def serve(host: str, port: int, config: Path | None) -> None:
    """Run the sign-up service: /subscribe, /confirm/<token>, /unsubscribe/<token>.

    New addresses get a confirmation mail through the [smtp] settings; the signing secret
    comes from FEEDTOOL_SECRET or [subscribe] key_file (0600), never from the config. Put it
    behind a reverse proxy for HTTPS at [subscribe] url.
    """
    from . import api

    site = _load_site(config)
    url = api.service_url(site)

    def started() -> None:
        click.echo(f"Serving {url} on http://{host}:{port}/subscribe (Ctrl-C stops)", err=True)

    api.serve_subscriptions(site, host, port, started)


@cli.command()
@config_option
@_reports_errors
def snippet(config: Path | None) -> None:
    """Print an HTML sign-up form for the blog's pages; it posts to [subscribe] url."""
    from . import api
    from .serve import snippet as form

    site = _load_site(config)
    api.service_url(site)
    click.echo(form(site))


@cli.command(name="import")
@click.argument("source")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("posts"),
    show_default=True,
    help="Folder for the new posts (created if missing).",
)
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
@config_option
@_reports_errors
def import_posts(source: str, into: Path, dry_run: bool, config: Path | None) -> None:
    """Create posts from a feed (RSS, Atom, JSON Feed) or a saved list page (HTML or text).

    SOURCE is a local file; feedtool works offline, so download a URL first. A list page is
    a Hugo PaperMod list saved as HTML or as text (title, summary, then a line such as
    `八月 24, 2025 · 1 分钟 · pan`). Dates are kept as written; in a site (feedtool.toml, or
    a Hugo, Hexo or Jekyll site here) those without a zone are read in the site's zone, else
    in Asia/Shanghai. An existing post is never overwritten: the new file gets a -2, -3, ...
    suffix. Prints one line per post written or skipped (no title, no date, a repeated
    entry), then a count; exit 0 even with skips.

    \b
    Examples:
      feedtool import saved/list.txt --into posts
      feedtool import feed.xml --into posts --dry-run
    """
    from . import api
    from .catalog import display_path

    site = api.find_site(config)
    if site is not None:
        _print_notes(site.notes)
    report = api.import_posts(source, into, dry_run=dry_run, site=site)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    folder = display_path(into)
    lines = [
        (
            post.entry.position,
            f"{'would write' if dry_run else 'wrote'} {folder}/{post.name}: "
            f"{post.entry.title} ({post.entry.date})" + "".join(f"; {n}" for n in post.notes),
        )
        for post in report.posts
    ]
    lines += [
        (skipped.entry.position, f"skipped {skipped.label}: {skipped.reason}")
        for skipped in report.skipped
    ]
    for _, line in sorted(lines):  # in the source's order
        click.echo(line)
    count = len(report.posts)
    summary = f"{plural(count, 'post')} into {folder}/ ({len(report.skipped)} skipped)"
    click.echo(
        f"Dry run: would import {summary}; nothing written." if dry_run else f"Imported {summary}."
    )


@cli.command()
@click.option("--title", help="The site's title (plain posts/ folders).")
@click.option(
    "--base-url", help="The site's public address, e.g. https://example.com (plain posts/ folders)."
)
@_reports_errors
def init(title: str | None, base_url: str | None) -> None:
    """Write a commented feedtool.toml for the blog in this folder.

    In a Hugo, Hexo or Jekyll site it only names the source: title, address, language, time
    zone and author are read from the site's own config. For a plain posts/ folder it asks
    for the title and address on a terminal (and uses --title / --base-url, or placeholders
    to edit, otherwise). It never overwrites an existing feedtool.toml. It prints the settings
    it read, and adds the cache and ledger folders to .gitignore (created if missing).
    """
    from . import api
    from .sources import detect

    folder = Path.cwd()
    api.refuse_existing_config(folder)  # before asking anything
    kind = detect(folder)
    if kind == "plain" and sys.stdin.isatty():  # else init_site's placeholders
        title = title or click.prompt("Site title", default=api.PLACEHOLDER_TITLE)
        base_url = base_url or click.prompt("Site address", default=api.PLACEHOLDER_URL)
    site, added = api.init_site(folder, title=title, base_url=base_url)
    click.echo(f"Wrote {api.DEFAULT_CONFIG} for a {kind} blog:")
    for label, value in (
        ("title", site.title),
        ("base URL", site.base_url),
        ("time zone", site.timezone),
        ("permalink", site.permalink),
    ):
        click.echo(f"  {label + ':':<11}{value}")
    if added:
        click.echo(f"Added {' and '.join(added)} to .gitignore.")
    if kind == "plain" and not (title and base_url and sys.stdin.isatty()):
        click.echo("Check title and base_url in it; then run `feedtool build`.")
