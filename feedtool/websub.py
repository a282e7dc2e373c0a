"""WebSub: tell the hub that feeds changed, so subscribers get new posts in seconds."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from . import __version__
from .errors import FeedtoolError


class PingError(FeedtoolError):
    """The hub could not be told (the feeds were written all the same)."""


def ping(hub: str, feed_urls: Iterable[str], *, timeout: float = 20.0) -> None:
    """POST hub.mode=publish for each feed URL (one request each, as hubs expect); PingError
    for the first that fails."""
    for url in feed_urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode()
        request = urllib.request.Request(
            hub,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"feedtool/{__version__}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise PingError(f"hub {hub} answered {exc.code} {exc.reason} for {url}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PingError(f"cannot reach hub {hub}: {reason}") from None
