"""`python -m feedtool` runs the command line."""

from .cli import cli

cli(prog_name="feedtool")
