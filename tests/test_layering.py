"""The architecture's layering rules, checked on the source (see docs/layers.rst).

* Every module of ``orm`` sits in a layer and imports only from its own layer or the
  layers below; the one way up is ``orm.seam`` (services registered at import).
* No import cycle anywhere in ``orm`` and ``playhouse``, counting imports inside
  functions too (imports under ``if TYPE_CHECKING:`` only feed type checkers and are left
  out).
* Imports inside functions are for optional third-party drivers only.
* ``playhouse/*`` imports only names that ``orm`` itself exports (never
  ``orm.sub.module``, nor a name the package does not expose).
"""
from __future__ import annotations

import ast
import pathlib
from typing import Iterator

import pytest

import orm

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: bottom up; a module may import from its own layer and the layers below
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ('foundation', ('orm.exceptions', 'orm.seam', 'orm.proxy', 'orm.sql.context')),
    ('SQL tree', ('orm.sql.nodes', 'orm.sql.sources', 'orm.sql.queries', 'orm.sql')),
    ('dialects', ('orm.dialects.base', 'orm.dialects.sqlite', 'orm.dialects.postgres',
                  'orm.dialects.cockroach', 'orm.dialects.mysql', 'orm.dialects', 'orm.json_methods')),
    ('databases', ('orm.rows', 'orm.transactions', 'orm.database', 'orm.sqlite_db',
                   'orm.sqlite_rank', 'orm.postgres_adapters', 'orm.postgres_db',
                   'orm.mysql_db')),
    ('fields', ('orm.fieldbase', 'orm.fields', 'orm.relations')),
    ('model core', ('orm.schema', 'orm.modelbase')),
    ('models', ('orm.results', 'orm.shapes', 'orm.prefetch', 'orm.loading', 'orm.query',
                'orm.model', 'orm.manytomany')),
    ('public API', ('orm',)),
]
LAYER_OF = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}

#: third-party packages a function may import lazily (optional drivers and extras)
OPTIONAL = {'psycopg2', 'psycopg', 'psycopg_pool', 'apsw', 'sqlite3', 'pysqlite3',
            'sqlcipher3', 'cysqlite', 'mysql', 'pymysql', 'MySQLdb', 'mariadb', 'flask',
            'pydantic', 'aiosqlite', 'asyncpg', 'greenlet', 'gevent', 'cython', 'Cython',
            '_sqlite3'}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _source_files() -> list[pathlib.Path]:
    return sorted(list((ROOT / 'orm').rglob('*.py')) + list((ROOT / 'playhouse').glob('*.py')))


MODULES = {_module_name(p): p for p in _source_files()}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING') or \
        (isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING')


class _Imports(ast.NodeVisitor):
    """Every import of a module: (line, target module, inside a function?)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition('.')[0]
        self.depth = 0
        self.found: list[tuple[int, str, bool]] = []

    def _resolve(self, level: int, name: str | None) -> str:
        if not level:
            return name or ''
        base = self.package.split('.')
        if level > 1:
            base = base[:len(base) - (level - 1)]
        return '.'.join(base + ([name] if name else []))

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((node.lineno, alias.name, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._resolve(node.level, node.module)
        for alias in node.names:
            child = '%s.%s' % (base, alias.name)
            # ``from . import results`` imports a module; ``from .x import Name`` a name
            target = child if child in MODULES else base
            self.found.append((node.lineno, target, self.depth > 0))


def _imports(module: str) -> list[tuple[int, str, bool]]:
    path = MODULES[module]
    visitor = _Imports(module, path.name == '__init__.py')
    visitor.visit(ast.parse(path.read_text(encoding='utf-8')))
    return visitor.found


def _ours(target: str) -> str | None:
    """The module of ours an import reaches (``orm.sql.nodes`` for ``orm.sql.nodes.X``)."""
    while target and target not in MODULES:
        target = target.rpartition('.')[0]
    return target or None


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _, target, _ in _imports(module):
            reached = _ours(target)
            if reached is not None and reached != module:
                edges[module].add(reached)
    return edges


def _cycles(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                yield from visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(edges):
        if node not in index:
            yield from visit(node)


def test_no_import_cycle() -> None:
    cycles = list(_cycles(_graph()))
    assert not cycles, 'import cycles:\n' + '\n'.join(' <-> '.join(c) for c in cycles)


def test_cycle_detector_finds_a_cycle() -> None:
    # the check above is only as good as this: a two-module and a three-module circle
    found = list(_cycles({'a': {'b'}, 'b': {'a'}, 'c': {'d'}, 'd': {'e'}, 'e': {'c'},
                          'f': {'a'}}))
    assert found == [['a', 'b'], ['c', 'd', 'e']]


@pytest.mark.parametrize('module', sorted(m for m in MODULES if m.split('.')[0] == 'orm'))
def test_module_has_a_layer(module: str) -> None:
    assert module in LAYER_OF, (
        '%s is in no layer: add it to LAYERS in tests/test_layering.py (and to '
        'docs/layers.rst)' % module)


@pytest.mark.parametrize('module', sorted(m for m in MODULES if m in LAYER_OF))
def test_imports_only_downwards(module: str) -> None:
    problems = []
    for lineno, target, _ in _imports(module):
        reached = _ours(target)
        if reached is None or reached == module or not reached.startswith('orm'):
            continue
        if LAYER_OF.get(reached, -1) > LAYER_OF[module]:
            problems.append('line %d imports %s (layer "%s") from layer "%s"' % (
                lineno, reached, LAYERS[LAYER_OF[reached]][0], LAYERS[LAYER_OF[module]][0]))
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('module', sorted(MODULES))
def test_function_level_imports_are_optional_drivers(module: str) -> None:
    problems = ['line %d imports %s inside a function' % (lineno, target)
                for lineno, target, in_function in _imports(module)
                if in_function and target.split('.')[0] not in OPTIONAL]
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('module', sorted(m for m in MODULES if m.startswith('playhouse.')))
def test_playhouse_imports_only_orm_exports(module: str) -> None:
    problems = []
    tree = ast.parse(MODULES[module].read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            named = [(node.module or '', [a.name for a in node.names])]
        else:
            continue
        for target, names in named:
            if target.split('.')[0] != 'orm':
                continue
            if target != 'orm':
                problems.append('%d: imports from %s' % (node.lineno, target))
                continue
            missing = [n for n in names if n != '*' and not hasattr(orm, n)]
            if missing:
                problems.append('%d: orm does not export %s' % (node.lineno,
                                                                ', '.join(missing)))
    assert not problems, '\n'.join(problems)


def test_seam_services_are_registered() -> None:
    from orm import seam
    for service in seam.SERVICES:
        assert seam.lookup(service) is not None
