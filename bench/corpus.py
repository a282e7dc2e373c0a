"""Deterministic synthetic Chinese tech blogs for benchmarking feedtool (and Hugo).

    python bench/corpus.py OUT_DIR --posts 10000 [--seed 0] [--layout feedtool|hugo]

Every post is 2-4 KB of UTF-8 Markdown with YAML front matter (title, date, author, tags,
sometimes summary, ~1% draft: true) and a Chinese body made of headings, paragraphs, bullet
and numbered lists, links, images (relative and absolute), fenced code and, in about half
of the posts, a `<!--more-->` marker. Dates span 15 years in the forms Chinese blogs use;
most are Hugo's zh form `八月 24, 2025`.

The same arguments always give byte-identical files: each post is drawn from its own
`random.Random(f"{seed}:{index}")`, so a 1,000-post corpus is exactly the first 1,000
posts of the 10,000-post one, and nothing depends on the clock.

Layouts:
  feedtool  OUT_DIR/posts/post-00001.md ..., OUT_DIR/posts/images/fig-N.png
  hugo      OUT_DIR/hugo.toml (home RSS only), OUT_DIR/content/posts/... (same files), and
            OUT_DIR/hugo-tags.toml, to add on (`--config hugo.toml,hugo-tags.toml`) for an RSS
            feed per tag too
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

MIN_BYTES = 2048
MAX_BYTES = 4096
IMAGE_COUNT = 8
FIRST_DATE = datetime(2010, 9, 1)
LAST_DATE = datetime(2025, 8, 31, 23, 59)  # fixed: no clock, and never in the future
ZH_MONTHS = (
    "一月",
    "二月",
    "三月",
    "四月",
    "五月",
    "六月",
    "七月",
    "八月",
    "九月",
    "十月",
    "十一月",
    "十二月",
)
DATE_FORMS = ("hugo_zh", "iso_date", "rfc3339", "zh_full", "slash")
DATE_WEIGHTS = (60, 10, 10, 10, 10)
DATE_EXAMPLES = {
    "hugo_zh": "`八月 24, 2025`",
    "iso_date": "`2025-08-24`",
    "rfc3339": "`2025-08-24T10:00:00+08:00`",
    "zh_full": "`2025年8月24日 下午3:04`",
    "slash": "`2025/08/24 10:00`",
}

TOPICS = (
    "多模态大模型",
    "强化学习",
    "视觉语言模型",
    "大语言模型",
    "混合专家模型",
    "扩散模型",
    "检索增强生成",
    "知识蒸馏",
    "模型量化",
    "推理加速",
    "分布式训练",
    "指令微调",
    "偏好对齐",
    "思维链",
    "智能体",
    "向量数据库",
    "注意力机制",
    "位置编码",
    "长上下文",
    "奖励模型",
    "课程学习",
    "自监督学习",
    "目标检测",
    "语义分割",
    "图像生成",
    "语音识别",
    "文本到图像",
    "代码生成",
    "数学推理",
    "模型评测",
)
TERMS = (
    "Transformer",
    "MoE",
    "RLHF",
    "DPO",
    "GRPO",
    "PPO",
    "LoRA",
    "KV cache",
    "FlashAttention",
    "ViT",
    "CLIP",
    "Qwen2.5-VL",
    "DeepSeek-V3",
    "GLM-4.5V",
    "LLaVA",
    "Scaling law",
    "token",
    "benchmark",
    "SFT",
    "MLA",
    "MTP",
    "RoPE",
    "vLLM",
    "CUDA",
    "FP8",
    "reward hacking",
    "checkpoint",
    "embedding",
)
SUBJECTS = (
    "这篇论文",
    "作者团队",
    "我们的实验",
    "这个方法",
    "新的训练框架",
    "开源社区",
    "工业界",
    "学术界",
    "基线模型",
    "这一版本",
    "整个流程",
    "数据管线",
    "评测结果",
    "消融实验",
    "推理服务",
)
VERBS = (
    "提出了",
    "改进了",
    "验证了",
    "简化了",
    "重新设计了",
    "系统地比较了",
    "深入分析了",
    "大幅降低了",
    "显著提升了",
    "首次引入了",
    "重点讨论了",
    "复现了",
    "扩展了",
    "统一了",
)
OBJECTS = (
    "训练成本",
    "推理延迟",
    "显存占用",
    "数据质量",
    "泛化能力",
    "对齐效果",
    "吞吐量",
    "收敛速度",
    "视觉理解能力",
    "长文本建模",
    "奖励设计",
    "采样策略",
    "损失函数",
    "模型结构",
    "评测基准",
    "分词方式",
    "位置编码方案",
    "专家路由策略",
    "预训练语料",
    "多轮对话能力",
)
CLAUSES = (
    "在多个基准上取得了领先的结果",
    "而且代码已经开源",
    "但是仍然存在一些局限",
    "这一点非常值得借鉴",
    "对后续的工作影响很大",
    "效果比预期的要好",
    "需要更多的算力支持",
    "在实际业务中也很实用",
    "不过训练过程并不稳定",
    "整体思路非常清晰",
    "细节部分还有待验证",
    "可以直接迁移到其他任务上",
)
CONNECTIVES = (
    "此外，",
    "同时，",
    "值得注意的是，",
    "具体来说，",
    "总的来说，",
    "另一方面，",
    "因此，",
    "其中，",
    "",
)
HEADINGS = (
    "背景",
    "方法",
    "模型结构",
    "训练细节",
    "实验结果",
    "消融实验",
    "讨论",
    "总结",
    "参考资料",
    "个人思考",
)
TITLE_PATTERNS = (
    "{topic}论文解析：{term}",
    "{term}系列论文阅读笔记",
    "从零理解{topic}",
    "{topic}中的{term}实践",
    "{topic}综述（第{n}篇）",
    "关于{term}的一些思考",
    "{topic}与{topic2}",
    "{term}源码阅读",
    "再谈{topic}：{term}的得与失",
    "{topic}实战笔记 {n}",
)
AUTHORS = ("pan", "李明", "王芳", "zhang-wei", "陈静", "刘洋", "赵磊", "孙悦")
LINK_HOSTS = (
    "https://arxiv.org/abs/",
    "https://github.com/example/",
    "https://docs.example.com/",
    "https://blog.example.org/",
)
CODE_SNIPPETS = (
    (
        "python",
        (
            "import torch",
            "",
            "def attention(q, k, v, mask=None):",
            "    scores = q @ k.transpose(-2, -1) / q.size(-1) ** 0.5",
            "    if mask is not None:",
            "        scores = scores.masked_fill(mask == 0, float('-inf'))",
            "    return scores.softmax(-1) @ v",
        ),
    ),
    (
        "python",
        (
            "def grpo_advantage(rewards):",
            "    mean = sum(rewards) / len(rewards)",
            "    std = (sum((r - mean) ** 2 for r in rewards) / len(rewards)) ** 0.5",
            "    return [(r - mean) / (std + 1e-6) for r in rewards]",
        ),
    ),
    (
        "bash",
        (
            "pip install vllm",
            "python -m vllm.entrypoints.openai.api_server \\",
            "    --model Qwen/Qwen2.5-VL-7B-Instruct --max-model-len 32768",
        ),
    ),
    (
        "yaml",
        (
            "model: deepseek-v3",
            "lr: 2.2e-4",
            "batch_size: 4608",
            "warmup_steps: 2000",
        ),
    ),
    (
        "json",
        (
            '{"role": "user", "content": [{"type": "image"}, '
            '{"type": "text", "text": "描述这张图片"}]}',
        ),
    ),
)
HUGO_TOML = """\
# Minimal Hugo site for feedtool's benchmark: it builds ONLY the home page's RSS
# (the embedded RSS template), newest 50 posts, so Hugo does the same job as `feedtool build`.
baseURL = "https://bench.example.com/"
languageCode = "zh-cn"
defaultContentLanguage = "zh"
title = "基准测试博客"
timeZone = "Asia/Shanghai"
rssLimit = 50                # Hugo < 0.114
# Not "page": disabled pages leave .Site.RegularPages too, and the RSS comes out empty.
disableKinds = ["taxonomy", "term", "section", "sitemap", "robotsTXT", "404"]
enableRobotsTXT = false
disableAliases = true
summaryLength = 70
hasCJKLanguage = true        # summaries count Chinese characters, as a Chinese blog sets it

[taxonomies]                 # none: no tag or category pages

[outputs]
home = ["RSS"]
section = []
page = []
taxonomy = []
term = []

[services.rss]
limit = 50

# Posts stay in .Site.RegularPages (so the RSS lists them, with their permalinks) but get no
# HTML page of their own. The target keeps the home page itself rendered.
[[cascade]]
  [cascade._target]
    path = "/posts/**"
  [cascade._build]
    render = "link"
    list = "always"
"""

# Added to hugo.toml for the "tag feeds on" runs: an RSS per tag (Hugo's term pages), and still
# no taxonomy list page, HTML or sitemap. feedtool's tag_feeds have no list page either.
HUGO_TAGS_TOML = """\
ignoreErrors = ["error-disable-taxonomy"]  # disabling "taxonomy" but not "term" is meant
disableKinds = ["taxonomy", "section", "sitemap", "robotsTXT", "404"]

[taxonomies]
tag = "tags"

[outputs]
term = ["RSS"]
"""


@dataclass(frozen=True)
class GeneratedPost:
    """What the generator knows about a post it wrote (to pick one to edit, or check a feed)."""

    path: Path
    slug: str
    date: datetime  # naive, Asia/Shanghai wall time
    date_form: str  # one of DATE_FORMS
    draft: bool


def hugo_zh_date(when: datetime) -> str:
    """Hugo's zh rendering of `January 2, 2006`: `八月 24, 2025`."""
    return f"{ZH_MONTHS[when.month - 1]} {when.day}, {when.year}"


def zh_full_date(when: datetime) -> str:
    """`2025年8月24日 下午3:04` (12-hour clock with 上午/下午)."""
    half = "上午" if when.hour < 12 else "下午"
    hour = when.hour % 12 or 12
    return f"{when.year}年{when.month}月{when.day}日 {half}{hour}:{when.minute:02d}"


def format_date(when: datetime, form: str) -> str:
    """The date as written in front matter, in one of DATE_FORMS."""
    if form == "hugo_zh":
        return hugo_zh_date(when)
    if form == "iso_date":
        return when.strftime("%Y-%m-%d")
    if form == "rfc3339":
        return when.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    if form == "zh_full":
        return zh_full_date(when)
    if form == "slash":
        return when.strftime("%Y/%m/%d %H:%M")
    raise ValueError(f"unknown date form {form!r}")


def date_value(when: datetime, form: str) -> str:
    """The YAML value for `date`. ISO forms stay unquoted (YAML timestamps, as Hugo sites write
    them); the Chinese and slash forms are quoted strings, as feedtool's sample posts write them."""
    text = format_date(when, form)
    return text if form in ("iso_date", "rfc3339") else f'"{text}"'


def random_date(rng: random.Random) -> datetime:
    """A minute between FIRST_DATE and LAST_DATE; date-only forms use midnight anyway."""
    minutes = int((LAST_DATE - FIRST_DATE).total_seconds() // 60)
    return FIRST_DATE + timedelta(minutes=rng.randrange(minutes + 1))


def sentence(rng: random.Random) -> str:
    """One Chinese sentence about a tech topic, sometimes with an inline term or code span."""
    term = rng.choice(TERMS)
    if rng.random() < 0.15:
        term = f"`{term}`"
    elif rng.random() < 0.1:
        term = f"**{term}**"
    return (
        f"{rng.choice(CONNECTIVES)}{rng.choice(SUBJECTS)}围绕{rng.choice(TOPICS)}{rng.choice(VERBS)}"
        f"{term}的{rng.choice(OBJECTS)}，{rng.choice(CLAUSES)}。"
    )


def paragraph(rng: random.Random, index: int) -> str:
    """A paragraph of 2-5 sentences, sometimes with a link (absolute, or to an earlier post)."""
    parts = [sentence(rng) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.35:
        if index > 1 and rng.random() < 0.3:
            link = f"[上一篇笔记](post-{rng.randrange(1, index):05d}.md)"
        else:
            link = f"[{rng.choice(TERMS)}]({rng.choice(LINK_HOSTS)}{rng.randrange(1000, 9999)})"
        parts.insert(rng.randrange(len(parts) + 1), f"详见{link}。")
    return "".join(parts)


def bullet_list(rng: random.Random) -> str:
    """A bullet or numbered list of 3-5 short items."""
    numbered = rng.random() < 0.4
    items = [
        f"{rng.choice(TERMS)}：{rng.choice(VERBS)}{rng.choice(OBJECTS)}"
        for _ in range(rng.randint(3, 5))
    ]
    return "\n".join(f"{n}. {item}" if numbered else f"- {item}" for n, item in enumerate(items, 1))


def image(rng: random.Random) -> str:
    """An image: relative (`images/fig-N.png`, which exists) or absolute https."""
    alt = rng.choice(("图", "模型结构图", "实验结果", "训练曲线", "示意图"))
    if rng.random() < 0.6:
        return f"![{alt}](images/fig-{rng.randrange(IMAGE_COUNT)}.png)"
    return f"![{alt}](https://img.example.com/{rng.randrange(10**6):06d}.png)"


def code_block(rng: random.Random) -> str:
    """A fenced code block with a language."""
    language, lines = rng.choice(CODE_SNIPPETS)
    return "\n".join((f"```{language}", *lines, "```"))


def title_for(rng: random.Random, index: int) -> str:
    """A Chinese title; the index keeps titles (and so Hugo's slugs) unique."""
    pattern = rng.choice(TITLE_PATTERNS)
    topic, topic2 = rng.sample(TOPICS, 2)
    return (
        pattern.format(topic=topic, topic2=topic2, term=rng.choice(TERMS), n=rng.randint(1, 9))
        + f" #{index}"
    )


def front_matter(rng: random.Random, title: str, when: datetime, form: str, draft: bool) -> str:
    """The YAML front matter block, `---` lines included."""
    tags = rng.sample(TOPICS + TERMS[:6], rng.randint(1, 4))
    lines = [
        "---",
        f'title: "{title}"',
        f"date: {date_value(when, form)}",
        f"author: {rng.choice(AUTHORS)}",
        f"tags: [{', '.join(tags)}]",
    ]
    if rng.random() < 0.2:
        lines.append(f'summary: "{sentence(rng)}"')
    if draft:
        lines.append("draft: true")
    lines.append("---")
    return "\n".join(lines) + "\n"


def body(rng: random.Random, index: int, budget: int) -> str:
    """Markdown blocks, then a last paragraph of sentences, up to at most `budget` bytes."""
    blocks = [paragraph(rng, index)]
    if rng.random() < 0.5:
        blocks.append("<!--more-->")
    makers: tuple[tuple[Callable[[], str], int], ...] = (
        (lambda: f"## {rng.choice(HEADINGS)}", 2),
        (lambda: paragraph(rng, index), 6),
        (lambda: bullet_list(rng), 2),
        (lambda: image(rng), 1),
        (lambda: code_block(rng), 1),
    )
    funcs = [make for make, _ in makers]
    weights = [weight for _, weight in makers]
    used = len("\n\n".join(blocks).encode()) + 1  # + the final newline
    while True:
        block = rng.choices(funcs, weights)[0]()
        if used + 2 + len(block.encode()) > budget:
            break
        blocks.append(block)
        used += 2 + len(block.encode())
    last = ""
    while True:
        more = sentence(rng)
        if used + 2 + len((last + more).encode()) > budget:
            break
        last += more
    if last:
        blocks.append(last)
    return "\n\n".join(blocks) + "\n"


def make_post(seed: int, index: int) -> tuple[str, GeneratedPost]:
    """(file text, metadata) of post number `index` (1-based), independent of the others."""
    rng = random.Random(f"{seed}:{index}")
    target = rng.randint(MIN_BYTES + 250, MAX_BYTES - 50)  # the body ends up to ~200 bytes short
    title = title_for(rng, index)
    when = random_date(rng)
    form = rng.choices(DATE_FORMS, DATE_WEIGHTS)[0]
    draft = rng.random() < 0.01
    if form in ("hugo_zh", "iso_date"):
        when = when.replace(hour=0, minute=0)
    elif form == "slash":
        when = when.replace(second=0)
    head = front_matter(rng, title, when, form, draft)
    text = head + "\n" + body(rng, index, target - len(head.encode()))
    slug = f"post-{index:05d}"
    return text, GeneratedPost(Path(f"{slug}.md"), slug, when, form, draft)


def png(rng: random.Random, size: int = 8) -> bytes:
    """A tiny valid RGB PNG of one random colour, so relative image links point at real files."""
    row = b"\x00" + bytes(rng.randrange(256) for _ in range(3)) * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * size, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def posts_dir(folder: Path, layout: str) -> Path:
    """Where the Markdown files go for a layout."""
    if layout == "feedtool":
        return folder / "posts"
    if layout == "hugo":
        return folder / "content" / "posts"
    raise ValueError(f"unknown layout {layout!r} (feedtool or hugo)")


def generate(
    folder: str | Path, n: int, seed: int = 0, layout: str = "feedtool"
) -> list[GeneratedPost]:
    """Write `n` posts (and the images they link to) under `folder`; return their metadata.

    Files are written as bytes with LF line ends; posts already there with other names are
    left alone, so generate into an empty folder.
    """
    folder = Path(folder)
    target = posts_dir(folder, layout)
    (target / "images").mkdir(parents=True, exist_ok=True)
    image_rng = random.Random(f"{seed}:images")
    for k in range(IMAGE_COUNT):
        (target / "images" / f"fig-{k}.png").write_bytes(png(image_rng))
    generated = []
    for index in range(1, n + 1):
        text, meta = make_post(seed, index)
        path = target / meta.path
        path.write_bytes(text.encode("utf-8"))
        generated.append(dataclasses.replace(meta, path=path))
    if layout == "hugo":
        (folder / "hugo.toml").write_text(HUGO_TOML, encoding="utf-8")
        (folder / "hugo-tags.toml").write_text(HUGO_TAGS_TOML, encoding="utf-8")
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic synthetic Chinese tech blog (N posts of 2-4 KB) "
        "for benchmarks."
    )
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", type=Path, help="folder to write (created if missing)"
    )
    parser.add_argument("--posts", type=int, required=True, metavar="N", help="number of posts")
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (default 0); same seed, same bytes"
    )
    parser.add_argument(
        "--layout",
        choices=("feedtool", "hugo"),
        default="feedtool",
        help="feedtool: OUT_DIR/posts/; hugo: a Hugo site with content/posts/ (default feedtool)",
    )
    args = parser.parse_args(argv)
    if args.posts < 0:
        parser.error("--posts must be 0 or more")
    posts = generate(args.out_dir, args.posts, seed=args.seed, layout=args.layout)
    print(f"wrote {len(posts)} posts to {posts_dir(args.out_dir, args.layout)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
