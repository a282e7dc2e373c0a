"""The pixel size of a post's local image, read from its header (PNG, GIF, JPEG, WebP), so that
mail clients get `width` and `height` and never show a small image enlarged.

>>> size_of_image(b"GIF89a" + (120).to_bytes(2, "little") + (80).to_bytes(2, "little"))
(120, 80)
"""

from __future__ import annotations

import os
import posixpath
import struct
from urllib.parse import unquote, urlsplit

from . import sources
from .files import read_regular_file

# An image header is in its first bytes (a JPEG's size follows its EXIF and ICC segments, at
# most a few hundred KB); larger files are not read whole.
_MAX_IMAGE_BYTES = 64 << 20
_JPEG_SIZE_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def size_of_image(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from an image's bytes, or None if the format is not known."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return _positive(*struct.unpack(">II", data[16:24]))
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return _positive(*struct.unpack("<HH", data[6:10]))
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The size in the first start-of-frame segment, walking the segments from the start."""
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_SIZE_MARKERS:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return _positive(width, height)
        at += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Lossy (VP8), lossless (VP8L) or extended (VP8X) WebP."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return _positive(width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(data) >= 30:
        return _positive(
            int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
        )
    return None


def local_image_size(url: str, permalink: str, post_path: str, kind: str) -> tuple[int, int] | None:
    """The size of the file an image URL names, when that URL is on the post's own site and the
    file is beside the post (where its relative link pointed); None otherwise."""
    image, page = urlsplit(url), urlsplit(permalink)
    if (image.scheme, image.netloc) != (page.scheme, page.netloc) or not image.path.startswith("/"):
        return None
    base = page.path if page.path.endswith("/") else posixpath.dirname(page.path) + "/"
    relative = posixpath.relpath(unquote(image.path), base)
    for folder in sources.resource_folders(kind, post_path):
        try:
            data = read_regular_file(
                os.path.join(folder, *relative.split("/")),
                follow_symlinks=True,
                limit=_MAX_IMAGE_BYTES,
            )
        except (OSError, ValueError):  # missing, a folder or a device, a name with a NUL
            continue
        return size_of_image(data)
    return None
