"""Benchmark feedtool against Hugo on synthetic Chinese blogs; print a table, write BENCHMARKS.md.

    .venv/bin/python bench/run.py                     # `make bench`: N = 1,000 and 10,000
    make bench SIZES=1000,10000,100000                # and 100,000 (about 20 minutes more)
    .venv/bin/python bench/run.py --sizes 1000 --runs 3 --no-write   # a quick look

For each N it generates the same corpus twice (bench/corpus.py: a feedtool site, and a Hugo
site that builds only its home RSS), then times with wall-clock medians over --runs rounds, each
round running Hugo and every command once (so every ratio compares runs of the same minutes):

  hugo RSS build          `hugo --quiet -s SITE -d OUT`, the reference of every ratio
  build / validate / digest --latest, each:
    cold                  no output folder and no feedtool cache (the first run)
    warm, 1 post edited   a second run after appending a sentence to the newest post
    build, also:          after appending a sentence to the oldest post; after adding a newest post
  tag feeds on            Hugo with an RSS per tag, and `build` cold and warm with [tag_feeds] on
                          (feedtool.toml has them off, as Hugo's hugo.toml has no taxonomies)

From LARGE_N posts (100,000, say) a size runs --large-runs rounds, with the page cache warm only,
and its corpus is removed afterwards (800 MB for 100,000 posts); SIZES in the environment (which
`make bench SIZES=...` sets) replaces the default sizes.

Cold runs and Hugo runs are made twice when the page cache can be dropped (root, writable
/proc): once right after dropping it, once with it warm. Ratios compare rows with the same
page-cache state; the targets are judged with the page cache warm, as the issue's Hugo figure.

Peak memory is each child's own ru_maxrss (GNU time, else os.wait4), CPU time its user + system
seconds (with the helpers it waited for). It also times `feedtool --help` beside
`python -c pass`, checks the feeds (a rebuild without cache is byte-identical to the warm
build, the edit shows, the feed holds the true newest posts) and writes BENCHMARKS.md.
Only local processes; the one network use is `apt-get install hugo` when Hugo is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (bench/corpus.py, beside this file)
import report  # noqa: E402
from common import (
    CACHE_DIRS,
    CACHED,
    COLD,
    DROPPED,
    FEED_LIMIT,
    FEEDTOOL_COMMANDS,
    HUGO,
    HUGO_DATES,
    LARGE_N,
    REPO,
    TAGS_OFF,
    TAGS_ON,
    WARM,
    WARM_NEW,
    WARM_OLD,
    Result,
    Run,
    Sample,
    SizeReport,
    shown,
    tree_env,
)

DEFAULT_WORK = REPO / "bench" / ".work"
DEFAULT_OUTPUT = REPO / "BENCHMARKS.md"
BASE_URL = "https://bench.example.com"
CONFIG = """\
# Written by bench/run.py for the benchmark corpus.
title = "基准测试博客"
base_url = "{base_url}"
feed_limit = {limit}
posts = "posts"
out = "public"

# Hugo builds only the home page's RSS here (taxonomies disabled), so feedtool does the same work:
# no per-tag feeds. (With them on, a cold build also renders each tag's newest posts.)
[tag_feeds]
enabled = false
"""
# The same with a feed per tag, of as many posts as Hugo's term RSS (its one RSS limit).
TAGS_CONFIG = "feedtool-tags.toml"
TAGS_TABLE = """
[tag_feeds]
enabled = true
limit = {limit}
"""


# ---------------------------------------------------------------- measuring one command

# GNU time, when there is one: it reports its child's own peak RSS. A child of this Python
# process would report at least this process's RSS: Linux counts the pages it inherits at fork.
GNU_TIME: str | None = None


def run_once(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run `cmd` once, stdout discarded: wall-clock time, and peak RSS and CPU seconds from GNU
    time or os.wait4."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        argv = [GNU_TIME, "-f", "%M %U %S", "-o", peak.name, "--", *cmd] if GNU_TIME else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if GNU_TIME:  # "Command exited with non-zero status N" may come before the figures
            figures = re.findall(r"^(\d+) ([\d.]+) ([\d.]+)$", peak.read(), re.M)
            if figures:
                peak_kib, cpu = int(figures[-1][0]), float(figures[-1][1]) + float(figures[-1][2])
    return Sample(seconds, peak_kib, proc.returncode, stderr, cpu)


def record(result: Result, once: Callable[[], Sample]) -> None:
    """Add one sample to `result`, unless it already failed; a non-zero exit marks it failed."""
    if result.status != "ok":
        return
    sample = once()
    if sample.returncode != 0:
        result.status = f"failed (exit {sample.returncode}: {last_line(sample.stderr)})"
    else:
        result.samples.append(sample)


def last_line(text: str) -> str:
    """The last non-empty line of some output, shortened for a table cell."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no message"
    return (line[:77] + "...") if len(line) > 80 else line


# ---------------------------------------------------------------- the tools


@dataclass(frozen=True)
class Feedtool:
    """How to run feedtool: a console script, or `python -m feedtool` from a tree's sources."""

    argv: tuple[str, ...]
    env: dict[str, str] | None
    shown: str  # how the report names it

    @classmethod
    def from_tree(cls, tree: Path, shown: str) -> Feedtool:
        """feedtool run from `tree`'s sources with this venv's Python and libraries."""
        return cls((sys.executable, "-m", "feedtool"), tree_env(tree), shown)

    def cmd(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def run(self, *args: str, cwd: Path = REPO, tags: str = TAGS_OFF) -> Sample:
        """`feedtool ARGS` in `cwd`; with tags on, with the config that turns tag feeds on."""
        extra = ("--config", TAGS_CONFIG) if tags == TAGS_ON else ()
        return run_once(self.cmd(*args, *extra), cwd, self.env)


def find_feedtool() -> Feedtool:
    """The `feedtool` beside the running Python (`make bench` runs .venv/bin/python)."""
    script = Path(sys.executable).parent / "feedtool"
    if script.exists():
        return Feedtool((str(script),), tree_env(), shown(script))
    return Feedtool.from_tree(
        REPO, f"{shown(sys.executable)} -m feedtool (PYTHONPATH=the repository)"
    )


def feedtool_version(tool: Feedtool) -> str:
    proc = subprocess.run(tool.cmd("--version"), env=tool.env, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def ensure_command(path: str, package: str, install: bool) -> tuple[str | None, str]:
    """(the program or None, how it was found). Installs the Debian package when missing and
    allowed: `apt-get install -y PACKAGE` (with sudo -n when not root), then once more after
    `apt-get update`."""
    found = shutil.which(path)
    if found:
        return found, "found"
    if not install:
        return None, f"not installed (--no-install; apt-get install {package})"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"{path} is missing: installing Debian's {package} package ...", flush=True)
    for steps in (
        [["apt-get", "install", "-y", "-q", package]],
        [["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", package]],
    ):
        try:
            if all(
                subprocess.run(sudo + step, env=env, capture_output=True).returncode == 0
                for step in steps
            ):
                break
        except OSError:
            break
    found = shutil.which(path)
    return (
        (found, "installed with apt-get")
        if found
        else (None, f"unavailable (apt-get install {package} failed)")
    )


def hugo_version(hugo: str) -> str:
    lines = (
        subprocess.run([hugo, "version"], capture_output=True, text=True)
        .stdout.strip()
        .splitlines()
    )
    return lines[0] if lines else "unknown"


# ---------------------------------------------------------------- the sites


def make_cold(site: Path) -> None:
    """Remove everything a feedtool run leaves behind: the output folder and feedtool's cache."""
    shutil.rmtree(site / "public", ignore_errors=True)
    remove_cache(site)


def remove_cache(site: Path) -> None:
    """Remove feedtool's own cache folder(s) next to feedtool.toml, keeping public/."""
    for name in CACHE_DIRS:
        shutil.rmtree(site / name, ignore_errors=True)


class PageCache:
    """The kernel's page cache: dropped before "dropped" runs when this process may (root,
    writable /proc)."""

    def __init__(self, enabled: bool = True) -> None:
        self.failure = None if enabled else "not tried (--no-drop-caches)"
        if enabled:
            self.drop()

    @property
    def can_drop(self) -> bool:
        return self.failure is None

    def drop(self) -> None:
        """sync; echo 3 > /proc/sys/vm/drop_caches. Remembers why, if it cannot."""
        if not self.can_drop:
            return
        try:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
        except OSError as exc:
            self.failure = exc.strerror or str(exc)

    def state(self) -> str:
        """'dropped' or 'warm (could not drop)', as the console reports it."""
        return "dropped" if self.can_drop else "warm (could not drop)"


@dataclass
class Corpus:
    """The two sites generated for one N, and what the generator knows about the posts."""

    n: int
    site: Path  # feedtool.toml + posts/
    hugo_site: Path  # hugo.toml + content/posts/ (generated unless prepare(..., hugo=False))
    posts: list[corpus.GeneratedPost]
    edits: int = 0
    generated_bytes: int = 0

    @property
    def newest(self) -> list[corpus.GeneratedPost]:
        """Published posts newest first, ordered as feedtool orders them (date, then slug)."""
        return sorted(
            (p for p in self.posts if not p.draft), key=lambda p: (p.date, p.slug), reverse=True
        )

    def size_bytes(self) -> int:
        """The posts' bytes as generated (the corpus may be removed by now)."""
        if not self.generated_bytes:
            self.generated_bytes = sum(p.path.stat().st_size for p in self.posts)
        return self.generated_bytes

    def edit(self, post: corpus.GeneratedPost | None = None) -> None:
        """Append one sentence to the newest post's body (or to `post`'s): what 'one post edited'
        means here."""
        self.edits += 1
        with open((post or self.newest[0]).path, "a", encoding="utf-8", newline="\n") as f:
            f.write(f"\n{edit_marker(self.edits)}\n")

    def add(self) -> Path:
        """A new post, dated after every other: the file, for the caller to remove."""
        # The corpus's dates are in the past.
        day = self.newest[0].date.date() + dt.timedelta(days=1)
        path = self.site / "posts" / "bench-added.md"
        path.write_text(
            f"---\ntitle: 基准测试新文章\ndate: {day.isoformat()}\n---\n\n新的一篇。\n",
            encoding="utf-8",
        )
        return path


def edit_marker(number: int) -> str:
    return f"基准测试第{number}次修改：补充了一个实验细节。"


def prepare(work: Path, n: int, seed: int, *, hugo: bool = True) -> Corpus:
    """Generate a fresh feedtool site of N posts under `work` (feedtool.toml with tag feeds off,
    TAGS_CONFIG with them on), and the Hugo site unless hugo=False."""
    site, hugo_site = work / f"feedtool-{n}", work / f"hugo-{n}"
    for folder in (site, hugo_site) if hugo else (site,):
        shutil.rmtree(folder, ignore_errors=True)
    posts = corpus.generate(site, n, seed=seed, layout="feedtool")
    if hugo:
        corpus.generate(hugo_site, n, seed=seed, layout="hugo")
    config = CONFIG.format(base_url=BASE_URL, limit=FEED_LIMIT)
    (site / "feedtool.toml").write_text(config, encoding="utf-8")
    tags = config.split("[tag_feeds]")[0] + TAGS_TABLE.format(limit=FEED_LIMIT)
    (site / TAGS_CONFIG).write_text(tags, encoding="utf-8")
    return Corpus(n, site, hugo_site, posts)


def remove(c: Corpus) -> None:
    """Delete both sites of a corpus (its size measured first, for the report)."""
    c.size_bytes()
    for folder in (c.site, c.hugo_site):
        shutil.rmtree(folder, ignore_errors=True)


def feed_slugs(rss: Path) -> list[str]:
    """Post slugs of an RSS file's <item> links, in feed order."""
    text = rss.read_text(encoding="utf-8", errors="replace")
    return re.findall(r"<item>.*?<link>[^<]*/posts/(post-\d+)/?</link>", text, flags=re.S)


def same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return (
        bool(files_a)
        and files_a == files_b
        and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)
    )


# ---------------------------------------------------------------- one size


def bench_size(
    c: Corpus, tool: Feedtool, hugo: str | None, runs: int, cache: PageCache, digest: bool
) -> SizeReport:
    """Time Hugo and every feedtool command at one N, and check the feeds.

    In rounds: each round runs Hugo and every command once, so that a ratio compares runs made in
    the same minutes (on a shared machine, a minute can be 30% slower than the next)."""
    report = SizeReport(c)
    if hugo and c.n < LARGE_N:  # a build listing every post: minutes at 100,000
        report.checks[HUGO_DATES] = hugo_dates(c, hugo)
    states = page_cache_states(cache, c.n)
    commands = [
        (name, TAGS_OFF) for name in FEEDTOOL_COMMANDS if digest or name != "digest --latest"
    ]
    commands.insert(1, ("build", TAGS_ON))
    hugo_results = {
        (state, tags): Result(
            HUGO, "", state, c.n, status="ok" if hugo else "n/a (Hugo unavailable)", tags=tags
        )
        for tags in (TAGS_OFF, TAGS_ON)
        for state in states
    }
    timed = {
        (name, tags): (
            {state: Result(name, COLD, state, c.n, tags=tags) for state in states},
            Result(name, WARM, CACHED, c.n, tags=tags),
        )
        for name, tags in commands
    }
    other_warm = {mode: Result("build", mode, CACHED, c.n) for mode in (WARM_OLD, WARM_NEW)}
    for round_number in range(1, runs + 1):
        if hugo:
            hugo_round(c, hugo, cache, hugo_results)
        for (name, tags), (colds, warm) in timed.items():
            feedtool_round(c, tool, cache, name.split(), colds, warm, tags)
            if (name, tags) != ("build", TAGS_OFF):
                continue
            if round_number == runs:  # its outputs, before the next command clears them
                report.checks.update(check_build(c, tool, warm))
            other_warm_builds(c, tool, other_warm)
    report.results += hugo_results.values()
    for (name, tags), (colds, warm) in timed.items():
        extra = other_warm.values() if (name, tags) == ("build", TAGS_OFF) else ()
        report.results += [*colds.values(), warm, *extra]
    if not digest:
        report.results += [
            Result("digest --latest", mode, CACHED, c.n, status="n/a (not implemented)")
            for mode in (COLD, WARM)
        ]
    return report


def page_cache_states(cache: PageCache, n: int) -> tuple[str, ...]:
    """Both states when the page cache can be dropped, except for a large corpus (whose dropped
    runs would double the time it takes): warm only."""
    return (DROPPED, CACHED) if cache.can_drop and n < LARGE_N else (CACHED,)


def hugo_round(
    c: Corpus, hugo: str, cache: PageCache, results: dict[tuple[str, str], Result]
) -> None:
    """Hugo's RSS build of the same posts once per page-cache state and with its term feeds off
    and on, output removed first."""
    out = c.hugo_site / "public"
    for (state, tags), result in results.items():
        configs = "hugo.toml,hugo-tags.toml" if tags == TAGS_ON else "hugo.toml"
        cmd = [hugo, "--quiet", "-s", str(c.hugo_site), "--config", configs, "-d", str(out)]
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(c.hugo_site / "resources", ignore_errors=True)
        if state == DROPPED:
            cache.drop()
        record(result, functools.partial(run_once, cmd, c.hugo_site))


def feedtool_round(
    c: Corpus,
    tool: Feedtool,
    cache: PageCache,
    args: list[str],
    colds: dict[str, Result],
    warm: Result,
    tags: str = TAGS_OFF,
) -> None:
    """A feedtool command cold (per page-cache state), then warm after editing one post."""
    for state, cold in colds.items():
        make_cold(c.site)
        if state == DROPPED:
            cache.drop()
        record(cold, lambda: tool.run(*args, cwd=c.site, tags=tags))
    c.edit()
    record(warm, lambda: tool.run(*args, cwd=c.site, tags=tags))


def other_warm_builds(c: Corpus, tool: Feedtool, results: dict[str, Result]) -> None:
    """After a warm build: build again after editing the oldest published post, then after adding
    a newest one (removed afterwards, and built again untimed)."""
    c.edit(c.newest[-1])
    record(results[WARM_OLD], lambda: tool.run("build", cwd=c.site))
    added = c.add()
    record(results[WARM_NEW], lambda: tool.run("build", cwd=c.site))
    added.unlink()
    tool.run("build", cwd=c.site)


def check_build(c: Corpus, tool: Feedtool, warm: Result) -> dict[str, str]:
    """Check the last warm build: same bytes as a rebuild without cache, the edit shown, the
    right posts."""
    public, again = c.site / "public", c.site / "public-check"
    if not (warm.ok and (public / "rss.xml").exists()):
        return {"rebuild without cache identical to the warm build": "not checked (build failed)"}
    checks = {}
    remove_cache(c.site)
    shutil.rmtree(again, ignore_errors=True)
    sample = tool.run("build", "--out", again.name, cwd=c.site)
    identical = "yes" if sample.returncode == 0 and same_files(public, again) else "no"
    if sample.returncode:
        identical += f" (rebuild failed: {last_line(sample.stderr)})"
    checks["rebuild without cache identical to the warm build"] = identical
    shutil.rmtree(again, ignore_errors=True)
    rss = (public / "rss.xml").read_text(encoding="utf-8", errors="replace")
    checks["the last edit shows in the warm build's feed"] = (
        "yes" if edit_marker(c.edits) in rss else "no"
    )
    expected = [p.slug for p in c.newest[:FEED_LIMIT]]
    ours = feed_slugs(public / "rss.xml")
    checks[f"feedtool's RSS = the true newest {FEED_LIMIT} posts"] = compare_feed(ours, expected)
    hugo_rss = c.hugo_site / "public" / "index.xml"
    if hugo_rss.exists():
        checks[f"Hugo's RSS = the true newest {FEED_LIMIT} posts"] = compare_feed(
            feed_slugs(hugo_rss), expected
        )
    return checks


def hugo_dates(c: Corpus, hugo: str) -> str:
    """How Hugo dates each date form: an untimed build listing every post (RSS limit -1)."""
    override = c.hugo_site / "survey.toml"
    override.write_text("rssLimit = -1\n[services.rss]\nlimit = -1\n", encoding="utf-8")
    out = c.hugo_site / "survey"
    configs = f"{c.hugo_site / 'hugo.toml'},{override}"
    proc = subprocess.run(
        [hugo, "-s", str(c.hugo_site), "--config", configs, "-d", str(out)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        return f"Hugo failed (exit {proc.returncode}): {last_line(proc.stderr + proc.stdout)}"
    text = (out / "index.xml").read_text(encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    override.unlink()
    undated = {
        slug
        for slug, day in re.findall(
            r"<link>[^<]*/posts/(post-\d+)/?</link>\s*<pubDate>([^<]*)", text
        )
        if " 0001 " in day
    }
    totals: dict[str, list[int]] = {}
    for post in c.posts:
        if not post.draft:
            counts = totals.setdefault(post.date_form, [0, 0])
            counts[0] += 1
            counts[1] += post.slug in undated
    warnings = len(re.findall(r"^(WARN|ERROR)", proc.stdout + proc.stderr, re.M))
    forms = ", ".join(
        f"{corpus.DATE_EXAMPLES[form]} {bad:,} of {total:,}"
        for form, (total, bad) in totals.items()
    )
    return f"{forms} (exit 0, {warnings} warnings)"


def compare_feed(got: list[str], expected: list[str]) -> str:
    if got == expected:
        return "yes"
    return (
        f"no: {len(set(got) & set(expected))} of the true newest {len(expected)} ({len(got)} items)"
    )


def bench_startup(tool: Feedtool, runs: int) -> list[Result]:
    """`feedtool --help` beside `python -c pass` (the floor any Python CLI pays)."""
    python = Result("python -c pass", "", CACHED, None)
    helped = Result("feedtool --help", "", CACHED, None)
    for _ in range(runs):
        record(python, lambda: run_once([sys.executable, "-c", "pass"], REPO))
        record(helped, lambda: tool.run("--help"))
    return [python, helped]


# ---------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive numbers of posts")
    return sizes


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time feedtool build/validate/digest against Hugo's RSS build on synthetic "
        "Chinese blogs, print a table and write BENCHMARKS.md.",
        epilog="Example: .venv/bin/python bench/run.py --sizes 1000 --runs 3 --no-write",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes(os.environ.get("SIZES") or "1000,10000"),
        metavar="N,N",
        help="numbers of posts, comma-separated (default: $SIZES, else 1000,10000; "
        "`make bench SIZES=1000,10000,100000` sets it)",
    )
    parser.add_argument(
        "--runs",
        type=positive,
        default=5,
        help="rounds, each running Hugo and every command once in each state, for the medians "
        "(default 5)",
    )
    parser.add_argument(
        "--large-runs",
        type=positive,
        default=3,
        help=f"rounds at {LARGE_N:,} posts or more (default 3; at most --runs)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the corpora of {LARGE_N:,} posts or more in the scratch folder",
    )
    parser.add_argument(
        "--startup-runs",
        type=positive,
        default=20,
        help="runs of `feedtool --help` and `python -c pass` (default 20)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="scratch folder (default bench/.work)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="report to write (default BENCHMARKS.md)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the tables only; leave the report alone"
    )
    parser.add_argument(
        "--no-install", action="store_true", help="do not apt-get install hugo when it is missing"
    )
    parser.add_argument(
        "--no-drop-caches",
        action="store_true",
        help="do not drop the page cache (cold runs stay warm)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, clock, load = dt.datetime.now(dt.UTC), time.perf_counter(), os.getloadavg()[0]
    tool = find_feedtool()
    broken = tool.run("--help")
    if broken.returncode:
        print(f"error: `{tool.shown} --help` fails: {last_line(broken.stderr)}", file=sys.stderr)
        return 2
    digest = tool.run("digest", "--help").returncode == 0
    global GNU_TIME
    GNU_TIME, time_note = ensure_command("/usr/bin/time", "time", not args.no_install)
    hugo, hugo_note = ensure_command("hugo", "hugo", not args.no_install)
    version = hugo_version(hugo) if hugo else "unavailable"
    cache = PageCache(not args.no_drop_caches)
    print(
        f"feedtool: {tool.shown}",
        f"hugo: {version if hugo else 'Hugo ' + hugo_note}",
        f"peak memory: {'GNU time' if GNU_TIME else 'os.wait4'}",
        f"page cache: {cache.state()}",
        sep="\n",
        flush=True,
    )
    args.work.mkdir(parents=True, exist_ok=True)
    reports = []
    for n in args.sizes:
        print(f"N={n:,}: generating ...", flush=True)
        c = prepare(args.work, n, args.seed)
        runs = min(args.runs, args.large_runs) if n >= LARGE_N else args.runs
        print(f"N={n:,}: timing, {runs} rounds ...", flush=True)
        reports.append(bench_size(c, tool, hugo, runs, cache, digest))
        if n >= LARGE_N and not args.keep:
            remove(c)
    print("start-up ...", flush=True)
    startup = bench_startup(tool, args.startup_runs)
    memory = (
        "GNU time's %M (the child's own maximum resident set size)"
        if GNU_TIME
        else f"os.wait4's ru_maxrss (GNU time {time_note}: figures include this runner's RSS "
        "as a floor)"
    )
    run = Run(
        args,
        tool,
        feedtool_version(tool),
        hugo,
        hugo_note,
        version,
        cache,
        reports,
        startup,
        started,
        time.perf_counter() - clock,
        memory,
        f"{load:.2f} before, {os.getloadavg()[0]:.2f} after",
    )
    print(report.console(run))
    if not args.no_write:
        args.output.write_text(report.markdown_report(run), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
