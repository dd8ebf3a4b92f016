"""The shape of the code (README "Layout"): which part may import which.

Read from the source with `ast`, so a new import that breaks a rule fails here
with the file and line, whether or not any test runs that code path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "commentsvc"

FOUNDATIONS = {
    "clock",
    "config",
    "errors",
    "ids",
    "logthrottle",
    "models",
    "policy",
    "ratelimit",
    "redisurl",
    "render",
    "runtime",
    "schedule",
    "security",
    "validation",
    "views",
}
"""The only modules at the top of `commentsvc/`: what every part may use."""
PARTS = {
    "auth",
    "cli",
    "comments",
    "corrections",
    "i18n",
    "moderation",
    "notify",
    "queue",
    "review",
    "rights",
    "store",
    "transfer",
    "web",
    "webhooks",
}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in `path`, relative ones made absolute."""
    tree = ast.parse(path.read_text(), str(path))
    here = path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = here[: len(here) - node.level]
                base = ".".join([*package, base] if base else package)
            yield node.lineno, base
            for alias in node.names:  # `from commentsvc import store`, `from aiohttp import web`
                yield node.lineno, f"{base}.{alias.name}"


def sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def part_of(module: str) -> str | None:
    """`commentsvc.store.comments` → "store"; a foundation module → "foundation"."""
    parts = module.split(".")
    if parts[0] != "commentsvc" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in PARTS else "foundation"


def offences(folders: tuple[str, ...], bad: set[str]) -> list[str]:
    found = []
    for path in sources(*folders):
        for line, module in imports(path):
            if part_of(module) in bad:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_the_top_level_holds_only_foundations_and_parts() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert modules == FOUNDATIONS
    assert packages == PARTS


def test_moderation_imports_nothing_of_the_service() -> None:
    """The filters are pure: text and policy in, reasons out (models and policy only)."""
    assert offences(("commentsvc/moderation",), PARTS - {"moderation"}) == []


def test_the_store_imports_no_part() -> None:
    assert offences(("commentsvc/store",), PARTS - {"store"}) == []


def test_the_foundations_import_no_part_but_the_runtime() -> None:
    """`runtime` wires the parts together; every other foundation stands on the two
    bottom parts at most: the pure filters (`moderation`) and Redis plumbing (`queue`)."""
    folders = tuple(f"commentsvc/{name}.py" for name in sorted(FOUNDATIONS - {"runtime"}))
    found = []
    for folder in folders:
        path = ROOT / folder
        for line, module in imports(path):
            if part_of(module) in PARTS - {"moderation", "queue"}:
                found.append(f"{folder}:{line} imports {module}")
    assert found == []


def test_only_web_cli_and_workers_use_the_web_framework() -> None:
    found = []
    for path in sources("commentsvc"):
        rel = path.relative_to(ROOT).parts
        if rel[1] in ("web", "cli"):
            continue
        for line, module in imports(path):
            if module == "aiohttp.web" or module.startswith("aiohttp.web."):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


def test_only_the_cli_imports_the_workers() -> None:
    found = []
    for path in sources("commentsvc"):
        if path.relative_to(ROOT).parts[1] == "cli":
            continue
        for line, module in imports(path):
            if module == "workers" or module.startswith("workers."):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


def test_the_rules_see_a_breach() -> None:
    """The checks above would fail on a real breach (not vacuous)."""
    assert offences(("commentsvc/web",), {"store"}) != []
    assert any(m == "aiohttp.web" for _, m in imports(PACKAGE / "web" / "app.py"))
