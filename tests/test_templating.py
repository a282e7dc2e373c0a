"""Generator tags in bodies (Hexo tag plugins, Jekyll's Liquid, Hugo shortcodes), rendered as the
generator renders them, with absolute URLs; any other tag left out with FT305."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import feedparser
from conftest import write_post
from lxml import html as lxml_html

TEMPLATE_SYNTAX = ("{%", "%}", "{{<", ">}}", "{{%", "{{ ")


def entries(root: Path, *written: str) -> dict[str, str]:
    """Each entry's content HTML by title, from the built Atom feed; none of the feeds holds any
    tag as `written` in the post."""
    for name in ("atom.xml", "rss.xml", "feed.json"):
        text = (root / "public" / name).read_text(encoding="utf-8")
        assert not any(tag in text for tag in written), (name, text)
    return {
        e.title: e.content[0].value for e in feedparser.parse(root / "public" / "atom.xml").entries
    }


def test_hexo_tag_plugins(tmp_path: Path, run, monkeypatch):
    monkeypatch.setenv(
        "TZ", "Asia/Shanghai"
    )  # built where it is written: Hexo's URLs use the machine's zone
    (tmp_path / "_config.yml").write_text(
        "title: H\nurl: https://hexo.example.com\ntimezone: Asia/Shanghai\n"
        "permalink: :year/:month/:day/:title/\n",
        encoding="utf-8",
    )
    posts = tmp_path / "source" / "_posts"
    write_post(posts, "other.md", "---\ntitle: 另一篇\ndate: 2025-08-20\n---\n\n旧文。\n")
    write_post(
        posts,
        "tags.md",
        (
            "---\ntitle: 标签\ndate: 2025-08-24\n---\n\n"
            "{% asset_img diagram.png 结构图 %}\n\n"
            "见 {% post_link other %} 与 {% post_link other '自己的标题' %}，附件 "
            "{% asset_link data.zip 数据 %}。\n\n"
            "{% img /images/a.png 300 200 '标题' '替代文字' %}\n\n"
            "{% codeblock demo.js lang:javascript %}\nconst a = '{{ x }}' < 1;\n"
            "{% endcodeblock %}\n\n"
            "{% blockquote 鲁迅, 呐喊 %}\n**我家门前**有两棵树。\n{% endblockquote %}\n\n"
            '{% raw %}<span class="k">{% 原样 %}</span>{% endraw %}\n\n'
            "{% note info %}\n提示内容。\n{% endnote %}\n"
        ),
    )
    (posts / "tags").mkdir()
    (posts / "tags" / "diagram.png").write_bytes(b"\x89PNG")
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "FT305" in line]
    assert warnings == [
        "source/_posts/tags.md:22:1: warning FT305 hexo tag {% note %}: not one feedtool renders; "
        "it is left out of the feeds and the digest",
        "source/_posts/tags.md:24:1: warning FT305 hexo tag {% endnote %}: not one feedtool "
        "renders; it is left out of the feeds and the digest",
    ]
    page = lxml_html.fragment_fromstring(
        entries(
            tmp_path,
            "{% asset",
            "{% post_link",
            "{% img",
            "{% codeblock",
            "{% blockquote",
            "{% raw",
            "{% note",
            "{% endnote",
        )["标签"],
        create_parent="div",
    )
    images = page.findall(".//img")
    assert images[0].get("src") == "https://hexo.example.com/2025/08/24/tags/diagram.png"
    assert images[0].get("alt") == "结构图"
    assert (
        images[1].get("src"),
        images[1].get("width"),
        images[1].get("height"),
        images[1].get("alt"),
    ) == ("https://hexo.example.com/images/a.png", "300", "200", "替代文字")
    links = {a.text: a.get("href") for a in page.iter("a")}
    assert links == {
        "另一篇": "https://hexo.example.com/2025/08/20/other/",
        "自己的标题": "https://hexo.example.com/2025/08/20/other/",
        "数据": "https://hexo.example.com/2025/08/24/tags/data.zip",
    }
    code = page.find(".//pre/code")
    assert code.get("class") == "language-javascript" and code.text == "const a = '{{ x }}' < 1;\n"
    quote = page.find(".//blockquote")
    assert quote.find(".//strong").text == "我家门前" and "鲁迅, 呐喊" in quote.text_content()
    assert page.find(".//span").text == "{% 原样 %}"
    assert "提示内容。" in page.text_content()


def test_jekyll_liquid_tags(tmp_path: Path, run, monkeypatch):
    (tmp_path / "_config.yml").write_text(
        "title: J\nurl: https://jekyll.example.com\nbaseurl: /blog\ntimezone: Asia/Shanghai\n",
        encoding="utf-8",
    )
    (tmp_path / "_includes").mkdir()
    (tmp_path / "_includes" / "note.html").write_text(
        '<aside class="note">{{ include.text }} <a href="{{ site.baseurl }}/about/">关于'
        "</a>{% if x %}{% endif %}"
        "{{ page.secret }}</aside>\n",
        encoding="utf-8",
    )
    posts = tmp_path / "_posts"
    write_post(posts, "2025-08-20-older.md", "---\ntitle: 旧文\n---\n\n旧。\n")
    write_post(
        posts,
        "2025-08-24-liquid.md",
        (
            "---\ntitle: Liquid\n---\n\n"
            "![图]({{ site.baseurl }}/img/a.png) 站点 {{ site.url }}。\n\n"
            "[旧文]({% post_url 2025-08-20-older %}) "
            "[也是]({% link _posts/2025-08-20-older.md %})\n\n"
            '{% include note.html text="注意事项" %}\n\n'
            "{% highlight python %}\nprint('{{ not liquid }}')\n{% endhighlight %}\n\n"
            "{% raw %}{{ 原样 }}{% endraw %} {{ page.title }} {% include missing.html %}\n"
        ),
    )
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert [
        line.split(": warning FT305 ")[1].split(":")[0]
        for line in result.stderr.splitlines()
        if "FT305" in line
    ] == ["jekyll tag {{ page.title }}", "jekyll tag {% include missing.html %}"]
    content = entries(
        tmp_path,
        "{{ site",
        "{% post_url",
        "{% link",
        "{% include",
        "{{ include",
        "{% if",
        "page.",
        "highlight %}",
        "{% raw",
    )["Liquid"]
    page = lxml_html.fragment_fromstring(content, create_parent="div")
    assert page.find(".//img").get("src") == "https://jekyll.example.com/blog/img/a.png"
    assert "站点 https://jekyll.example.com。" in page.text_content()
    links = [a.get("href") for a in page.iter("a")]
    assert links[:2] == ["https://jekyll.example.com/blog/2025/08/20/older.html"] * 2
    assert (
        links[2] == "https://jekyll.example.com/blog/about/" and "注意事项" in page.text_content()
    )
    code = page.find(".//pre/code")
    assert code.get("class") == "language-python" and code.text == "print('{{ not liquid }}')\n"


def test_hugo_shortcodes(tmp_path: Path, run, monkeypatch):
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://hugo.example.com/"\ntitle = "G"\ntimeZone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    posts = tmp_path / "content" / "posts"
    write_post(posts, "target.md", "---\ntitle: 目标\ndate: 2025-08-20\n---\n\n目标。\n")
    write_post(
        posts,
        "codes.md",
        (
            "---\ntitle: 短代码\ndate: 2025-08-24\n---\n\n"
            '{{< figure src="chart.png" title="图一" caption="说明" >}}\n\n'
            '[目标]({{< ref "target.md" >}}) [相对]({{% relref "/posts/target" %}})\n\n'
            '{{< highlight go >}}\nfmt.Println("{{< x >}}")\n{{< /highlight >}}\n\n'
            "{{< youtube dQw4w9WgXcQ >}}\n\n"
            '写法：`{{</* figure src="a.png" */>}}`\n\n'
            '{{< tweet user="a" id="1" >}}\n'
        ),
    )
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if "FT305" in line] == [
        "content/posts/codes.md:18:1: warning FT305 hugo tag {{< tweet >}}: not one feedtool "
        "renders; it is left out of the feeds and the digest"
    ]
    content = entries(
        tmp_path,
        "{{< figure src=&#34;chart",
        'figure src="chart',
        "{{< ref",
        "{{% relref",
        "{{< highlight",
        "{{< youtube",
        "tweet",
        "/*",
    )["短代码"]
    page = lxml_html.fragment_fromstring(content, create_parent="div")
    figure = page.find(".//figure")
    assert figure.find(".//img").get("src") == "https://hugo.example.com/posts/codes/chart.png"
    assert figure.find(".//figcaption/h4").text == "图一"
    links = [a.get("href") for a in page.iter("a")]
    assert links[:2] == ["https://hugo.example.com/posts/target/"] * 2
    assert links[2] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert page.find(".//a/img").get("src") == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert page.find(".//pre/code").text == 'fmt.Println("{{< x >}}")\n'
    assert (
        page.findall(".//code")[-1].text == '{{< figure src="a.png" >}}'
    )  # Hugo's escape, as Hugo shows it


def test_validate_reports_unknown_tags_and_the_digest_holds_no_template_syntax(
    tmp_path: Path, run, monkeypatch
):
    (tmp_path / "_config.yml").write_text(
        "title: H\nurl: https://hexo.example.com\ntimezone: Asia/Shanghai\n", encoding="utf-8"
    )
    write_post(
        tmp_path / "source" / "_posts",
        "a.md",
        "---\ntitle: 甲\ndate: 2025-08-24\n---\n\n"
        "开头 {% tabs demo %} 中间 {% asset_img x.png 图 %} 结尾。\n",
    )
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--format", "json")
    found = [(d["line"], d["column"], d["code"]) for d in json.loads(result.stdout)]
    assert (6, 4, "FT305") in found and result.exit_code == 0
    assert run("digest", "--week", "2025-W34").exit_code == 0
    message = email.message_from_bytes(
        (tmp_path / "public" / "digest" / "2025-W34.eml").read_bytes(), policy=policy.default
    )
    for part in message.walk():
        if not part.is_multipart():
            text = part.get_content()
            assert "开头" in text and not any(mark in text for mark in TEMPLATE_SYNTAX), text
