"""The database layer (layer 4) imports only from the layers below it, at module level.

Layer 4 is ``database``, ``sqlite_db``, ``postgres_db``, ``postgres_adapters``,
``transactions`` and ``rows``, with ``exceptions``, ``seam``, ``proxy`` and
``json_methods`` beside or below them.  It may use the SQL tree (``orm/sql``) and the
dialects, never fields, models or model queries: those it reaches through
``orm.seam``.  Imports inside functions are kept for optional drivers only.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / 'orm'

LAYER = ('database', 'sqlite_db', 'postgres_db', 'postgres_adapters', 'transactions',
         'exceptions', 'json_methods', 'proxy')
#: what these modules may import from orm: the modules above, and the layers below
ALLOWED = set(LAYER) | {'seam', 'sql', 'dialects', 'rows'}
#: the only modules a function may import (drivers that need not be installed)
DRIVERS = ('psycopg2', 'psycopg', 'apsw', 'sqlite3')


def _orm_target(node: ast.ImportFrom) -> list:
    """The orm modules an ``from ... import`` statement of a module in orm/ reaches."""
    if node.level == 0:
        parts = (node.module or '').split('.')
        return [parts[1]] if parts[0] == 'orm' and len(parts) > 1 else []
    if node.level > 1:                     # from ..x: outside orm/ itself (not here)
        return ['<parent>']
    if node.module:
        return [node.module.split('.')[0]]
    return [alias.name for alias in node.names]   # from . import x


def _imports(path: pathlib.Path) -> tuple:
    tree = ast.parse(path.read_text(encoding='utf-8'))
    in_functions = {id(inner) for node in ast.walk(tree)
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    for inner in ast.walk(node)}
    top = {id(node) for node in ast.walk(tree)} - in_functions
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.append((node.lineno, id(node) in top, _orm_target(node), node.module or ''))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split('.')
                target = [parts[1]] if parts[0] == 'orm' and len(parts) > 1 else []
                found.append((node.lineno, id(node) in top, target, alias.name))
    return tree, found


@pytest.mark.parametrize('module', LAYER)
def test_imports_only_from_layers_below(module: str) -> None:
    _, found = _imports(ROOT / (module + '.py'))
    wrong = ['line %d imports orm.%s' % (lineno, target)
             for lineno, _top, targets, _name in found for target in targets
             if target not in ALLOWED]
    assert not wrong, '\n'.join(wrong)


@pytest.mark.parametrize('module', LAYER)
def test_no_imports_inside_functions_but_drivers(module: str) -> None:
    _, found = _imports(ROOT / (module + '.py'))
    wrong = ['line %d imports %s inside a function' % (lineno, name or '.')
             for lineno, top, targets, name in found
             if not top and (targets or name.split('.')[0] not in DRIVERS)]
    assert not wrong, '\n'.join(wrong)


def test_no_cycle_among_the_layer() -> None:
    graph = {}
    for module in LAYER:
        _, found = _imports(ROOT / (module + '.py'))
        graph[module] = {t for _l, _top, targets, _n in found for t in targets if t in LAYER}

    state: dict = {}

    def visit(module: str, trail: list) -> None:
        if state.get(module) == 'done':
            return
        assert state.get(module) != 'open', 'import cycle: %s' % ' -> '.join(trail + [module])
        state[module] = 'open'
        for target in sorted(graph[module]):
            visit(target, trail + [module])
        state[module] = 'done'

    for module in LAYER:
        visit(module, [])


def test_model_layer_reached_only_through_the_seam() -> None:
    import orm
    from orm import seam

    assert seam.lookup('sort_models') is orm.sort_models
    assert seam.lookup('model_base') is orm.Model
    db = orm.SqliteDatabase(':memory:')
    assert issubclass(db.Model, orm.Model) and db.Model._meta.database is db
