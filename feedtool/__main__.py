"""`feedtool` and `python -m feedtool`: the command line (`cli`), started and ended quickly.

The process tricks live here, and only here: they are the program's, not the library's.
"""

import gc
import os
import sys
from typing import Any


def main() -> None:
    """`cli`, then an exit that skips tearing down the interpreter.

    Importing the command line makes some 100,000 objects and no garbage: the cyclic collector
    would only walk them, over and over. So they are imported with it off, then moved out of its
    sight for good. A large blog is as many small objects again, which live for the whole run:
    the collector runs less often. At the end, freeing them one by one would take a good part of
    a warm build: every output is written and closed by then, so only the standard streams are
    flushed, and the process leaves with os._exit. (Tests call `cli` in-process and keep the
    normal exit.)
    """
    gc.disable()
    import feedtool
    from feedtool.cli import cli

    feedtool.program = True
    gc.freeze()
    gc.enable()
    gc.set_threshold(100_000, 50, 100)
    try:
        cli(prog_name="feedtool")
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"): as Python does it
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: let Python report and exit as usual
        raise SystemExit(code) from None
    os._exit(code or 0)


if __name__ == "__main__":
    main()
