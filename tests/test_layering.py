"""The architecture's layering rules, checked on the source.

* ``playhouse/*`` imports only names that ``orm`` itself exports (never ``orm.sub.module``
  or a name the package does not expose).
* ``orm/sql`` knows nothing of models, databases or drivers; ``orm/dialects`` knows SQL,
  not models.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

import orm

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = ('.' * node.level) + (node.module or '')
            yield node.lineno, module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


@pytest.mark.parametrize('path', sorted((ROOT / 'playhouse').glob('*.py')), ids=lambda p: p.name)
def test_playhouse_imports_only_orm_exports(path: pathlib.Path) -> None:
    problems = []
    for lineno, module, names in _imports(path):
        if module.split('.')[0] != 'orm':
            continue
        if module != 'orm':
            problems.append('%d: imports from %s' % (lineno, module))
            continue
        missing = [n for n in names if n != '*' and not hasattr(orm, n)]
        if missing:
            problems.append('%d: orm does not export %s' % (lineno, ', '.join(missing)))
    assert not problems, '\n'.join(problems)


# Lazy imports count too: a layer may reach down (sql -> dialects, results), never up.
@pytest.mark.parametrize('package, forbidden', [
    ('sql', ('model', 'fields', 'relations', 'query', 'schema', 'prefetch', 'database',
             'psycopg2', 'sqlite3', 'apsw')),
    ('dialects', ('model', 'fields', 'relations', 'query', 'schema', 'prefetch', 'database')),
])
def test_core_layers(package: str, forbidden: tuple) -> None:
    problems = []
    for path in sorted((ROOT / 'orm' / package).glob('*.py')):
        for lineno, module, _ in _imports(path):
            if module.startswith('..'):
                target = module[2:].split('.')[0]           # orm/<target>
            elif module.startswith('orm.'):
                target = module.split('.')[1]
            elif module.startswith('.'):
                continue                                    # same layer
            else:
                target = module.split('.')[0]               # third-party or stdlib
            if target in forbidden:
                problems.append('%s:%d imports %s' % (path.name, lineno, module))
    assert not problems, '\n'.join(problems)
