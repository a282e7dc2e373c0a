"""feedtool: Markdown posts to Atom, RSS and JSON Feed, and a weekly email digest.

The library's jobs (`feedtool.api`, see docs/api.md) are reachable from here, imported when
first used, so that `import feedtool` stays cheap:

    import feedtool
    site = feedtool.load_site()
    result = feedtool.build_site(site)
"""

from typing import Any

__version__ = "0.1.0"

# Set by `__main__`: this process is the feedtool program, which freezes what lives as long as it
# does out of the garbage collector's sight (`cache.collector_paused`); a library caller's is not.
program = False

__all__ = [
    "DigestRequest",
    "build_site",
    "load_site",
    "make_digest",
    "plan_delivery",
    "send_digest",
    "send_test",
    "smtp_server",
    "validate_posts",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'feedtool' has no attribute {name!r}")
