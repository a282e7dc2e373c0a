"""Instructions per post for reading posts, counted by valgrind: repeatable on a noisy machine.

    .venv/bin/python bench/instructions.py                     # this tree
    .venv/bin/python bench/instructions.py --baseline a5d6e26  # and a commit, side by side

Wall-clock figures on a shared 2-core machine move by 20% from run to run; callgrind counts the
instructions a run executes, which do not (the same count twice, whatever else the machine does).
For each tree it reads the first N posts of the synthetic corpus in one process, without cache or
process pool, twice: once as build and digest do (front matter only) and once as validate does
(whole files). Instructions per post = (count for N posts - count for 1 post) / (N - 1), so start-up
and imports cancel out. A baseline commit is checked out in a temporary git worktree; one from
before front-matter-only reading existed is measured reading whole files in both rows.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, baseline_worktree, tree_env  # noqa: E402  (bench/common.py, beside this file)
from run import DEFAULT_WORK, prepare  # noqa: E402

MODES = ("head", "whole")
# Run inside valgrind with the tree on PYTHONPATH; argv: N, "head" or "whole".
DRIVER = """
import gc, inspect, sys
from pathlib import Path
from feedtool import config
try:  # the reading pipeline lives in engine.py (listing in catalog.py) since issue 20
    from feedtool import catalog, engine as v
    collect = catalog.collect
except ImportError:
    import feedtool.validate as v
    collect = v.collect
site = config.load(Path("feedtool.toml"))
files = collect([site.posts])[: int(sys.argv[1])]
gc.set_threshold(100_000, 50, 100)  # as the command line sets it
v.PARALLEL_MIN = 10**9  # one process: the count is of the work, not of the pool
if "complete" in inspect.signature(v.analyze_all).parameters:
    v.analyze_all(files, site, None, complete=sys.argv[2] == "whole")
else:  # before front-matter-only reading: every read is whole
    v.analyze_all(files, site, None)
"""


def count(tree: Path, site: Path, posts: int, mode: str) -> int:
    """Instructions callgrind counts for one driver run in `site`."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={scratch}/out",
                sys.executable,
                "-c",
                DRIVER,
                str(posts),
                mode,
            ],
            cwd=site,
            env=tree_env(tree),
            capture_output=True,
            text=True,
            check=True,
        )
    collected = re.search(r"Collected : (\d+)", result.stderr)
    if collected is None:
        raise SystemExit(f"callgrind printed no instruction count:\n{result.stderr}")
    return int(collected[1])


def warm_up(tree: Path, site: Path) -> None:
    """Write the tree's bytecode (compiled once, like an installed package): the driver on 1 post
    in each mode, without valgrind, so no counted run compiles anything."""
    for mode in MODES:
        subprocess.run(
            [sys.executable, "-c", DRIVER, "1", mode],
            cwd=site,
            env=tree_env(tree),
            stdout=subprocess.DEVNULL,
            check=True,
        )


def per_post(tree: Path, site: Path, posts: int, mode: str) -> int:
    return (count(tree, site, posts, mode) - count(tree, site, 1, mode)) // (posts - 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--posts", type=int, default=1000, help="posts read per count (default 1000)"
    )
    parser.add_argument("--baseline", metavar="REV", help="also measure this commit")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install valgrind")
    site = prepare(
        DEFAULT_WORK / "instructions", args.posts, seed=0, hugo=False
    ).site  # exactly that many posts
    trees = [("this tree", REPO)]
    with ExitStack() as stack:
        if args.baseline:
            trees.append((args.baseline, stack.enter_context(baseline_worktree(args.baseline))))
        for _, tree in trees:
            warm_up(tree, site)
        rows = {
            name: {mode: per_post(tree, site, args.posts, mode) for mode in MODES}
            for name, tree in trees
        }
    print(
        f"instructions per post, reading {args.posts} posts in one process "
        "(valgrind --tool=callgrind)"
    )
    for mode, label in (
        ("head", "front matter only (build, digest)"),
        ("whole", "whole file (validate)"),
    ):
        line = f"  {label:36s} {rows['this tree'][mode]:>9,}"
        if args.baseline:
            base = rows[args.baseline][mode]
            line += f"   {args.baseline}: {base:>9,}   ratio {rows['this tree'][mode] / base:.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
