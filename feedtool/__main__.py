"""`python -m feedtool` runs the command line."""

from .cli import main

main()
