"""The package's import structure: one-way layers, no cycles (lazy imports included), commands apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "draftbot"

# Each module sits on one level and only imports modules on its own level or below.
# Within a level, imports are allowed as long as they never run in a circle.
LAYERS = [
    # 0: foundation: no draftbot imports beyond this level
    {"draftbot", "draftbot.errors", "draftbot.resources", "draftbot.yamlio", "draftbot.textio", "draftbot.atomicfile",
     "draftbot.datacache", "draftbot.headings", "draftbot.tokens", "draftbot.names", "draftbot.redact"},
    # 1: documents and data: what users and draftbot write, read into models
    {"draftbot.facts", "draftbot.plans", "draftbot.samples", "draftbot.draft", "draftbot.docx_reader",
     "draftbot.figures", "draftbot.config", "draftbot.draftedit", "draftbot.masking", "draftbot.localonly",
     "draftbot.auditlog"},
    # 2: engines, checks, export: the work on those documents
    {"draftbot.engines", "draftbot.checks", "draftbot.export", "draftbot.prompting", "draftbot.compose",
     "draftbot.rewrite", "draftbot.repair", "draftbot.journal", "draftbot.budget", "draftbot.docxedit",
     "draftbot.evidence", "draftbot.lastyear"},
    # 3: the flows the commands share
    {"draftbot.workflow", "draftbot.batch"},
    # 4: the command line
    {"draftbot.cli", "draftbot.__main__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts)
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


# Modules that import by name at run time (importlib), and what they may import that way.
DYNAMIC_IMPORTS = {"draftbot.cli": "draftbot.cli.", "draftbot.checks.run": "draftbot.checks."}


def _resolve(target: str, modules: set[str]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every draftbot module `path` imports, at the top or inside functions, resolved to a module.

    `from pkg import name` is an import of pkg.name when that is a module, else of pkg;
    `import a.b.c` imports a.b.c (and, as Python runs them, the packages above it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            prefix = DYNAMIC_IMPORTS.get(name)
            assert prefix, f"{name}: import by name at run time is not allowed (add it to DYNAMIC_IMPORTS)"
            targets = [m for m in modules if m.startswith(prefix)]
        else:
            continue
        for target in targets:
            resolved = _resolve(target, modules) if target.startswith("draftbot") else None
            if resolved and resolved != name:
                found.add(resolved)
    return found


def _dynamic_import(node: ast.Call) -> bool:
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return called in ("import_module", "__import__")


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path, name, modules) for name, path in files.items()}


def layer_of(module: str) -> int:
    for level, members in enumerate(LAYERS):
        for member in members:
            if module == member or (member != "draftbot" and module.startswith(member + ".")):
                return level
    raise AssertionError(f"{module} is on no layer: add it to LAYERS in tests/test_structure.py")


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _planted(tmp_path, files: dict[str, str]) -> dict[str, set[str]]:
    root = tmp_path / "draftbot"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    named = {module_name_in(p, tmp_path): p for p in root.rglob("*.py")}
    modules = set(named)
    return {n: imports_of(p, n, modules) for n, p in named.items()}


def module_name_in(path: Path, top: Path) -> str:
    name = ".".join(path.relative_to(top).with_suffix("").parts)
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def test_the_walker_sees_lazy_and_relative_imports(tmp_path):
    edges = _planted(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from draftbot.b import g\n",
        "b.py": "from . import a\n",
    })
    assert edges["draftbot.a"] == {"draftbot.b"} and edges["draftbot.b"] == {"draftbot.a"}
    assert find_cycle(edges) == ["draftbot.a", "draftbot.b", "draftbot.a"]


def test_the_walker_sees_a_base_importing_its_package_factory(tmp_path):
    """The cycle issue 8 named: engines/base imports the factory that imports the engine built on base."""
    edges = _planted(tmp_path, {
        "__init__.py": "",
        "engines/__init__.py": "def get():\n    from draftbot.engines.offline import E\n",
        "engines/offline.py": "from draftbot.engines.base import Engine\n",
        "engines/base.py": "def f():\n    from draftbot.engines import get\n",
    })
    cycle = find_cycle(edges)
    assert cycle is not None and set(cycle) == {"draftbot.engines", "draftbot.engines.offline",
                                                "draftbot.engines.base"}


def test_the_walker_sees_aliases_and_refuses_unknown_dynamic_imports(tmp_path):
    edges = _planted(tmp_path, {
        "__init__.py": "",
        "a.py": "import draftbot.b as bee\nfrom draftbot import c\n",
        "b.py": "",
        "c.py": "",
    })
    assert edges["draftbot.a"] == {"draftbot.b", "draftbot.c"}
    with pytest.raises(AssertionError, match="import by name"):
        _planted(tmp_path / "x", {"__init__.py": "", "d.py": "import importlib\nimportlib.import_module('m')\n"})


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_point_down_the_layers():
    upward = [
        f"{module} (level {layer_of(module)}) imports {target} (level {layer_of(target)})"
        for module, targets in sorted(graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_commands_do_not_import_commands():
    shared = {"draftbot.cli", "draftbot.cli.app", "draftbot.cli.options"}
    crossing = [
        f"{module} imports {target}"
        for module, targets in sorted(graph().items())
        if module.startswith("draftbot.cli.") and module not in shared
        for target in sorted(targets)
        if target.startswith("draftbot.cli.") and target not in shared
    ]
    assert crossing == []


def test_every_module_says_what_it_is_for():
    missing = [
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if path.stat().st_size and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []
