"""Where posts live and what a blog's own config says: plain posts/, Hugo, Hexo and Jekyll.

feedtool reads these blogs as they are: the site settings feedtool.toml does not set come from
hugo.toml / config.yaml / _config.yml, and each generator's front matter keys are mapped onto
feedtool's (`adapt`), so one post format flows through the rest of the program.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .files import read_regular_file

KINDS = ("plain", "hugo", "hexo", "jekyll")
HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
                "config.json")
HUGO_SECTIONS = ("posts", "post", "blog", "articles")
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")


@dataclass(frozen=True)
class Blog:
    """A blog's kind and the feedtool settings its own config provides."""

    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    excerpt_separator: str = ""  # Jekyll's site-wide excerpt separator


def detect(folder: Path) -> str:
    """The kind of blog in `folder`: hugo, hexo, jekyll, or plain (a posts/ folder)."""
    if any((folder / name).is_file() for name in HUGO_CONFIGS) and (folder / "content").is_dir() \
            or (folder / "config" / "_default").is_dir():
        return "hugo"
    if (folder / "_config.yml").is_file() or (folder / "_config.yaml").is_file():
        if (folder / "source" / "_posts").is_dir() or (folder / "scaffolds").is_dir():
            return "hexo"
        if (folder / "_posts").is_dir():
            return "jekyll"
    return "plain"


def read_blog(folder: Path, kind: str) -> Blog:
    """The settings a blog's own config gives feedtool (none for plain)."""
    if kind == "hugo":
        return _hugo(folder)
    if kind in ("hexo", "jekyll"):
        return _hexo_or_jekyll(folder, kind)
    return Blog("plain")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = read_regular_file(path, follow_symlinks=True).decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception as exc:  # TOML, JSON and YAML each raise their own kind of error
        raise ConfigError(f"{path}: cannot parse: {exc}") from None
    return data if isinstance(data, dict) else {}


def _hugo(folder: Path) -> Blog:
    config_file = next((folder / n for n in HUGO_CONFIGS if (folder / n).is_file()), None)
    data: dict[str, Any] = _read_config(config_file) if config_file else {}
    default = folder / "config" / "_default"
    for name in HUGO_CONFIGS:
        if (default / name).is_file():
            config_file = config_file or default / name
            data = {**_read_config(default / name), **data}
    for name in ("params.toml", "params.yaml", "params.yml", "params.json"):
        if (default / name).is_file():
            data["params"] = {**_read_config(default / name), **(data.get("params") or {})}
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    lower = {k.lower(): v for k, v in data.items()}
    content = folder / str(lower.get("contentdir", "content"))
    section = next((s for s in HUGO_SECTIONS if (content / s).is_dir()), "")
    settings: dict[str, Any] = {"posts": str((content / section) if section else content)}
    _put(settings, "base_url", lower.get("baseurl"), config_file)
    _put(settings, "title", lower.get("title"), config_file)
    _put(settings, "language", _bcp47(lower.get("languagecode") or lower.get("defaultcontentlanguage")))
    _put(settings, "timezone", lower.get("timezone"), config_file)
    _put(settings, "author", _name(params.get("author") or lower.get("author")))
    _put(settings, "description", params.get("description") or lower.get("description"), config_file)
    pattern = None
    if isinstance(lower.get("permalinks"), dict):  # [permalinks] posts = ..., or [permalinks.page]
        table = {k.lower(): v for k, v in lower["permalinks"].items()}
        page = table.get("page") if isinstance(table.get("page"), dict) else {}
        pattern = page.get(section or "posts") or table.get(section or "posts")
    if isinstance(pattern, str) and pattern:
        settings["permalink"] = "{base_url}" + _hugo_pattern(pattern, section or "posts")
    elif section:
        settings["permalink"] = "{base_url}/" + section + "/{slug}/"
    return Blog("hugo", settings, config_file)


def _hugo_pattern(pattern: str, section: str) -> str:
    # Hugo's :title is the urlized title; its :slug is the slug (front matter or file name).
    out = _pattern(pattern, {":year": "{year}", ":month": "{month}", ":day": "{day}", ":slug": "{slug}",
                             ":title": "{title}", ":filename": "{slug}", ":contentbasename": "{slug}",
                             # feedtool's slug is already the front matter's, else the file's (or bundle's) name
                             ":slugorfilename": "{slug}", ":slugorcontentbasename": "{slug}",
                             ":section": section, ":sections": section})
    return out if out.startswith("/") else "/" + out


def _hexo_or_jekyll(folder: Path, kind: str) -> Blog:
    config_file = folder / ("_config.yml" if (folder / "_config.yml").is_file() else "_config.yaml")
    data = _read_config(config_file) if config_file.is_file() else {}
    settings: dict[str, Any] = {}
    if kind == "hexo":
        settings["posts"] = str(folder / str(data.get("source_dir") or "source") / "_posts")
        _put(settings, "base_url", data.get("url"), config_file)
        language = data.get("language")
        _put(settings, "language", _bcp47(language[0] if isinstance(language, list) and language else language))
        pattern = data.get("permalink") or ":year/:month/:day/:title/"
        settings["permalink"] = post_pattern(str(pattern).lstrip("/"))
    else:
        settings["posts"] = str(folder / "_posts")
        url, baseurl = data.get("url"), data.get("baseurl")
        _put(settings, "base_url", (str(url).rstrip("/") + "/" + str(baseurl).strip("/")).rstrip("/")
             if url and baseurl else url, config_file)
        _put(settings, "language", _bcp47(data.get("lang") or data.get("locale")))
        pattern = str(data.get("permalink") or "date")
        pattern = _JEKYLL_STYLES.get(pattern, pattern)
        settings["permalink"] = post_pattern(pattern)
    _put(settings, "title", data.get("title"), config_file)
    _put(settings, "description", data.get("description") or data.get("subtitle"), config_file)
    _put(settings, "author", _name(data.get("author")))
    _put(settings, "timezone", data.get("timezone"), config_file)
    separator = str(data.get("excerpt_separator", "\n\n")) if kind == "jekyll" else ""
    return Blog(kind, settings, config_file if config_file.is_file() else None, separator)


_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def _hexo_jekyll_pattern(pattern: str) -> str:
    return _pattern(pattern, {":year": "{year}", ":month": "{month}", ":day": "{day}", ":i_month": "{i_month}",
                              ":i_day": "{i_day}", ":title": "{slug}", ":slug": "{slug}", ":name": "{slug}",
                              ":post_title": "{slug}", ":categories": "{categories}", ":category": "{categories}",
                              ":slugified_categories": "{categories}",
                              ":output_ext": ".html", ":short_year": "{short_year}"})


def _pattern(pattern: str, tokens: dict[str, str]) -> str:
    """A generator's permalink (:year/:slug/) as feedtool's ({year}/{slug}/); longest tokens first."""
    out = pattern.replace("{", "{{").replace("}", "}}")
    for token in sorted(tokens, key=len, reverse=True):
        out = out.replace(token, tokens[token])
    return out


def post_pattern(pattern: str) -> str:
    """A Jekyll/Hexo permalink with placeholders (a site's, or a post's own), as a feedtool pattern."""
    return "{base_url}" + _hexo_jekyll_pattern(pattern if pattern.startswith("/") else "/" + pattern)


def _put(settings: dict[str, Any], key: str, value: Any, origin: Path | None = None) -> None:
    """Set `key` from a generator's config value, if it gives one. A value that cannot be text (a
    list, a table, true/false) is a ConfigError naming `origin`: taken for absent, it would
    be reported as missing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    elif value is not None and not isinstance(value, str):
        kind = {list: "a list", dict: "a table", bool: "true/false"}.get(type(value), type(value).__name__)
        raise ConfigError(f"{origin}: {key} must be a string, got {kind}")
    if isinstance(value, str) and value.strip():
        settings[key] = value.strip().rstrip("/") if key == "base_url" else value.strip()


def _name(value: Any) -> str | None:
    """An author given as text, {name: ...} or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def _bcp47(value: Any) -> str | None:
    """zh-cn / zh_CN / zh-hans-cn -> zh-CN / zh-Hans-CN (feeds want BCP 47's casing)."""
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) in (2, 3) else part)
    return "-".join(out)


# Front matter -----------------------------------------------------------------------------------

def hugo_case(text: str) -> str:
    """Hugo's first step in making a URL of text: lower case, runs of spaces to one hyphen."""
    return "-".join(text.lower().split())


def default_slug(kind: str, path: str) -> str:
    """The slug a generator gives a file: a Hugo bundle's folder, urlized as Hugo does; a Jekyll
    name without its date."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem in ("index", "_index") and kind in ("hugo", "hexo"):
        stem = os.path.basename(os.path.dirname(path)) or stem
    if kind == "jekyll" and (match := _JEKYLL_NAME.match(stem)):
        return match[4]
    if kind == "hugo":  # "Hello World" -> hello-world
        return hugo_case(stem)
    return stem


_COVER = re.compile(r"^(cover|feature|featured|thumbnail)\.(png|jpe?g|webp|gif|avif)$", re.IGNORECASE)


def bundle_cover(kind: str, path: str) -> str | None:
    """A Hugo page bundle's cover image (cover.png, feature.jpg, ... beside index.md)."""
    if kind != "hugo" or os.path.basename(path) != "index.md":
        return None
    try:
        names = sorted(os.listdir(os.path.dirname(path) or "."))
    except OSError:
        return None
    return next((name for name in names if _COVER.match(name)), None)


def resource_folders(kind: str, path: str) -> list[str]:
    """Where a post's relative links point on disk: beside it, and Hexo's asset folder."""
    folder = os.path.dirname(path)
    if kind == "hexo":
        return [folder, os.path.join(folder, os.path.splitext(os.path.basename(path))[0])]
    return [folder]


def filename_date(kind: str, path: str) -> str | None:
    """Jekyll's post date from its file name (2025-08-24-title.md), when front matter has none."""
    if kind != "jekyll":
        return None
    match = _JEKYLL_NAME.match(os.path.splitext(os.path.basename(path))[0])
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else None


# Each generator's name for feedtool's keys; feedtool's own name wins when both are set.
_ALIASES = {
    "hugo": {"updated": ("lastmod",), "date": ("publishDate",)},
    "hexo": {},
    "jekyll": {"updated": ("last_modified_at",), "categories": ("category",)},
    # Posts brought from a generator into a plain folder keep their names: what they mean
    # without doubt is read (a Hexo draft's `published: false` must not publish it).
    "plain": {"updated": ("lastmod", "last_modified_at"), "categories": ("category",)},
}
_PLAIN_NAMES = frozenset((*(alias for aliases in _ALIASES["plain"].values() for alias in aliases), "published"))


def adapt(kind: str, front: Any, path: str) -> Any:
    """Map a generator's front matter onto feedtool's keys (a FrontMatter in, one out)."""
    if kind == "plain" and _PLAIN_NAMES.isdisjoint(front.values):  # as nearly always: nothing to map
        return front
    values, texts = dict(front.values), dict(front.texts)
    positions, key_positions, ends = dict(front.positions), dict(front.key_positions), dict(front.ends)
    for key, aliases in _ALIASES.get(kind, {}).items():
        for alias in aliases:
            if key not in values and alias in values:
                for table in (values, texts, positions, key_positions, ends):
                    if alias in table:
                        table[key] = table[alias]
    if values.get("published") is False and "draft" not in values:  # Hexo and Jekyll
        values["draft"] = True
    if kind == "jekyll":
        for key in ("tags", "categories"):  # a single string is a space-separated list in Jekyll
            if isinstance(values.get(key), str):
                values[key] = values[key].split()
        if "date" not in values and (written := filename_date(kind, path)):
            values["date"], texts["date"] = written, written
    if kind == "hexo":
        for key in ("tags", "categories"):  # a single string is one tag in Hexo
            if isinstance(values.get(key), str):
                values[key] = [values[key]]
    return front._replace(values=values, texts=texts, positions=positions, key_positions=key_positions, ends=ends)


