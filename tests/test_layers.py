"""The house's walls, held by a test: no import circle, the kernel and step layers import
nothing above them, and no private name is imported from another module.

Imports are counted wherever they are written -- at the top, inside functions and under
``TYPE_CHECKING`` -- since a circle closed by a lazy or type-only import is still a circle
in the design (``../shared/design/engine-review.md``, appendix A).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Rooms above the kernels and steps: methods/ and steps/ may import none of them.
UPPER = ("gipro.build", "gipro.scenario", "gipro.sensitivity", "gipro.report", "gipro.cli")

#: Known exceptions, each with the work that removes it (empty when the walls hold).
ALLOWED_CIRCLES: set[frozenset[str]] = set()
ALLOWED_PRIVATE: set[str] = set()


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> modules it imports (anywhere in the file), and the private names imported
    from other modules (``importer <- module.name``)."""
    mods = {".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): p
            for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    private: list[str] = []
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = (pkg.split(".")[: len(pkg.split(".")) - node.level + 1] if node.level
                        else [])
                target = ".".join(base + ([node.module] if node.module else []))
                for a in node.names:
                    t = f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target
                    if t in mods and t != m:
                        graph[m].add(t)
                        if (a.name.startswith("_") and not a.name.startswith("__")
                                and t == target):
                            private.append(f"{m} <- {target}.{a.name}")
            elif isinstance(node, ast.Import):
                graph[m] |= {a.name for a in node.names if a.name in mods and a.name != m}
    return graph, private


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    graph, _ = import_graph()
    found = set(circles(graph))
    assert found <= ALLOWED_CIRCLES, sorted(sorted(c) for c in found - ALLOWED_CIRCLES)


def test_kernels_and_steps_import_nothing_above_them():
    graph, _ = import_graph()
    for m, targets in graph.items():
        if m.startswith(("gipro.methods", "gipro.steps")):
            up = sorted(t for t in targets if t.startswith(UPPER))
            assert not up, f"{m} imports {up}"


def test_no_private_name_imported_across_modules():
    _, private = import_graph()
    assert set(private) <= ALLOWED_PRIVATE, sorted(set(private) - ALLOWED_PRIVATE)


def test_the_checks_see_a_circle_and_a_private_import():
    """The checks themselves on a made-up graph: a -> b -> a is a circle."""
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [frozenset({"a", "b"})]
