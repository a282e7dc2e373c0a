"""The module map of docs/architecture.md holds: data flows one way, speed stays behind one door.

Imports are read from the source (module level and inside functions alike); imports made only
for type annotations (under `if TYPE_CHECKING:`) are not dependencies and are left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "feedtool"

# Lowest first: a module may import only modules listed before it.
LAYERS = [
    # foundations: no feedtool imports but these
    "errors",
    "diagnostics",
    "dates",
    "markdown_code",
    "parallel",
    "throttle",
    "files",
    "output",
    # settings, and the generators' ways
    "sources",
    "config",
    "tokens",
    "subscribers",
    # files -> posts
    "posts",
    "templating",
    "render",
    "images",
    "catalog",
    "validate",
    "fix",
    "importer",
    # posts -> selection -> outputs
    "feeds",
    "selection",
    # speed, behind one door
    "cache",
    "engine",
    # the digest and sending it
    "mailtext",
    "digest",
    "send",
    "dkimsign",
    "mailboxes",
    "bounces",
    "websub",
    "serve",
    # the library's jobs, and the command line over them
    "api",
    "cli",
    "__main__",
]
SPEED = {"cache", "parallel"}  # used by engine alone


def _imports(path: Path) -> set[str]:
    """The feedtool modules `path` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in typing_only:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found - {"__version__"}


def _graph() -> dict[str, set[str]]:
    return {
        path.stem: _imports(path) - {path.stem}
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem != "__init__"
    }


def test_every_module_has_its_place_in_the_map():
    assert sorted(_graph()) == sorted(LAYERS)
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    unnamed = [name for name in LAYERS if not re.search(rf"`{re.escape(name)}(\.py)?`", text)]
    assert not unnamed, f"docs/architecture.md does not describe {unnamed}"


def test_no_module_imports_a_module_above_it():
    rank = {name: number for number, name in enumerate(LAYERS)}
    upward = [
        f"{module} imports {used}"
        for module, used_modules in _graph().items()
        for used in sorted(used_modules)
        if rank[used] >= rank[module]
    ]
    assert not upward


def test_the_cache_and_the_helpers_are_used_by_the_engine_alone():
    users = {
        module: sorted(used & SPEED)
        for module, used in _graph().items()
        if used & SPEED and module not in {"engine", *SPEED}
    }
    assert not users, f"speed machinery seen outside feedtool/engine.py: {users}"
    assert [module for module, used in _graph().items() if "engine" in used] == ["api"]


def test_the_command_line_goes_through_the_library():
    """cli reaches the jobs through api: never the engine, selection or the checks itself."""
    reached = _graph()["cli"]
    assert "api" in reached
    assert not reached & {"engine", "cache", "parallel", "selection", "validate", "feeds", "render"}


def test_posts_are_listed_through_the_catalog():
    """One way to list posts: `catalog` (and `engine`'s helper, listing with stats) call the
    listing in `files`; every other module asks `catalog`."""
    listing = {"find", "post_files"}
    users = {
        path.stem
        for path in PACKAGE.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.level == 1
        and node.module == "files"
        and listing & {alias.name for alias in node.names}
    }
    assert users == {"catalog", "engine"}
