"""Pages as a reader sees them, in Debian's headless Chromium: screenshots, and the width of the
page inside frames of phone and desktop widths, in Debian's Chromium (`make test` installs it).

Set FEEDTOOL_SCREENSHOTS=DIR to keep the PNGs for looking at.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SmtpRecorder, browse, need, subscriber_of
from techweek import write_tech_week
from test_serve import serving

WIDTHS = (320, 375, 600)


@pytest.fixture(scope="module")
def chromium() -> str:
    return need("chromium", "chromium-browser")


def _browse(chromium: str, page: Path, profile: Path, *options: str, timeout: float = 120) -> str:
    """Run headless Chromium on `page` with `options`; its standard output."""
    return browse(chromium, page.as_uri(), profile, *options, timeout=timeout)


def screenshot(
    chromium: str, page: Path, width: int, out: Path, *options: str, height: int = 1400
) -> tuple[int, int]:
    """Render `page` at `width` CSS pixels; return the PNG's (width, height)."""
    _browse(
        chromium,
        page,
        out.parent / f"profile-{out.stem}",
        f"--screenshot={out}",
        f"--window-size={width},{height}",
        *options,
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("FEEDTOOL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    return struct.unpack(">II", data[16:24])


def without_style(page: str) -> str:
    """`page` as clients that drop <style> show it (inline styles stay)."""
    return re.sub(r"<style\b.*?</style>", "", page, flags=re.DOTALL | re.IGNORECASE)


_MEASURE = """<script>
// WCAG 2 contrast of each piece of visible text against the first opaque background behind it.
function luminance(color) {
  const [r, g, b] = color.match(/[0-9.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function opaque(color) {
  const parts = color.match(/[0-9.]+/g); return parts.length < 4 || +parts[3] > 0;
}
function background(element, view, canvas) {
  for (; element; element = element.parentElement) {
    const color = view.getComputedStyle(element).backgroundColor;
    if (opaque(color)) return color;
  }
  return canvas;
}
function contrasts(doc, view) {
  const dark = view.matchMedia("(prefers-color-scheme: dark)").matches
    && view.getComputedStyle(doc.documentElement).colorScheme.includes("dark");
  const canvas = dark ? "rgb(18, 18, 18)" : "rgb(255, 255, 255)";
  const found = [];
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || !element.getClientRects().length) continue;
    const style = view.getComputedStyle(element);
    if (style.visibility !== "visible") continue;
    const [a, b] = [luminance(style.color), luminance(background(element, view, canvas))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    found.push([Math.round(ratio * 100) / 100, node.textContent.trim().slice(0, 30), style.color]);
  }
  return found;
}
window.addEventListener("load", () => {
  const found = {};
  for (const frame of document.querySelectorAll("iframe")) {
    const root = frame.contentDocument.documentElement;
    found[frame.id] = {scroll: root.scrollWidth, client: root.clientWidth,
                       dark: frame.contentWindow.matchMedia("(prefers-color-scheme: dark)").matches,
                       contrast: contrasts(frame.contentDocument, frame.contentWindow)};
  }
  document.getElementById("found").textContent = JSON.stringify(found);
});
</script>"""


def frames(pages: dict[str, str], widths: tuple[int, ...] = WIDTHS) -> str:
    """A host page with a row for each of `pages`: the page in an iframe of each width."""

    def row(name: str, page: str) -> str:
        label = f"{html.escape(name)}: {', '.join(map(str, widths))} px"
        shown = "".join(
            f'<iframe id="{name}@{width}" width="{width}" height="{FRAME_HEIGHT}" '
            f'style="border: 1px solid #888; vertical-align: top" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
            for width in widths
        )
        return f'<p style="font: 14px sans-serif; margin: 8px">{label}</p>{shown}'

    rows = "".join(row(name, page) for name, page in pages.items())
    return (
        f'<!DOCTYPE html><html><body style="margin: 0; background: #ccc">'
        f'<pre id="found" style="display: none"></pre>{rows}{_MEASURE}</body></html>'
    )


FRAME_HEIGHT = 800


def measure(
    chromium: str, pages: dict[str, str], tmp: Path, *, dark: bool = False
) -> dict[str, dict]:
    """{"name@width": {"scroll": px, "client": px, "dark": bool}} for each page in each frame."""
    host = tmp / f"measure-{'dark' if dark else 'light'}.html"
    host.write_text(frames(pages), encoding="utf-8")
    options = ["--window-size=1400,1000", "--dump-dom", *(["--force-dark-mode"] if dark else [])]
    dom = _browse(chromium, host, tmp / f"profile-{host.stem}", *options)
    found = re.search(r'<pre id="found"[^>]*>(.*?)</pre>', dom, re.DOTALL)
    assert found and found.group(1), dom[:2000]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [600, 375])
def test_digest_renders_at_desktop_and_phone_widths(
    chromium: str, blog: Path, run, tmp_path: Path, width: int
):
    assert run("digest", "--week", "2025-W34").exit_code == 0
    out = tmp_path / f"digest-{width}.png"
    size = screenshot(chromium, blog / "public" / "digest" / "2025-W34.html", width, out)
    assert size == (width, 1400)
    assert out.stat().st_size > 10_000  # text was drawn, not a blank page


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_pages_never_scroll_sideways_and_all_text_is_legible(
    chromium: str, blog: Path, run, tmp_path: Path, dark: bool
):
    """A tech blog's week (code first, long URLs and identifiers, wide tables and images): the
    digest, with its <style> block and without, and the archive page stay as wide as frames of
    320, 375 and 600 px, and every piece of their text has a WCAG contrast of at least 4.5:1,
    in light and in dark mode. The host page's screenshot is docs/digest-light.png (-dark)."""
    write_tech_week(blog)
    assert run("digest", "--week", "2025-W34").exit_code == 0
    folder = blog / "public" / "digest"
    page = (folder / "2025-W34.html").read_text(encoding="utf-8")
    pages = {
        "digest": page,
        "digest without <style>": without_style(page),
        "archive": (folder / "index.html").read_text(encoding="utf-8"),
    }
    found = measure(chromium, pages, tmp_path, dark=dark)
    assert len(found) == 9 and all(sizes["dark"] == dark for sizes in found.values())
    wide = {
        frame: (sizes["scroll"], sizes["client"])
        for frame, sizes in found.items()
        if sizes["scroll"] > sizes["client"]
    }
    assert not wide, wide
    for frame, sizes in found.items():
        assert len(sizes["contrast"]) > 5, frame
        low = [c for c in sizes["contrast"] if c[0] < 4.5]
        assert not low, (frame, low)
    scheme = "dark" if dark else "light"
    height = len(pages) * (FRAME_HEIGHT + 40)
    shot = screenshot(
        chromium,
        tmp_path / f"measure-{scheme}.html",
        1310,
        tmp_path / f"digest-{scheme}.png",
        *(["--force-dark-mode"] if dark else []),
        height=height,
    )
    assert shot == (1310, height)


@pytest.fixture
def served(blog: Path) -> Iterator[tuple[SmtpRecorder, str]]:
    """`feedtool serve` with its SMTP server: (recorder, url)."""
    with serving(blog) as pair:
        yield pair


def test_a_reader_signs_up_confirms_and_unsubscribes_in_chromium(
    chromium: str, served: tuple[SmtpRecorder, str], blog: Path
):
    """Playwright drives Debian's chromium (no downloaded browser) on a phone-sized, dark page."""
    from playwright.sync_api import sync_playwright
    from test_serve import SECRET, link_in, wait_for_mail

    from feedtool import tokens
    from feedtool.subscribers import Store

    recorder, url = served
    store = Store(blog / ".feedtool" / "subscribers.db")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme="dark")
            page.goto(f"{url}/subscribe")
            assert (
                page.evaluate("getComputedStyle(document.body).backgroundColor")
                == "rgb(17, 24, 39)"
            )
            assert (
                page.evaluate("document.documentElement.scrollWidth") <= 375
            )  # no sideways scrolling
            page.fill("#email", "browser@example.com")
            page.click("button[type=submit]")
            assert page.locator("h1").inner_text() == "请查收邮件"
            wait_for_mail(recorder, 1)
            page.goto(link_in(recorder.messages[0][2], "confirm"))
            assert page.locator("h1").inner_text() == "订阅成功"
            assert subscriber_of(store, "browser@example.com").status == "confirmed"
            ref = subscriber_of(store, "browser@example.com").ref
            page.goto(f"{url}/unsubscribe/{tokens.make(SECRET, 'unsubscribe', ref)}")
            assert (
                subscriber_of(store, "browser@example.com").status == "confirmed"
            )  # the page alone changes nothing
            page.click("button[type=submit]")
            assert page.locator("h1").inner_text() == "已退订"
            assert subscriber_of(store, "browser@example.com").status == "unsubscribed"
        finally:
            browser.close()
