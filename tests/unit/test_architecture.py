"""The layers hold: no import cycle between the project's modules, counting
imports inside functions (`lint-imports` checks the direction of the layers)."""

from __future__ import annotations

import grimp

PACKAGES = ("registry", "events", "projections", "api")


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) & graph.modules
             for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert import_cycles() == []


def test_the_domain_imports_only_the_domain_the_events_the_standard_library_and_eventsourcing(
) -> None:
    import sys

    graph = grimp.build_graph("registry", "events", include_external_packages=True,
                               cache_dir=None)
    allowed = ("registry.domain", "events", "eventsourcing")
    foreign = sorted({(module, imported)
                      for module in graph.modules if module.startswith("registry.domain")
                      for imported in graph.find_modules_directly_imported_by(module)
                      if not imported.startswith(allowed)
                      and imported.split(".")[0] not in sys.stdlib_module_names})
    assert foreign == []
