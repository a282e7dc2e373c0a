"""`feedtool` and `python -m feedtool`: the command line (`cli.main`), started quickly."""

import gc


def main() -> None:
    # Importing the command line makes some 100,000 objects and no garbage: the cyclic collector
    # would only walk them, over and over (5 ms of every run). So they are imported with it off,
    # then moved out of its sight for good, and it is back on for the run itself.
    gc.disable()
    from .cli import main as run

    gc.freeze()
    gc.enable()
    run()


if __name__ == "__main__":
    main()
