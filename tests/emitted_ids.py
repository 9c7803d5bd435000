"""Every check id the source code can emit, read from the source itself.

An id reaches a ``Check`` as a literal, a conditional between literals, a module
constant, a local variable, a parameter filled by literal arguments, or an f-string
(which becomes a wildcard pattern: ``f"{area}.lookup"`` is ``*.lookup``). Anything
else is reported as untraceable, so a new way of building ids cannot slip past the
catalogue test unseen.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "mailcheck"


@dataclass
class Emitted:
    ids: dict[str, list[str]] = field(default_factory=dict)  # id or pattern -> where
    untraceable: list[str] = field(default_factory=list)

    def add(self, check_id: str, where: str) -> None:
        self.ids.setdefault(check_id, []).append(where)


def emitted_ids(source: Path = SOURCE) -> Emitted:
    emitted = Emitted()
    for path in sorted(source.rglob("*.py")):
        if "catalogue" in path.relative_to(source).parts:
            continue
        _scan_module(path, f"{source.name}/{path.relative_to(source)}", emitted)
    return emitted


def _scan_module(path: Path, shown_as: str, emitted: Emitted) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}

    def enclosing_function(node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def resolve(expr: ast.expr, at: ast.AST, depth: int = 0) -> list[str] | None:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value]
        if isinstance(expr, ast.IfExp):
            body, orelse = resolve(expr.body, at, depth), resolve(expr.orelse, at, depth)
            return None if body is None or orelse is None else body + orelse
        if isinstance(expr, ast.JoinedStr):
            return ["".join(v.value if isinstance(v, ast.Constant) else "*" for v in expr.values)]
        if isinstance(expr, ast.Attribute) and expr.attr == "id":
            return []  # an existing check's id passed through (skipped, renamed by replace())
        if isinstance(expr, ast.Name) and depth < 3:
            return resolve_name(expr.id, at, depth)
        return None

    def resolve_name(name: str, at: ast.AST, depth: int) -> list[str] | None:
        function = enclosing_function(at)
        if function is not None:
            assigned = [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            ]
            if assigned:
                found = [resolve(value, value, depth + 1) for value in assigned]
                return None if any(f is None for f in found) else [i for f in found for i in f or []]
            params = [arg.arg for arg in function.args.args]
            if name in params:
                return literal_arguments(function.name, params.index(name), name, depth)
        if name in constants:
            return [constants[name]]
        return None

    def literal_arguments(function: str, index: int, name: str, depth: int) -> list[str] | None:
        found: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) == function:
                arg = node.args[index] if len(node.args) > index else _keyword(node, name)
                resolved = resolve(arg, node, depth + 1) if arg is not None else None
                if resolved is None:
                    return None
                found.extend(resolved)
        return found or None

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _called(node)
        if called == "Check":
            expr = node.args[0] if node.args else _keyword(node, "id")
        elif called == "replace":
            expr = _keyword(node, "id")
            if expr is None:
                continue
        else:
            continue
        where = f"{shown_as}:{node.lineno}"
        resolved = resolve(expr, node) if expr is not None else None
        if resolved is None:
            emitted.untraceable.append(f"{where}: {ast.unparse(expr) if expr is not None else '(no id)'}")
        for check_id in resolved or []:
            emitted.add(check_id, where)


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)
