"""The architecture's rules (DESIGN.md, "Rules of the house"), checked by walking the imports.

- Only ``paperfeed.db`` builds SQL: elsewhere SQLAlchemy is used for its types
  (``sa.Engine``, ``sa.Connection``) and nothing else, and the tables are not imported.
- The edges (``paperfeed.web``, ``paperfeed.cli``, ``paperfeed.jobs``) call the library;
  nothing below them imports them, and they do not import each other (but the CLI starts
  the web server and the scheduler).
- No import cycle between paperfeed's modules, counting the imports made inside functions.
- Search is used through ``paperfeed.search`` alone, never its submodules.
- Every top-level module is one DESIGN.md places.

Run it alone with ``python -m pytest tests/test_layout.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "src" / "paperfeed"
EDGES = ("paperfeed.web", "paperfeed.cli", "paperfeed.jobs")
SQLALCHEMY_TYPES = {"Engine", "Connection", "Row", "RowMapping", "exc"}
# DESIGN.md's top level, plus observability (metrics and logs, used by every layer).
TOP_LEVEL = {"__init__", "config", "errors", "models", "ids", "periods", "ranking", "formatting", "workers",
             "observability", "jobs", "cli"}
PACKAGES = {"db", "sources", "ingest", "catalog", "members", "community", "search", "digest", "web", "sample"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a name imported from a package resolves to its submodule)
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(PACKAGE_DIR.rglob("*.py")) if "migrations" not in path.parts}


def imports_of(module: str, tree: ast.Module, known: set[str]) -> list[Import]:
    """Every import of a paperfeed module in ``tree``, at any depth (functions included)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names
                      if alias.name.split(".")[0] == "paperfeed"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "paperfeed":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append(Import(module, submodule if submodule in known else node.module, node.lineno))
    return found


def all_imports() -> list[Import]:
    modules = source_modules()
    known = set(modules)
    return [found for module, tree in modules.items() for found in imports_of(module, tree, known)]


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_nothing_below_the_edges_imports_them():
    wrong = [f"{i.module}:{i.line} imports {i.target}" for i in all_imports()
             if any(_under(i.target, edge) for edge in EDGES) and not any(_under(i.module, edge) for edge in EDGES)]
    assert wrong == []


# The edges do not lean on each other: the CLI starts the web server and the scheduler, and that is all.
ALLOWED_BETWEEN_EDGES = {("paperfeed.cli", "paperfeed.web.app"), ("paperfeed.cli", "paperfeed.jobs")}


def _edge_of(module: str) -> str | None:
    return next((edge for edge in EDGES if _under(module, edge)), None)


def test_the_edges_do_not_import_each_other():
    wrong = [f"{i.module}:{i.line} imports {i.target}" for i in all_imports()
             if _edge_of(i.module) and _edge_of(i.target) and _edge_of(i.module) != _edge_of(i.target)
             and (i.module, i.target) not in ALLOWED_BETWEEN_EDGES]
    assert wrong == []


def test_search_is_used_through_its_public_face():
    """Outside ``paperfeed.search``, code imports the names of ``paperfeed.search.__all__``, never a
    submodule (issue 25: one search path)."""
    wrong = []
    for module, tree in source_modules().items():
        if _under(module, "paperfeed.search"):
            continue
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            wrong += [f"{module}:{node.lineno} imports {name}" for name in names
                      if name.startswith("paperfeed.search.")]
    assert wrong == []


def test_the_public_face_of_search_names_what_exists():
    """Every public name resolves, and none is also a submodule's name (importing the submodule
    would replace the name on the package: ``highlight`` once became a module, not the function)."""
    import importlib.util

    import paperfeed.search

    assert [name for name in paperfeed.search.__all__ if getattr(paperfeed.search, name, None) is None] == []
    assert [name for name in paperfeed.search.__all__
            if importlib.util.find_spec(f"paperfeed.search.{name}") is not None] == []


def _sqlalchemy_misuse(module: str, tree: ast.Module) -> list[str]:
    aliases, wrong = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "sqlalchemy"}
            wrong += [f"{module}:{node.lineno} imports {alias.name}" for alias in node.names
                      if alias.name.startswith("sqlalchemy.")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "sqlalchemy":
                wrong += [f"{module}:{node.lineno} imports sqlalchemy.{alias.name}" for alias in node.names
                          if alias.name not in SQLALCHEMY_TYPES]
            elif node.module.startswith("sqlalchemy") and node.module != "sqlalchemy.exc":
                wrong.append(f"{module}:{node.lineno} imports {node.module}")
            elif node.module in ("paperfeed.db.tables", "paperfeed.db.dialect") or (
                    node.module == "paperfeed.db" and {a.name for a in node.names} & {"tables", "dialect"}):
                wrong.append(f"{module}:{node.lineno} imports the tables (only db/ builds SQL)")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr not in SQLALCHEMY_TYPES):
            wrong.append(f"{module}:{node.lineno} uses {node.value.id}.{node.attr}")
    return wrong


def test_only_db_builds_sql():
    wrong = [problem for module, tree in source_modules().items() if not _under(module, "paperfeed.db")
             for problem in _sqlalchemy_misuse(module, tree)]
    assert wrong == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    edges: dict[str, set[str]] = {}
    for found in all_imports():
        if found.target != found.module and not found.module.startswith(found.target + "."):
            edges.setdefault(found.module, set()).add(found.target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_top_level_holds_only_what_design_md_places():
    modules = {path.stem for path in PACKAGE_DIR.glob("*.py")}
    packages = {path.name for path in PACKAGE_DIR.iterdir() if (path / "__init__.py").is_file()}
    assert modules - TOP_LEVEL == set()
    assert packages - PACKAGES == set()
