"""This tree against an earlier commit, interleaved on the same corpus: the ratio noise cannot fake.

    .venv/bin/python bench/compare.py --baseline a5d6e26                 # 10,000 posts, 7 rounds
    .venv/bin/python bench/compare.py --baseline HEAD~3 --posts 1000 --rounds 3

On a shared machine a command's time moves by 20% or more from minute to minute, so two sets of
runs made minutes apart cannot show a 10% change. Here each round runs every command once with
the baseline and once with this tree, back to back, and the medians of the rounds are compared.
Commands, as in `make bench` (bench/run.py): `build` cold (no output, no cache), `build` again
after appending a sentence to the newest post, the same two with tag feeds on, `validate` cold
and `digest --latest` cold.
Each tree runs from its source folder on PYTHONPATH (bytecode compiled once, on a first run that
is not timed) with this venv's libraries; the baseline is a temporary git worktree.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import COLD, REPO, TAGS_OFF, TAGS_ON, WARM, baseline_worktree  # noqa: E402  (bench/common.py, beside this file)
from run import DEFAULT_WORK, Corpus, Feedtool, make_cold, prepare  # noqa: E402

BUILD_COLD, BUILD_WARM = f"build ({COLD})", f"build ({WARM})"
TAGS_COLD, TAGS_WARM = f"{BUILD_COLD}, tag feeds", f"{BUILD_WARM}, tag feeds"
VALIDATE_COLD, DIGEST_COLD = f"validate ({COLD})", f"digest --latest ({COLD})"
COMMANDS = (BUILD_COLD, BUILD_WARM, TAGS_COLD, TAGS_WARM, VALIDATE_COLD, DIGEST_COLD)


def seconds(tool: Feedtool, site: Path, *args: str, tags: str = TAGS_OFF) -> float:
    """Seconds one feedtool command takes; a failure stops the comparison."""
    args = (*args, "--quiet")
    sample = tool.run(*args, cwd=site, tags=tags)
    if sample.returncode:
        raise subprocess.CalledProcessError(
            sample.returncode, tool.cmd(*args), stderr=sample.stderr
        )
    return sample.seconds


def round_of(tool: Feedtool, c: Corpus) -> dict[str, float]:
    """Each command once with `tool`."""
    times = {}
    make_cold(c.site)
    times[BUILD_COLD] = seconds(tool, c.site, "build")
    c.edit()
    times[BUILD_WARM] = seconds(tool, c.site, "build")
    make_cold(c.site)
    times[TAGS_COLD] = seconds(tool, c.site, "build", tags=TAGS_ON)
    c.edit()
    times[TAGS_WARM] = seconds(tool, c.site, "build", tags=TAGS_ON)
    make_cold(c.site)
    times[VALIDATE_COLD] = seconds(tool, c.site, "validate")
    make_cold(c.site)
    times[DIGEST_COLD] = seconds(tool, c.site, "digest", "--latest")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", required=True, metavar="REV", help="the commit to compare with"
    )
    parser.add_argument(
        "--posts", type=int, default=10_000, help="posts in the corpus (default 10,000)"
    )
    parser.add_argument("--rounds", type=int, default=7, help="rounds of every command (default 7)")
    args = parser.parse_args()
    c = prepare(DEFAULT_WORK, args.posts, seed=0, hugo=False)
    with baseline_worktree(args.baseline) as worktree:
        tools = {
            name: Feedtool.from_tree(tree, str(tree))
            for name, tree in (("baseline", worktree), ("this tree", REPO))
        }
        for tool in tools.values():  # compile each tree's bytecode, untimed
            round_of(tool, c)
        samples: dict[str, dict[str, list[float]]] = {
            name: {cmd: [] for cmd in COMMANDS} for name in tools
        }
        for number in range(1, args.rounds + 1):
            print(f"round {number} of {args.rounds} ...", file=sys.stderr)
            for name, tool in tools.items():
                for cmd, took in round_of(tool, c).items():
                    samples[name][cmd].append(took)
    print(
        f"{args.posts:,} posts, medians of {args.rounds} interleaved rounds; "
        f"baseline {args.baseline}"
    )
    print(f"  {'command':38s} {'baseline s':>10s} {'this tree s':>11s} {'ratio':>6s}")
    for cmd in COMMANDS:
        base, new = (statistics.median(samples[name][cmd]) for name in tools)
        print(f"  {cmd:38s} {base:10.3f} {new:11.3f} {new / base:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
