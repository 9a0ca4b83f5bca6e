"""playhouse.migrate names and signatures match peewee's documented API.

Code written for ``peewee``'s ``playhouse.migrate`` calls these by position and by
keyword, so the parameter names and order are part of the contract.
"""
from __future__ import annotations

import inspect

import pytest

import playhouse.migrate as pm

#: method -> the parameters (after ``self``) peewee documents, in order
DOCUMENTED = {
    'add_column': ['table', 'column_name', 'field'],
    'drop_column': ['table', 'column_name', 'cascade'],
    'rename_column': ['table', 'old_name', 'new_name'],
    'add_not_null': ['table', 'column'],
    'drop_not_null': ['table', 'column'],
    'add_column_default': ['table', 'column', 'default'],
    'drop_column_default': ['table', 'column'],
    'alter_column_type': ['table', 'column', 'field', 'cast'],
    'rename_table': ['old_name', 'new_name'],
    'drop_table': ['table', 'safe', 'cascade', 'schema'],
    'add_index': ['table', 'columns', 'unique', 'using'],
    'drop_index': ['table', 'index_name'],
    'add_constraint': ['table', 'name', 'constraint'],
    'drop_constraint': ['table', 'name'],
    'add_unique': ['table', 'column_names'],
    'add_foreign_key_constraint': ['table', 'column_name', 'rel', 'rel_column', 'on_delete',
                                   'on_update'],
    'drop_foreign_key_constraint': ['table', 'column_name'],
    'apply_default': ['table', 'column_name', 'field'],
    'sql': ['sql', 'params'],
}
DEFAULTS = {
    ('drop_column', 'cascade'): True,
    ('alter_column_type', 'cast'): None,
    ('add_index', 'unique'): False,
    ('add_index', 'using'): None,
    ('add_foreign_key_constraint', 'on_delete'): None,
    ('add_foreign_key_constraint', 'on_update'): None,
    ('drop_table', 'safe'): False,
    ('drop_table', 'cascade'): False,
    ('drop_table', 'schema'): None,
    ('sql', 'params'): None,
}
MIGRATORS = [pm.SchemaMigrator, pm.PostgresqlMigrator, pm.CockroachDBMigrator,
             pm.SqliteMigrator, pm.MySQLMigrator]


def params(fn) -> list:
    return [p for p in inspect.signature(fn).parameters.values() if p.name != 'self']


@pytest.mark.parametrize('cls', MIGRATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize('method', sorted(DOCUMENTED))
def test_method_signature(cls, method):
    fn = inspect.unwrap(getattr(cls, method))
    got = params(fn)
    expected = DOCUMENTED[method]
    assert [p.name for p in got[:len(expected)]] == expected
    if method == 'add_unique':
        assert got[1].kind is inspect.Parameter.VAR_POSITIONAL
    for name, value in ((n, d) for (m, n), d in DEFAULTS.items() if m == method):
        assert inspect.signature(fn).parameters[name].default == value
    # anything beyond peewee's parameters is optional
    for extra in got[len(expected):]:
        assert extra.default is not inspect.Parameter.empty or extra.kind in (
            inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)


def test_module_names():
    for name in ('migrate', 'operation', 'Operation', 'SchemaMigrator', 'SqliteMigrator',
                 'PostgresqlMigrator', 'CockroachDBMigrator', 'MySQLMigrator',
                 'MySQLColumn', 'make_index_name'):
        assert hasattr(pm, name), name
    assert [p.name for p in params(pm.migrate)][:1] == ['operations']
    assert [p.name for p in params(pm.Operation.__init__)][:2] == ['migrator', 'method']
    assert [p.name for p in params(pm.SchemaMigrator.__init__)] == ['database', 'schema']
    assert [p.name for p in params(pm.SchemaMigrator.from_database)] == ['database',
                                                                          'schema']
    assert [p.name for p in params(pm.SchemaMigrator.migration_context)] == ['atomic']
    assert [p.name for p in params(pm.PostgresqlMigrator.set_search_path)] == ['schema_name']
    assert params(pm.SchemaMigrator.add_index)[4].name == 'where'
    assert params(pm.SchemaMigrator.add_index)[5].name == 'nulls_distinct'
    assert params(pm.SchemaMigrator.add_column)[3].name == 'allow_not_null'
    assert callable(pm.SchemaMigrator.migrate)
    assert pm.CockroachDBMigrator.explicit_create_foreign_key is True
    assert pm.PostgresqlMigrator.explicit_create_foreign_key is False


def test_calling_a_method_records_an_operation_with_its_arguments():
    migrator = pm.SchemaMigrator(None)
    op = migrator.add_index('t', ('a', 'b'), True, using='btree')
    assert isinstance(op, pm.Operation)
    assert (op.method, op.args, op.kwargs) == ('add_index', ('t', ('a', 'b'), True),
                                               {'using': 'btree'})
