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
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import ConfigError
from .files import read_regular_file

KINDS = ("plain", "hugo", "hexo", "jekyll")
HUGO_CONFIGS = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)
HUGO_SECTIONS = ("posts", "post", "blog", "articles")
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")


@dataclass(frozen=True)
class Blog:
    """A blog's kind and the feedtool settings its own config provides."""

    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    excerpt_separator: str = ""  # Jekyll's site-wide excerpt separator
    names: dict[str, str] = field(
        default_factory=dict
    )  # feedtool's key -> the config's own (base_url: url)
    zone_note: str = ""  # set when the zone is the machine's: how it was found and how to pin it
    # What the generator decides and feedtool.toml does not set: Site's internal fields.
    rules: dict[str, Any] = field(default_factory=dict)


def detect(folder: Path) -> str:
    """The kind of blog in `folder`: hugo, hexo, jekyll, or plain (a posts/ folder)."""
    if (
        any((folder / name).is_file() for name in HUGO_CONFIGS)
        and (folder / "content").is_dir()
        or (folder / "config" / "_default").is_dir()
    ):
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


def config_text(path: Path | None) -> str:
    """A generator's config file as text ("" when there is none or it cannot be read)."""
    try:
        return read_regular_file(path, follow_symlinks=True).decode("utf-8-sig") if path else ""
    except (OSError, UnicodeDecodeError):
        return ""


def key_line(text: str, name: str, separators: str = ":=", start: int = 0) -> int | None:
    """The line of `text` (from `start`) setting the key `name` (`name:` or `name =`, any case)."""
    key = re.escape(name)
    found = re.compile(
        rf"^[ \t]*(?:{key}|\"{key}\"|'{key}')[ \t]*[{separators}]", re.MULTILINE | re.IGNORECASE
    )
    match = found.search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else None


# Hexo reads _config.yml through hexo-front-matter's escape: tabs that start a line become two
# spaces each, so that a block indented with tabs reads (js-yaml would refuse it).
_LEADING_TABS = re.compile(r"\n(\t+)")


def _read_config(path: Path, kind: str = "") -> dict[str, Any]:
    try:
        text = read_regular_file(path, follow_symlinks=True).decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8; save it as UTF-8") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = _load_yaml(
                _LEADING_TABS.sub(lambda tabs: "\n" + "  " * len(tabs[1]), text)
                if kind == "hexo"
                else text
            )
    except _YamlProblem as problem:
        raise ConfigError(
            f"{path}:{problem.line}:{problem.column}: {problem.message}"
            + _in_key(text, problem.start)
        ) from None
    except Exception as exc:  # TOML and JSON each raise their own kind of error, with its place
        raise ConfigError(f"{path}: cannot parse: {exc}") from None
    return _table(data)


def _table(value: object) -> dict[str, Any]:
    """`value` if it is a table, else an empty one: a setting of another type is ignored."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    """`value` if it is a list, else an empty one: a setting of another type is ignored."""
    return value if isinstance(value, list) else []


class _YamlProblem(Exception):
    """A YAML syntax error: where it was found, and the line of what it read then (`start`)."""

    def __init__(self, line: int, column: int, message: str, start: int = 0):
        super().__init__(message)
        self.line, self.column, self.message, self.start = line, column, message, start or line


def _load_yaml(text: str) -> Any:
    """YAML as libyaml reads it (Jekyll's Psych is libyaml; js-yaml, Hexo's, reads tabs between
    tokens as it does); a syntax error as a _YamlProblem with its place, in libyaml's words."""
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = " ".join(part for part in (exc.problem, exc.context and f"({exc.context})") if part)
        if mark is not None and "\t" in text.split("\n")[mark.line]:
            words += "; indent with spaces, not tabs"
        start = exc.context_mark.line + 1 if exc.context_mark else 0
        raise _YamlProblem(
            mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, words, start
        ) from None
    except yaml.YAMLError as exc:  # a character YAML refuses, say (no mark)
        raise _YamlProblem(1, 1, str(exc).split("\n")[0]) from None
    except RecursionError:
        raise _YamlProblem(1, 1, "nested too deeply") from None


def _in_key(text: str, line: int) -> str:
    """(in 'menu'): the top-level key whose value holds `line`, if any."""
    lines = text.split("\n")[:line]
    for candidate in reversed(lines):
        if match := re.match(r"([^\s#:][^:]*?)\s*:(\s|$)", candidate):
            return f" (in '{match[1].strip()}')"
    return ""


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
    params = _table(data.get("params"))
    lower = {k.lower(): v for k, v in data.items()}
    content = folder / str(lower.get("contentdir", "content"))
    section = next((s for s in HUGO_SECTIONS if (content / s).is_dir()), "posts")
    # Every section's pages are posts, as in Hugo's own feed; the pages at the root are not.
    settings: dict[str, Any] = {"posts": str(content)}
    _put(settings, "base_url", lower.get("baseurl"), config_file, "baseURL")
    _put(settings, "title", lower.get("title"), config_file)
    _put(
        settings,
        "language",
        _bcp47(lower.get("languagecode") or lower.get("defaultcontentlanguage")),
    )
    # Hugo reads dates without a zone in `timeZone`, else in UTC (whatever the machine's zone).
    _put(settings, "timezone", lower.get("timezone") or "UTC", config_file, "timeZone")
    _put(settings, "author", _name(params.get("author") or lower.get("author")))
    _put(
        settings, "description", params.get("description") or lower.get("description"), config_file
    )
    pattern = None
    if isinstance(lower.get("permalinks"), dict):  # [permalinks] posts = ..., or [permalinks.page]
        table = {k.lower(): v for k, v in lower["permalinks"].items()}
        page = _table(table.get("page"))
        pattern = page.get(section) or table.get(section)
    # Without a pattern, Hugo's URL is the file's path in content/, the slug replacing its name.
    settings["permalink"] = "{base_url}" + (
        _hugo_pattern(pattern) if isinstance(pattern, str) and pattern else "/{path}/{slug}/"
    )
    return Blog(
        "hugo",
        settings,
        config_file,
        names={
            "base_url": "baseURL",
            "timezone": "timeZone",
            "language": "languageCode",
            "permalink": "permalinks",
        },
        rules={"future": lower.get("buildfuture") is True},
    )


# Each generator's permalink placeholders as feedtool's fields (README, `permalink`); each field
# is spelled as the blog's generator spells it (`url_fields`).
_HUGO_TOKENS = {
    "year": "{year}",
    "month": "{month}",
    "monthname": "{monthname}",
    "day": "{day}",
    "title": "{title}",
    "slug": "{slug_or_title}",
    "filename": "{filename}",
    "contentbasename": "{filename}",
    "slugorfilename": "{slug}",
    "slugorcontentbasename": "{slug}",
    "section": "{section}",
    "sections": "{sections}",
}
_JEKYLL_TOKENS = {
    **{
        name: "{" + name + "}"
        for name in (
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "i_month",
            "i_day",
            "short_year",
            "y_day",
            "short_month",
            "long_month",
            "w_year",
            "week",
            "w_day",
            "short_day",
            "long_day",
            "title",
            "slug",
            "categories",
        )
    },
    "name": "{filename}",
    "slugified_categories": "{categories}",
    "output_ext": ".html",
}
_HEXO_TOKENS = {
    **{
        name: "{" + name + "}"
        for name in (
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "i_month",
            "i_day",
            "category",
        )
    },
    "title": "{path}/{filename}",
    "name": "{filename}",
    "post_title": "{title}",
    "id": "{front.id}",
}


def _hugo_pattern(pattern: str) -> str:
    out = _pattern(pattern, re.compile(r":(\w+)"), _HUGO_TOKENS)
    return out if out.startswith("/") else "/" + out


def _hexo_or_jekyll(folder: Path, kind: str) -> Blog:
    config_file = folder / ("_config.yml" if (folder / "_config.yml").is_file() else "_config.yaml")
    data = _read_config(config_file, kind) if config_file.is_file() else {}
    settings: dict[str, Any] = {}
    if kind == "hexo":
        source_dir = data.get("source_dir") or "source"
        if not isinstance(source_dir, str):
            raise ConfigError(
                f"{_where(config_file, 'source_dir')}: source_dir must be a folder name, "
                f"got {_kind(source_dir)}"
            )
        settings["posts"] = str(folder / source_dir / "_posts")
        _put(settings, "base_url", data.get("url"), config_file, "url")
        language = data.get("language")
        _put(
            settings,
            "language",
            _bcp47(language[0] if isinstance(language, list) and language else language),
        )
        pattern = str(data.get("permalink") or ":year/:month/:day/:title/")
        if data.get("post_asset_folder") and not pattern.endswith(("/", ".html")):
            pattern += "/"  # as Hexo ends such a permalink
        defaults = data.get("permalink_defaults")
        settings["permalink"] = post_pattern(pattern, "hexo", _table(defaults))
    else:
        settings["posts"] = str(folder / "_posts")
        url, baseurl = data.get("url"), data.get("baseurl")
        _put(
            settings,
            "base_url",
            (str(url).rstrip("/") + "/" + str(baseurl).strip("/")).rstrip("/")
            if url and baseurl
            else url,
            config_file,
            "url",
        )
        _put(settings, "language", _bcp47(data.get("lang") or data.get("locale")))
        pattern = str(data.get("permalink") or "date")
        pattern = _JEKYLL_STYLES.get(pattern, pattern)
        settings["permalink"] = post_pattern(pattern, "jekyll")
    _put(settings, "title", data.get("title"), config_file)
    _put(settings, "description", data.get("description") or data.get("subtitle"), config_file)
    _put(settings, "author", _name(data.get("author")))
    _put(settings, "timezone", data.get("timezone"), config_file)
    note = ""
    if "timezone" not in settings:  # Hexo (moment) and Jekyll (Ruby's Time) use the machine's zone
        settings["timezone"], origin = machine_zone()
        zone = settings["timezone"]
        note = (
            f"{config_file.name} sets no timezone: dates without one are read in {zone}, the zone "
            f"of this machine (from {origin}), as {kind.title()} does; pin it with "
            f"'timezone: {zone}' in {config_file.name} or feedtool.toml"
        )
    separator = str(data.get("excerpt_separator", "\n\n")) if kind == "jekyll" else ""
    # Jekyll publishes future posts only with `future: true`.
    # Hexo publishes future posts unless `future: false`, and formats a permalink's date in the
    # zone of the machine that builds (moment's local time), whatever `timezone` says.
    rules = (
        {
            **_hexo_private(data),
            "future": data.get("future", True) is not False,
            "url_timezone": settings["timezone"] if note else machine_zone()[0],
        }
        if kind == "hexo"
        else {"future": data.get("future") is True}
    )
    return Blog(
        kind,
        settings,
        config_file if config_file.is_file() else None,
        separator,
        {
            "base_url": "url",
            "description": "description" if data.get("description") else "subtitle",
        },
        zone_note=note,
        rules=rules,
    )


def _hexo_private(data: dict[str, Any]) -> dict[str, Any]:
    """The front matter keys and tags that keep a Hexo post private: hexo-hide-posts' filter key
    (`hidden`), hexo-blog-encrypt's `password` (and `encrypt`) and the tags it encrypts."""
    hide = _table(data.get("hide_posts"))
    key = (
        hide.get("filter")
        if isinstance(hide.get("filter"), str) and hide.get("filter")
        else "hidden"
    )
    encrypt = _table(data.get("encrypt"))
    tags = _list(encrypt.get("tags"))
    names = tuple(
        str(t["name"]) for t in tags if isinstance(t, dict) and t.get("name") and t.get("password")
    )
    return {"private_keys": (key, "password", "encrypt"), "private_tags": names}


# A POSIX TZ value without daylight saving rules: CST-8, UTC0, <+08>-8.
_POSIX_FIXED = re.compile(r"^(?:[A-Za-z]{3,}|<[^>]*>)([+-]?)(\d{1,2})$")


def machine_zone() -> tuple[str, str]:
    """The IANA name of this machine's zone, as Node and Ruby find it: the TZ environment
    variable, else /etc/localtime (else UTC); and where it came from. A ConfigError for a TZ
    that names no zone feedtool can read."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    tz = os.environ.get("TZ")
    if tz is not None:
        name = tz.removeprefix(":").strip()
        if fixed := _POSIX_FIXED.match(
            name
        ):  # POSIX counts hours west: CST-8 is UTC+8, as Etc/GMT-8
            hours = int(fixed[2])
            name = "UTC" if hours == 0 else f"Etc/GMT{'-' if fixed[1] == '-' else '+'}{hours}"
        elif "/zoneinfo/" in name:  # a path to a zone file
            name = name.split("/zoneinfo/", 1)[1]
        elif not name:
            name = "UTC"
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise ConfigError(
                f"the TZ environment variable ({tz!r}) names no IANA time zone; set timezone "
                "in the blog's config or feedtool.toml, e.g. timezone: Asia/Shanghai"
            ) from None
        return name, "TZ"
    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target:
        name = target.split("/zoneinfo/", 1)[1]
        try:
            ZoneInfo(name)
            return name, "/etc/localtime"
        except (ValueError, ZoneInfoNotFoundError):
            pass
    return "UTC", "neither TZ nor /etc/localtime names one"


_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_HEXO_PLACEHOLDER = re.compile(r":(\w*[^_\W])", re.ASCII)  # hexo-util's Permalink
_JEKYLL_PLACEHOLDER = re.compile(r":([a-z_]+)")  # Jekyll's URL


def _pattern(
    pattern: str,
    placeholder: re.Pattern[str],
    tokens: dict[str, str],
    other: Callable[[str], str] | None = None,
) -> str:
    """A generator's permalink (:year/:slug/) as feedtool's ({year}/{slug}/); `other` makes the
    field of a placeholder not in `tokens`, which otherwise stays as written."""
    out = []
    for index, part in enumerate(placeholder.split(pattern)):  # text, name, text, name, ...
        if index % 2 and part in tokens:
            out.append(tokens[part])
        elif index % 2 and other:
            out.append(other(part))
        else:
            out.append((":" if index % 2 else "") + part.replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def post_pattern(pattern: str, kind: str, defaults: dict[str, Any] | None = None) -> str:
    """A Jekyll or Hexo permalink (a site's, or a Jekyll post's own) as a feedtool pattern. A Hexo
    placeholder that is not built in is the post's front matter value (hexo-abbrlink's
    :abbrlink), else `defaults` (Hexo's permalink_defaults)."""
    pattern = pattern if pattern.startswith("/") else "/" + pattern
    if kind == "hexo":

        def front(name: str) -> str:
            default = defaults.get(name) if defaults else None
            fallback = str(default).replace("{", "").replace("}", "") if default is not None else ""
            return "{front." + name + (":" + fallback if fallback else "") + "}"

        return "{base_url}" + _pattern(pattern, _HEXO_PLACEHOLDER, _HEXO_TOKENS, front)
    return "{base_url}" + _pattern(pattern, _JEKYLL_PLACEHOLDER, _JEKYLL_TOKENS)


def _put(
    settings: dict[str, Any], key: str, value: Any, origin: Path | None = None, name: str = ""
) -> None:
    """Set `key` from a generator's config value (its `name` there, if not `key`), if it gives one.
    A value that cannot be text (a list, a table, true/false) is a ConfigError naming `origin`, its
    line and the key: taken for absent, it would be reported as missing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    elif value is not None and not isinstance(value, str):
        raise ConfigError(
            f"{_where(origin, name or key)}: {name or key} must be a string, got {_kind(value)}"
        )
    if isinstance(value, str) and value.strip():
        settings[key] = value.strip().rstrip("/") if key == "base_url" else value.strip()


def _where(path: Path | None, name: str) -> str:
    """`path:line` of the key `name` in a generator's config (the path alone if not found)."""
    line = key_line(config_text(path), name)
    return f"{path}:{line}" if line else str(path)


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a table", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


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
        out.append(
            part.title() if len(part) == 4 else part.upper() if len(part) in (2, 3) else part
        )
    return "-".join(out)


# Front matter -----------------------------------------------------------------------------------


def hugo_case(text: str) -> str:
    """Hugo's first step in making a URL of text: lower case, runs of spaces to one hyphen."""
    return "-".join(text.lower().split())


def default_slug(kind: str, path: str) -> str:
    """The slug a generator gives a file: a Hugo bundle's folder, urlized as Hugo does; a Jekyll
    name without its date."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.split(".")[0] in ("index", "_index") and kind in ("hugo", "hexo"):  # index.zh-cn.md too
        stem = os.path.basename(os.path.dirname(path)) or stem
    if kind == "jekyll" and (match := _JEKYLL_NAME.match(stem)):
        return match[4]
    if kind == "hugo":  # "Hello World" -> hello-world
        return hugo_case(stem)
    return stem


def url_fields(
    kind: str,
    names: frozenset[str],
    *,
    path: str,
    root: str,
    slug: str,
    title: str,
    front: dict[str, Any],
) -> dict[str, str]:
    """The values, URL-encoded, of the permalink fields in `names` that depend on more than the
    date, each as the generator of `kind` spells its own placeholder. A `front.KEY` field that the
    post does not set (and has no default) is missing from the result."""
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.relpath(os.path.dirname(path), root).replace(os.sep, "/")
    folder = "" if folder == "." or folder.startswith("..") else folder
    if kind == "hugo" and stem.split(".")[0] == "index":  # a page bundle: named by its folder
        folder, _, stem = folder.rpartition("/")
    parts = (
        [hugo_case(part) for part in folder.split("/") if part]
        if kind == "hugo"
        else folder.split("/")
    )
    own_slug = front.get("slug") if isinstance(front.get("slug"), (str, int, float)) else None
    values: dict[str, str] = {}
    for name in names:
        if name == "path":
            values[name] = "/".join(quote(part, safe="") for part in parts if part)
        elif name in ("section", "sections"):  # Hugo's (sub)sections: folders with an _index file
            depth = _hugo_section_depth(root, tuple(folder.split("/"))) if name == "sections" else 1
            values[name] = "/".join(quote(part, safe="") for part in parts[:depth])
        elif name == "filename":
            written = stem if kind != "hugo" else hugo_case(stem)
            values[name] = (
                quote(jekyll_slugify(written), safe=_JEKYLL_SAFE)
                if kind == "jekyll"
                else quote(written, safe="")
            )
        elif name == "slug_or_title":  # Hugo's :slug
            values[name] = quote(_urlize(str(own_slug) if own_slug is not None else title), safe="")
        elif name == "category":
            values[name] = "/".join(
                quote(part, safe="") for part in hexo_category(front.get("categories"))
            )
        elif name.startswith("front."):
            key, _, default = name[len("front.") :].partition(":")
            value = front.get(key)
            usable = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            text = str(value) if usable else default
            if text:
                values[name] = quote(text, safe="/")
        elif kind == "jekyll" and name in ("slug", "title"):  # Jekyll's :slug and :title
            written = (
                str(own_slug)
                if own_slug is not None
                else (_JEKYLL_NAME.match(stem) or [stem] * 5)[4]
            )
            values[name] = quote(jekyll_slugify(written, pretty=name == "title"), safe=_JEKYLL_SAFE)
        elif kind == "hugo" and name == "slug":  # Hugo lower-cases the paths it publishes
            values[name] = quote(
                _urlize(str(own_slug)) if own_slug is not None else hugo_case(stem), safe=""
            )
        elif kind == "hexo" and name == "title":  # Hexo's :post_title
            values[name] = quote(hexo_slugize(title).lower(), safe="")
    return values


_JEKYLL_SAFE = (
    "!$&'()*+,;=:@"  # what Jekyll's escape_path leaves in a path segment (RFC 3986 pchar)
)


def _urlize(text: str) -> str:
    """A title or slug as a URL path segment, the way Hugo makes one (config.urlize)."""
    return "".join(c for c in hugo_case(text) if c.isalnum() or c in "-._~+")


def _hugo_section_depth(root: str, parts: tuple[str, ...]) -> int:
    """How many of a page's folders are Hugo sections: the first, and each below it down to the
    deepest that holds an _index file."""
    depth = 1
    for index in range(2, len(parts) + 1):
        folder = os.path.join(root, *parts[:index])
        try:
            if any(name.startswith("_index.") for name in os.listdir(folder)):
                depth = index
        except OSError:
            pass
    return min(depth, len([p for p in parts if p]))


def jekyll_slugify(text: str, *, pretty: bool = False) -> str:
    """Jekyll's Utils.slugify: runs of other than letters, marks and digits (and, `pretty`, of
    ._~!$&'()+,;=@) become one hyphen, none at either end; lower case unless `pretty` (:title
    keeps the case)."""
    keep = "._~!$&'()+,;=@" if pretty else ""
    out = "".join(
        c
        if c in keep or unicodedata.category(c)[0] in "LM" or unicodedata.category(c) == "Nd"
        else "-"
        for c in text
    )
    out = re.sub("-{2,}", "-", out).strip("-")
    return out if pretty else out.lower()


_HEXO_SPECIAL = re.compile(r"""[\s~`!@#$%^&*()\-_+=\[\]{}|\\;:"'<>,.?/]+""")


def hexo_slugize(text: str) -> str:
    """hexo-util's slugize: control characters dropped, runs of punctuation and spaces to one
    hyphen, none at either end (its accent folding left out: Chinese titles have none)."""
    text = re.sub("[\\x00-\\x1f]", "", text)
    return _HEXO_SPECIAL.sub("-", text).strip("-")


def hexo_category(categories: Any) -> list[str]:
    """Hexo's :category: the last category with its parents, slugized (`[技术, Python]` is
    技术/Python; `[[技术, Python], 生活]` is 生活), else Hexo's default_category."""
    if isinstance(categories, str):
        categories = [categories]
    if not isinstance(categories, list) or not categories:
        return ["uncategorized"]
    last = categories[-1]
    chain = last if isinstance(last, list) else categories  # [[a, b], c]: c; [a, b]: a > b
    names = [hexo_slugize(str(item)) for item in chain if isinstance(item, (str, int, float))]
    return names or ["uncategorized"]


_COVER = re.compile(
    r"^(cover|feature|featured|thumbnail)\.(png|jpe?g|webp|gif|avif)$", re.IGNORECASE
)


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


# Each generator's name for feedtool's keys; feedtool's own name wins when both are set. Hugo's
# are its default [frontmatter] (the first key a post sets, in any case): date, else publishDate,
# else lastmod; its lastmod falls back to the date, as feedtool's `updated` does.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hugo": {
        "date": ("date", "publishdate", "pubdate", "published", "lastmod", "modified"),
        "updated": ("lastmod", "modified"),
        "publishDate": ("publishdate", "pubdate", "published"),
        "expiryDate": ("expirydate", "unpublishdate"),
    },
    "hexo": {},
    "jekyll": {"updated": ("last_modified_at",), "categories": ("category",)},
    # Posts brought from a generator into a plain folder keep their names: what they mean
    # without doubt is read (a Hexo draft's `published: false` must not publish it).
    "plain": {"updated": ("lastmod", "last_modified_at"), "categories": ("category",)},
}
_PLAIN_NAMES = frozenset(
    (
        *(alias for aliases in _ALIASES["plain"].values() for alias in aliases),
        "published",
        "description",
    )
)


def adapt(kind: str, front: Any, path: str) -> Any:
    """Map a generator's front matter onto feedtool's keys (a FrontMatter in, one out)."""
    if kind == "plain" and _PLAIN_NAMES.isdisjoint(
        front.values
    ):  # as nearly always: nothing to map
        return front
    values, texts = dict(front.values), dict(front.texts)
    positions, key_positions, ends = (
        dict(front.positions),
        dict(front.key_positions),
        dict(front.ends),
    )
    # Hugo's keys are case-insensitive (publishDate, publishdate); the others' are not.
    names = {key.lower(): key for key in reversed(front.values)} if kind == "hugo" else {}
    for key, aliases in _ALIASES.get(kind, {}).items():
        for alias in aliases:
            alias = names.get(alias, alias)
            # (Hugo's `published: false` is no date: Hugo skips it, and so does this.)
            if key not in values and alias in values and not isinstance(values[alias], bool):
                for table in (values, texts, positions, key_positions, ends):
                    if alias in table:
                        table[key] = table[alias]
    # The summary the generator's feed shows: `description` first (PaperMod, jekyll-feed and
    # hexo-generator-feed), then Hugo's `summary`, Hexo's and Jekyll's `excerpt`. (A plain
    # folder's own `summary` comes first.)
    for key in ("description", "excerpt") if kind in ("hexo", "jekyll") else ("description",):
        given = isinstance(values.get(key), str) and values[key].strip()
        if given and (kind != "plain" or "summary" not in values):
            for table in (values, texts, positions, key_positions, ends):
                if key in table:
                    table["summary"] = table[key]
            break
    if kind == "hugo" and _hugo_unlisted(values) and values.get("draft") is not True:
        values["draft"] = True  # not in Hugo's feeds: no feed of feedtool's either
    if values.get("published") is False and "draft" not in values:  # Hexo and Jekyll
        values["draft"] = True
    if kind == "jekyll":
        for key in ("tags", "categories"):  # a single string is a space-separated list in Jekyll
            if isinstance(values.get(key), str):
                values[key] = values[key].split()
        for key, text in texts.items():
            # Ruby's YAML reads an unquoted `2025-08-24 10:00:00` (a YAML timestamp: seconds, no
            # zone) as UTC, whatever `timezone` says; other dates are in the site's zone.
            if front.kind == "yaml" and _ZONELESS_TIMESTAMP.match(text) and not _quoted(front, key):
                texts[key] = text + " UTC"
        if "date" not in values and (written := filename_date(kind, path)):
            values["date"], texts["date"] = written, written
    if kind == "hexo":
        for key in ("tags", "categories"):  # a single string is one tag in Hexo
            if isinstance(values.get(key), str):
                values[key] = [values[key]]
    return front._replace(
        values=values, texts=texts, positions=positions, key_positions=key_positions, ends=ends
    )


_ZONELESS_TIMESTAMP = re.compile(r"\d{4}-\d\d?-\d\d?(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?$")


def _quoted(front: Any, key: str) -> bool:
    """Whether the YAML value of `key` is quoted (its position is its first character)."""
    line, column = front.positions.get(key, (0, 0))
    lines = front.source.split("\n")
    text = lines[line - 2] if 2 <= line < len(lines) + 2 else ""
    return text[column - 1 : column] in ("'", '"')


def _hugo_unlisted(values: dict[str, Any]) -> bool:
    """Whether Hugo leaves a page out of its lists and feeds: `headless`, or build options
    (`build` or `_build`) with `list: never` (or `local`: its section's lists only, not the
    site's feed) or `render: never` (no page to link to); false is the older never."""
    if values.get("headless") is True:
        return True
    for key in ("build", "_build"):
        options = values.get(key)
        if isinstance(options, dict):
            listed, rendered = options.get("list", "always"), options.get("render", "always")
            if listed in ("never", "local", False) or rendered in ("never", False):
                return True
    return False


def kept_private(
    values: dict[str, Any],
    tags: tuple[str, ...],
    keys: tuple[str, ...],
    private_tags: tuple[str, ...],
) -> bool:
    """Whether a plugin keeps a post out of every list and feed: a true or non-empty value of
    one of `keys` (hexo-hide-posts' `hidden`, hexo-blog-encrypt's `password`), or a tag that
    hexo-blog-encrypt encrypts."""
    return any(values.get(key) not in (None, False, "", 0) for key in keys) or not set(
        private_tags
    ).isdisjoint(tags)
