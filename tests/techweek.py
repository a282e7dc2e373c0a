"""A tech blog's week, as readers write it: posts that open with code, long URLs and
identifiers, wide tables, small and wide local images, emoji and mixed scripts."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

LONG_URL = (
    "https://example.org/"
    + "/".join(f"segment-{n}-with-a-long-name" for n in range(8))
    + "?q=1&r=2"
)
LONG_IDENTIFIER = "AbstractSingletonProxyFactoryBeanConfigurationResolverImplementationDelegate" * 2
CODE_LINE = (
    "result = some_module.compute_the_thing(" + ", ".join(f"argument_{n}" for n in range(20)) + ")"
)


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of `width` x `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TABLE = """| 模型 | 参数量 | 上下文长度 | 训练数据 | 许可证 |
|------|--------|------------|----------|--------|
| Qwen2.5-VL-72B-Instruct | 72B | 128K tokens | 4.1T multimodal tokens | Qwen License Agreement |
| GLM-4.5V-Thinking | 106B | 64K tokens | undisclosed-proprietary-corpus | MIT License |
"""

BODIES = [
    # Code first, no <!--more-->: the summary is the code block.
    f"```python\n{CODE_LINE}\nprint('done')\n```\n\n正文从这里开始，讲的是如何调用这个接口。\n",
    f"参考链接：<{LONG_URL}>，以及标识符 `{LONG_IDENTIFIER}`。\n\n<!--more-->\n\n更多内容。\n",
    f"对比五个模型：\n\n{TABLE}\n<!--more-->\n\n表格之后的分析。\n",
    "小图标 ![图标](icon.png) 放在句中，宽图 ![架构图](wide.png) 单独一段。🚀 Emoji 与 русский "
    "текст。\n\n"
    "<!--more-->\n\n后文。\n",
    f"混合文字 English 日本語 한국어 العربية，长词{LONG_IDENTIFIER}，[链接文字]({LONG_URL})。\n",
    f"先看代码：\n\n    {CODE_LINE}\n\n再看[文档](https://docs.example.org/guide)和![流程图](wide.png)。\n\n"
    "<!--more-->\n\n正文。\n",
]


def write_tech_week(blog: Path, count: int = 16) -> None:
    """`count` posts in 2025-W34 (18-24 August) beside two local images, in the blog's posts/."""
    posts = blog / "posts"
    (posts / "icon.png").write_bytes(png(120, 80))
    (posts / "wide.png").write_bytes(png(1600, 900))
    for number in range(count):
        body = BODIES[number % len(BODIES)]
        cover = (
            "cover: icon.png\n"
            if number % 4 == 1
            else "cover: wide.png\n"
            if number % 4 == 3
            else ""
        )
        text = (
            f"---\ntitle: 技术周报第{number}篇 {LONG_IDENTIFIER[: 40 + number]}\n"
            f"date: 2025-08-{18 + number % 7} {10 + number % 10}:00\n"
            f"tags: [Python, 多模态, 长标签名称{number}, Kubernetes]\n{cover}---\n\n{body}"
        )
        (posts / f"tech-{number:02d}.md").write_text(text, encoding="utf-8")
