"""Generator tags in post bodies rendered as the generator renders them, before Markdown.

Hexo's tag plugins (`{% asset_img a.png %}`), Jekyll's Liquid tags (`{% raw %}`, `{% include %}`,
`{{ site.baseurl }}`) and Hugo's shortcodes (`{{< figure >}}`) become the HTML or Markdown they
publish, with absolute URLs. Any other tag is left out (`findings` names it: FT305), so that no
template syntax reaches a feed or the digest. Nothing is executed: each known tag is a small
function of its arguments, and Jekyll's includes are filled in, not run.

>>> md = expand("{{< youtube abc >}}", "hugo", "https://e.com/p/", "https://e.com",
...             lambda kind, ref: None)
>>> print(md.replace("](", "]\\n("))
[![YouTube video abc]
(https://i.ytimg.com/vi/abc/hqdefault.jpg)]
(https://www.youtube.com/watch?v=abc)
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from .config import Site

# A Liquid / Hexo (Nunjucks) tag, and a Hugo shortcode ({{< x >}} or {{% x %}}; {{</* x */>}} is
# Hugo's escape, shown as written without the comment marks).
_LIQUID_TAG = re.compile(r"\{%-?\s*(?P<name>[A-Za-z_][\w-]*)(?P<args>.*?)-?%\}", re.DOTALL)
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*(?P<expr>.*?)\s*-?\}\}", re.DOTALL)
_SHORTCODE = re.compile(
    r"\{\{(?P<open>[<%])\s*(?P<escaped>/\*)?\s*(?P<close>/)?\s*(?P<name>[\w./-]+)"
    r"(?P<args>.*?)\s*(?(escaped)\*/\s*)[>%]\}\}",
    re.DOTALL,
)
# Tags that enclose a body up to their end tag, by kind: the name of the end tag.
_BLOCKS = {
    "hexo": {
        "raw": "endraw",
        "codeblock": "endcodeblock",
        "code": "endcode",
        "blockquote": "endblockquote",
        "quote": "endquote",
        "comment": "endcomment",
    },
    "jekyll": {"raw": "endraw", "highlight": "endhighlight", "comment": "endcomment"},
}
_PARAMETER = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
HEXO_TAGS = frozenset(
    (
        "asset_img",
        "asset_link",
        "asset_path",
        "img",
        "image",
        "post_link",
        "post_path",
        *_BLOCKS["hexo"],
    )
)
JEKYLL_TAGS = frozenset(("include", "link", "post_url", *_BLOCKS["jekyll"]))
HUGO_SHORTCODES = frozenset(("figure", "ref", "relref", "highlight", "youtube"))
KINDS = ("hexo", "jekyll", "hugo")


class Unknown(NamedTuple):
    """A tag feedtool does not render: where it starts in the body, and its name."""

    offset: int
    name: str


# (how it is referred to: "hexo", "jekyll-post_url", "jekyll-link" or "hugo"; the reference) ->
# (permalink, title) of another post (post_link, post_url, ref), or None.
Resolver = Callable[[str, str], "tuple[str, str] | None"]


def has_tags(body: str, kind: str) -> bool:
    """Whether a body may hold tags of this kind of site: one substring test for most posts."""
    return kind in KINDS and ("{%" in body or "{{" in body)


def expand(
    body: str,
    kind: str,
    permalink: str,
    base_url: str,
    resolve: Resolver,
    includes: str | None = None,
) -> str:
    """`body` with its generator tags rendered, unknown ones left out (see `findings`).
    `permalink`: the post's address (asset paths are relative to it); `includes`: Jekyll's
    _includes folder."""
    if not has_tags(body, kind):
        return body
    return _Expander(kind, permalink, base_url, resolve, includes).run(body)


def findings(body: str, kind: str, includes: str | None = None) -> list[Unknown]:
    """The tags in `body` that `expand` leaves out, in order."""
    if not has_tags(body, kind):
        return []
    expander = _Expander(kind, "https://x/", "https://x", lambda kind, ref: None, includes)
    expander.run(body)
    return expander.unknown


class _Expander:
    def __init__(
        self, kind: str, permalink: str, base_url: str, resolve: Resolver, includes: str | None
    ):
        self.kind, self.permalink, self.base_url, self.resolve = kind, permalink, base_url, resolve
        self.includes = includes
        self.unknown: list[Unknown] = []

    def run(self, body: str, base: int = 0) -> str:
        if self.kind == "hugo":
            return self._hugo(body, base)
        out, at = [], 0
        while True:
            tag = _LIQUID_TAG.search(body, at)
            output = _LIQUID_OUTPUT.search(body, at) if self.kind == "jekyll" else None
            if output is not None and (tag is None or output.start() < tag.start()):
                out += [
                    body[at : output.start()],
                    self._jekyll_output(output["expr"], base + output.start()),
                ]
                at = output.end()
                continue
            if tag is None:
                break
            out.append(body[at : tag.start()])
            name, args = tag["name"], tag["args"].strip()
            end_name = _BLOCKS[self.kind].get(name)
            if end_name:
                closer = re.compile(r"\{%-?\s*" + end_name + r"\s*-?%\}").search(body, tag.end())
                if closer is not None:
                    inner = body[tag.end() : closer.start()]
                    out.append(self._block(name, args, inner, base + tag.end()))
                    at = closer.end()
                    continue
            out.append(self._tag(name, args, base + tag.start()))
            at = tag.end()
        out.append(body[at:])
        return "".join(out)

    # Hexo and Jekyll ---------------------------------------------------------------------------

    def _block(self, name: str, args: str, inner: str, offset: int) -> str:
        if name == "raw":
            return inner
        if name == "comment":
            return ""
        if name in (
            "codeblock",
            "code",
        ):  # {% codeblock [title] [lang:language] [url] [link text] %}
            lang = next((w[5:] for w in args.split() if w.startswith("lang:")), "")
            return _fenced(inner.strip("\n"), lang)
        if name == "highlight":  # {% highlight ruby [linenos] %}
            return _fenced(inner.strip("\n"), args.split()[0] if args.split() else "")
        # blockquote / quote: [author[, source]] [link] [source_link_title]
        content = self.run(inner.strip("\n"), offset)
        quoted = "\n".join("> " + line if line else ">" for line in content.split("\n"))
        if args:
            quoted += "\n>\n> — " + html.escape(args)
        return "\n\n" + quoted + "\n\n"

    def _tag(self, name: str, args: str, offset: int) -> str:
        words = _words(args)
        if self.kind == "hexo" and name in HEXO_TAGS:
            return self._hexo(name, words)
        if self.kind == "jekyll" and name in JEKYLL_TAGS:
            return self._jekyll(name, args, words, offset)
        self.unknown.append(Unknown(offset, name))
        return ""

    def _hexo(self, name: str, words: list[str]) -> str:
        if name in ("asset_img", "img", "image"):
            return self._hexo_image(name, words)
        if not words:
            return ""
        if name == "asset_path":
            return urljoin(self.permalink, words[0])
        title = " ".join(w for w in words[1:] if w not in ("true", "false"))
        if name == "asset_link":
            href = urljoin(self.permalink, words[0])
        else:  # post_link slug [title] [escape], post_path slug
            href, post_title = self.resolve("hexo", words[0]) or ("", "")
            if name == "post_path":
                return href
            title = title or post_title
        label = title or words[0]
        if not href:
            return html.escape(label)
        return (
            f'<a href="{html.escape(href)}" title="{html.escape(label)}">{html.escape(label)}</a>'
        )

    def _hexo_image(self, name: str, words: list[str]) -> str:
        # {% img [class names] /path/to/image [width] [height] [title text [alt text]] %}; asset_img
        # the same, with a path in the post's asset folder.
        classes: list[str] = []
        while words and not _looks_like_path(words[0]) and name != "asset_img":
            classes.append(words.pop(0))
        if not words:
            return ""
        src = urljoin(self.permalink, words.pop(0))
        size: list[str] = []
        while words and len(size) < 2 and re.fullmatch(r"\d+(%|px)?", words[0]):
            size.append(words.pop(0))
        title = words[0] if words else ""
        alt = words[1] if len(words) > 1 else title
        attributes = [
            ("src", src),
            ("class", " ".join(classes)),
            ("width", size[0] if size else ""),
            ("height", size[1] if len(size) > 1 else ""),
            ("title", title),
            ("alt", alt),
        ]
        return "<img" + "".join(f' {k}="{html.escape(v)}"' for k, v in attributes if v) + ">"

    def _jekyll(self, name: str, args: str, words: list[str], offset: int) -> str:
        if name in ("link", "post_url"):
            found = self.resolve("jekyll-" + name, words[0]) if words else None
            return found[0] if found else ""
        return self._include(args, offset)

    def _include(self, args: str, offset: int) -> str:
        """{% include file.html key="value" %}: the file from _includes/, its {{ include.key }},
        {{ site.url }} and {{ site.baseurl }} filled in; any other Liquid in it left out."""
        words = args.split(None, 1)
        name = words[0] if words else ""
        rest = words[1] if len(words) > 1 else ""
        params = {key: a or b or c for key, a, b, c in _PARAMETER.findall(rest)}
        text = _read_include(self.includes, name)
        if text is None:
            self.unknown.append(Unknown(offset, f"include {name}"))
            return ""

        def fill(match: re.Match[str]) -> str:
            expr = match["expr"]
            if expr.startswith("include."):
                return params.get(expr[len("include.") :].strip(), "")
            return self._site_variable(expr) or ""

        text = _LIQUID_OUTPUT.sub(fill, text)
        return _LIQUID_TAG.sub("", text)  # tags inside an include are not run

    def _jekyll_output(self, expr: str, offset: int) -> str:
        value = self._site_variable(expr)
        if value is None:
            self.unknown.append(Unknown(offset, "{{ " + expr + " }}"))
            return ""
        return value

    def _site_variable(self, expr: str) -> str | None:
        """site.url (scheme and host) and site.baseurl (the path), from the post's address."""
        parts = urlsplit(self.base_url)
        if expr.strip() == "site.url":
            return f"{parts.scheme}://{parts.netloc}"
        if expr.strip() == "site.baseurl":
            return parts.path.rstrip("/")
        return None

    # Hugo ----------------------------------------------------------------------------------------

    def _hugo(self, body: str, base: int) -> str:
        out, at = [], 0
        for code in _SHORTCODE.finditer(body):
            if code.start() < at:
                continue
            out.append(body[at : code.start()])
            at = code.end()
            if code["escaped"]:  # {{</* x */>}}: shown as {{< x >}}
                shown = re.sub(r"\*/(\s*[>%]\}\})$", r"\1", code.group(0).replace("/*", "", 1))
                out.append(shown)
                continue
            name, args = code["name"], code["args"].strip()
            if code["close"]:
                continue  # the end of a paired shortcode that was not rendered whole
            if name == "highlight":
                closer = re.compile(r"\{\{[<%]\s*/\s*highlight\s*[>%]\}\}").search(body, code.end())
                if closer is not None:
                    words = _words(args)
                    code_text = body[code.end() : closer.start()].strip("\n")
                    out.append(_fenced(code_text, words[0] if words else ""))
                    at = closer.end()
                    continue
            if name not in HUGO_SHORTCODES:
                self.unknown.append(Unknown(base + code.start(), name))
                continue
            out.append(self._shortcode(name, args))
        out.append(body[at:])
        return "".join(out)

    def _shortcode(self, name: str, args: str) -> str:
        words = _words(args)
        named = dict(w.split("=", 1) for w in words if "=" in w)
        positional = [w for w in words if "=" not in w]
        if name in ("ref", "relref"):
            target = named.get("path") or (positional[0] if positional else "")
            found = self.resolve("hugo", target)
            return found[0] if found else ""
        if name == "youtube":
            video = named.get("id") or (positional[0] if positional else "")
            if not re.fullmatch(r"[\w-]+", video):
                return ""
            label = named.get("title") or f"YouTube video {video}"
            return (
                f"[![{label}](https://i.ytimg.com/vi/{video}/hqdefault.jpg)]"
                f"(https://www.youtube.com/watch?v={video})"
            )
        if name == "highlight":
            return ""
        # figure: src, link, title, caption, alt, attr, attrlink, width, height, class
        src = named.get("src") or (positional[0] if positional else "")
        if not src:
            return ""
        image = f'<img src="{html.escape(urljoin(self.permalink, src))}"'
        for key in ("alt", "width", "height"):
            if named.get(key) or key == "alt" and named.get("caption"):
                image += f' {key}="{html.escape(named.get(key) or _text(named["caption"]))}"'
        image += ">"
        if named.get("link"):
            image = f'<a href="{html.escape(urljoin(self.permalink, named["link"]))}">{image}</a>'
        caption = ""
        if named.get("title") or named.get("caption") or named.get("attr"):
            caption = "<figcaption>"
            if named.get("title"):
                caption += f"<h4>{html.escape(named['title'])}</h4>"
            if named.get("caption") or named.get("attr"):
                caption += f"<p>{html.escape(named.get('caption', ''))}"
                if named.get("attr"):
                    caption += " " + html.escape(named["attr"])
                caption += "</p>"
            caption += "</figcaption>"
        return f"\n\n<figure>{image}{caption}</figure>\n\n"


def _words(args: str) -> list[str]:
    """Arguments as the generators split them: by spaces, "quoted" and 'quoted' words kept whole."""
    import shlex  # only for a post with tags

    try:
        return shlex.split(args, posix=True)
    except ValueError:  # an unclosed quote
        return args.split()


def _looks_like_path(word: str) -> bool:
    return "/" in word or "." in word or word.startswith(("http:", "https:"))


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]*>", "", fragment)


def _fenced(code: str, lang: str) -> str:
    """A Markdown code block showing `code` as it is (its fence longer than any run of ` in it)."""
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`{3,}", code))])
    lang = re.sub(r"[^\w#.+-]", "", lang)
    return f"\n\n{fence}{lang}\n{code}\n{fence}\n\n"


def _read_include(folder: str | None, name: str) -> str | None:
    """The text of _includes/`name`, never outside that folder; None when there is none."""
    if not folder or not name or name.startswith("/") or ".." in name.split("/"):
        return None
    path = os.path.join(folder, name)
    try:
        from .files import read_regular_file

        return read_regular_file(path).decode("utf-8")[:1_000_000]
    except (OSError, UnicodeDecodeError):
        return None


def resolver(site: Site) -> Resolver:
    """Finds the posts that tags refer to in the site's posts folder, as (permalink, title)."""
    folder = os.fspath(site.posts)

    def resolve(how: str, reference: str) -> tuple[str, str] | None:
        reference = reference.split("#", 1)[0].strip().strip("/")
        if how == "jekyll-link" and not reference.startswith(
            "_posts/"
        ):  # a page: its .html address
            return site.url(re.sub(r"\.(md|markdown)$", ".html", reference)), ""
        stem = os.path.splitext(os.path.basename(reference.removeprefix("_posts/")))[0]
        if how == "hugo" and stem in ("index", "_index"):
            stem = os.path.basename(os.path.dirname(reference))
        path = _find_post(folder, reference if how == "hexo" else "", stem)
        return _permalink_and_title(path, site) if path else None

    return resolve


def _find_post(folder: str, relative: str, stem: str) -> str | None:
    """A post file in `folder`: at `relative` (.md or .markdown added), else the first named
    `stem` (or a bundle folder `stem` holding index.md), in sorted order."""
    for suffix in (".md", ".markdown"):
        if relative and os.path.isfile(path := os.path.join(folder, relative + suffix)):
            return path
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            if os.path.splitext(name)[0] == stem and name.endswith((".md", ".markdown")):
                return os.path.join(root, name)
        if os.path.basename(root) == stem and "index.md" in files:
            return os.path.join(root, "index.md")
    return None


def _permalink_and_title(path: str, site: Site) -> tuple[str, str] | None:
    from .files import read_regular_file
    from .posts import loads

    try:
        post = loads(read_regular_file(path), site, path=path, body=False).post
    except OSError:
        return None
    return (post.permalink, post.title) if post else None
