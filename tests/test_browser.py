"""Pages as a reader sees them: headless Chromium screenshots (skipped where Chromium is absent).

Set FEEDTOOL_SCREENSHOTS=DIR to keep the PNGs for looking at.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def screenshot(page: Path, width: int, out: Path) -> tuple[int, int]:
    """Render `page` at `width` CSS pixels; return the PNG's (width, height)."""
    profile = out.parent / f"profile-{out.stem}"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out}",
         f"--window-size={width},1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("FEEDTOOL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("width", [600, 375])
def test_digest_renders_at_desktop_and_phone_widths(blog: Path, run, tmp_path: Path, width: int):
    assert run("digest", "--week", "2025-W34").exit_code == 0
    size = screenshot(blog / "public" / "digest" / "2025-W34.html", width, tmp_path / f"digest-{width}.png")
    assert size == (width, 1400)
    assert (tmp_path / f"digest-{width}.png").stat().st_size > 10_000  # text was drawn, not a blank page
