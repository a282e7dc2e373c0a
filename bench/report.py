"""Tables, targets and BENCHMARKS.md for bench/run.py's measurements.

Ratios divide a feedtool median by Hugo's median at the same N, in the same page-cache state and
with tag feeds the same (off or on). The issue's targets are judged at 10,000 posts (TARGET_N, or
the largest N below it when it was not measured) with the page cache warm, the state of the
issue's own Hugo figure; growth with N is judged on the step to the largest N.
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
    LARGE_N,
    REPO,
    TAGS_OFF,
    TAGS_ON,
    TARGET_N,
    WARM,
    Result,
    Run,
    SizeReport,
    shown,
)

# (command, mode, tag feeds) -> the largest allowed ratio to Hugo's RSS build, at TARGET_N.
RATIO_TARGETS = {
    ("build", COLD, TAGS_OFF): 0.5,
    ("build", WARM, TAGS_OFF): 0.15,
    ("build", COLD, TAGS_ON): 0.5,
    ("build", WARM, TAGS_ON): 0.15,
    ("validate", COLD, TAGS_OFF): 1.0,
    ("digest --latest", COLD, TAGS_OFF): 0.5,
}
MEMORY_TARGET_MB = 100.0
HELP_TARGET_S = 0.150
# Linear: from one N to the next, time grows at most this much more than the posts do.
LINEAR_SLACK = 1.15
GROWTH_ROWS = (
    ("build", COLD, TAGS_OFF),
    ("build", COLD, TAGS_ON),
    ("build", WARM, TAGS_OFF),
    ("validate", COLD, TAGS_OFF),
    ("digest --latest", COLD, TAGS_OFF),
    (HUGO, "", TAGS_OFF),
    (HUGO, "", TAGS_ON),
)


# ---------------------------------------------------------------- figures


def fmt(value: float | None, digits: int = 3, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def hugo_median(report: SizeReport, page_cache: str = CACHED, tags: str = TAGS_OFF) -> float | None:
    hugo = report.get(HUGO, "", page_cache, tags)
    return hugo.median if hugo and hugo.ok else None


def ratio(result: Result | None, report: SizeReport) -> float | None:
    """A feedtool median over Hugo's at the same N, page-cache state and tag feeds."""
    if result is None or not result.ok or not result.is_feedtool:
        return None
    base = hugo_median(report, result.page_cache, result.tags)
    return result.median / base if base else None


def ratio_target(result: Result, judged: int | None) -> float | None:
    """The issue's ratio target for this row, if it has one (N judged, page cache warm)."""
    if result.n != judged or result.page_cache != CACHED:
        return None
    return RATIO_TARGETS.get((result.command, result.mode, result.tags))


def judged_report(reports: list[SizeReport]) -> SizeReport | None:
    """The size the targets are judged at: TARGET_N, or the largest N below it, or the smallest."""
    below = [r for r in reports if r.corpus.n <= TARGET_N]
    return below[-1] if below else (reports[0] if reports else None)


# ---------------------------------------------------------------- tables


def results_rows(reports: list[SizeReport], startup: list[Result]) -> list[list[str]]:
    """The main table: one row per command, N and state; targets judged at TARGET_N."""
    rows = [
        [
            "command",
            "N",
            "tag feeds",
            "page cache",
            "median s",
            "min s",
            "max s",
            "spread",
            "CPU s",
            "peak MB",
            "ratio to Hugo",
            "target",
            "result",
        ]
    ]
    judged = judged_report(reports)
    largest = judged.corpus.n if judged else None
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
    tags = r.tags if r.n is not None else "—"
    if not r.ok:
        empty = [""] * 7
        return [r.label, n, tags, r.page_cache, r.status, *empty, target, "n/a" if target else ""]
    return [
        r.label,
        n,
        tags,
        r.page_cache,
        fmt(r.median),
        fmt(min(r.times)),
        fmt(max(r.times)),
        f"{r.spread:.0%}",
        fmt(r.cpu, 2),
        fmt(r.peak_mb, 1),
        fmt(x, 2, "×"),
        target,
        result,
    ]


def hugo_name(tags: str) -> str:
    return "Hugo's RSS build" if tags == TAGS_OFF else "Hugo's RSS and tag RSS build"


def target_rows(reports: list[SizeReport], startup: list[Result]) -> list[list[str]]:
    """The issue's targets, one line each, with what was measured."""
    rows = [["target", "measured", "result"]]
    big = judged_report(reports)
    if big is None:
        return rows
    posts = f"{big.corpus.n:,} posts"
    for (command, mode, tags), limit in RATIO_TARGETS.items():
        r = big.get(command, mode, tags=tags)
        x = ratio(r, big)
        base = hugo_median(big, tags=tags)
        if x is not None and r is not None:
            measured = f"{x:.2f}× ({r.median:.3f} s vs Hugo {base:.3f} s)"
        else:
            measured = r.status if r and r.status != "ok" else "no Hugo figure"
        rows.append(
            [
                f"{command} ({mode}), tag feeds {tags}, {posts} ≤ {limit:.2f}× {hugo_name(tags)}",
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
                f"{worst.peak_mb:.1f} MB (largest: {worst.label}, tag feeds {worst.tags})",
                verdict(worst.peak_mb <= MEMORY_TARGET_MB),
            ]
        )
    growth = growth_rows(reports)
    if len(reports) > 1:
        step = f"{reports[-2].corpus.n:,} to {reports[-1].corpus.n:,} posts"
        for line in growth[1:]:
            if line[-1] != "(reference)":
                rows.append(
                    [
                        f"{line[0]}, tag feeds {line[1]}: linear from {step} "
                        f"(time × / posts × ≤ {LINEAR_SLACK})",
                        line[-3],
                        line[-1],
                    ]
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


def growth(
    reports: list[SizeReport], command: str, mode: str, tags: str, cpu: bool = False
) -> list[float | None]:
    """For each step from one N to the next: time × over posts × (1.0: linear)."""
    times = []
    for report in reports:
        r = report.get(command, mode, tags=tags)
        times.append((r.cpu if cpu else r.median) if r and r.ok else None)
    factors = []
    for (a, b), (ta, tb) in zip(
        zip(reports, reports[1:], strict=False), zip(times, times[1:], strict=False), strict=True
    ):
        posts = b.corpus.n / a.corpus.n
        factors.append(tb / ta / posts if ta and tb else None)
    return factors


def growth_rows(reports: list[SizeReport]) -> list[list[str]]:
    """Median seconds at each N (page cache warm), and how much faster than the posts the time
    grows from each N to the next: wall time for each step, CPU time for the last."""
    steps = [f"{a.corpus.n:,}→{b.corpus.n:,}" for a, b in zip(reports, reports[1:], strict=False)]
    rows = [
        [
            "command",
            "tag feeds",
            *[f"s at N={r.corpus.n:,}" for r in reports],
            *[f"time × / posts ×, {step}" for step in steps],
            f"same, CPU s, {steps[-1]}" if steps else "CPU",
            "linear",
        ]
    ]
    if len(reports) < 2:
        return rows
    for command, mode, tags in GROWTH_ROWS:
        medians = []
        for report in reports:
            r = report.get(command, mode, tags=tags)
            medians.append(r.median if r and r.ok else None)
        wall = growth(reports, command, mode, tags)
        cpu = growth(reports, command, mode, tags, cpu=True)
        judged = verdict(None if wall[-1] is None else wall[-1] <= LINEAR_SLACK)
        rows.append(
            [
                f"{command} ({mode})" if mode else command,
                tags,
                *map(fmt, medians),
                *[fmt(f, 2) for f in wall],
                fmt(cpu[-1], 2),
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
    """feedtool/Hugo ratios at the judged N, and the growth to the largest N, one line."""
    big = judged_report(run.reports)
    if big is None:
        return "No sizes were measured."
    base = hugo_median(big)
    if base is None:
        return f"Hugo {run.hugo_note}: absolute figures only, no ratios."
    parts = []
    for command, mode, tags in RATIO_TARGETS:
        r = big.get(command, mode, tags=tags)
        x = ratio(r, big)
        name = f"{command} ({mode}{', tag feeds on' if tags == TAGS_ON else ''})"
        parts.append(f"{name} {x:.2f}×" if x is not None else f"{name} {r.status if r else '-'}")
    line = (
        f"feedtool / Hugo on {big.corpus.n:,} posts (Hugo's RSS build {base:.3f} s): "
        + "; ".join(parts)
        + "."
    )
    if len(run.reports) > 1 and run.reports[-1] is not big:
        a, b = run.reports[-2], run.reports[-1]
        ours = growth(run.reports, "build", COLD, TAGS_OFF)[-1]
        hugo = growth(run.reports, HUGO, "", TAGS_OFF)[-1]
        line += (
            f" From {a.corpus.n:,} to {b.corpus.n:,} posts, build (cold) time grows "
            f"{fmt(ours, 2)}× as fast as the posts (Hugo {fmt(hugo, 2)}×)."
        )
    return line


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
    """What the untimed all-posts Hugo build found at the largest N it was made at."""
    surveyed = [r for r in run.reports if r.checks.get(HUGO_DATES)]
    if not surveyed:
        return "not surveyed (no Hugo)."
    return (
        "an extra, untimed Hugo build listing every post (RSS limit -1) at "
        f"N={surveyed[-1].corpus.n:,} dated these published posts 0001-01-01, by the form of "
        f"their date: {surveyed[-1].checks[HUGO_DATES]}."
    )


def commands(run: Run) -> list[str]:
    sizes = ",".join(str(r.corpus.n) for r in run.reports)
    cold = f"rm -rf public {' '.join(CACHE_DIRS)};"
    hugo = "hugo --quiet -s bench/.work/hugo-N -d bench/.work/hugo-N/public"
    return [
        f"python bench/corpus.py bench/.work/feedtool-N --posts N --seed {run.args.seed}",
        f"python bench/corpus.py bench/.work/hugo-N --posts N --seed {run.args.seed} --layout hugo",
        "# in bench/.work/feedtool-N; feedtool.toml: "
        f'feed_limit = {FEED_LIMIT}, posts = "posts", out = "public",',
        "# [tag_feeds] enabled = false; feedtool-tags.toml: the same with "
        f"[tag_feeds] enabled = true, limit = {FEED_LIMIT}",
        f"{cold} feedtool build      # cold",
        "echo '...' >> posts/NEWEST.md; feedtool build      # warm, 1 post edited",
        f"{cold} feedtool build --config feedtool-tags.toml   # cold, tag feeds on (then warm)",
        f"{cold} feedtool validate   # and warm as above",
        f"{cold} feedtool digest --latest",
        f"rm -rf bench/.work/hugo-N/public; {hugo}",
        f"rm -rf bench/.work/hugo-N/public; {hugo} --config hugo.toml,hugo-tags.toml   # tag RSS",
        "sync; echo 3 > /proc/sys/vm/drop_caches   # before each 'page cache: dropped' run",
        "feedtool --help; python -c pass",
        f"# all of it, timed: .venv/bin/python bench/run.py --sizes {sizes} --runs {run.args.runs}"
        f" --large-runs {run.args.large_runs}",
        f"# (make bench SIZES={sizes})",
    ]


def rounds(run: Run) -> str:
    """How many rounds each size ran."""
    counts = {r.corpus.n: max((len(x.samples) for x in r.results), default=0) for r in run.reports}
    return ", ".join(f"{count} at N={n:,}" for n, count in counts.items())


def notes(run: Run) -> list[str]:
    """What a reader needs to interpret the figures."""
    page_cache = (
        "dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`) before every 'dropped' run; the "
        f"other runs find it warm. From {LARGE_N:,} posts, only warm runs are made"
        if run.cache.can_drop
        else f"warm in every run (could not drop: {run.cache.failure})"
    )
    return [
        f"Page cache: {page_cache}. Ratios compare rows in the same page-cache state; the targets "
        "use the warm rows, the state of the issue's Hugo figure (1.16 s on 10,000 posts).",
        "Cold: the first run with no output folder and no feedtool cache "
        f"({', '.join(CACHE_DIRS)}). Warm: a second run after appending one sentence to the "
        "newest post (so the edit must reach the feeds), for every command. Then `build` twice "
        "more: after appending a sentence to the oldest post (no feed shows it; the last build's "
        "choice holds), and after adding a post dated after all others (the choice cannot hold: "
        "every post is checked again). The added post is removed afterwards.",
        "Tag feeds: 'off' is feedtool.toml (`[tag_feeds] enabled = false`) beside Hugo with no "
        "taxonomies; 'on' is feedtool with `[tag_feeds] enabled = true, limit = "
        f"{FEED_LIMIT}` (Atom, RSS and JSON Feed per tag, under tags/) beside Hugo with "
        '`[taxonomies] tag = "tags"` and `[outputs] term = ["RSS"]` (one RSS per tag, of '
        f"{FEED_LIMIT} items: Hugo has one RSS limit). The corpus has "
        f"{len(corpus.TOPICS) + 6} distinct tags and no categories. Only `build` makes tag "
        "feeds, so validate and digest run with them off only.",
        f"Hugo's dates: {hugo_dates_note(run)} A date Hugo cannot read does not stop its build: "
        "the post is silently dated 0001-01-01 and sorts last, so Hugo's RSS lists the newest of "
        "the posts it could date (see Checks). Nothing had to be done to make Hugo build: the "
        "corpus quotes the Chinese and slash dates (YAML strings), as feedtool's sample posts do, "
        "and leaves the ISO ones unquoted (YAML timestamps). The survey is skipped from "
        f"{LARGE_N:,} posts.",
        f"Date forms in the largest corpus: {date_forms(run)}.",
        "The Hugo site (`bench/corpus.py --layout hugo`) renders only the home page's RSS (and "
        "with tags on, the tags' RSS), with Hugo's embedded template: "
        '`[outputs] home = ["RSS"]`; '
        "taxonomy, term, section, sitemap, robotsTXT and 404 disabled; posts cascaded to "
        '`_build.render = "link"` (listed with permalinks, no HTML pages of their own); '
        f"`hasCJKLanguage`; `[services.rss] limit = {FEED_LIMIT}` (`rssLimit` for older Hugo). "
        f"feedtool writes three feeds (Atom, RSS, JSON Feed) of the same {FEED_LIMIT} posts with "
        "full, sanitized HTML content; Hugo one RSS with summaries.",
        f"Peak memory, in MiB: {run.memory}. CPU s: user + system seconds of the process and "
        "the helpers it waited for (the median of the runs); on a busy machine it moves less "
        "than wall time, so the growth table gives it too.",
        f"Linear growth: from the second largest N to the largest, the time grows at most "
        f"{LINEAR_SLACK}× as fast as the number of posts (time ratio / posts ratio). Between "
        "small sizes start-up makes the ratio look better than linear.",
        "Timings: wall clock from spawning the process to reaping it, stdout discarded; median, "
        f"min and max of the rounds ({rounds(run)}; {run.args.startup_runs} runs for start-up). "
        "Spread: (max - min) / median, the noise of the machine (2 shared cores; other work ran "
        f"beside: load average {run.load}).",
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
            "`<!--more-->` in about half, ~1% drafts, dates over 15 years in five forms. "
            f"{sizes}.",
            "",
            "## Commands",
            "",
            "```sh",
            *commands(run),
            "```",
            "",
            "## Results",
            "",
            f"Medians of the rounds ({rounds(run)}); each round runs Hugo and every feedtool "
            "command once, so that a ratio compares runs made in the same minutes.",
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
