"""Views read through the read side (projections/views.py) and nothing else.

Each read there owns catching the read models up, its transaction and its
not-found; a view that did any of it itself would be a second home for it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import api

API = Path(api.__file__).parent
# Cursor-level queries: only the read side calls them.
QUERY_MODULES = {"projections.agreements", "projections.coverage_queries",
                 "projections.history_queries", "projections.agreement_page_queries",
                 "projections.audit_queries"}


def api_modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(API.parent)): ast.parse(path.read_text(), str(path))
            for path in sorted(API.rglob("*.py"))}


def test_no_view_catches_the_read_models_up_or_opens_a_transaction():
    found = [f"{name}:{node.lineno} .{node.attr}"
             for name, tree in api_modules().items() for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr in ("catch_up", "transaction")]
    assert found == []


def test_no_view_imports_a_query_over_a_cursor():
    found = []
    for name, tree in api_modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imported = {a.name for a in node.names}
            else:
                continue
            found += [f"{name}:{node.lineno} {m}" for m in sorted(imported & QUERY_MODULES)]
    assert found == []
