"""The package's imports follow the documented flow (docs/architecture.md), with no circle.

Every ``import ethostyle...`` / ``from ethostyle... import`` statement of every module
(at the top or inside a function) is read with :mod:`ast`; each module belongs to a
layer, and a module may import only modules of its own or a lower layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ethostyle"

#: Layers from the ground up (docs/architecture.md); a module may import its own layer
#: and those listed before it. The first matching prefix names a module's layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", ("ethostyle", "ethostyle.errors", "ethostyle.data", "ethostyle.atomic",
                "ethostyle.progress", "ethostyle.threads", "ethostyle.bouts")),
    ("io", ("ethostyle.io",)),
    ("video", ("ethostyle.video",)),
    ("features", ("ethostyle.features",)),
    ("simulate", ("ethostyle.simulate",)),
    ("importers", ("ethostyle.importers",)),
    ("scoring", ("ethostyle.decode", "ethostyle.metrics")),
    ("motifs", ("ethostyle.motifs",)),
    ("models", ("ethostyle.models",)),
    ("compare", ("ethostyle.compare",)),
    ("report", ("ethostyle.report",)),
    ("distributed", ("ethostyle.distributed",)),
    ("demo", ("ethostyle.demo",)),
    ("cli", ("ethostyle.cli",)),
]  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_len and prefix != "ethostyle":
                best, best_len = index, len(prefix)
    if best is None and module == "ethostyle":
        return 0
    assert best is not None, f"{module} belongs to no layer of docs/architecture.md"
    return best


def _imports(path: Path, module: str) -> set[str]:
    """The ethostyle modules a file imports (``from x import y`` may name module ``x.y``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ethostyle"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if not base.startswith("ethostyle"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in _MODULES else base)
    return found - {module}


_FILES = sorted(PACKAGE.rglob("*.py"))
_MODULES = {_module_name(p) for p in _FILES}
_GRAPH = {_module_name(p): _imports(p, _module_name(p)) & _MODULES for p in _FILES}


@pytest.mark.parametrize("module", sorted(_GRAPH))
def test_module_imports_only_its_own_or_lower_layers(module: str) -> None:
    against = sorted(
        f"{module} ({LAYERS[_layer(module)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
        for target in _GRAPH[module]
        if _layer(target) > _layer(module)
    )
    assert not against, "imports against the documented flow:\n" + "\n".join(against)


def test_no_import_circle() -> None:
    # Package faces (__init__.py) re-export their modules; an import of a module's own
    # package face is not a dependency on its siblings.
    graph = {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in _GRAPH.items()}
    visiting: list[str] = []
    done: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            circles.append([*visiting[visiting.index(node) :], node])
            return
        visiting.append(node)
        for target in sorted(graph[node]):
            visit(target)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_checker_sees_an_import_against_the_flow(tmp_path: Path) -> None:
    # A module of the io layer that imported the models would be reported.
    assert _layer("ethostyle.io.outputs") < _layer("ethostyle.models.boosted")
    fake = tmp_path / "fake.py"
    fake.write_text("from ethostyle.models.boosted import StyleTransferModel\n")
    assert "ethostyle.models.boosted" in _imports(fake, "ethostyle.io.fake")


def test_no_module_imports_names_from_its_own_package_face() -> None:
    # A package face (__init__.py) imports its modules: models/__init__.py imports every
    # model family so that each registers itself. A module of the package that imported
    # a name from its own face would run while that face is half-built; it imports its
    # siblings directly instead (the root package, which imports nothing, is exempt).
    against = sorted(
        f"{module} imports from its package face {target}"
        for module, targets in _GRAPH.items()
        for target in targets
        if module.startswith(target + ".") and target != "ethostyle"
    )
    assert not against, "\n".join(against)


#: Modules past :data:`MAX_MODULE_LINES` and functions past :data:`MAX_FUNCTION_LINES`
#: when the limits came in (issue 20): debts to pay down, so these lists only shrink
#: (an entry that no longer exists or already fits fails the test: delete it).
LONG_MODULES: set[str] = set()
LONG_FUNCTIONS = {
    # its docstring is 63 of its lines; the body is named steps (comment at the function)
    "compare/core.py:compare_labels",
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    """Lines of every module and of every function (``module:function``, the longest of a name)."""
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in _FILES:
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text()
        modules[name] = text.count("\n")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                key = f"{name}:{node.name}"
                functions[key] = max(functions.get(key, 0), node.end_lineno - node.lineno + 1)
    return modules, functions


def test_modules_and_functions_stay_short() -> None:
    modules, functions = _sizes()
    too_long = [
        f"{name}: {lines} lines"
        for name, lines in modules.items()
        if lines > MAX_MODULE_LINES and name not in LONG_MODULES
    ] + [
        f"{name}: {lines} lines"
        for name, lines in functions.items()
        if lines > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS
    ]
    assert not too_long, (
        f"past {MAX_MODULE_LINES} lines a module, {MAX_FUNCTION_LINES} a function "
        "(split it into named steps):\n" + "\n".join(too_long)
    )


def test_the_size_allowlists_only_shrink() -> None:
    # A debt paid (or a name gone) leaves the list, so it cannot come back unnoticed.
    modules, functions = _sizes()
    stale = [
        f"LONG_MODULES: {name} ({f'{modules[name]} lines' if name in modules else 'gone'})"
        for name in sorted(LONG_MODULES)
        if modules.get(name, 0) <= MAX_MODULE_LINES
    ] + [
        f"LONG_FUNCTIONS: {name} ({f'{functions[name]} lines' if name in functions else 'gone'})"
        for name in sorted(LONG_FUNCTIONS)
        if functions.get(name, 0) <= MAX_FUNCTION_LINES
    ]
    assert not stale, "allowlisted but short (delete the entry):\n" + "\n".join(stale)
