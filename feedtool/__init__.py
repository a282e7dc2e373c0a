"""feedtool: Markdown posts to Atom, RSS and JSON Feed, and a weekly email digest."""

__version__ = "0.1.0"
