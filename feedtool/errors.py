"""feedtool's own exceptions; only cli.py turns them into exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnostics import Diagnostic


class FeedtoolError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""


class ConfigError(FeedtoolError):
    """feedtool.toml is missing, unreadable or has a wrong key (exit 2)."""


class OutputError(FeedtoolError):
    """An output could not be written (exit 2); nothing was replaced."""


class InputError(FeedtoolError):
    """The posts have errors (already reported as diagnostics): exit 1."""


class PostError(InputError):
    """A post fails at a later stage than checking (e.g. too complex to render): exit 1."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
