"""How many dates per second feedtool.dates.parse_date reads, on one core.

Run from the repository root:  python bench/bench_dates.py [--runs 7] [--seconds 0.3]

Prints the median of several runs for the seed's form (Hugo zh, `八月 24, 2025`), for a
mixed list of ~50 forms, and, as a baseline in the same run, dateutil.parser.parse on ISO
strings next to parse_date on the same strings.  Numbers are reported, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dateutil import parser as dateutil_parser

from feedtool.dates import parse_date

NOW = datetime(2025, 8, 27, 2, 30, 15, tzinfo=UTC)

SEED = ["八月 24, 2025"]

MIXED = [
    "八月 24, 2025",
    "十一月 3, 2024",
    "2025年8月24日 下午3:04",
    "二〇二五年八月廿四日",
    "２０２５／８／２４",
    "2025-08-24 10:00:00 +0800 CST",
    "Sun, 24 Aug 2025 10:00:00 +0800",
    "8月24日",
    "昨天 15:04",
    "3小时前",
    "北京时间 2025年8月24日 15:04",
    "2025-08-24T10:00:00Z",
    "2025-08-24T10:00:00.123+08:00",
    "2025-08-24 10:00",
    "2025/8/24 10:00",
    "2025.08.24",
    "Aug 24, 2025",
    "August 24, 2025 3:04 PM",
    "24 Aug 2025",
    "Sunday, August 24, 2025",
    "Sun, 24 Aug 2025 10:00:00 GMT",
    "2025年08月24日 星期日 15:04:05",
    "2025年8月24日(周日)",
    "2025-08-24 15:04 (中国标准时间)",
    "民國114年8月24日",
    "二〇二五年八月二十四日",
    "8月24日 下午3点半",
    "今天 10:30",
    "昨晚8点",
    "3天前",
    "两小时前",
    "半小时前",
    "周日 15:00",
    "上午12点",
    "中午1点",
    "下午15:04",
    "凌晨3点",
    "晚上8点",
    "2025-08-24 10:00 UTC+8",
    "2025-08-24 10:00 GMT+0800",
    "2025-08-24 10:00 +08",
    "十五时零四分",
    "08:30",
    "10时30分",
    "08-24",
    "刚刚",
    "Sun Aug 24 2025 15:04:05 GMT+0800 (中国标准时间)",
    "2月29日",
    "2025年8月24日 下午3時04分",
    "2025-08-24 15:04:05 +0800 +0800",
]

ISO = [
    "2025-08-24T10:00:00+08:00",
    "2025-08-24T10:00:00Z",
    "2025-08-24T10:00:00.123+08:00",
    "2025-08-24 15:04:05-07:00",
    "2025-01-05T23:59:59+00:00",
]


def rate(parse: Callable[[str], object], texts: list[str], runs: int, seconds: float) -> float:
    """Median dates per second over `runs` runs of about `seconds` each."""

    def run(loops: int) -> float:
        start = time.perf_counter()
        for _ in range(loops):
            for text in texts:
                parse(text)
        return time.perf_counter() - start

    loops = 1
    while (elapsed := run(loops)) < seconds / 4:  # calibrate, warming caches on the way
        loops *= 2
    loops = max(1, round(loops * seconds / elapsed))
    return statistics.median(loops * len(texts) / run(loops) for _ in range(runs))


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--runs", type=int, default=7)
    cli.add_argument("--seconds", type=float, default=0.3, help="length of one run")
    args = cli.parse_args()

    def ours(text: str) -> object:
        return parse_date(text, tz="Asia/Shanghai", now=NOW)

    for text in MIXED + ISO:  # every benchmarked string must parse
        ours(text)

    seed = rate(ours, SEED, args.runs, args.seconds)
    mixed = rate(ours, MIXED, args.runs, args.seconds)
    iso = rate(ours, ISO, args.runs, args.seconds)
    baseline = rate(dateutil_parser.parse, ISO, args.runs, args.seconds)

    print(f"python {sys.version.split()[0]}, median of {args.runs} runs, one core")
    print(f"{'seed form (八月 24, 2025)':34} {seed:>12,.0f} dates/s")
    print(f"{f'mixed list ({len(MIXED)} forms)':34} {mixed:>12,.0f} dates/s")
    print(f"{'ISO strings, parse_date':34} {iso:>12,.0f} dates/s")
    print(f"{'ISO strings, dateutil.parser.parse':34} {baseline:>12,.0f} dates/s")
    print(
        f"ratios to dateutil on ISO: seed {seed / baseline:.1f}x, mixed {mixed / baseline:.1f}x, "
        f"ISO {iso / baseline:.1f}x"
    )


if __name__ == "__main__":
    main()
