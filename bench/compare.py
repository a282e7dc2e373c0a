"""This tree against an earlier commit, interleaved on the same corpus: the ratio noise cannot fake.

    .venv/bin/python bench/compare.py --baseline a5d6e26                 # 10,000 posts, 7 rounds
    .venv/bin/python bench/compare.py --baseline HEAD~3 --posts 1000 --rounds 3

On a shared machine a command's time moves by 20% or more from minute to minute, so two sets of
runs made minutes apart cannot show a 10% change. Here each round runs every command once with
the baseline and once with this tree, back to back, and the medians of the rounds are compared.
Commands, as in `make bench` (bench/run.py): `build` cold (no output, no cache), `build` again
after appending a sentence to the newest post, `validate` cold and `digest --latest` cold.
Each tree runs from its source folder on PYTHONPATH (bytecode compiled once, on a first run that
is not timed) with this venv's libraries; the baseline is a temporary git worktree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_WORK, Corpus, prepare  # noqa: E402  (bench/run.py, beside this file)

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("build (cold)", "build (warm, 1 post edited)", "validate (cold)", "digest --latest (cold)")


def feedtool(tree: Path, site: Path, *args: str) -> float:
    """Seconds one feedtool command takes, run from `tree`'s sources."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "feedtool", *args, "--quiet"], cwd=site, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def cold(site: Path) -> None:
    for name in ("public", ".feedtool-cache"):
        shutil.rmtree(site / name, ignore_errors=True)


def round_of(tree: Path, c: Corpus) -> dict[str, float]:
    """Each command once with `tree`."""
    times = {}
    cold(c.site)
    times["build (cold)"] = feedtool(tree, c.site, "build")
    c.edit()
    times["build (warm, 1 post edited)"] = feedtool(tree, c.site, "build")
    cold(c.site)
    times["validate (cold)"] = feedtool(tree, c.site, "validate")
    cold(c.site)
    times["digest --latest (cold)"] = feedtool(tree, c.site, "digest", "--latest")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, metavar="REV", help="the commit to compare with")
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the corpus (default 10,000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of every command (default 7)")
    args = parser.parse_args()
    c = prepare(DEFAULT_WORK, args.posts, seed=0)
    worktree = Path(tempfile.mkdtemp(prefix="feedtool-baseline-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(worktree), args.baseline], check=True)
    try:
        trees = {"baseline": worktree, "this tree": REPO}
        for tree in trees.values():  # compile each tree's bytecode, untimed
            round_of(tree, c)
        samples: dict[str, dict[str, list[float]]] = {name: {cmd: [] for cmd in COMMANDS} for name in trees}
        for number in range(1, args.rounds + 1):
            print(f"round {number} of {args.rounds} ...", file=sys.stderr)
            for name, tree in trees.items():
                for cmd, seconds in round_of(tree, c).items():
                    samples[name][cmd].append(seconds)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False)
    print(f"{args.posts:,} posts, medians of {args.rounds} interleaved rounds; baseline {args.baseline}")
    print(f"  {'command':30s} {'baseline s':>10s} {'this tree s':>11s} {'ratio':>6s}")
    for cmd in COMMANDS:
        base, new = (statistics.median(samples[name][cmd]) for name in trees)
        print(f"  {cmd:30s} {base:10.3f} {new:11.3f} {new / base:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
