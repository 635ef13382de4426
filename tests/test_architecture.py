"""The package's layout follows the pipeline: every module imports only modules on lower floors
(or, within one package, earlier ones), so there are no import loops and nothing reaches up.

The floors, lowest first, are in :data:`FLOORS`; ``docs/architecture.md`` explains them. Every
``placecast`` import counts, at any depth of the code (inside functions and ``TYPE_CHECKING``
blocks too), read from the source with :mod:`ast` rather than by importing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import placecast

SRC = Path(placecast.__file__).parent

#: Floors of the house, lowest first. A module is on the floor of the longest prefix listed.
FLOORS: list[tuple[str, ...]] = [
    (
        "placecast._version",
        "placecast.errors",
        "placecast.states",
        "placecast.calendar",
        "placecast.folders",
    ),
    ("placecast.rates", "placecast.supply", "placecast.stock"),
    ("placecast.costs", "placecast.summary"),
    ("placecast.inputs",),
    ("placecast.engine",),
    ("placecast.forecasting",),
    ("placecast.scenario",),
    ("placecast.results",),
    ("placecast.data",),
    ("placecast.fit",),
    ("placecast.evaluation",),
    ("placecast.report",),
    ("placecast.batch",),
    ("placecast.cli",),
    ("placecast",),  # the public import surface, placecast/__init__.py
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> int:
    best, floor = -1, -1
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), level
    assert floor >= 0, f"{module} is on no floor: add it to FLOORS and docs/architecture.md"
    return floor


def imports_of(path: Path) -> set[str]:
    """The placecast modules ``path`` imports (``from a import b`` counts ``a.b`` if a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("placecast")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("placecast"):
            assert node.level == 0, f"{path}: use absolute imports"
            module = str(node.module)
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    return found


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def test_every_module_is_on_a_floor():
    for module in MODULES:
        floor_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_floor(module):
    here = floor_of(module)
    for imported in imports_of(MODULES[module]):
        if imported == module or module.startswith(imported + "."):
            continue  # a package's own __init__ or itself
        assert floor_of(imported) <= here, (
            f"{module} (floor {here}) imports {imported} (floor {floor_of(imported)}), which sits "
            "above it: move the shared piece down, or the caller up"
        )


def test_no_import_loops():
    graph = {m: {i for i in imports_of(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # A package's __init__ re-exports its modules; a module importing its own package's
    # __init__ would close a loop through it, and counts.
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                loop = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError(f"import loop: {' -> '.join(loop)}")
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_the_check_sees_a_loop(tmp_path):
    """The loop finder is not vacuous: two modules importing each other are reported."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from placecast.states import StateSpace\n")
    b.write_text("import placecast.cli\n")
    assert imports_of(a) == {"placecast.states"}
    assert imports_of(b) == {"placecast.cli"}
    assert floor_of("placecast.cli.fit") > floor_of("placecast.report.html")


def test_no_module_is_shadowed_by_a_package_attribute():
    """``import placecast.X as m`` must give the module X, not a function of the same name."""
    import importlib

    for module in MODULES:
        parent, _, child = module.rpartition(".")
        if not parent:
            continue
        package = importlib.import_module(parent)
        value = getattr(package, child, None)
        if value is not None:
            assert isinstance(value, type(placecast)), f"{parent}.{child} is not the module"


def test_the_command_line_starts_without_the_fitting_stack():
    """``placecast forecast`` never fits: starting the command line must not import PyMC, ArviZ,
    JAX or Dask (seconds of start-up; cli/fit.py importing the fit at module level made every
    command take 5 s more)."""
    import subprocess
    import sys

    code = (
        "import sys, placecast.cli\n"
        "heavy = [m for m in ('pymc', 'arviz', 'jax', 'nutpie', 'dask') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
