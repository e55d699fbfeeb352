"""The package graph points one way, read from the source's own imports (ast, no import).

    farechain (wiring)  <-  bench, loadtest, securityaudit (plugins of its CLI, above it)
        |
    domains: trips, invoicing, gates, ledger, ... (no domain imports the wiring)
        |
    ground: plumbing, storage (no domain), fare and ledger's pure core (no framework)

`python -m tests.test_layout` prints the graph: each package and the packages it imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIRING = "farechain"
ABOVE_WIRING = {"bench", "loadtest", "securityaudit"}
BOTTOM = {"plumbing", "storage", "fare"}
MAX_LINES = 400
FRAMEWORKS = {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "redis", "uvicorn", "psycopg"}
# Pure cores: modules that take bytes and values in and out, and never I/O.
PURE = [
    "fare",
    "ledger/merkle.py",
    "ledger/records.py",
    "ledger/note.py",
    "ledger/checkpoint.py",
    "ledger/cosignature.py",
    "ledger/receipt.py",
    "ledger/commitment.py",
    "ledger/keys.py",
    "invoicing/numbering.py",
    "invoicing/tax.py",
]


def packages() -> list[str]:
    return sorted(
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"
    )


def modules(place: str) -> Iterator[Path]:
    path = ROOT / place
    yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of every absolute import in the module, inside functions too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_graph() -> dict[str, set[str]]:
    ours = set(packages())
    return {
        package: {name for path in modules(package) for name in imported(path)} & ours - {package}
        for package in ours
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == trail[0]:
                found.append([*trail, nxt])
            elif nxt not in trail and nxt > trail[0]:  # each cycle once, from its least node
                walk(nxt, [*trail, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def test_the_package_graph_has_no_cycle() -> None:
    assert cycles(package_graph()) == []


def test_no_domain_imports_the_wiring_or_what_stands_above_it() -> None:
    graph = package_graph()
    domains = set(graph) - {WIRING} - ABOVE_WIRING
    offenders = {p: graph[p] & ({WIRING} | ABOVE_WIRING) for p in domains}
    assert {p: names for p, names in offenders.items() if names} == {}
    assert graph[WIRING].isdisjoint(ABOVE_WIRING), "the wiring loads them as plugins"


def test_the_ground_imports_no_domain() -> None:
    graph = package_graph()
    assert {p: graph[p] - BOTTOM for p in BOTTOM if graph[p] - BOTTOM} == {}
    assert graph["plumbing"] <= set() and graph["storage"] <= set()


def test_pure_cores_import_no_framework_database_or_redis() -> None:
    offenders = {
        str(path.relative_to(ROOT)): names & FRAMEWORKS
        for place in PURE
        for path in modules(place)
        if (names := imported(path)) & FRAMEWORKS
    }
    assert offenders == {}


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for place in [*packages(), "tests"]
        for path in modules(place)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_a_cycle_and_an_import_inside_a_function(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from farechain.app import create_app\nimport os.path\n")
    assert imported(module) == {"farechain", "os"}


if __name__ == "__main__":
    for package, names in sorted(package_graph().items()):
        print(f"{package:10} -> {', '.join(sorted(names)) or '(nothing of ours)'}")
