"""What bench/run.py measures and bench/report.py presents: shared constants and records; and how
run.py, compare.py and instructions.py run a source tree (tree_env) or a baseline commit
(baseline_worktree)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from run import Corpus

REPO = Path(__file__).resolve().parent.parent
FEED_LIMIT = 50  # entries per feed, for feedtool (feed_limit) and Hugo (services.rss.limit)
CACHE_DIRS = (".feedtool-cache",)  # feedtool's own cache next to feedtool.toml, if it has one
HUGO = "hugo RSS build"
HUGO_DATES = "posts Hugo dates 0001-01-01, by date form"  # a check
COLD, WARM = "cold", "warm, 1 post edited"
# Other warm builds, beside the issue's: an edit the last build's choice survives though no feed
# shows the post, and one it cannot survive (a new newest post: every post checked again).
WARM_OLD, WARM_NEW = "warm, an old post edited", "warm, 1 post added"
DROPPED, CACHED = "dropped", "warm"  # page-cache states
FEEDTOOL_COMMANDS = ("build", "validate", "digest --latest")
# Tag feeds: off, as Hugo with no taxonomies; on, as Hugo rendering each tag's RSS (only `build`
# makes tag feeds, so only it and Hugo run both ways).
TAGS_OFF, TAGS_ON = "off", "on"
TARGET_N = 10_000  # the targets are for this many posts
LARGE_N = 50_000  # from this many posts: fewer rounds, no dropped page cache, corpus removed after


def shown(path: str | Path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    path = Path(path)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def tree_env(tree: Path | None = None) -> dict[str, str]:
    """This environment with bytecode caching on, as on a user's machine (some sandboxes switch it
    off), and, when given, `tree`'s sources first on PYTHONPATH, so `python -m feedtool` runs
    them."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))
    return env


@contextmanager
def baseline_worktree(rev: str) -> Iterator[Path]:
    """Commit `rev` checked out in a temporary git worktree (detached), removed afterwards."""
    worktree = Path(tempfile.mkdtemp(prefix="feedtool-baseline-"))
    try:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(worktree), rev],
            check=True,
        )
    except BaseException:
        shutil.rmtree(worktree, ignore_errors=True)
        raise
    try:
        yield worktree
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False
        )


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall-clock seconds, the child's peak RSS in KiB, how it ended, and
    the CPU seconds (user + system) of the child and the helpers it waited for."""

    seconds: float
    peak_kib: int
    returncode: int
    stderr: str = ""
    cpu: float = 0.0


@dataclass
class Result:
    """The runs of one command at one N in one state (status "ok", or why there are no figures)."""

    command: str  # "build", "validate", "digest --latest", HUGO, ...
    mode: str  # COLD, WARM, or "" for Hugo and start-up
    page_cache: str  # DROPPED or CACHED
    n: int | None
    samples: list[Sample] = field(default_factory=list)
    status: str = "ok"
    tags: str = TAGS_OFF  # tag feeds (feedtool) or term feeds (Hugo) off or on

    @property
    def label(self) -> str:
        return f"{self.command} ({self.mode})" if self.mode else self.command

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.samples)

    @property
    def is_feedtool(self) -> bool:
        return self.command in FEEDTOOL_COMMANDS

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu(self) -> float:
        """Median CPU seconds: less sensitive than wall time to other work on the machine."""
        return statistics.median(s.cpu for s in self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median of the wall times: how noisy the runs were."""
        return (max(self.times) - min(self.times)) / self.median if self.median else 0.0

    @property
    def peak_mb(self) -> float:
        """The largest peak over the runs, in MiB (ru_maxrss is KiB on Linux)."""
        return max(s.peak_kib for s in self.samples) / 1024


@dataclass
class SizeReport:
    """Everything measured and checked at one N."""

    corpus: Corpus
    results: list[Result] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)

    def get(
        self, command: str, mode: str = "", page_cache: str = CACHED, tags: str = TAGS_OFF
    ) -> Result | None:
        wanted = (command, mode, page_cache, tags)
        return next(
            (r for r in self.results if (r.command, r.mode, r.page_cache, r.tags) == wanted), None
        )


@dataclass
class Run:
    """Everything one benchmark run found, for the console and BENCHMARKS.md."""

    args: Any  # argparse.Namespace: runs, startup_runs, seed, ...
    tool: Any  # run.Feedtool
    feedtool_version: str
    hugo: str | None
    hugo_note: str
    hugo_version: str
    cache: Any  # run.PageCache
    reports: list[SizeReport]
    startup: list[Result]
    started: Any  # datetime, UTC
    seconds: float
    memory: str  # how peak memory was read
    load: str  # the 1-minute load average before and after, to judge noise from other work
