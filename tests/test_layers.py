"""The import graph of src/mailcheck, read from the source with ast: no cycle among our
modules, and the lower layers (dns/, smtp/, transport/, mxhosts) never import the
higher ones (checks/, commands/, cli/).

Imports inside functions count: a lazy import is how a cycle hides (checks/starttls.py
once imported dane and mta_sts inside a function while both imported it back), and it
is still a dependency the first call pays for. Imports under ``if TYPE_CHECKING:`` do not
count: they exist only for the type checker. A package's own ``__init__`` importing its
submodules is no edge either: every submodule already depends on its package (Python
imports ``a`` before ``a.b``), so that is how a package registers its parts (cli/ adds
its commands to the app that way), not a cycle between two modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
LOWER = ("mailcheck.dns", "mailcheck.smtp", "mailcheck.transport", "mailcheck.mxhosts")
HIGHER = ("mailcheck.checks", "mailcheck.commands", "mailcheck.cli")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (SRC / "mailcheck").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imported(module: str, path: Path) -> Iterator[str]:
    """The mailcheck modules ``module`` imports, at any depth but TYPE_CHECKING."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (i for orelse in child.orelse for i in walk(orelse))
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            yield from walk(child)

    for node in walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from a import b" names the module a.b when there is one, else something in a.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        yield from (name for name in names if name in MODULES and name != module)


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        is_package = path.name == "__init__.py"
        graph[module] = {t for t in _imported(module, path) if not (is_package and _within(t, module))}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_source():
    graph = _graph()
    # Known edges, one module-level and one inside a function: if these stop being seen,
    # the reader is broken and the tests below would pass on nothing.
    assert "mailcheck.mxhosts" in graph["mailcheck.checks.mx"]
    assert "mailcheck.checks.dane" in graph["mailcheck.checks.starttls"]
    assert "mailcheck.smtp.probe" in graph["mailcheck.commands.probe"]


def test_the_cycle_finder_finds_a_lazy_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_mailcheck_modules():
    assert _cycles(_graph()) == []


def test_lower_layers_do_not_import_checks_commands_or_cli():
    wrong = sorted(
        (module, target)
        for module, targets in _graph().items()
        if any(_within(module, low) for low in LOWER)
        for target in targets
        if any(_within(target, high) for high in HIGHER)
    )
    assert wrong == []


TESTS = Path(__file__).resolve().parent


def _imports_conftest(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1] == "conftest":
            return True
        if isinstance(node, ast.Import) and any(alias.name.split(".")[-1] == "conftest" for alias in node.names):
            return True
    return False


def test_the_conftest_finder_sees_an_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from tests.conftest import run_cli\n")
    assert _imports_conftest(probe)
    probe.write_text("from tests.helpers import run_cli\n")
    assert not _imports_conftest(probe)


def test_no_test_module_imports_conftest():
    """Helpers live in tests/helpers; conftest.py is pytest's, for fixtures and hooks."""
    importers = sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py") if _imports_conftest(p))
    assert importers == []
