"""Tables, targets and BENCHMARKS.md for bench/run.py's measurements.

Ratios divide a feedtool median by Hugo's median at the same N and in the same page-cache
state. The issue's targets are judged at the largest N measured (10,000 by default) with the
page cache warm, the state of the issue's own Hugo figure.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import corpus
from common import (
    CACHE_DIRS,
    CACHED,
    COLD,
    FEED_LIMIT,
    HUGO,
    HUGO_DATES,
    REPO,
    WARM,
    Result,
    Run,
    SizeReport,
    shown,
)

# (command, mode) -> the largest allowed ratio to Hugo's RSS build, on the largest N.
RATIO_TARGETS = {
    ("build", COLD): 0.5,
    ("build", WARM): 0.15,
    ("validate", COLD): 1.0,
    ("digest --latest", COLD): 0.5,
}
MEMORY_TARGET_MB = 100.0
HELP_TARGET_S = 0.150
LINEAR_SLACK = (
    1.25  # linear: time per 1,000 posts at the largest N at most 1.25x that at the smallest
)
GROWTH_ROWS = (
    ("build", COLD),
    ("build", WARM),
    ("validate", COLD),
    ("digest --latest", COLD),
    (HUGO, ""),
)


# ---------------------------------------------------------------- figures


def fmt(value: float | None, digits: int = 3, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def hugo_median(report: SizeReport, page_cache: str = CACHED) -> float | None:
    hugo = report.get(HUGO, "", page_cache)
    return hugo.median if hugo and hugo.ok else None


def ratio(result: Result | None, report: SizeReport) -> float | None:
    """A feedtool median over Hugo's at the same N and page-cache state."""
    if result is None or not result.ok or not result.is_feedtool:
        return None
    base = hugo_median(report, result.page_cache)
    return result.median / base if base else None


def ratio_target(result: Result, largest: int | None) -> float | None:
    """The issue's ratio target for this row, if it has one (largest N, page cache warm)."""
    if result.n != largest or result.page_cache != CACHED:
        return None
    return RATIO_TARGETS.get((result.command, result.mode))


# ---------------------------------------------------------------- tables


def results_rows(reports: list[SizeReport], startup: list[Result]) -> list[list[str]]:
    """The main table: one row per command, N and state; targets judged at the largest N."""
    rows = [
        [
            "command",
            "N",
            "page cache",
            "median s",
            "min s",
            "max s",
            "peak MB",
            "ratio to Hugo",
            "target",
            "result",
        ]
    ]
    largest = reports[-1].corpus.n if reports else None
    for report in reports:
        for r in report.results:
            limit = ratio_target(r, largest)
            x = ratio(r, report)
            targets, oks = [], []
            if limit is not None:
                targets.append(f"≤ {limit:.2f}× Hugo")
                oks.append(None if x is None else x <= limit)
            if r.is_feedtool and r.n == largest and r.ok:
                targets.append(f"≤ {MEMORY_TARGET_MB:.0f} MB")
                oks.append(r.peak_mb <= MEMORY_TARGET_MB)
            rows.append(
                result_row(r, f"{r.n:,}", x, ", ".join(targets), combine(oks) if targets else "")
            )
    for r in startup:
        is_help = r.command == "feedtool --help"
        target = f"< {HELP_TARGET_S * 1000:.0f} ms" if is_help else ""
        rows.append(
            result_row(
                r, "—", None, target, verdict(r.ok and r.median < HELP_TARGET_S) if is_help else ""
            )
        )
    return rows


def combine(oks: list[bool | None]) -> str:
    """FAIL if any target failed, n/a if one could not be judged, else PASS."""
    if False in oks:
        return "FAIL"
    return "n/a" if None in oks else "PASS"


def result_row(r: Result, n: str, x: float | None, target: str, result: str) -> list[str]:
    if not r.ok:
        return [r.label, n, r.page_cache, r.status, "", "", "", "", target, "n/a" if target else ""]
    return [
        r.label,
        n,
        r.page_cache,
        fmt(r.median),
        fmt(min(r.times)),
        fmt(max(r.times)),
        fmt(r.peak_mb, 1),
        fmt(x, 2, "×"),
        target,
        result,
    ]


def target_rows(reports: list[SizeReport], startup: list[Result]) -> list[list[str]]:
    """The issue's targets, one line each, with what was measured."""
    rows = [["target", "measured", "result"]]
    if not reports:
        return rows
    big = reports[-1]
    posts = f"{big.corpus.n:,} posts"
    base = hugo_median(big)
    for (command, mode), limit in RATIO_TARGETS.items():
        r = big.get(command, mode)
        x = ratio(r, big)
        measured = (
            f"{x:.2f}× ({r.median:.3f} s vs Hugo {base:.3f} s)"
            if x is not None and r is not None
            else (r.status if r and r.status != "ok" else "no Hugo figure")
        )
        rows.append(
            [
                f"{command} ({mode}) on {posts} ≤ {limit:.2f}× Hugo's RSS build",
                measured,
                verdict(None if x is None else x <= limit),
            ]
        )
    feedtool_runs = [r for r in big.results if r.is_feedtool and r.ok]
    if feedtool_runs:
        worst = max(feedtool_runs, key=lambda r: r.peak_mb)
        rows.append(
            [
                f"peak memory of every feedtool command on {posts} ≤ {MEMORY_TARGET_MB:.0f} MB",
                f"{worst.peak_mb:.1f} MB (largest: {worst.label})",
                verdict(worst.peak_mb <= MEMORY_TARGET_MB),
            ]
        )
    for line in growth_rows(reports)[1:]:
        if line[-1] != "(reference)":
            rows.append(
                [f"{line[0]}: time grows linearly with N", f"{line[-2]} per 1,000 posts", line[-1]]
            )
    helped = next((r for r in startup if r.command == "feedtool --help" and r.ok), None)
    python = next((r for r in startup if r.command == "python -c pass" and r.ok), None)
    if helped:
        beside = f" (python -c pass: {python.median * 1000:.0f} ms)" if python else ""
        rows.append(
            [
                f"feedtool --help < {HELP_TARGET_S * 1000:.0f} ms",
                f"{helped.median * 1000:.0f} ms{beside}",
                verdict(helped.median < HELP_TARGET_S),
            ]
        )
    return rows


def growth_rows(reports: list[SizeReport]) -> list[list[str]]:
    """Seconds per 1,000 posts at each N (page cache warm); growth = largest N over smallest."""
    rows = [
        ["command", *[f"s per 1,000 posts, N={r.corpus.n:,}" for r in reports], "growth", "linear"]
    ]
    if len(reports) < 2:
        return rows
    for command, mode in GROWTH_ROWS:
        per = []
        for report in reports:
            r = report.get(command, mode)
            per.append(r.median / (report.corpus.n / 1000) if r and r.ok else None)
        growth = per[-1] / per[0] if per[0] and per[-1] else None
        label = f"{command} ({mode})" if mode else command
        judged = verdict(None if growth is None else growth <= LINEAR_SLACK)
        rows.append(
            [
                label,
                *[fmt(p) for p in per],
                fmt(growth, 2, "×"),
                "(reference)" if command == HUGO else judged,
            ]
        )
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    """Rows (header first) as a Markdown table, padded so it reads in a terminal too."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    return "\n".join(
        [line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows[1:])]
    )


# ---------------------------------------------------------------- words around the tables


def headline(run: Run) -> str:
    """feedtool/Hugo ratios at the largest N, one line."""
    if not run.reports:
        return "No sizes were measured."
    big = run.reports[-1]
    base = hugo_median(big)
    if base is None:
        return f"Hugo {run.hugo_note}: absolute figures only, no ratios."
    parts = []
    for command, mode in RATIO_TARGETS:
        r = big.get(command, mode)
        x = ratio(r, big)
        parts.append(
            f"{command} ({mode}) {x:.2f}×"
            if x is not None
            else f"{command} ({mode}) {r.status if r else 'not run'}"
        )
    return (
        f"feedtool / Hugo on {big.corpus.n:,} posts (Hugo's RSS build {base:.3f} s): "
        + "; ".join(parts)
        + "."
    )


def machine() -> dict[str, str]:
    """CPU model, cores, memory, OS and Python of this machine."""
    info = {
        "CPU": "unknown",
        "cores": str(os.cpu_count()),
        "memory": "unknown",
        "OS": platform.platform(),
    }
    cpu = read_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$")
    mem = read_match("/proc/meminfo", r"^MemTotal:\s*(\d+) kB")
    release = read_match("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)')
    info["CPU"] = cpu or info["CPU"]
    info["memory"] = f"{int(mem) / 1024**2:.1f} GiB" if mem else info["memory"]
    if release:
        info["OS"] = f"{release} ({platform.system()} {platform.release()})"
    info["Python"] = f"{platform.python_version()} ({shown(sys.executable)})"
    return info


def read_match(path: str, pattern: str) -> str | None:
    try:
        found = re.search(pattern, Path(path).read_text(), re.M)
    except OSError:
        return None
    return found[1].strip() if found else None


def git_commit() -> str:
    """The checked-out commit (read-only)."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return proc.stdout.strip() or "unknown"


def date_forms(run: Run) -> str:
    """How many posts of the largest corpus use each date form."""
    counts = dict.fromkeys(corpus.DATE_FORMS, 0)
    for post in run.reports[-1].corpus.posts if run.reports else []:
        counts[post.date_form] += 1
    return ", ".join(f"{corpus.DATE_EXAMPLES[k]} {v:,}" for k, v in counts.items())


def hugo_dates_note(run: Run) -> str:
    """What the untimed all-posts Hugo build found at the largest N."""
    found = run.reports[-1].checks.get(HUGO_DATES) if run.reports else None
    if not found:
        return "not surveyed (no Hugo)."
    return (
        "an extra, untimed Hugo build listing every post (RSS limit -1) at "
        f"N={run.reports[-1].corpus.n:,} dated these published posts 0001-01-01, by the form of "
        f"their date: {found}."
    )


def commands(run: Run) -> list[str]:
    sizes = ",".join(str(r.corpus.n) for r in run.reports)
    return [
        f"python bench/corpus.py bench/.work/feedtool-N --posts N --seed {run.args.seed}",
        f"python bench/corpus.py bench/.work/hugo-N --posts N --seed {run.args.seed} --layout hugo",
        f'# in bench/.work/feedtool-N; feedtool.toml: feed_limit = {FEED_LIMIT}, posts = "posts", '
        'out = "public"',
        f"rm -rf public {' '.join(CACHE_DIRS)}; feedtool build      # cold",
        "echo '...' >> posts/NEWEST.md; feedtool build      # warm, 1 post edited",
        f"rm -rf public {' '.join(CACHE_DIRS)}; feedtool validate   # and warm as above",
        f"rm -rf public {' '.join(CACHE_DIRS)}; feedtool digest --latest",
        "rm -rf bench/.work/hugo-N/public; hugo --quiet -s bench/.work/hugo-N -d "
        "bench/.work/hugo-N/public",
        "sync; echo 3 > /proc/sys/vm/drop_caches   # before each 'page cache: dropped' run",
        "feedtool --help; python -c pass",
        f"# all of it, timed: .venv/bin/python bench/run.py --sizes {sizes} --runs {run.args.runs} "
        "  (make bench)",
    ]


def notes(run: Run) -> list[str]:
    """What a reader needs to interpret the figures."""
    page_cache = (
        "dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`) before every 'dropped' run; the other "
        "runs find it warm"
        if run.cache.can_drop
        else f"warm in every run (could not drop: {run.cache.failure})"
    )
    return [
        f"Page cache: {page_cache}. Ratios compare rows in the same page-cache state; the targets "
        "use the warm rows, the state of the issue's Hugo figure (1.16 s on 10,000 posts).",
        "Cold: the first run with no output folder and no feedtool cache "
        f"({', '.join(CACHE_DIRS)}). Warm: a second run after appending one sentence to the newest "
        "post (so the edit must reach the feeds), for every command. Then `build` twice more: "
        "after appending a sentence to the oldest post (no feed shows it; the last build's choice "
        "holds), and after adding a post dated after all others (the choice cannot hold: every "
        "post is checked again). The added post is removed afterwards.",
        f"Hugo's dates: {hugo_dates_note(run)} A date Hugo cannot read does not stop its build: "
        "the post is silently dated 0001-01-01 and sorts last, so Hugo's RSS lists the newest of "
        "the posts it could date (see Checks). Nothing had to be done to make Hugo build: the "
        "corpus quotes the Chinese and slash dates (YAML strings), as feedtool's sample posts do, "
        "and leaves the ISO ones unquoted (YAML timestamps).",
        f"Date forms in the largest corpus: {date_forms(run)}.",
        "The Hugo site (`bench/corpus.py --layout hugo`) renders only the home page's RSS, with "
        "Hugo's embedded template: "
        '`[outputs] home = ["RSS"]`; taxonomy, term, section, sitemap, robotsTXT and 404 disabled;'
        ' posts cascaded to `_build.render = "link"` (listed with '
        "permalinks, no HTML pages of their own); "
        f"`hasCJKLanguage`; `[services.rss] limit = {FEED_LIMIT}` (`rssLimit` for older Hugo). "
        f"feedtool writes three feeds (Atom, RSS, JSON Feed) of the same {FEED_LIMIT} posts with "
        "full, sanitized HTML content; Hugo one RSS with summaries.",
        f"Peak memory, in MiB: {run.memory}.",
        f"Linear growth: seconds per 1,000 posts at the largest N at most {LINEAR_SLACK}× that at "
        "the smallest (start-up makes the small N look slower per post, never faster).",
        "Timings: wall clock from spawning the process to reaping it, stdout discarded; median, "
        f"min and max of {run.args.runs} runs ({run.args.startup_runs} for start-up).",
    ]


def markdown_report(run: Run) -> str:
    """The whole of BENCHMARKS.md."""
    info = machine()
    info["feedtool"] = f"{run.feedtool_version}, commit {git_commit()} (run as `{run.tool.shown}`)"
    info["load average (1 min)"] = (
        f"{run.load} (other work on the machine makes the figures noisier)"
    )
    info["Hugo"] = run.hugo_version if run.hugo else run.hugo_note
    if run.hugo and run.hugo_note != "found":
        info["Hugo"] += f" ({run.hugo_note} by this run)"
    sizes = "; ".join(
        f"N={r.corpus.n:,}: {r.corpus.size_bytes() / 1e6:.1f} MB of Markdown" for r in run.reports
    )
    growth = (
        markdown_table(growth_rows(run.reports))
        if len(run.reports) > 1
        else "Only one size was measured."
    )
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"Written by `bench/run.py` (`make bench`) on {run.started:%Y-%m-%d %H:%M} UTC, in "
            f"{run.seconds / 60:.1f} minutes. Do not edit by hand: run it again.",
            "",
            f"**{headline(run)}**",
            "",
            "## Machine",
            "",
            *[f"- {key}: {value}" for key, value in info.items()],
            "",
            "## Corpus",
            "",
            f"A synthetic Chinese tech blog from `bench/corpus.py` (seed {run.args.seed}): posts "
            "of 2-4 KB with YAML front matter, paragraphs, lists, links, images, code, "
            f"`<!--more-->` in about half, ~1% drafts, dates over 15 years in five forms. {sizes}.",
            "",
            "## Commands",
            "",
            "```sh",
            *commands(run),
            "```",
            "",
            "## Results",
            "",
            f"Medians of {run.args.runs} rounds; each round runs Hugo and every feedtool command "
            "once, so that a ratio compares runs made in the same minutes.",
            "",
            markdown_table(results_rows(run.reports, run.startup)),
            "",
            "## Targets",
            "",
            markdown_table(target_rows(run.reports, run.startup)),
            "",
            "## Growth with N",
            "",
            growth,
            "",
            "## Checks",
            "",
            *[
                f"- N={r.corpus.n:,}: {key}: {value}"
                for r in run.reports
                for key, value in r.checks.items()
            ],
            "",
            "## Notes",
            "",
            *[f"- {line}" for line in notes(run)],
            "",
        ]
    )


def console(run: Run) -> str:
    """What bench/run.py prints at the end."""
    parts = [
        "",
        markdown_table(results_rows(run.reports, run.startup)),
        "",
        markdown_table(target_rows(run.reports, run.startup)),
    ]
    if len(run.reports) > 1:
        parts += ["", markdown_table(growth_rows(run.reports))]
    parts.append("")
    parts += [
        f"check N={r.corpus.n:,}: {key}: {value}"
        for r in run.reports
        for key, value in r.checks.items()
    ]
    parts += [f"page cache: {run.cache.state()}", headline(run), f"total {run.seconds:.0f} s"]
    return "\n".join(parts)
