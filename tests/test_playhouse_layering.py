"""How the playhouse modules depend on each other, checked on the source.

* No import cycle among ``playhouse/*.py``, counting imports made inside functions.
* Inside functions, playhouse imports only optional third-party drivers (``apsw``,
  ``psycopg2`` ...): never ``orm`` or another playhouse module.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLAYHOUSE = sorted((ROOT / 'playhouse').glob('*.py'))
MODULES = {path.stem for path in PLAYHOUSE}


def _targets(node: ast.AST) -> list:
    """The playhouse modules an import statement names (``[]`` for anything else)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:                          # from . import x / from ._vtab import y
            if node.module:
                names = ['playhouse.' + node.module]
            else:
                names = ['playhouse.' + alias.name for alias in node.names]
        elif node.module == 'playhouse':        # from playhouse import reflection
            names = ['playhouse.' + alias.name for alias in node.names]
        else:
            names = [node.module or '']
    else:
        return []
    found = []
    for name in names:
        parts = name.split('.')
        if parts[0] == 'playhouse' and len(parts) > 1 and parts[1] in MODULES:
            found.append(parts[1])
    return found


def _graph() -> dict:
    graph = {}
    for path in PLAYHOUSE:
        tree = ast.parse(path.read_text(encoding='utf-8'))
        graph[path.stem] = {target for node in ast.walk(tree) for target in _targets(node)
                            if target != path.stem}
    return graph


def test_no_import_cycle_in_playhouse() -> None:
    graph = _graph()

    def reachable(start: str) -> set:
        seen: set = set()
        todo = list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        return seen

    cyclic = sorted(module for module in graph if module in reachable(module))
    assert not cyclic, 'playhouse modules in an import cycle: %s' % ', '.join(cyclic)


@pytest.mark.parametrize('path', PLAYHOUSE, ids=lambda p: p.name)
def test_no_function_level_import_of_our_modules(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text(encoding='utf-8'))
    problems = []
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.ImportFrom):
                names = [('.' * node.level) + (node.module or '')]
            else:
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith('.') or name.split('.')[0] in ('orm', 'playhouse'):
                    problems.append('%d: %s() imports %s' % (node.lineno, func.name, name))
    assert not problems, '\n'.join(problems)
