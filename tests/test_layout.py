"""The package layout (DESIGN.md, "Layout"): one-way imports, module contracts, and a wheel that works.

* The import graph of ``symbolic/`` and ``numeric/`` — every ``import`` at any
  nesting, function-level ones included, relative imports resolved — has no
  cycle, and imports point one way: faces → documents → claims → formulas →
  truth → spec → numeric; ``numeric/`` never imports SymPy.
* Imports sit at the top of their module, except in the two faces that import
  lazily for start-up speed (cli, pytest_plugin).
* Every module states its contract in a docstring and its public names in
  ``__all__``; no module is over 400 lines except the lark grammar.
* A wheel built from the repository installs into a fresh virtual environment
  and its ``derivcheck`` command checks the bundled derivations from outside
  the repository.

Violations in files that are being reworked elsewhere are listed in the KNOWN
sets below, each with its reason. The tests assert the found set *equals* the
known one, so they fail both when a new violation appears and when a known one
is fixed (then its entry is to be removed here).
"""
from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("symbolic", "numeric")

# Layers, lowest first: a module may import its own layer and the ones below it.
LAYERS = ("numeric", "spec", "truth", "formulas", "claims", "documents", "faces")
SUB_PACKAGES = ("spec", "truth", "formulas", "claims", "documents")
# Sub-packages of the faces layer (on top of documents; they may import every layer below, never cli).
FACE_PACKAGES = ("grading",)

# Import edges that break the layer order, in files whose owners are reworking them.
# Each entry is "importer -> imported"; remove it once the import is gone.
KNOWN_LAYER_VIOLATIONS: set[str] = set()

# Modules over MAX_LINES that are being split right now; remove an entry once it is short.
# (symbolic/formulas/matrix_form.py and symbolic/documents/document.py were here until their splits.)
KNOWN_LONG: set[str] = {
    "symbolic/pytest_plugin.py",  # a face: collection, caching and fixtures in one module (442 lines)
}
# The lark grammar is one long string and one transformer: long by nature.
LONG_BY_NATURE = {"symbolic/formulas/parser.py"}
MAX_LINES = 400


# ----------------------------------------------------------------------------- the module graph
def _module_files() -> dict[str, Path]:
    """Module name -> file, for every module of the two packages (sub-packages walked recursively)."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _module_files()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(module: str, path: Path) -> tuple[set[str], set[str]]:
    """(modules of the two packages, top-level names of other packages) that ``module`` imports, at any nesting."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    internal: set[str] = set()
    external: set[str] = set()

    def add(target: str) -> None:
        if target.split(".")[0] in PACKAGES:
            internal.add(target)
        else:
            external.add(target.split(".")[0])

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                assert base, f"{_rel(path)}:{node.lineno} imports beyond the top-level package."
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                add(sub if sub in MODULES else target)
    for target in internal:
        assert target in MODULES, f"{module} imports {target}, which is not a module of {' or '.join(PACKAGES)}."
    return internal - {module}, external


GRAPH: dict[str, set[str]] = {}
EXTERNAL: dict[str, set[str]] = {}
for _name, _path in MODULES.items():
    GRAPH[_name], EXTERNAL[_name] = _imports(_name, _path)


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "numeric":
        return "numeric"
    if len(parts) > 1 and parts[1] in SUB_PACKAGES:
        return parts[1]
    return "faces"  # symbolic/__init__, cli, pytest_plugin, gradcheck, errata, and FACE_PACKAGES (grading)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle path (first module repeated at the end) per strongly connected component with a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan; the graph has ~50 nodes, recursion depth is no concern
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)

    paths = []
    for comp in components:  # a shortest path back to the component's first module
        members, start = set(comp), comp[0]
        previous = {start: None}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & members):
                    if w == start:
                        found = v
                        break
                    if w not in previous:
                        previous[w] = v
                        nxt.append(w)
                if found is not None:
                    break
            frontier = nxt
        path = [start]
        v = found
        while v is not None and v != start:
            path.append(v)
            v = previous[v]
        paths.append([start] + path[1:][::-1] + [start])
    return paths


def test_the_scan_sees_every_sub_package_and_function_level_imports():
    """Guards the other tests against scanning nothing: sub-packages, relative and nested imports are all seen."""
    assert {_layer(m) for m in MODULES} == set(LAYERS)
    assert {"symbolic.spec.rules", "symbolic.truth.program", "symbolic.formulas.program_proof",
            "symbolic.claims.check", "symbolic.documents.document", "numeric.engine"} <= set(MODULES)
    assert "symbolic.spec.network" in GRAPH["symbolic.truth.program"]  # from ..spec.network import …
    assert "symbolic.truth.program" in GRAPH["symbolic.formulas.program_proof"]
    # the CLI imports lazily (inside functions) for start-up speed: those imports are edges too
    assert "symbolic.claims.running" in GRAPH["symbolic.cli"]
    assert "sympy" in EXTERNAL["symbolic.spec.rules"] and "numpy" in EXTERNAL["numeric.engine"]
    for face in FACE_PACKAGES:
        members = [m for m in MODULES if m.startswith(f"symbolic.{face}.")]
        assert members and {_layer(m) for m in members} == {"faces"}, face
        assert not any("symbolic.cli" in GRAPH[m] for m in members), f"{face} imports the CLI"


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c", "a"]]),
    ({"a": {"a"}}, [["a", "a"]]),
    ({"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"c"}}, [["c", "d", "c"], ["a", "b", "a"]]),
])
def test_cycle_finder(graph, expected):
    assert sorted(_cycles(graph)) == sorted(expected)


def test_import_graph_has_no_cycle():
    cycles = _cycles(GRAPH)
    assert not cycles, "Import circles (any nesting): " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_point_one_way():
    rank = {layer: k for k, layer in enumerate(LAYERS)}
    found = set()
    for module, targets in GRAPH.items():
        for target in targets:
            if rank[_layer(target)] > rank[_layer(module)]:
                found.add(f"{module} -> {target}")
    for module, names in EXTERNAL.items():
        if _layer(module) == "numeric" and "sympy" in names:
            found.add(f"{module} -> sympy")
    assert found == KNOWN_LAYER_VIOLATIONS, (
        f"new: {sorted(found - KNOWN_LAYER_VIOLATIONS)}; fixed (remove from KNOWN_LAYER_VIOLATIONS): "
        f"{sorted(KNOWN_LAYER_VIOLATIONS - found)}")


# The faces import inside functions for start-up speed only (pytest loads the plugin in every run):
# nothing they import imports them back, which test_import_graph_has_no_cycle checks with those imports
# as edges. Everywhere else an import belongs at the top of the module, except for the start-up of
# `derivcheck check` (issue 21's small-network goal, benchmarks/run.py --small): the two packages'
# public names load on first use (PEP 562 __getattr__), and the claim checker loads the LaTeX formula
# readers (lark and ~30 modules, ~0.2 s) only for a formula claim.
LAZY_FOR_SPEED = {"symbolic/cli.py", "symbolic/pytest_plugin.py", "symbolic/__init__.py",
                  "symbolic/grading/__init__.py", "symbolic/claims/check.py"}


def _function_level_imports(path: Path) -> list[int]:
    """Line numbers of the imports inside a function or class body of ``path``."""
    lines = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and inside:
                lines.append(child.lineno)
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                      ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return lines


@pytest.mark.parametrize("source, expected", [
    ("import os\n", []),
    ("def f():\n    import os\n", [2]),
    ("class C:\n    def m(self):\n        from . import x\n", [3]),
    ("try:\n    import fcntl\nexcept ImportError:\n    fcntl = None\n", []),
])
def test_function_level_import_finder(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert _function_level_imports(path) == expected


def test_imports_are_at_module_top_outside_the_faces():
    found = {_rel(p): lines for p in MODULES.values() if (lines := _function_level_imports(p))}
    assert set(found) == LAZY_FOR_SPEED, {k: v for k, v in found.items() if k not in LAZY_FOR_SPEED}


# ------------------------------------------------------------------------------ module contracts
def _has_all(tree: ast.Module) -> bool:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def test_every_module_has_a_docstring_and_all():
    missing = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        if not doc or len(doc.split()) < 8:
            missing.append(f"{_rel(path)}: no docstring stating its contract")
        if not _has_all(tree):
            missing.append(f"{_rel(path)}: no __all__")
    assert not missing, missing


def test_sub_packages_say_what_they_hold():
    for sub in SUB_PACKAGES + FACE_PACKAGES:
        doc = ast.get_docstring(ast.parse((ROOT / "symbolic" / sub / "__init__.py").read_text(encoding="utf-8")))
        assert doc and doc.lower().startswith(f"the {sub} layer"), sub


def test_no_module_holds_two_jobs():
    long = {_rel(p) for p in MODULES.values() if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES}
    long -= LONG_BY_NATURE
    assert long == KNOWN_LONG, (f"over {MAX_LINES} lines: {sorted(long - KNOWN_LONG)}; now short (remove from "
                                f"KNOWN_LONG): {sorted(KNOWN_LONG - long)}")


# ------------------------------------------------------------------------------------ the wheel
def _wheel_command(source: Path, out: Path) -> list[str]:
    """pip wheel without build isolation (no download) when setuptools can build wheels offline."""
    import setuptools

    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    offline = importlib.util.find_spec("wheel") is not None or (major, minor) >= (70, 1)
    isolation = ["--no-build-isolation"] if offline else []  # else pip fetches setuptools and wheel itself
    return [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(out), str(source)]


def test_wheel_installs_and_checks_the_derivations_from_outside_the_repository(tmp_path):
    # build from a copy: an in-tree build writes build/ into the working tree other runs share
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, source / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    dist = tmp_path / "dist"
    build = subprocess.run(_wheel_command(source, dist), capture_output=True, text=True, env=env, timeout=120)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("derivcheck-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {_rel(p) for p in MODULES.values()}
    assert {"symbolic/spec/rules.py", "symbolic/truth/program.py", "symbolic/formulas/program_proof.py",
            "symbolic/claims/check.py", "symbolic/documents/document.py", "numeric/engine.py"} <= sources
    assert not sources - names, f"the wheel lacks {sorted(sources - names)}"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
                   check=True, env=env, timeout=60)
    python, derivcheck = venv / "bin" / "python", venv / "bin" / "derivcheck"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed",
                              "--no-index", str(wheel)], capture_output=True, text=True, env=env, timeout=120)
    assert install.returncode == 0, install.stderr[-3000:]

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('symbolic').origin)"],
                           capture_output=True, text=True, cwd=outside, env=env, timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel's copy, not the repository's

    files = sorted((ROOT / "derivations").glob("*.toml"))
    assert files
    run = subprocess.run([str(derivcheck), "check", str(ROOT / "derivations")], capture_output=True, text=True,
                         cwd=outside, env=env, timeout=120)
    assert run.returncode == 1, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])  # the seeds hold real errors
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    for f in files:
        assert f"== {f}" in run.stdout, f"{f.name} is not in the output:\n{run.stdout[-2000:]}"
