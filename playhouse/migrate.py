"""Schema migrations: change existing tables without losing their rows.

A *migrator* knows how one engine spells each change; its methods return
:class:`Operation` objects, and :func:`migrate` runs a batch of them::

    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db)   # Sqlite/Postgresql/CockroachDB
    migrate(
        migrator.add_column('tweet', 'likes', IntegerField(default=0)),
        migrator.rename_column('tweet', 'content', 'body'),
        migrator.add_index('tweet', ('user_id', 'created'), unique=False),
    )

``migrate()`` runs the whole batch in one transaction where the engine allows it
(SQLite and PostgreSQL; CockroachDB runs each statement by itself).

SQLite's ``ALTER TABLE`` can add, rename and drop little, so the other changes
(NOT NULL, defaults, column types, constraints, foreign keys, dropping columns)
rebuild the table the way SQLite's documentation describes: foreign keys off, a
new table with the changed definition, rows copied, the old table dropped and the
new one renamed into place, indexes and triggers created again, then
``PRAGMA foreign_key_check`` before foreign keys come back on.  ``PRAGMA
foreign_keys`` cannot change inside a transaction, so :meth:`migration_context`
turns foreign keys off *before* it begins the transaction, checks them before it
commits and turns them back on afterwards.  Inside a transaction opened by the
application, a rebuild of a table that other tables reference is refused with an
explanation (the rebuild would otherwise fire ``ON DELETE`` actions).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import re
import types
from collections import namedtuple
from typing import Any, Callable, Iterator, Optional, Sequence

from orm import (SQL, Context, Entity, ForeignKeyField, IntegrityError, Node, NodeList,
                 NotSupportedError, OperationalError, Value, make_index_name)

from playhouse._sqlite_ddl import TableDef, mentions, render_atoms
# Every other public name of orm, so that ``from playhouse.migrate import *`` gives
# orm's API too (as peewee's module does).
from orm import (  # noqa: E402,F401
    AnyField, AsIs, AutoField, BareField, BigAutoField, BigBitField, BigIntegerField,
    BinaryUUIDField, BitField, BlobField, BooleanField, Case, Cast, CharField, Check,
    chunked, Column, CompositeKey, Context, Database, DatabaseError, DatabaseProxy,
    DataError, DateField, DateTimeField, DecimalField, Default, DeferredForeignKey,
    DeferredThroughModel, DJANGO_MAP, DoesNotExist, DoubleField, DQ, EXCLUDED, Field,
    FixedCharField, FloatField, fn, IdentityField, ImproperlyConfigured, Index,
    IntegerField, InterfaceError, InternalError, IPField, JOIN, JSONField, Load,
    ManyToManyField, Model, ModelIndex, OP, OutcomeUnknownError, PostgresqlDatabase,
    prefetch, PREFETCH_TYPE,
    PrimaryKeyField, ProgrammingError, Proxy, QualifiedNames, QueryEvent, SchemaManager,
    Select, SmallIntegerField, SqliteDatabase, Table, TextField, TimeField,
    TimestampField, Tuple, UUIDField, ValuesList, Window)
from orm import MySQLDatabase  # noqa: E402,F401
import orm as _orm  # noqa: E402

# orm's names (those imported above) and this module's own
__all__ = sorted({_name for _name in _orm.__all__ if _name in globals()} | {
    'CockroachDBMigrator', 'MySQLColumn', 'MySQLMigrator', 'Operation', 'PostgresqlMigrator',
    'SchemaMigrator', 'SqliteMigrator', 'make_index_name', 'migrate', 'operation'})


# ---------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------

def _steps(outcome: Any, label: str) -> Iterator[Any]:
    """The work a migrator method handed back, one piece at a time and in order:
    statements (SQL nodes, text, or a rendering context holding one) and operations.
    Lists are walked, ``None`` is nothing, and a callable is called only when its turn
    comes (so it sees the effects of the steps before it)."""
    if outcome is None:
        return
    if isinstance(outcome, (Operation, Node, str, Context)):
        yield outcome
    elif isinstance(outcome, (list, tuple)):
        for part in outcome:
            yield from _steps(part, label)
    elif callable(outcome):
        yield from _steps(outcome(), label)
    else:
        raise TypeError('%s handed back %r: expected SQL (a node or text), an operation, '
                        'a list of those, or None' % (label, outcome))


class Operation:
    """A schema change, as a migrator method records it; :func:`migrate` (or
    :meth:`run`) performs it later.

    ``method`` names the migrator method, ``args`` and ``kwargs`` are what it was
    called with.
    """

    def __init__(self, migrator: 'SchemaMigrator', method: str, *args: Any,
                 **kwargs: Any) -> None:
        self.migrator = migrator
        self.method = method
        self.args = args
        self.kwargs = kwargs
        #: the migrator method that does the work, bound to ``migrator``: the one that was
        #: called, so a subclass's method that returns ``super().method(...)`` records its
        #: parent's (``op.fn.__name__`` is the method's name, as tools that log read it)
        self.fn: Any = getattr(migrator, method)

    def __repr__(self) -> str:
        shown = [repr(value) for value in self.args]
        shown += ['%s=%r' % pair for pair in self.kwargs.items()]
        return '<Operation %s(%s)>' % (self.method, ', '.join(shown))

    def execute(self, node: Any) -> None:
        self.migrator.execute(node)

    def _perform(self) -> None:
        """Do the change now, in whatever transaction is open."""
        outcome = self.fn(*self.args, with_context=True, **self.kwargs)
        for step in _steps(outcome, '%s()' % self.method):
            if isinstance(step, Operation):
                step._perform()
            else:
                self.execute(step)

    def run(self) -> None:
        """Perform the change (in its own transaction when none is open)."""
        with self.migrator.migration_context():
            self._perform()


class operation:
    """Decorator for migrator methods: calling the method records an
    :class:`Operation` instead of doing the work.

    The decorated body runs when the operation does (it is then called with
    ``with_context=True``); it may execute statements itself or hand back SQL nodes,
    SQL text, operations, or lists of them, which are executed in order.
    """

    __wrapped__: Callable

    def __init__(self, body: Callable) -> None:
        self._body = body
        self._method = body.__name__
        functools.update_wrapper(self, body)  # type: ignore[arg-type]

    def __set_name__(self, owner: type, name: str) -> None:
        self._method = name

    def __get__(self, migrator: Any, owner: Optional[type] = None) -> Any:
        if migrator is None:
            return self
        return types.MethodType(self, migrator)

    def __call__(self, migrator: Any, *args: Any, with_context: bool = False,
                 **kwargs: Any) -> Any:
        if not with_context:
            recorded = Operation(migrator, self._method, *args, **kwargs)
            recorded.fn = types.MethodType(self, migrator)
            return recorded
        return self._body(migrator, *args, **kwargs)


def migrate(*operations: Operation, **kwargs: Any) -> None:
    """Run ``operations`` in order, as one transaction where the engine allows it.

    On failure nothing of the batch is kept (on engines with transactional DDL) and
    the error propagates.
    """
    strays = [op for op in operations if not isinstance(op, Operation)]
    if strays:
        raise TypeError('migrate() runs operations, the values migrator methods return '
                        '(such as migrator.add_column(...)); %r is not one' % (strays[0],))
    if not operations:
        return
    leader = operations[0].migrator
    with leader.migration_context():
        for op in operations:
            # another migrator's operation brings its own transaction handling
            if op.migrator is leader:
                op._perform()
            else:
                op.run()


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

class _CannotDoHere(NotSupportedError, NotImplementedError):
    """An operation this engine has no form for (caught as either base)."""


def _table_name(table: Any) -> str:
    """A table name from a string or a model class."""
    if isinstance(table, str):
        return table
    meta = getattr(table, '_meta', None)
    if meta is not None:
        return meta.table_name
    raise TypeError('expected a table name or a model class, got %r' % (table,))


def _column_list(columns: Any) -> list:
    if isinstance(columns, str):
        return [columns]
    out = []
    for column in columns:
        out.append(column if isinstance(column, str) else column.column_name)
    return out


def _unwrap(database: Any) -> Any:
    """The database behind a :class:`orm.Proxy` / :class:`orm.DatabaseProxy`."""
    seen = 0
    while hasattr(database, 'initialize') and hasattr(database, 'attach_callback'):
        target = object.__getattribute__(database, 'obj')
        if target is None:
            raise ValueError('the database proxy is not initialised yet: call '
                             'proxy.initialize(db) before making a migrator')
        database = target
        seen += 1
        if seen > 10:
            break
    return database


# ---------------------------------------------------------------------------------------
# The generic migrator (standard ALTER TABLE; PostgreSQL uses it nearly unchanged)
# ---------------------------------------------------------------------------------------

class SchemaMigrator:
    """Schema changes for one database.  Use :meth:`from_database` to get the right kind.

    Every public change method returns an :class:`Operation`; pass them to
    :func:`migrate`.  Table arguments take a table name or a model class.
    """

    #: whether DDL may run inside a transaction (False: each statement commits by itself)
    transactional_ddl = True
    #: whether a foreign key of a new column is added by a separate ADD CONSTRAINT
    explicit_create_foreign_key = False

    def __init__(self, database: Any, schema: Optional[str] = None) -> None:
        self.database = _unwrap(database)
        self.schema = schema

    def __repr__(self) -> str:
        return '<%s for %r>' % (type(self).__name__, self.database)

    @classmethod
    def from_database(cls, database: Any, schema: Optional[str] = None) -> 'SchemaMigrator':
        """The migrator for ``database``'s engine (proxies are followed); ``schema`` names
        the schema holding the tables (PostgreSQL and CockroachDB)."""
        database = _unwrap(database)
        dialect = getattr(database, 'dialect', None)
        name = getattr(dialect, 'name', None)
        if name == 'cockroach':
            return CockroachDBMigrator(database, schema=schema)
        if name == 'postgres':
            return PostgresqlMigrator(database, schema=schema)
        if name == 'sqlite':
            return SqliteMigrator(database, schema=schema)
        if name == 'mysql':
            return MySQLMigrator(database, schema=schema)
        raise ValueError('no migrator for %r: SQLite, PostgreSQL, CockroachDB and '
                         'MySQL / MariaDB are supported' % (database,))

    # -- running ----------------------------------------------------------------------
    def make_context(self) -> Any:
        """A rendering context for DDL (values are written as literals)."""
        return self.database.get_sql_context(literal_values=True)

    def render(self, node: Any) -> str:
        """SQL text of ``node`` for this database, values written as literals."""
        sql, params = self.make_context().sql(node).query()
        if params:
            raise ValueError('DDL cannot take bound parameters: %r' % (node,))
        return sql

    def execute(self, node: Any, params: Optional[Sequence] = None) -> Any:
        """Execute an SQL node, a string of SQL, or the statement a rendering context
        (``self.make_context().sql(...)``) holds."""
        if isinstance(node, Context):
            node, params = node.query()
        if isinstance(node, str):
            return self.database.execute_sql(node, params)
        return self.database.execute(node)

    @contextlib.contextmanager
    def migration_context(self, atomic: bool = True) -> Iterator['SchemaMigrator']:
        """A transaction (a savepoint when one is open) around a batch of changes;
        none when ``atomic`` is false or the engine cannot run DDL in one."""
        if not (atomic and self.transactional_ddl):
            yield self
            return
        with self.database.atomic():
            yield self

    def migrate(self, *operations: 'Operation') -> None:
        """Run ``operations`` like the module-level :func:`migrate`."""
        migrate(*operations)

    # -- rendering helpers --------------------------------------------------------------
    def quote(self, name: str) -> str:
        return self.database.dialect.quote_identifier(name)

    def _table(self, table: Any, schema: Optional[str] = None) -> Any:
        """The table's name as an SQL node, qualified by the migrator's schema."""
        schema = schema or self.schema
        if schema:
            return Entity(schema, _table_name(table))
        return Entity(_table_name(table))

    def _alter_table(self, table: Any) -> list:
        return [SQL('ALTER TABLE'), self._table(table)]

    def _alter_column(self, table: Any, column: str) -> list:
        return self._alter_table(table) + [SQL('ALTER COLUMN'), Entity(column)]

    def _default_sql(self, default: Any) -> str:
        """SQL text of a column default: nodes as SQL, other values as literals.  A
        string in parentheses, such as ``"(datetime('now'))"``, is an SQL expression."""
        if default is None:
            raise ValueError('a default of None is no default: use drop_column_default()')
        if callable(default) and not isinstance(default, Node):
            default = default()
        if isinstance(default, str) and default.startswith('(') and default.endswith(')'):
            return default
        if isinstance(default, Node):
            return self.render(default)
        return self.database.dialect.literal_value(default)

    def _prepare_field(self, field: Any, column_name: str) -> Any:
        """A copy of ``field`` named ``column_name``, ready to render its column DDL."""
        field = copy.copy(field)
        field.column_name = column_name
        if not getattr(field, 'name', None):
            field.name = column_name
        if isinstance(field, ForeignKeyField):
            rel = field.rel_model
            if isinstance(rel, str):
                raise ValueError('add_column() needs the ForeignKeyField\'s model class, '
                                 'not %r' % rel)
            if field.rel_field is None:
                field.rel_field = rel._meta.primary_key
            elif isinstance(field.rel_field, str):
                field.rel_field = rel._meta.fields[field.rel_field]
        return field

    def _column_ddl(self, field: Any) -> str:
        return self.render(field.ddl(self.make_context()))

    def _inline_fk_sql(self, field: Any) -> str:
        rel_meta = field.rel_model._meta
        sql = ' REFERENCES %s (%s)' % (self.render(self._table(rel_meta.table_name)),
                                      self.quote(field.rel_field.column_name))
        if field.on_delete:
            sql += ' ON DELETE %s' % field.on_delete
        if field.on_update:
            sql += ' ON UPDATE %s' % field.on_update
        return sql

    def add_inline_fk_sql(self, ctx: Any, field: Any) -> Any:
        """Append ``REFERENCES ...`` for a foreign-key field to ``ctx``."""
        return ctx.literal(self._inline_fk_sql(field))

    # -- columns --------------------------------------------------------------------------
    @operation
    def apply_default(self, table: Any, column_name: str, field: Any) -> Any:
        """``UPDATE table SET column = <field's default>`` (fills existing rows)."""
        default = field.default
        if callable(default):
            default = default()
        value = field.db_value(default) if hasattr(field, 'db_value') else default
        return NodeList([SQL('UPDATE'), self._table(table), SQL('SET'),
                         Entity(column_name), SQL('='), Value(value)])

    def _check_addable(self, table: str, column_name: str, field: Any) -> bool:
        """Whether the column must be added nullable, filled, then made NOT NULL."""
        has_db_default = any('DEFAULT' in self.render(c).upper()
                             for c in (field.constraints or ()))
        if field.null or has_db_default:
            return False
        if field.default is None:
            raise ValueError(
                'cannot add NOT NULL column %s.%s without a default: existing rows need a '
                'value. Give the field default=... (used to fill them), or null=True'
                % (table, column_name))
        return True

    @operation
    def add_column(self, table: Any, column_name: str, field: Any,
                   allow_not_null: bool = False) -> list:
        """Add a column.  A NOT NULL field with ``default=`` fills the existing rows
        (added nullable, filled, then made NOT NULL).  ``allow_not_null=True`` adds the
        column as defined in one statement, no default needed (the engine refuses it
        when the table holds rows and the column has no server default)."""
        table = _table_name(table)
        field = self._prepare_field(field, column_name)
        fill = False if allow_not_null else self._check_addable(table, column_name, field)
        ops: list = []
        column = copy.copy(field)
        if fill:
            column.null = True
        ddl = self._column_ddl(column)
        is_fk = isinstance(field, ForeignKeyField)
        if is_fk and not self.explicit_create_foreign_key:
            ddl += self._inline_fk_sql(field)
        ops.append(NodeList(self._alter_table(table) + [SQL('ADD COLUMN'), SQL(ddl)]))
        if fill:
            ops.append(self.apply_default(table, column_name, field))
            ops.append(self.add_not_null(table, column_name))
        if is_fk and self.explicit_create_foreign_key:
            ops.append(self.add_foreign_key_constraint(
                table, column_name, field.rel_model._meta.table_name,
                field.rel_field.column_name, field.on_delete, field.on_update))
        if field.unique or field.index:
            ops.append(self.add_index(table, (column_name,), unique=bool(field.unique),
                                      using=field.index_type))
        return ops

    # peewee's name for the plain ALTER TABLE ... ADD COLUMN
    def alter_add_column(self, table: Any, column_name: str, field: Any) -> Any:
        field = self._prepare_field(field, column_name)
        ddl = self._column_ddl(field)
        if isinstance(field, ForeignKeyField):
            ddl += self._inline_fk_sql(field)
        return NodeList(self._alter_table(table) + [SQL('ADD COLUMN'), SQL(ddl)])

    @operation
    def drop_column(self, table: Any, column_name: str, cascade: bool = True) -> Any:
        """Drop a column (and, with ``cascade``, what depends on it)."""
        parts = self._alter_table(table) + [SQL('DROP COLUMN'), Entity(column_name)]
        if cascade:
            parts.append(SQL('CASCADE'))
        return NodeList(parts)

    def _rename_column(self, table: Any, old_name: str, new_name: str) -> Any:
        return NodeList(self._alter_table(table) + [
            SQL('RENAME COLUMN'), Entity(old_name), SQL('TO'), Entity(new_name)])

    @operation
    def rename_column(self, table: Any, old_name: str, new_name: str) -> Any:
        return self._rename_column(table, old_name, new_name)

    @operation
    def add_not_null(self, table: Any, column: str) -> Any:
        """Make a column NOT NULL (fails if a row holds NULL there)."""
        return NodeList(self._alter_column(table, column) + [SQL('SET NOT NULL')])

    @operation
    def drop_not_null(self, table: Any, column: str) -> Any:
        return NodeList(self._alter_column(table, column) + [SQL('DROP NOT NULL')])

    @operation
    def add_column_default(self, table: Any, column: str, default: Any) -> Any:
        """Give a column a server-side default: a value (written as a literal) or an SQL
        node such as ``SQL('CURRENT_TIMESTAMP')``."""
        return NodeList(self._alter_column(table, column) + [
            SQL('SET DEFAULT'), SQL(self._default_sql(default))])

    @operation
    def drop_column_default(self, table: Any, column: str) -> Any:
        return NodeList(self._alter_column(table, column) + [SQL('DROP DEFAULT')])

    def _cast_sql(self, column: str, field: Any, cast: Any) -> str:
        """The expression converting the old values: ``cast`` is a type name
        (``'INTEGER'``), an SQL node, or a string of SQL."""
        if isinstance(cast, Node):
            return self.render(cast)
        if isinstance(cast, str) and re.match(r'^[A-Za-z][A-Za-z0-9_ ]*(\([0-9, ]*\))?$',
                                              cast.strip()):
            return 'CAST(%s AS %s)' % (self.quote(column), cast.strip())
        return str(cast)

    def _type_sql(self, field: Any) -> str:
        return self.render(field.ddl_datatype(self.make_context()))

    @operation
    def alter_column_type(self, table: Any, column: str, field: Any, cast: Any = None) -> Any:
        """Change a column's type to ``field``'s; ``cast`` converts the values (a type
        name, an SQL node or SQL text).  Nullability is left as it is."""
        field = self._prepare_field(field, column)
        parts = self._alter_column(table, column) + [SQL('TYPE'), SQL(self._type_sql(field))]
        if cast is not None:
            parts.extend([SQL('USING'), SQL(self._cast_sql(column, field, cast))])
        return NodeList(parts)

    # -- tables ------------------------------------------------------------------------------
    @operation
    def rename_table(self, old_name: Any, new_name: str) -> Any:
        return NodeList(self._alter_table(old_name) + [SQL('RENAME TO'), Entity(new_name)])

    # -- indexes -----------------------------------------------------------------------------
    @operation
    def add_index(self, table: Any, columns: Any, unique: bool = False,
                  using: Optional[str] = None, where: Any = None,
                  nulls_distinct: Optional[bool] = None) -> Any:
        """``CREATE [UNIQUE] INDEX <table>_<columns> ON table (columns)``; ``where`` makes
        a partial index, ``nulls_distinct=False`` a unique index in which NULLs are
        equal (PostgreSQL 15+)."""
        return self._add_index(table, columns, unique, using, where, nulls_distinct)

    def _where_sql(self, where: Any) -> str:
        """An index predicate: columns unqualified, values written as literals."""
        if isinstance(where, str):
            return where
        ctx = self.make_context()
        with ctx.scope_values():
            ctx.sql(where)
        sql, params = ctx.query()
        if params:
            raise ValueError('an index predicate cannot take bound parameters: %r' % where)
        return sql

    def _add_index(self, table: Any, columns: Any, unique: bool = False,
                   using: Optional[str] = None, where: Any = None,
                   nulls_distinct: Optional[bool] = None) -> Any:
        table = _table_name(table)
        columns = _column_list(columns)
        parts = [SQL('CREATE UNIQUE INDEX' if unique else 'CREATE INDEX'),
                 Entity(self._generated(make_index_name(table, columns))), SQL('ON'),
                 self._table(table)]
        if using and self.database.dialect.name != 'sqlite':
            parts.append(SQL('USING %s' % re.sub(r'\W', '', using)))
        parts.append(NodeList([Entity(c) for c in columns], ', ', parens=True))
        if nulls_distinct is not None:
            if not unique:
                raise ValueError('nulls_distinct= applies to unique indexes only')
            if self.database.dialect.name == 'sqlite':
                raise NotSupportedError('SQLite has no NULLS [NOT] DISTINCT for indexes')
            parts.append(SQL('NULLS DISTINCT' if nulls_distinct else 'NULLS NOT DISTINCT'))
        if where is not None:
            parts.extend([SQL('WHERE'), SQL(self._where_sql(where))])
        return NodeList(parts)

    @operation
    def drop_index(self, table: Any, index_name: str) -> Any:
        return NodeList([SQL('DROP INDEX'), self._table(index_name)])

    # -- tables and raw SQL ------------------------------------------------------------------
    @operation
    def drop_table(self, table: Any, safe: bool = False, cascade: bool = False,
                   schema: Optional[str] = None) -> Any:
        """``DROP TABLE [IF EXISTS] table [CASCADE]``."""
        parts = [SQL('DROP TABLE IF EXISTS' if safe else 'DROP TABLE'),
                 self._table(table, schema)]
        if cascade:
            parts.append(SQL('CASCADE'))
        return NodeList(parts)

    @operation
    def sql(self, sql: Any, params: Optional[Sequence] = None) -> None:
        """Run a statement of your own (e.g. a data fix) as a step of the batch;
        ``params`` are bound by the driver, so use its placeholder."""
        if isinstance(sql, Node):
            if params:
                raise ValueError('params= goes with SQL text, not with an SQL node')
            self.database.execute(sql)
        else:
            self.database.execute_sql(sql, params)

    # -- constraints -------------------------------------------------------------------------
    def _constraint_sql(self, constraint: Any) -> str:
        """The SQL of a constraint given to add_constraint() (a node or text)."""
        text = self.render(constraint) if isinstance(constraint, Node) else str(constraint)
        if re.match(r'^\s*CONSTRAINT\b', text, re.I):
            raise ValueError('pass the constraint without "CONSTRAINT <name>": the name is '
                             'the second argument')
        return text

    @operation
    def add_constraint(self, table: Any, name: str, constraint: Any) -> Any:
        """``ALTER TABLE ADD CONSTRAINT name <constraint>``: ``constraint`` is an SQL node
        (``Check('price > 0')``, ``SQL('UNIQUE (a, b)')``) or SQL text."""
        text = self._constraint_sql(constraint)
        return NodeList(self._alter_table(table) + [
            SQL('ADD CONSTRAINT'), Entity(name), SQL(text)])

    @operation
    def drop_constraint(self, table: Any, name: str) -> Any:
        return NodeList(self._alter_table(table) + [SQL('DROP CONSTRAINT'), Entity(name)])

    def _generated(self, name: str) -> str:
        """A name made up here, fitted to the engine (at most 63 bytes on PostgreSQL
        and CockroachDB, a digest telling long names apart)."""
        return self.database.dialect.fit_generated_name(name)

    def _unique_name(self, table: str, columns: list) -> str:
        return self._generated(make_index_name(table, list(columns) + ['uniq']))

    @operation
    def add_unique(self, table: Any, *column_names: str) -> Any:
        """A UNIQUE constraint named ``<table>_<columns>_uniq``."""
        if not column_names:
            raise ValueError('add_unique() needs at least one column')
        table = _table_name(table)
        columns = ', '.join(self.quote(c) for c in column_names)
        return self.add_constraint(table, self._unique_name(table, list(column_names)),
                                   SQL('UNIQUE (%s)' % columns))

    def _fk_name(self, table: str, column_name: str, rel: str) -> str:
        return self._generated('fk_%s_%s_refs_%s' % (table, column_name, rel))

    def _fk_clause(self, column_name: str, rel: str, rel_column: str,
                   on_delete: Optional[str], on_update: Optional[str]) -> str:
        sql = 'FOREIGN KEY (%s) REFERENCES %s (%s)' % (
            self.quote(column_name), self.render(self._table(rel)), self.quote(rel_column))
        for label, action in (('DELETE', on_delete), ('UPDATE', on_update)):
            if action:
                action = str(action).upper()
                if action not in ('CASCADE', 'RESTRICT', 'SET NULL', 'SET DEFAULT',
                                  'NO ACTION'):
                    raise ValueError('unknown ON %s action %r' % (label, action))
                sql += ' ON %s %s' % (label, action)
        return sql

    @operation
    def add_foreign_key_constraint(self, table: Any, column_name: str, rel: Any,
                                   rel_column: str = 'id', on_delete: Optional[str] = None,
                                   on_update: Optional[str] = None,
                                   constraint_name: Optional[str] = None) -> Any:
        """``FOREIGN KEY (column) REFERENCES rel (rel_column)`` on an existing column."""
        table, rel = _table_name(table), _table_name(rel)
        name = constraint_name or self._fk_name(table, column_name, rel)
        return self.add_constraint(table, name, SQL(self._fk_clause(
            column_name, rel, rel_column, on_delete, on_update)))

    def get_foreign_key_constraint(self, table: str, column_name: str) -> list:
        """Names of the foreign-key constraints on ``table.column_name``."""
        raise NotImplementedError

    @operation
    def drop_foreign_key_constraint(self, table: Any, column_name: str) -> Any:
        table = _table_name(table)
        names = self.get_foreign_key_constraint(table, column_name)
        if not names:
            raise ValueError('%s.%s has no foreign key constraint' % (table, column_name))
        return [self.drop_constraint(table, name) for name in names]


# ---------------------------------------------------------------------------------------
# PostgreSQL and CockroachDB
# ---------------------------------------------------------------------------------------

class PostgresqlMigrator(SchemaMigrator):
    """PostgreSQL: standard ALTER TABLE, all of it transactional."""

    def _primary_key_columns(self, table: str) -> list:
        return self.database.get_primary_keys(table)

    @operation
    def set_search_path(self, schema_name: str) -> Any:
        return SQL('SET search_path TO %s' % self.quote(schema_name))

    def get_foreign_key_constraint(self, table: str, column_name: str) -> list:
        cursor = self.database.execute_sql(
            "SELECT con.conname FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(con.conkey) "
            "WHERE con.contype = 'f' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema()) "
            "AND a.attname = %s AND array_length(con.conkey, 1) = 1 "
            "ORDER BY con.conname", (table, self.schema, column_name))
        return [row[0] for row in cursor.fetchall()]

    @operation
    def rename_table(self, old_name: Any, new_name: str) -> list:
        """Rename the table, its serial sequences and its primary-key index."""
        old_name = _table_name(old_name)
        ops: list = [NodeList(self._alter_table(old_name) + [SQL('RENAME TO'),
                                                             Entity(new_name)])]
        cursor = self.database.execute_sql(
            "SELECT a.attname, pg_get_serial_sequence("
            "quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = COALESCE(%s, current_schema()) "
            "AND a.attnum > 0 AND NOT a.attisdropped", (old_name, self.schema))
        for column, sequence in cursor.fetchall():
            if not sequence:
                continue
            seq_name = sequence.rsplit('.', 1)[-1].strip('"')
            if seq_name == self._generated('%s_%s_seq' % (old_name, column)):
                ops.append(NodeList([SQL('ALTER SEQUENCE'), self._table(seq_name),
                                     SQL('RENAME TO'),
                                     Entity(self._generated('%s_%s_seq' % (new_name,
                                                                           column)))]))
        cursor = self.database.execute_sql(
            "SELECT con.conname FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE con.contype = 'p' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema())", (old_name, self.schema))
        row = cursor.fetchone()
        if row and row[0] == self._generated('%s_pkey' % old_name):
            ops.append(NodeList([SQL('ALTER INDEX'), self._table(row[0]), SQL('RENAME TO'),
                                 Entity(self._generated('%s_pkey' % new_name))]))
        return ops


class CockroachDBMigrator(PostgresqlMigrator):
    """CockroachDB: PostgreSQL's forms, with CockroachDB's differences.

    * each statement runs (and commits) by itself: CockroachDB restricts schema changes
      inside transactions, so a failing batch keeps the statements before the failure;
    * a foreign-key column is added, then constrained by ``ADD CONSTRAINT ... FOREIGN
      KEY`` (a separate statement);
    * indexes are dropped as ``DROP INDEX table@index``;
    * a type change that rewrites the column first enables
      ``enable_experimental_alter_column_type_general`` for the session;
    * ``rename_table`` renames only the table (CockroachDB keys have no serial
      sequence to rename).

    On a plain PostgreSQL server (same wire protocol) PostgreSQL's forms are used.
    """

    transactional_ddl = False
    explicit_create_foreign_key = True

    def _on_cockroach(self) -> bool:
        return not getattr(self.database.dialect, 'on_postgres', False)

    @operation
    def drop_index(self, table: Any, index_name: str) -> Any:
        if self._on_cockroach():
            return SQL('DROP INDEX %s@%s' % (self.render(self._table(table)),
                                             self.quote(index_name)))
        return NodeList([SQL('DROP INDEX'), self._table(index_name)])

    @operation
    def alter_column_type(self, table: Any, column: str, field: Any, cast: Any = None) -> Any:
        change = super().alter_column_type(table, column, field, cast, with_context=True)
        if self._on_cockroach():
            return [SQL('SET enable_experimental_alter_column_type_general = true'), change]
        return change

    @operation
    def rename_table(self, old_name: Any, new_name: str) -> Any:
        if self._on_cockroach():
            return NodeList(self._alter_table(old_name) + [SQL('RENAME TO'),
                                                           Entity(new_name)])
        return super().rename_table(old_name, new_name, with_context=True)


# ---------------------------------------------------------------------------------------
# MySQL and MariaDB
# ---------------------------------------------------------------------------------------

class MySQLColumn(namedtuple('_MySQLColumn', ('name', 'definition', 'null', 'pk', 'default',
                                              'extra'))):
    """A column as MySQL's ``DESCRIBE`` reports it."""

    def sql(self, column_name: Optional[str] = None, is_null: Optional[bool] = None) -> str:
        """The column's definition for ``MODIFY``, renamed and/or with another
        nullability when asked."""
        nullable = self.null if is_null is None else is_null
        quoted = '`%s`' % (column_name or self.name).replace('`', '``')
        flags = (('NOT NULL', not nullable), ('PRIMARY KEY', bool(self.pk)),
                 (self.extra, bool(self.extra)))
        return ' '.join([quoted, self.definition] + [text for text, on in flags if on])


#: a foreign key as :meth:`MySQLMigrator.foreign_keys` reports it
MySQLForeignKey = namedtuple('MySQLForeignKey', ('name', 'table', 'columns', 'dest_table',
                                                 'dest_columns', 'on_delete', 'on_update'))


class MySQLMigrator(SchemaMigrator):
    """MySQL and MariaDB: ``MODIFY``, ``RENAME TABLE``, ``DROP INDEX ... ON``.

    * DDL commits by itself on MySQL, so a batch runs statement by statement (no
      transaction): a failing batch keeps the changes made before the failure;
    * ``MODIFY`` restates a whole column, so NOT NULL and type changes rebuild the
      definition from ``information_schema`` (type, character set, default,
      ``AUTO_INCREMENT``, ``ON UPDATE``, comment) and change only what was asked;
    * a column type covered by a foreign key cannot change (errors 1832 / 1833): the
      foreign keys on the column are dropped, the column changed and the keys created
      again with their names and actions.  When the change fails, or a key does not
      accept the new type, the column is put back and the keys restored, so the
      constraint is never lost.  A column that *other* tables reference is refused;
    * dropping a column drops its foreign keys first (and, with ``cascade``, those of
      other tables that reference it);
    * a foreign key of a new column is added by ``ADD CONSTRAINT`` (MySQL ignores
      ``REFERENCES`` written on a column);
    * a TEXT or BLOB column in an index or unique constraint gets a prefix length, as
      in ``CREATE INDEX`` (see :doc:`mysql`).
    """

    transactional_ddl = False
    explicit_create_foreign_key = True

    # -- catalog ----------------------------------------------------------------------------
    def _get_column_definition(self, table: str, column_name: str) -> MySQLColumn:
        cursor = self.database.execute_sql('DESCRIBE %s' % self.render(self._table(table)))
        for name, definition, null, pk, default, extra in cursor.fetchall():
            if name == column_name:
                return MySQLColumn(name, definition, null == 'YES', pk == 'PRI', default,
                                   extra)
        raise ValueError('%s has no column %s' % (table, column_name))

    def _column_info(self, table: str, column: str) -> dict:
        cursor = self.database.execute_sql(
            'SELECT column_type, is_nullable, column_default, extra, column_comment, '
            'character_set_name, collation_name FROM information_schema.columns '
            'WHERE table_schema = COALESCE(%s, DATABASE()) AND table_name = %s '
            'AND column_name = %s', (self.schema, table, column))
        row = cursor.fetchone()
        if row is None:
            raise ValueError('%s has no column %s' % (table, column))
        keys = ('type', 'nullable', 'default', 'extra', 'comment', 'charset', 'collation')
        info = dict(zip(keys, row))
        info['nullable'] = info['nullable'] == 'YES'
        return info

    def _column_sql(self, table: str, column: str, type_sql: Optional[str] = None,
                    null: Optional[bool] = None, name: Optional[str] = None) -> str:
        """The definition of ``table.column`` as the catalog has it, for ``MODIFY`` /
        ``CHANGE``: with another type, nullability or name when given."""
        info = self._column_info(table, column)
        dialect = self.database.dialect
        words = [self.quote(name or column)]
        if type_sql is None:
            words.append(info['type'])
            if info['charset']:
                words.append('CHARACTER SET %s COLLATE %s' % (info['charset'],
                                                              info['collation']))
        else:
            words.append(type_sql)
        nullable = info['nullable'] if null is None else null
        words.append('NULL' if nullable else 'NOT NULL')
        extra = str(info['extra'] or '')
        generated = 'DEFAULT_GENERATED' in extra.upper()
        extra = re.sub(r'(?i)\bDEFAULT_GENERATED\b', '', extra).strip()
        default = info['default']
        if default is not None and str(default).upper() != 'NULL':
            if dialect.mariadb or generated:
                # MariaDB reports the default as SQL; MySQL its value, or an expression
                text = str(default)
                if generated and not dialect.mariadb and \
                        not text.upper().startswith('CURRENT_TIMESTAMP'):
                    text = '(%s)' % text
                words.append('DEFAULT ' + text)
            else:
                words.append('DEFAULT ' + dialect.literal_value(default))
        if extra:
            words.append(extra)
        if info['comment']:
            words.append('COMMENT ' + dialect.literal_value(info['comment']))
        return ' '.join(words)

    def foreign_keys(self, table: str, column: Optional[str] = None,
                     referencing: bool = False) -> list:
        """The foreign keys of ``table`` (those on ``column`` when given), or with
        ``referencing`` those of any table that point at ``table`` (``column``)."""
        side = 'k.referenced_table_name' if referencing else 'k.table_name'
        cursor = self.database.execute_sql(
            'SELECT k.constraint_name, k.table_name, k.column_name, '
            'k.referenced_table_name, k.referenced_column_name, r.delete_rule, '
            'r.update_rule FROM information_schema.key_column_usage k '
            'JOIN information_schema.referential_constraints r '
            'ON r.constraint_schema = k.table_schema AND r.table_name = k.table_name '
            'AND r.constraint_name = k.constraint_name '
            'WHERE k.table_schema = COALESCE(%%s, DATABASE()) AND %s = %%s '
            'AND k.referenced_table_name IS NOT NULL '
            'ORDER BY k.table_name, k.constraint_name, k.ordinal_position' % side,
            (self.schema, table))
        found: dict = {}
        for name, source, col, dest, dest_col, on_delete, on_update in cursor.fetchall():
            key = (source, name)
            if key not in found:
                found[key] = MySQLForeignKey(name, source, [], dest, [], on_delete,
                                             on_update)
            found[key].columns.append(col)
            found[key].dest_columns.append(dest_col)
        keys = list(found.values())
        if column is not None:
            keys = [fk for fk in keys
                    if column in (fk.dest_columns if referencing else fk.columns)]
        return keys

    def get_foreign_key_constraint(self, table: str, column_name: str) -> list:
        return [fk.name for fk in self.foreign_keys(table, column_name)]

    def _drop_fk_sql(self, fk: Any) -> Any:
        return NodeList(self._alter_table(fk.table) + [SQL('DROP FOREIGN KEY'),
                                                       Entity(fk.name)])

    def _add_fk_sql(self, fk: Any) -> Any:
        sql = 'FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s ON UPDATE %s' % (
            ', '.join(map(self.quote, fk.columns)), self.render(self._table(fk.dest_table)),
            ', '.join(map(self.quote, fk.dest_columns)), fk.on_delete, fk.on_update)
        return NodeList(self._alter_table(fk.table) + [SQL('ADD CONSTRAINT'),
                                                       Entity(fk.name), SQL(sql)])

    def _around_foreign_keys(self, keys: list, change: Any, undo: Any) -> None:
        """Drop ``keys``, run ``change``, create ``keys`` again.  When the change fails
        the keys are created again as they were; when a key no longer fits the changed
        column (MySQL needs both sides of a key to have matching types), ``undo`` puts
        the column back first, the keys are restored and the error says why."""
        for fk in keys:
            self.execute(self._drop_fk_sql(fk))
        try:
            self.execute(change)
        except Exception:
            for fk in keys:
                self.execute(self._add_fk_sql(fk))
            raise
        for number, fk in enumerate(keys):
            try:
                self.execute(self._add_fk_sql(fk))
            except OperationalError as exc:
                self.execute(undo)
                for rest in keys[number:]:
                    self.execute(self._add_fk_sql(rest))
                raise NotSupportedError(
                    'the change was undone: foreign key %s (%s -> %s.%s) does not accept '
                    'the new type (MySQL needs matching types on both sides): %s'
                    % (fk.name, ', '.join(fk.columns), fk.dest_table,
                       ', '.join(fk.dest_columns), exc)) from exc

    # -- columns ----------------------------------------------------------------------------
    @operation
    def drop_foreign_key_constraint(self, table: Any, column_name: str) -> Any:
        table = _table_name(table)
        keys = self.foreign_keys(table, column_name)
        if not keys:
            raise ValueError('%s.%s has no foreign key constraint' % (table, column_name))
        return [self._drop_fk_sql(fk) for fk in keys]

    @operation
    def drop_column(self, table: Any, column_name: str, cascade: bool = True) -> Any:
        """Drop a column, its foreign keys first; with ``cascade`` also the foreign keys
        of other tables that reference it (MySQL refuses the drop otherwise)."""
        table = _table_name(table)
        keys = self.foreign_keys(table, column_name)
        if cascade:
            keys += self.foreign_keys(table, column_name, referencing=True)
        return [self._drop_fk_sql(fk) for fk in keys] + [
            NodeList(self._alter_table(table) + [SQL('DROP COLUMN'), Entity(column_name)])]

    def _renames_columns(self) -> bool:
        """``RENAME COLUMN``: MariaDB 10.5+ and MySQL 8+ (else ``CHANGE``)."""
        self.database.connection()    # the version is read on connecting
        dialect = self.database.dialect
        version = tuple(dialect.server_version or (99,))
        return version >= ((10, 5) if dialect.mariadb else (8, 0))

    @operation
    def rename_column(self, table: Any, old_name: str, new_name: str) -> Any:
        """Rename a column; its foreign keys, and those referencing it, follow it."""
        table = _table_name(table)
        if self._renames_columns():
            return self._rename_column(table, old_name, new_name)
        return NodeList(self._alter_table(table) + [
            SQL('CHANGE'), Entity(old_name),
            SQL(self._column_sql(table, old_name, name=new_name))])

    def _modify(self, table: str, column: str, is_null: bool) -> Any:
        return NodeList(self._alter_table(table) + [
            SQL('MODIFY'), SQL(self._column_sql(table, column, null=is_null))])

    @operation
    def add_not_null(self, table: Any, column: str) -> Any:
        """Make a column NOT NULL; refused with :class:`~orm.IntegrityError` while a
        row holds NULL there (MySQL would report a truncation, or store a zero value
        outside strict mode)."""
        table = _table_name(table)
        cursor = self.database.execute_sql('SELECT 1 FROM %s WHERE %s IS NULL LIMIT 1' % (
            self.render(self._table(table)), self.quote(column)))
        if cursor.fetchone() is not None:
            raise IntegrityError('cannot make %s.%s NOT NULL: some rows hold NULL there'
                                 % (table, column))
        return self._modify(table, column, False)

    @operation
    def drop_not_null(self, table: Any, column: str) -> Any:
        return self._modify(_table_name(table), column, True)

    @operation
    def alter_column_type(self, table: Any, column: str, field: Any, cast: Any = None) -> Any:
        """Change the column's type to ``field``'s, keeping its nullability, default
        and comment.  MySQL converts the values itself (``cast=`` is refused).  The
        column's foreign keys are dropped around the change and created again."""
        if cast is not None:
            raise ValueError('MySQL converts column values itself: cast= is not supported')
        table = _table_name(table)
        field = self._prepare_field(field, column)
        referencing = self.foreign_keys(table, column, referencing=True)
        if referencing:
            raise NotSupportedError(
                'cannot change the type of %s.%s: foreign keys of other tables reference '
                'it (%s), and MySQL needs the two sides to have the same type. Drop those '
                'constraints, change both columns, then add the constraints again'
                % (table, column, ', '.join('%s.%s' % (fk.table, fk.name)
                                            for fk in referencing)))
        change = NodeList(self._alter_table(table) + [
            SQL('MODIFY'), SQL(self._column_sql(table, column, self._type_sql(field)))])
        keys = self.foreign_keys(table, column)
        if not keys:
            return change
        undo = NodeList(self._alter_table(table) + [
            SQL('MODIFY'), SQL(self._column_sql(table, column))])
        self._around_foreign_keys(keys, change, undo)
        return None

    # -- tables and indexes -----------------------------------------------------------------
    @operation
    def rename_table(self, old_name: Any, new_name: str) -> Any:
        return NodeList([SQL('RENAME TABLE'), self._table(old_name), SQL('TO'),
                         self._table(new_name)])

    def _key_parts(self, table: str, columns: list, unique: bool) -> Any:
        """``(a, body(191))``: text and blob columns with the dialect's prefix length."""
        dialect = self.database.dialect
        parts: list = []
        for column in columns:
            kind = str(self._column_info(table, column)['type']).lower()
            if kind.endswith(('text', 'blob')) and not (unique and dialect.mariadb):
                parts.append(SQL('%s(%d)' % (self.quote(column), dialect.text_key_length)))
            else:
                parts.append(Entity(column))
        return NodeList(parts, ', ', parens=True)

    def _add_index(self, table: Any, columns: Any, unique: bool = False,
                   using: Optional[str] = None, where: Any = None,
                   nulls_distinct: Optional[bool] = None) -> Any:
        if where is not None:
            raise NotSupportedError('MySQL has no partial indexes (where=)')
        if nulls_distinct is not None:
            raise NotSupportedError('MySQL has no NULLS [NOT] DISTINCT for indexes')
        table = _table_name(table)
        columns = _column_list(columns)
        parts = [SQL('CREATE UNIQUE INDEX' if unique else 'CREATE INDEX'),
                 Entity(self._generated(make_index_name(table, columns))), SQL('ON'),
                 self._table(table), self._key_parts(table, columns, unique)]
        if using:
            parts.append(SQL('USING %s' % re.sub(r'\W', '', using)))
        return NodeList(parts)

    @operation
    def add_unique(self, table: Any, *column_names: str) -> Any:
        if not column_names:
            raise ValueError('add_unique() needs at least one column')
        table = _table_name(table)
        columns = list(column_names)
        return NodeList(self._alter_table(table) + [
            SQL('ADD CONSTRAINT'), Entity(self._unique_name(table, columns)),
            SQL('UNIQUE'), self._key_parts(table, columns, True)])

    def _keys_needing_index(self, table: str, index_name: str) -> list:
        """The foreign keys of ``table`` that only index ``index_name`` serves: InnoDB
        needs an index that starts with a key's columns, and refuses to drop the last
        one (error 1553)."""
        indexes = {ix.name: ix.columns for ix in
                   self.database.get_indexes(table, schema=self.schema)}
        if index_name not in indexes:
            return []

        def serves(columns: list, fk: Any) -> bool:
            return columns[:len(fk.columns)] == fk.columns

        return [fk for fk in self.foreign_keys(table)
                if serves(indexes[index_name], fk) and
                not any(serves(columns, fk) for name, columns in indexes.items()
                        if name != index_name)]

    @operation
    def drop_index(self, table: Any, index_name: str) -> Any:
        """``DROP INDEX name ON table``.  When a foreign key needs the index (no other
        index starts with its columns) the key is dropped first and created again
        afterwards, with its name and actions; InnoDB then gives it an index of its own,
        named after the constraint."""
        table = _table_name(table)
        keys = self._keys_needing_index(table, index_name)
        return ([self._drop_fk_sql(fk) for fk in keys] +
                [NodeList([SQL('DROP INDEX'), Entity(index_name), SQL('ON'),
                           self._table(table)])] +
                [self._add_fk_sql(fk) for fk in keys])


# ---------------------------------------------------------------------------------------
# SQLite: the table rebuild (the CREATE TABLE parser is in playhouse._sqlite_ddl)
# ---------------------------------------------------------------------------------------

_SqliteObject = namedtuple('_SqliteObject', ('type', 'name', 'sql'))


class SqliteMigrator(SchemaMigrator):
    """SQLite: ``ALTER TABLE`` where it suffices (add and rename columns, rename tables),
    the documented table rebuild for the rest.  Works with foreign keys enforced."""

    #: name prefix of the temporary table a rebuild creates
    rebuild_prefix = '__orm_rebuild_'

    def __init__(self, database: Any, schema: Optional[str] = None) -> None:
        if schema:
            raise ValueError('SqliteMigrator takes no schema: the table rebuild works on '
                             'the main database (drop_table() takes schema= for an '
                             'attached one)')
        super().__init__(database)

    # -- transactions and foreign keys --------------------------------------------------
    def _foreign_keys_on(self) -> bool:
        return bool(self.database.execute_sql('PRAGMA foreign_keys').fetchone()[0])

    @contextlib.contextmanager
    def migration_context(self, atomic: bool = True) -> Iterator['SqliteMigrator']:
        """One transaction around a batch of changes (none when ``atomic`` is false;
        each table rebuild still runs in a transaction of its own).

        When no transaction is open and foreign keys are enforced, they are turned off
        first (SQLite ignores ``PRAGMA foreign_keys`` inside a transaction), checked
        with ``PRAGMA foreign_key_check`` before the commit -- a violation raises
        :class:`orm.IntegrityError` and rolls everything back -- and turned on again
        afterwards.  Inside an open transaction this is a savepoint.
        """
        db = self.database
        if db.in_transaction():
            with db.atomic():
                yield self
            return
        fk_on = self._foreign_keys_on()
        if fk_on:
            db.execute_sql('PRAGMA foreign_keys = OFF')
        try:
            with (db.atomic() if atomic else contextlib.nullcontext()):
                yield self
                if fk_on:
                    self.check_foreign_keys()
        finally:
            if fk_on:
                db.execute_sql('PRAGMA foreign_keys = ON')

    def check_foreign_keys(self, table: Optional[str] = None) -> None:
        """Raise :class:`orm.IntegrityError` listing rows whose foreign keys point at
        nothing (``PRAGMA foreign_key_check``, for one table or all of them)."""
        sql = 'PRAGMA foreign_key_check'
        if table:
            sql += '(%s)' % self.quote(table)
        rows = self.database.execute_sql(sql).fetchall()
        if not rows:
            return
        shown = ['%s (rowid %s) -> %s' % (child, rowid, parent)
                 for child, rowid, parent, _fkid in rows[:10]]
        more = ' and %d more' % (len(rows) - 10) if len(rows) > 10 else ''
        raise IntegrityError(
            'foreign key check failed after the schema change: %d row(s) refer to rows that '
            'do not exist: %s%s. The migration was rolled back.'
            % (len(rows), ', '.join(shown), more))

    # -- reading the schema ----------------------------------------------------------------
    def _get_create_table(self, table: str) -> tuple:
        row = self.database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ? "
            "COLLATE NOCASE", (table,)).fetchone()
        if row is None:
            raise ValueError('no table named %r' % table)
        return row

    def _get_column_names(self, table: str) -> list:
        return [c.name for c in self.database.get_columns(table)]

    def _dependents(self, table: str) -> list:
        rows = self.database.execute_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid",
            (table,)).fetchall()
        return [_SqliteObject(*row) for row in rows]

    def _referencing_tables(self, table: str) -> list:
        out = []
        for name in self.database.get_tables():
            rows = self.database.execute_sql(
                'PRAGMA foreign_key_list(%s)' % self.quote(name)).fetchall()
            if any(row[2].lower() == table.lower() for row in rows):
                out.append(name)
        return out

    # -- the rebuild ------------------------------------------------------------------------
    def _rebuild(self, table: Any, change: Callable[[TableDef], Any],
                 copy_exprs: Optional[dict] = None,
                 keep: Optional[Callable[[_SqliteObject], bool]] = None) -> None:
        """Rebuild ``table`` with the definition ``change`` produces from the current one.

        ``copy_exprs`` maps new column names to the SQL that fills them from the old
        table (default: the same column); ``keep`` filters the indexes and triggers that
        are created again.
        """
        db = self.database
        table = _table_name(table)
        table, create_sql = self._get_create_table(table)
        tdef = TableDef(create_sql)
        old_columns = {c.name.lower() for c in tdef.columns() if not c.generated}
        change(tdef)
        if not tdef.columns():
            raise ValueError('cannot remove the last column of %s' % table)

        if self._foreign_keys_on():
            referencing = self._referencing_tables(table)
            if referencing:
                raise NotSupportedError(
                    'changing table %r needs SQLite\'s table rebuild, which must run with '
                    'foreign keys off; PRAGMA foreign_keys cannot change inside a '
                    'transaction, and %s refer(s) to this table. Run migrate() outside '
                    'db.atomic() (it opens its own transaction), or wrap your changes in '
                    'migrator.migration_context() instead of a transaction.'
                    % (table, ', '.join(repr(t) for t in referencing)))

        dependents = self._dependents(table)
        temp = self.rebuild_prefix + table
        if db.table_exists(temp):
            raise OperationalError('table %r exists, left over by an interrupted rebuild: '
                                   'drop it and run the migration again' % temp)
        copy_exprs = copy_exprs or {}
        targets, sources = [], []
        for column in tdef.columns():
            if column.generated:
                continue
            expr = copy_exprs.get(column.name)
            if expr is None and column.name.lower() in old_columns:
                expr = self.quote(column.name)
            if expr is not None:
                targets.append(self.quote(column.name))
                sources.append(expr)

        seq = None
        if db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
                          ).fetchone():
            row = db.execute_sql('SELECT seq FROM sqlite_sequence WHERE name = ?',
                                 (table,)).fetchone()
            seq = row[0] if row else None

        with db.atomic():
            db.execute_sql(tdef.render(self.quote(temp)))
            if targets:
                try:
                    db.execute_sql('INSERT INTO %s (%s) SELECT %s FROM %s' % (
                        self.quote(temp), ', '.join(targets), ', '.join(sources),
                        self.quote(table)))
                except IntegrityError as exc:
                    raise IntegrityError(
                        'cannot change table %r: its rows do not fit the new definition '
                        '(%s)' % (table, str(exc).replace(temp, table))) from exc
            db.execute_sql('DROP TABLE %s' % self.quote(table))
            # Rename the new table into place.  Legacy mode keeps SQLite from checking
            # every view and trigger against the schema while the table is missing (they
            # may name it); nothing refers to the temporary name, so nothing else changes,
            # and the REFERENCES clauses of other tables, which name the table, now point
            # at the new one.
            legacy = db.execute_sql('PRAGMA legacy_alter_table').fetchone()[0]
            db.execute_sql('PRAGMA legacy_alter_table = ON')
            try:
                db.execute_sql('ALTER TABLE %s RENAME TO %s' % (self.quote(temp),
                                                                 self.quote(table)))
            finally:
                db.execute_sql('PRAGMA legacy_alter_table = %s' % ('ON' if legacy else 'OFF'))
            if seq is not None:       # AUTOINCREMENT: keep the high-water mark
                db.execute_sql('DELETE FROM sqlite_sequence WHERE name IN (?, ?)',
                               (table, temp))
                db.execute_sql('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)',
                               (table, seq))
            for obj in dependents:
                if keep is None or keep(obj):
                    db.execute_sql(obj.sql)

    # -- operations that ALTER TABLE does -----------------------------------------------------
    def _sqlite_version(self) -> tuple:
        text = self.database.execute_sql('SELECT sqlite_version()').fetchone()[0]
        return tuple(int(part) for part in text.split('.')[:3])

    def _rename(self, node: Any) -> None:
        """Run an ``ALTER TABLE ... RENAME`` with legacy mode off, so that SQLite also
        renames the references in other tables' foreign keys, triggers and views."""
        db = self.database
        legacy = db.execute_sql('PRAGMA legacy_alter_table').fetchone()[0]
        if legacy:
            db.execute_sql('PRAGMA legacy_alter_table = OFF')
        try:
            self.execute(node)
        finally:
            if legacy:
                db.execute_sql('PRAGMA legacy_alter_table = ON')

    @operation
    def rename_column(self, table: Any, old_name: str, new_name: str,
                      legacy: bool = False) -> None:
        """``ALTER TABLE ... RENAME COLUMN`` (SQLite 3.25+); references in indexes,
        triggers, views and other tables' foreign keys follow.  ``legacy`` is accepted
        for peewee compatibility and changes nothing."""
        if self._sqlite_version() < (3, 25, 0):
            raise NotSupportedError('renaming a column needs SQLite 3.25 or later')
        self._rename(self._rename_column(table, old_name, new_name))

    @operation
    def rename_table(self, old_name: Any, new_name: str) -> None:
        self._rename(NodeList(self._alter_table(old_name) + [SQL('RENAME TO'),
                                                             Entity(new_name)]))

    @operation
    def add_index(self, table: Any, columns: Any, unique: bool = False,
                  using: Optional[str] = None, where: Any = None,
                  nulls_distinct: Optional[bool] = None) -> Any:
        # SQLite reads a quoted name that matches no column as a string literal and
        # would index a constant: check the names first
        table = _table_name(table)
        known = {name.lower() for name in self._get_column_names(table)}
        if not known:
            raise ValueError('no table named %r' % table)
        missing = [c for c in _column_list(columns) if c.lower() not in known]
        if missing:
            raise ValueError('cannot index %s: no column %s' % (
                table, ', '.join(repr(c) for c in missing)))
        return self._add_index(table, columns, unique, using, where, nulls_distinct)

    @operation
    def drop_index(self, table: Any, index_name: str) -> Any:
        return NodeList([SQL('DROP INDEX'), Entity(index_name)])

    @operation
    def drop_table(self, table: Any, safe: bool = False, cascade: bool = False,
                   schema: Optional[str] = None) -> Any:
        """``DROP TABLE``; inside :func:`migrate` rows of other tables left pointing at
        the dropped one fail the foreign-key check and roll the batch back."""
        if cascade:
            raise _CannotDoHere('SQLite has no DROP TABLE ... CASCADE: drop or change the '
                                'referencing tables first')
        return NodeList([SQL('DROP TABLE IF EXISTS' if safe else 'DROP TABLE'),
                         Entity(schema, _table_name(table)) if schema
                         else Entity(_table_name(table))])

    # -- operations that need the rebuild ---------------------------------------------------
    @operation
    def drop_column(self, table: Any, column_name: str, cascade: bool = True,
                    legacy: bool = False) -> None:
        """Drop a column by rebuilding the table.  Indexes, triggers and table
        constraints naming the column go with it when ``cascade`` (else: an error)."""
        table = _table_name(table)
        dropped: list = []

        def change(tdef: TableDef) -> None:
            column = tdef.column(column_name)
            if column.has('PRIMARY'):
                raise ValueError('cannot drop %s.%s: it is the primary key'
                                 % (table, column_name))
            kept = []
            for item in tdef.items:
                if item is column:
                    continue
                mentions = (item.kind == 'constraint' and column_name.lower() in item.names())
                if mentions:
                    dropped.append(item.render())
                    continue
                if item.kind == 'column':
                    checks = [c for c in item.clauses if c.kind in ('CHECK', 'GENERATED')
                              and column_name.lower() in c.names()]
                    if checks:
                        if any(c.kind == 'GENERATED' for c in checks):
                            raise ValueError('cannot drop %s.%s: generated column %s uses it'
                                             % (table, column_name, item.name))
                        dropped.extend(render_atoms(c.atoms) for c in checks)
                        item.clauses = [c for c in item.clauses if c not in checks]
                kept.append(item)
            tdef.items = kept

        def keep(obj: _SqliteObject) -> bool:
            if mentions(obj.sql, column_name):
                dropped.append('%s %s' % (obj.type, obj.name))
                return False
            return True

        views = [_SqliteObject(*row) for row in self.database.execute_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE type = 'view'").fetchall()
            if mentions(row[2], table) and mentions(row[2], column_name)]

        def guarded_change(tdef: TableDef) -> None:
            change(tdef)
            if not cascade:
                doomed = [o for o in self._dependents(table) if mentions(o.sql, column_name)]
                if dropped or doomed or views:
                    raise ValueError(
                        'cannot drop %s.%s without cascade: %s depend(s) on it'
                        % (table, column_name, ', '.join(
                            dropped + ['%s %s' % (o.type, o.name) for o in doomed + views])))
            for view in views:      # like PostgreSQL's DROP COLUMN ... CASCADE
                self.database.execute_sql('DROP VIEW %s' % self.quote(view.name))

        self._rebuild(table, guarded_change, keep=keep)

    @operation
    def add_not_null(self, table: Any, column: str, legacy: bool = False) -> None:
        """Make a column NOT NULL (rebuild; fails with IntegrityError if a row holds NULL).
        ``legacy`` is accepted for peewee compatibility: the rebuild is the only way."""
        def change(tdef: TableDef) -> None:
            col = tdef.column(column)
            if not col.has('NOT NULL'):
                col.remove('NULL')
                col.add('NOT NULL', 'NOT NULL')
        self._rebuild(table, change)

    @operation
    def drop_not_null(self, table: Any, column: str, legacy: bool = False) -> None:
        """Let a column hold NULL (rebuild; ``legacy`` as for :meth:`add_not_null`)."""
        def change(tdef: TableDef) -> None:
            tdef.column(column).remove('NOT NULL')
        self._rebuild(table, change)

    def _sqlite_default(self, default: Any) -> str:
        text = self._default_sql(default)
        if isinstance(default, Node) and not re.match(
                r"^(?:[A-Za-z_]+|[-+]?[0-9.]+|'(?:[^']|'')*'|\(.*\))$", text.strip(), re.S):
            text = '(%s)' % text
        return text

    @operation
    def add_column_default(self, table: Any, column: str, default: Any) -> None:
        text = self._sqlite_default(default)

        def change(tdef: TableDef) -> None:
            col = tdef.column(column)
            col.remove('DEFAULT')
            col.add('DEFAULT', 'DEFAULT ' + text)
        self._rebuild(table, change)

    @operation
    def drop_column_default(self, table: Any, column: str) -> None:
        def change(tdef: TableDef) -> None:
            tdef.column(column).remove('DEFAULT')
        self._rebuild(table, change)

    @operation
    def alter_column_type(self, table: Any, column: str, field: Any, cast: Any = None) -> None:
        """Change a column's declared type (rebuild); ``cast`` converts the values on the
        copy (a type name, an SQL node or SQL text).  Nullability is left as it is."""
        field = self._prepare_field(field, column)
        type_sql = self._type_sql(field)
        copy_exprs = {}

        def change(tdef: TableDef) -> None:
            col = tdef.column(column)
            col.set_type(type_sql)
            if cast is not None:
                copy_exprs[col.name] = self._cast_sql(col.name, field, cast)
        # change() runs before the copy, so copy_exprs is filled in time
        self._rebuild(table, change, copy_exprs=copy_exprs)

    @operation
    def add_constraint(self, table: Any, name: str, constraint: Any) -> None:
        """Add a table constraint (rebuild); rows that break it raise IntegrityError."""
        text = self._constraint_sql(constraint)

        def change(tdef: TableDef) -> None:
            for item in tdef.items:
                if (getattr(item, 'name', None) or '').lower() == name.lower() \
                        and item.kind == 'constraint':
                    raise ValueError('table already has a constraint named %r' % name)
            tdef.add_constraint('CONSTRAINT %s %s' % (self.quote(name), text))
        self._rebuild(table, change)

    @operation
    def drop_constraint(self, table: Any, name: str) -> None:
        """Drop a named table or column constraint (rebuild)."""
        def change(tdef: TableDef) -> None:
            before = len(tdef.items)
            tdef.items = [item for item in tdef.items
                          if not (item.kind == 'constraint' and item.name
                                  and item.name.lower() == name.lower())]
            found = before != len(tdef.items)
            for col in tdef.columns():
                kept = [c for c in col.clauses
                        if not (c.name and c.name.lower() == name.lower())]
                found = found or len(kept) != len(col.clauses)
                col.clauses = kept
            if not found:
                raise ValueError('table %s has no constraint named %r'
                                 % (_table_name(table), name))
        self._rebuild(table, change)

    @operation
    def add_foreign_key_constraint(self, table: Any, column_name: str, rel: Any,
                                   rel_column: str = 'id', on_delete: Optional[str] = None,
                                   on_update: Optional[str] = None,
                                   constraint_name: Optional[str] = None) -> Any:
        """Add a foreign key to an existing column (rebuild).  Rows whose value has no
        parent row make the foreign-key check fail and the change roll back."""
        table, rel = _table_name(table), _table_name(rel)
        name = constraint_name or self._fk_name(table, column_name, rel)
        return self.add_constraint(table, name, self._fk_clause(
            column_name, rel, rel_column, on_delete, on_update))

    def get_foreign_key_constraint(self, table: str, column_name: str) -> list:
        rows = self.database.execute_sql(
            'PRAGMA foreign_key_list(%s)' % self.quote(table)).fetchall()
        return [row[2] for row in rows if row[3].lower() == column_name.lower()]

    @operation
    def drop_foreign_key_constraint(self, table: Any, column_name: str) -> None:
        """Remove the foreign key(s) on ``table.column_name`` (rebuild)."""
        table = _table_name(table)

        def change(tdef: TableDef) -> None:
            found = False
            kept = []
            for item in tdef.items:
                if item.kind == 'constraint' and item.type == 'FOREIGN' and \
                        [c.lower() for c in item.columns] == [column_name.lower()]:
                    found = True
                    continue
                kept.append(item)
            tdef.items = kept
            col = tdef.column(column_name)
            if col.remove('REFERENCES'):
                found = True
            if not found:
                raise ValueError('%s.%s has no foreign key constraint' % (table, column_name))
        self._rebuild(table, change)

