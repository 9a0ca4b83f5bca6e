"""Row sources and the statements built on them: tables, joins, CTEs, VALUES lists;
SELECT (and compound selects), INSERT, UPDATE, DELETE, CREATE INDEX and raw SQL.

Sources and queries live in one module because each builds the other: ``table.select()``
makes a Select, and a Select is itself a source (a subquery).  ``orm.sql.sources``
re-exports the source classes under their usual module name.

Builders are immutable: every chained call returns a new query.  A query runs on the
database it is bound to (``bind(db)``) or on the one passed to ``execute(db)``; that
database also says which row adapter shapes the rows (``_get_cursor_wrapper``).
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import re
from typing import Any, Callable, Iterable, Iterator

from ..exceptions import InterfaceError
from .context import (Context, SCOPE_COLUMN, SCOPE_CTE, SCOPE_NORMAL, SCOPE_SOURCE,
                      SCOPE_VALUES, substitute_params)
from .nodes import (SQL, Alias, Column, ColumnBase, CommaNodeList, EnclosedNodeList,
                    Entity, Expression, Node, NodeList, OP, Star, Value, Window,
                    WrappedNode, attrdict, ensure_node, ensure_tuple, fn, mutator)

__all__ = [
    # sources
    'JOIN', 'Source', 'BaseTable', 'Table', 'Join', 'CTE', 'ValuesList', 'ColumnFactory',
    # queries
    'BaseQuery', 'RawQuery', 'Query', 'SelectQuery', 'SelectBase', 'Select',
    'CompoundSelectQuery', 'WriteQuery', 'Insert', 'Update', 'Delete', 'OnConflict',
    'ForUpdate', 'ROW', 'database_required', 'chunked', 'Index', 'query_to_string',
]


class ROW:
    """The shapes a query's rows can take (``query.dicts()``, ``.tuples()``, ...)."""
    TUPLE = 1
    DICT = 2
    NAMEDTUPLE = 3
    CONSTRUCTOR = 4
    MODEL = 5


def _is_model_class(obj: Any) -> bool:
    return isinstance(obj, type) and hasattr(obj, '_meta')


# =========================================================================================
# sources
# =========================================================================================
JOIN = attrdict((name, sql) for name, sql in (
    ('INNER', 'INNER JOIN'),
    ('LEFT_OUTER', 'LEFT OUTER JOIN'),
    ('RIGHT_OUTER', 'RIGHT OUTER JOIN'),
    ('FULL', 'FULL JOIN'),
    ('FULL_OUTER', 'FULL OUTER JOIN'),
    ('CROSS', 'CROSS JOIN'),
    ('NATURAL', 'NATURAL JOIN'),
    ('LATERAL', 'LATERAL'),
    ('LEFT_LATERAL', 'LEFT JOIN LATERAL'),
))
_JOIN_TYPES = frozenset(JOIN.values())


class ColumnFactory:
    """``source.c.name`` returns a Column of that source; ``source.c['name']`` does for
    any name (a name starting with two underscores works only this way)."""

    __slots__ = ('node',)

    def __init__(self, node: 'Source') -> None:
        self.node = node

    def __getattr__(self, attr: str) -> Column:
        if attr.startswith('__'):   # Python's own protocols (copy, pickle ...) ask for these
            raise AttributeError(attr)
        return Column(self.node, attr)

    def __getitem__(self, name: str) -> Column:
        # any column name, '__x' too: item access is never a protocol lookup
        return Column(self.node, name)


class _ColumnsOf:
    """``source.c``: the source's ColumnFactory.  A non-data descriptor, so that a table
    with a column called "c" can have that column as its ``c`` attribute instead."""

    def __get__(self, source: Any, owner: Any = None) -> Any:
        return self if source is None else ColumnFactory(source)


def _ensure_source(obj: Any, where: str) -> Any:
    if isinstance(obj, (Source, Join)) or _is_model_class(obj):
        return obj
    if isinstance(obj, Node) or hasattr(obj, '__sql__'):
        return obj
    raise TypeError('%s expects a table, subquery, join or SQL node, got %s %r'
                    % (where, type(obj).__name__, obj))


class _Joining:
    """``join()`` and ``left_outer_join()`` of sources and joins."""

    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None) -> Any:
        return Join(self, dest, join_type, on)

    def left_outer_join(self, dest: Any, on: Any = None) -> Any:
        return Join(self, dest, JOIN.LEFT_OUTER, on)


class _JoinOperators(_Joining):
    """Joins spelled as operators: ``a & b`` inner, ``a + b`` left outer, ``a - b`` right
    outer, ``a | b`` full outer and ``a * b`` cross join."""

    def __and__(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.INNER)

    def __add__(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.LEFT_OUTER)

    def __sub__(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.RIGHT_OUTER)

    def __or__(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.FULL_OUTER)

    def __mul__(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.CROSS)

    def right_outer(self, dest: Any) -> Any:
        return Join(self, dest, JOIN.RIGHT_OUTER)


class Source(_Joining, Node):
    """Anything rows come from.  ``c`` gives its columns; unless it is given an alias,
    each query names it with a generated one ("t1", ...)."""

    c = _ColumnsOf()
    _alias: str | None = None

    def __init__(self, alias: str | None = None) -> None:
        if alias is not None:
            self._alias = alias

    @mutator
    def alias(self, name: str) -> None:
        self._alias = name

    def select(self, *columns: Any) -> Any:
        """A SELECT of ``columns`` (all of them, ``*``, when none are named) from this."""
        return Select([self], columns or [SQL('*')])

    @property
    def __star__(self) -> Star:
        return Star(self)

    def cte(self, name: str, recursive: bool = False, columns: Iterable | None = None,
            materialized: bool | None = None) -> 'CTE':
        return CTE(name, self, recursive=recursive, columns=columns, materialized=materialized)

    def _reference_name(self, ctx: Context) -> str:
        """The name this source goes by in the statement being rendered."""
        return self._alias or ctx.alias_manager[self]

    def get_sort_key(self, ctx: Context) -> tuple:
        return (self._reference_name(ctx),)

    def apply_alias(self, ctx: Context) -> Context:
        """In a FROM clause: `` AS "alias"`` (the alias is assigned if it has none)."""
        if ctx.scope != SCOPE_SOURCE:
            return ctx
        name = self._reference_name(ctx)
        return ctx.literal(' AS ' + ctx.dialect.quote_identifier(name)) if name else ctx

    def apply_column(self, ctx: Context) -> Context:
        """Elsewhere: the alias by which columns are qualified."""
        return ctx.literal(ctx.dialect.quote_identifier(self._reference_name(ctx)))


class BaseTable(_JoinOperators, Source):
    """Base of table-like sources, which also join through operators."""


class _BoundTableContext(contextlib.ContextDecorator):
    """``with table.bind_ctx(db):`` (or as a decorator): the table runs on ``db`` inside,
    and on what it was bound to before outside.  Re-entrant: each entry remembers its
    own previous database."""

    def __init__(self, table: 'Table', database: Any) -> None:
        self.table = table
        self.database = database
        self._previous: list = []

    def __enter__(self) -> 'Table':
        self._previous.append(self.table._database)
        return self.table.bind(self.database)

    def __exit__(self, *exc: Any) -> None:
        self.table.bind(self._previous.pop())


def _column_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError('Table column names must be strings, got %r' % (name,))
    return name


class Table(BaseTable):
    """A database table usable without models: ``Table('users', ('id', 'name'))``.

    Declared columns are also attributes (``users.name``), except where a name is taken
    by a method of the class; ``users.c.name`` always works.
    """

    _name: str
    _schema: str | None
    _path: tuple
    _columns: tuple | None
    _primary_key: str | None
    _model: Any
    _database: Any
    _hashed: int

    def __init__(self, name: str, columns: Iterable[str] | None = None,
                 primary_key: str | None = None, schema: str | None = None,
                 alias: str | None = None, _model: Any = None, _database: Any = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError('Table() needs a table name string, got %r' % (name,))
        declared = None if columns is None else \
            columns if isinstance(columns, (list, tuple)) else tuple(columns)
        for column in declared or ():
            _column_name(column)
        if primary_key is not None and declared and primary_key not in declared:
            raise ValueError('primary_key %r is not one of the columns %r'
                             % (primary_key, declared))
        super().__init__(alias=alias)
        vars(self).update({
            '__name__': name, '_name': name, '_schema': schema,
            '_path': (schema, name) if schema else (name,),
            '_columns': declared, '_primary_key': primary_key,
            '_model': _model, '_database': _database,
        })
        self._hashed = hash(self._identity())
        self._attach_columns()

    def __new__(cls, *args: Any, **kwargs: Any) -> 'Table':
        # a model's table is one object, looked up for every field rendered: it compares
        # by identity, which hashes at C speed (see _ModelTable)
        if cls is Table and kwargs.get('_model') is not None:
            cls = _ModelTable
        return super().__new__(cls)

    def _attach_columns(self) -> None:
        """Make each declared column an attribute, as a Column of this very table."""
        cls = type(self)
        attributes = vars(self)
        for name in self._columns or ():
            # a method keeps its name; a column called "c" wins over the column factory
            if name == 'c' or not hasattr(cls, name):
                attributes[name] = Column(self, name)

    def __repr__(self) -> str:
        if self._alias:
            return '<Table %s AS %s>' % (self._name, self._alias)
        return '<Table %s>' % self._name

    # Two Table objects naming the same table (same schema and name, same alias, made by
    # the same model or by none) are the same source: equal, with one hash, so a query
    # gives them one name.  The hash is kept in the instance (``_hashed``, set whenever
    # the alias is), as aliases are looked up by it for every column rendered.
    def _identity(self) -> tuple:
        return (self._model, self._path, self._alias)

    def __eq__(self, other: Any) -> bool:
        return other is self or (isinstance(other, Table) and
                                 other._identity() == self._identity())

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return self._hashed

    @mutator
    def alias(self, name: str) -> None:
        self._alias = name
        self._hashed = hash(self._identity())

    def clone(self) -> 'Table':
        twin = super().clone()
        twin._attach_columns()      # the copy's columns must belong to the copy
        return twin

    def bind(self, database: Any = None) -> 'Table':
        self._database = database
        return self

    def bind_ctx(self, database: Any = None) -> _BoundTableContext:
        return _BoundTableContext(self, database)

    def _get_primary_key(self) -> Column | None:
        key = self._primary_key
        return None if key is None else Column(self, key)

    def select(self, *columns: Any) -> Any:
        """A SELECT of ``columns``; with none, of every declared column (or ``*``)."""
        if not columns:
            columns = tuple(Column(self, name) for name in self._columns or ()) or \
                (SQL('*'),)
        return Select([self], columns, _database=self._database)

    def insert(self, insert: Any = None, columns: Iterable | None = None,
               **kwargs: Any) -> 'Insert':
        if insert is None and kwargs:
            insert = kwargs
        return Insert(self, insert=insert, columns=columns, _database=self._database)

    def insert_many(self, rows: Iterable, fields: Iterable | None = None) -> 'Insert':
        return self.insert(rows, columns=fields)

    def replace(self, insert: Any = None, columns: Iterable | None = None,
                **kwargs: Any) -> 'Insert':
        return self.insert(insert, columns, **kwargs).on_conflict_replace()

    def update(self, update: Any = None, **kwargs: Any) -> 'Update':
        values = kwargs if update is None else (dict(update, **kwargs) if kwargs else update)
        return Update(self, update=values, _database=self._database)

    def delete(self) -> 'Delete':
        return Delete(self, _database=self._database)

    def __sql__(self, ctx: Context) -> Context:
        scope = ctx.scope
        if scope != SCOPE_VALUES and scope != SCOPE_SOURCE:
            return self.apply_column(ctx)
        ctx.literal(ctx.dialect.quote_path(self._path))
        return self.apply_alias(ctx) if scope == SCOPE_SOURCE else ctx


class _ModelTable(Table):
    """The table of a model (``Model._meta.table``): the model keeps one, so it is the
    same source only as itself."""

    __eq__ = object.__eq__      # type: ignore[assignment]
    __ne__ = object.__ne__      # type: ignore[assignment]
    __hash__ = object.__hash__  # type: ignore[assignment]


class Join(_JoinOperators, Node):
    """``lhs <join type> rhs [ON expr]``."""

    def __init__(self, lhs: Any, rhs: Any, join_type: str = JOIN.INNER, on: Any = None) -> None:
        if join_type not in _JOIN_TYPES:
            raise ValueError('unknown join type %r; use one of JOIN.%s'
                             % (join_type, ', JOIN.'.join(sorted(JOIN))))
        self.lhs = _ensure_source(lhs, 'join()')
        self.rhs = _ensure_source(rhs, 'join()')
        self.join_type = join_type
        self._on = on

    def on(self, predicate: Any) -> 'Join':
        """Set the join condition (on this join itself)."""
        self._on = predicate
        return self

    def sources(self) -> list:
        """The sources joined, left to right, nested joins flattened."""
        found = []
        for side in (self.lhs, self.rhs):
            found.extend(side.sources() if isinstance(side, Join) else [side])
        return found

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        with ctx.scope_source():
            ctx.sql(self.lhs)
        join_type = self.join_type
        on = self._on
        lateral = join_type in (JOIN.LATERAL, JOIN.LEFT_LATERAL)
        if lateral:
            if not dialect.supports_lateral:
                raise dialect.not_supported('LATERAL joins')
            if join_type == JOIN.LATERAL:
                join_type = 'JOIN LATERAL'
        else:
            lateral = bool(getattr(self.rhs, '_lateral', False))   # marked with .lateral()
        if lateral and on is None and join_type != JOIN.CROSS:
            on = True           # a lateral join needs an ON clause: ON true, as peewee writes
        ctx.literal(' %s ' % join_type)
        with ctx.scope_source():
            ctx.sql(self.rhs)
        if on is not None:
            ctx.literal(' ON ')
            # a condition given a name is written with it, as peewee does
            scope = SCOPE_COLUMN if isinstance(on, Alias) else SCOPE_NORMAL
            with ctx(scope=scope, parentheses=False):
                ctx.sql(on)
        return ctx


class CTE(Source):
    """A common table expression: ``WITH "name" ("cols") AS (query)``."""

    def __init__(self, name: str, query: Any, recursive: bool = False,
                 columns: Iterable | None = None, materialized: bool | None = None) -> None:
        super().__init__(alias=None)
        self._name, self._query = name, query
        # WITH [RECURSIVE] "name" ("columns") AS [[NOT] MATERIALIZED] (query)
        self._columns = None if columns is None else tuple(columns)
        self._recursive, self._materialized = recursive, materialized

    def select_from(self, *columns: Any) -> Any:
        if not columns:
            raise ValueError('select_from() needs at least one column')
        query = Select((self,), columns).with_cte(self)
        query._database = getattr(self._query, '_database', None)
        model = getattr(self._query, 'model', None)
        if model is not None:
            # a CTE over a model query: rows are built by that model (peewee does so)
            query = query.objects(model)
        return query

    def _get_hash(self) -> int:
        return hash((self.__class__, self._name, id(self._query)))

    def _combined(self, query: Any) -> 'CTE':
        twin = self.clone()
        twin._query = query
        return twin

    def union_all(self, rhs: Any) -> 'CTE':
        return self._combined(self._query + rhs)

    def union(self, rhs: Any) -> 'CTE':
        return self._combined(self._query | rhs)

    __add__ = union_all
    __or__ = union

    def _reference_name(self, ctx: Context) -> str:
        # a CTE is referenced by its own name (or alias), never by a generated "tN"
        return self._alias or self._name

    def __sql__(self, ctx: Context) -> Context:
        quote = ctx.dialect.quote_identifier
        if ctx.scope != SCOPE_CTE:
            if ctx.scope == SCOPE_SOURCE:
                ctx.literal(quote(self._name))
                if self._alias:
                    ctx.literal(' AS ' + quote(self._alias))
                return ctx
            return ctx.literal(quote(self._alias or self._name))
        if getattr(self._query, '_writes_rows', False) and \
                not ctx.dialect.supports_writable_cte:
            raise ctx.dialect.not_supported(
                'INSERT, UPDATE or DELETE in a WITH clause (common table expression %r)'
                % self._name)
        ctx.literal(quote(self._name))
        if self._columns:
            ctx.literal(' (%s)' % ', '.join(quote(c) for c in self._columns))
        ctx.literal(' AS ')
        if self._materialized is not None:
            if ctx.dialect.supports_materialized_cte:
                ctx.literal('MATERIALIZED ' if self._materialized else 'NOT MATERIALIZED ')
        with ctx.scope_normal(subquery=True, parentheses=False):
            ctx.literal('(')
            # each definition names its sources apart from the other definitions
            with ctx(subquery=False, fresh_names=self._query):
                ctx.sql(self._query)
            ctx.literal(')')
        return ctx


class ValuesList(_JoinOperators, Source):
    """``VALUES (a, b), (c, d)`` usable as a source: ``ValuesList(rows, columns, alias)``."""

    def __init__(self, values: Iterable, columns: Iterable | None = None,
                 alias: str | None = None) -> None:
        self._values = [tuple(row) for row in values]
        if not self._values:
            raise ValueError('ValuesList needs at least one row')
        width = len(self._values[0])
        if any(len(row) != width for row in self._values):
            raise ValueError('every row of a ValuesList must have %d values' % width)
        self._columns = tuple(columns) if columns else None
        if self._columns and len(self._columns) != width:
            raise ValueError('ValuesList has %d columns but rows of %d values'
                             % (len(self._columns), width))
        super().__init__(alias=alias)

    def columns(self, *names: str) -> 'ValuesList':
        """A copy whose columns are called ``names``."""
        renamed = self.clone()
        renamed._columns = names
        return renamed

    def _rows(self) -> NodeList:
        return NodeList([EnclosedNodeList([v if isinstance(v, Node) else Value(v, unpack=False)
                                           for v in row]) for row in self._values], ', ')

    def __sql__(self, ctx: Context) -> Context:
        if ctx.scope != SCOPE_SOURCE:
            # used as a statement of its own or as an operand:  (VALUES ...)
            ctx.literal('(VALUES ' if ctx.state.subquery else 'VALUES ')
            ctx.sql(self._rows())
            return ctx.literal(')' if ctx.state.subquery else '')
        quote = ctx.dialect.quote_identifier
        alias = self._alias or ctx.alias_manager[self]
        if self._columns and not ctx.dialect.values_alias_columns:
            # engines without  AS v (a, b)  get the names through a wrapping SELECT
            ctx.literal('(SELECT ')
            ctx.literal(', '.join('column%d AS %s' % (i + 1, quote(c))
                                  for i, c in enumerate(self._columns)))
            ctx.literal(' FROM (VALUES ')
            ctx.sql(self._rows())
            return ctx.literal(')) AS ' + quote(alias))
        ctx.literal('(VALUES ')
        ctx.sql(self._rows())
        ctx.literal(') AS ' + quote(alias))
        if self._columns:
            ctx.literal('(%s)' % ', '.join(quote(c) for c in self._columns))
        return ctx


# =========================================================================================
# helpers shared by the queries
# =========================================================================================
def _target_database(query: Any, given: Any, action: str) -> Any:
    """The database ``action`` runs on: ``given``, else the one the query is bound to."""
    if given is None:
        bound = query._database
        if bound is None:
            raise InterfaceError(
                'Query must be bound to a database to run %s(): call query.bind(db), '
                'Table(...).bind(db), or pass the database, e.g. query.%s(db).'
                % (action, action))
        return bound
    if not hasattr(given, 'execute'):
        raise TypeError(
            '%s() takes the database as its first positional argument, got %r; pass '
            'other arguments by keyword, e.g. query.%s(n=2)' % (action, given, action))
    return given


def database_required(method: Callable) -> Callable:
    """Let ``method`` take the database as an optional first argument: when it is left
    out, the database the query is bound to is passed in its place."""
    action = method.__name__

    def with_database(self: Any, database: Any = None, *args: Any, **kwargs: Any) -> Any:
        return method(self, _target_database(self, database, action), *args, **kwargs)
    return functools.update_wrapper(with_database, method)


def chunked(iterable: Iterable, n: int) -> Iterator[list]:
    """Yield lists of up to ``n`` items from ``iterable``."""
    if n < 1:
        raise ValueError('chunked() needs a chunk size of at least 1')
    source = iter(iterable)
    while True:
        piece = list(itertools.islice(source, n))
        if not piece:
            return
        yield piece


def _node_list(values: Iterable, where: str) -> tuple:
    return tuple(ensure_node(v, where) for v in values)


def _conjoin(current: Any, extra: Iterable, op: str) -> Any:
    """``current`` combined with each of ``extra`` by ``op`` (AND / OR), left-leaning;
    ``current`` may be None (nothing yet)."""
    combined = current
    for term in extra:
        combined = term if combined is None else Expression(combined, op, term)
    return combined


def _plain(value: Any) -> Any:
    return value


def _check_count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, str) and value.strip().lstrip('-').isdigit():
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise TypeError('%s must be an integer, got %r' % (what, value)) from None
    if value < 0:
        raise ValueError('%s must not be negative, got %d' % (what, value))
    return value


def query_to_string(query: Any) -> str:
    """The SQL of ``query`` with its parameters written in as literals (for reading
    only: run queries with their parameters bound)."""
    database = getattr(query, '_database', None)
    ctx = Context(database.dialect) if database is not None else Context()
    sql, params = ctx.sql(query).query()
    dialect = ctx.dialect
    try:
        text = substitute_params(dialect, sql, params)
    except ValueError:       # a placeholder written into raw SQL text: leave it be
        return sql
    return text.replace('%%', '%') if dialect.param == '%s' else text


# =========================================================================================
# queries
# =========================================================================================
def _given_readers(columns: Iterable) -> list | None:
    """Per selected column, the converter the application gave it for reading its values
    back (``Column.converter(fn)``, ``fn.X(...).python_value(fn)``, on it or on what an
    alias wraps); ``None`` when no column has one."""
    found = []
    for node in columns:
        reader = None
        while reader is None and isinstance(node, ColumnBase):
            state = node.__dict__
            if state.get('_coerce_given') is False:
                break
            reader = state.get('_read_converter') or state.get('_python_value')
            node = node.node if isinstance(node, WrappedNode) else None
        found.append(reader)
    return found if any(found) else None


class BaseQuery(Node):
    """Everything that can be executed: row shapes, binding, caching of results."""

    default_row_type = ROW.DICT
    _database: Any = None
    _cursor_wrapper: Any = None
    _row_type: int | None = None
    _constructor: Callable | None = None

    def __init__(self, _database: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if _database is not None:
            self._database = _database

    def bind(self, database: Any = None) -> 'BaseQuery':
        self._database = database
        return self

    def clone(self) -> Any:
        twin = super().clone()
        twin._cursor_wrapper = None        # a copy has not run yet
        return twin

    def _shaped(self, row_type: int | None, constructor: Callable | None = None) -> Any:
        twin = self.clone()
        twin._row_type = row_type
        twin._constructor = constructor
        return twin

    def dicts(self, as_dict: bool = True) -> Any:
        return self._shaped(ROW.DICT if as_dict else None)

    def tuples(self, as_tuple: bool = True) -> Any:
        return self._shaped(ROW.TUPLE if as_tuple else None)

    def namedtuples(self, as_namedtuple: bool = True) -> Any:
        return self._shaped(ROW.NAMEDTUPLE if as_namedtuple else None)

    def objects(self, constructor: Callable | None = None) -> Any:
        return self._shaped(ROW.CONSTRUCTOR if constructor else None, constructor)

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        """The adapter shaping ``cursor``'s rows: the one ``database`` (default: the
        bound one) registers for this query's row type."""
        if database is None:
            database = self._database
            if database is None:
                raise InterfaceError('the rows of an unbound query need the database they '
                                     'came from: pass it to _get_cursor_wrapper()')
        row_type = self._row_type or self.default_row_type
        adapter = database.row_adapters.get(row_type)
        if adapter is None:
            raise ValueError('unrecognised row type %r' % (row_type,))
        wrapper = adapter(cursor, self._constructor) if row_type == ROW.CONSTRUCTOR else \
            adapter(cursor)
        readers = _given_readers(getattr(self, '_returning', None) or ())
        if readers is not None:
            wrapper.value_converters = readers
        return wrapper

    def _run_for_rows(self, database: Any) -> Any:
        """Run once on ``database`` and keep the adapted rows; later calls reuse them."""
        wrapper = self._cursor_wrapper
        if wrapper is None:
            wrapper = self._get_cursor_wrapper(database.execute(self), database)
            wrapper.dialect = database.dialect
            self._cursor_wrapper = wrapper
        return wrapper

    def sql(self) -> tuple[str, list]:
        """Compile to ``(sql, params)`` for the bound database (the default, generic
        dialect when unbound)."""
        database = self._database
        ctx = database.get_sql_context() if database is not None else Context()
        return ctx.sql(self).query()

    @database_required
    def execute(self, database: Any) -> Any:
        return self._execute(database)

    def _execute(self, database: Any) -> Any:
        raise NotImplementedError

    async def aexecute(self, database: Any = None) -> Any:
        """Run the query on an async database (``playhouse.pwasyncio``) and return what
        :meth:`execute` returns.  ``database`` is used for this run only; the default is
        the bound database, which must be async (a synchronous one has no
        ``aexecute()``: ``AttributeError``)."""
        if database is None:
            database = self._database
            if database is None:
                raise InterfaceError(
                    'aexecute() needs a database: this query is not bound to one; bind it '
                    '(query.bind(db)) or pass the async database: await query.aexecute(db)')
        return await database.aexecute(self)

    def iterator(self, database: Any = None) -> Iterator:
        return iter(self.execute(database).iterator())

    def _results(self) -> Any:
        """The rows of this query, running it on its bound database first if needed."""
        if self._cursor_wrapper is None:
            if self._database is None:
                raise InterfaceError(
                    'Query has not been executed and is not bound to a database: call '
                    'query.bind(db) or query.execute(db) first.')
            self.execute()
        return self._cursor_wrapper

    def __iter__(self) -> Iterator:
        return iter(self._results())

    def __getitem__(self, value: Any) -> Any:
        return self._results()[value]

    def __len__(self) -> int:
        return len(self._results())

    def __str__(self) -> str:
        return query_to_string(self)


class RawQuery(BaseQuery):
    """Hand-written SQL run through the query machinery: ``RawQuery('SELECT ...', params)``."""

    def __init__(self, sql: str | None = None, params: Iterable | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sql = sql
        self._params = params

    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal(self._sql or '').bind_params(self._params or ())

    def _execute(self, database: Any) -> Any:
        return self._run_for_rows(database)


class Query(BaseQuery):
    """Adds WHERE, ORDER BY, LIMIT/OFFSET and WITH to BaseQuery."""

    _where: Any = None
    _order_by: tuple | None = None
    _limit: int | None = None
    _offset: int | None = None
    _cte_list: tuple | None = None

    def __init__(self, where: Any = None, order_by: Iterable | None = None,
                 limit: int | None = None, offset: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        given = {'_where': where, '_order_by': tuple(order_by) if order_by else None,
                 '_limit': limit, '_offset': offset}
        vars(self).update((k, v) for k, v in given.items() if v is not None)

    @mutator
    def with_cte(self, *cte_list: CTE) -> None:
        strays = [cte for cte in cte_list if not isinstance(cte, CTE)]
        if strays:
            raise TypeError('with_cte() expects CTEs made by query.cte(name), got %r'
                            % (strays[0],))
        self._cte_list = cte_list

    @mutator
    def where(self, *expressions: Any) -> None:
        self._where = _conjoin(self._where, _node_list(expressions, 'where()'), OP.AND)

    @mutator
    def orwhere(self, *expressions: Any) -> None:
        self._where = _conjoin(self._where, _node_list(expressions, 'orwhere()'), OP.OR)

    @mutator
    def order_by(self, *values: Any) -> None:
        self._order_by = _node_list(values, 'order_by()') or None

    @mutator
    def order_by_extend(self, *values: Any) -> None:
        self._order_by = (self._order_by or ()) + _node_list(values, 'order_by_extend()')

    @mutator
    def limit(self, value: int | None = None) -> None:
        self._limit = _check_count(value, 'limit')

    @mutator
    def offset(self, value: int | None = None) -> None:
        self._offset = _check_count(value, 'offset')

    @mutator
    def paginate(self, page: int, paginate_by: int = 20) -> None:
        """Page ``page`` (numbered from 1) of ``paginate_by`` rows."""
        number = _check_count(page, 'page') or 0
        size = _check_count(paginate_by, 'paginate_by') or 0
        if number < 1:
            raise ValueError('paginate() pages are numbered from 1, got %d' % number)
        self._limit = size
        self._offset = (number - 1) * size     # OFFSET 0 on the first page, as in peewee

    def _apply_ordering(self, ctx: Context) -> Context:
        if self._order_by:
            ctx.literal(' ORDER BY ')
            with ctx(parentheses=False):
                ctx.sql(CommaNodeList(self._order_by))
        limit, offset = self._limit, self._offset
        if limit is None and offset is not None:
            # engines that want a LIMIT before any OFFSET name their "no limit" value
            limit = ctx.setting('limit_max')
        if limit is not None:
            ctx.literal(' LIMIT ').value(limit, converter=_plain)
        if offset is not None:
            ctx.literal(' OFFSET ').value(offset, converter=_plain)
        return ctx

    def _render_ctes(self, ctx: Context) -> Context:
        ctes = self._cte_list
        if not ctes:
            return ctx
        ctx.literal('WITH RECURSIVE ' if any(c._recursive for c in ctes) else 'WITH ')
        with ctx.scope_cte():
            ctx.sql(CommaNodeList(ctes))
        return ctx.literal(' ')


def _render_value_rows(ctx: Context, rows: Any, converters: list) -> None:
    """``(?, ?), (?, ?) ...`` for INSERT ... VALUES, binding each row's converted values.

    Rows of plain values (the usual case) take a fast path: one placeholder string per
    row and the converted values appended in one go.  A row holding a node (or a value
    its converter turns into one) is rendered value by value.
    """
    dialect = ctx.dialect
    adapt = dialect.adapt_param
    fast = not ctx.state.literal_values
    placeholders = '(%s)' % ', '.join([dialect.param] * len(converters))
    sql = ctx._sql
    params = ctx._values
    for i, row in enumerate(rows):
        if fast:
            out = []
            for convert, value in zip(converters, row):
                if isinstance(value, Node):
                    break
                value = convert(value)
                if hasattr(value, '__sql__') and not isinstance(value, type):
                    break
                out.append(value if adapt is None else adapt(value))
            else:
                sql.append(', ' + placeholders if i else placeholders)
                params.extend(out)
                continue
        ctx.literal(', (' if i else '(')
        for j, value in enumerate(row):
            if j:
                ctx.literal(', ')
            if isinstance(value, Node):
                ctx.sql(value)
            else:
                ctx.value(value, converters[j])
        ctx.literal(')')


class SelectQuery(Query):
    """Set operations shared by plain and compound selects."""

    def union_all(self, rhs: Any) -> 'CompoundSelectQuery':
        return CompoundSelectQuery(self, 'UNION ALL', rhs)

    __add__ = union_all

    def union(self, rhs: Any) -> 'CompoundSelectQuery':
        return CompoundSelectQuery(self, 'UNION', rhs)

    __or__ = union

    def intersect(self, rhs: Any) -> 'CompoundSelectQuery':
        return CompoundSelectQuery(self, 'INTERSECT', rhs)

    __and__ = intersect

    def except_(self, rhs: Any) -> 'CompoundSelectQuery':
        return CompoundSelectQuery(self, 'EXCEPT', rhs)

    __sub__ = except_

    def select_from(self, *columns: Any) -> 'Select':
        """Wrap this query as a subquery and select ``columns`` from it."""
        if not columns:
            raise ValueError('select_from() needs at least one column')
        return Select([self], columns, _database=self._database)


class SelectBase(SelectQuery, Source):
    """Execution helpers shared by Select and CompoundSelectQuery."""

    # a query used as a source is keyed by identity in alias lookups; one given an alias
    # hashes by that alias, so its copies (``aliased.where(...)``) hash alike
    def __hash__(self) -> int:
        alias = self._alias
        return id(self) >> 4 if alias is None else hash((SelectBase, alias))

    # Compared with a value, a query is a scalar subquery: ``T.select(fn.MAX(T.x)) > 1``
    # builds SQL, as in peewee.  Compared with another source it is identity, so queries
    # still work as dict keys.
    def __eq__(self, rhs: Any) -> Any:  # type: ignore[override]
        if isinstance(rhs, (Source, type)):   # another source, or a model class
            return rhs is self
        return Expression(self, OP.IS if rhs is None else OP.EQ, rhs)

    def __ne__(self, rhs: Any) -> Any:  # type: ignore[override]
        if isinstance(rhs, (Source, type)):
            return rhs is not self
        return Expression(self, OP.IS_NOT if rhs is None else OP.NE, rhs)

    def __lt__(self, rhs: Any) -> Expression:
        return Expression(self, OP.LT, rhs)

    def __le__(self, rhs: Any) -> Expression:
        return Expression(self, OP.LTE, rhs)

    def __gt__(self, rhs: Any) -> Expression:
        return Expression(self, OP.GT, rhs)

    def __ge__(self, rhs: Any) -> Expression:
        return Expression(self, OP.GTE, rhs)

    def _execute(self, database: Any) -> Any:
        return self._run_for_rows(database)

    @database_required
    def peek(self, database: Any, n: int = 1) -> Any:
        """The first row (``n=1``) or the first ``n`` rows; ``None`` when there are none."""
        head = self.execute(database)[:n]
        if n == 1:
            return head[0] if head else None
        return head or None

    def _limit_in_place(self, n: int) -> None:
        if self._limit == n:
            return
        self._limit = n
        self._cursor_wrapper = None      # the rows read so far answered another LIMIT

    @database_required
    def first(self, database: Any, n: int = 1) -> Any:
        # as peewee documents: the LIMIT is applied to this query itself, so asking again
        # with the same n reuses the rows already read instead of running it again
        self._limit_in_place(n)
        return self.peek(database, n=n)

    @database_required
    def scalar(self, database: Any, as_tuple: bool = False, as_dict: bool = False) -> Any:
        """The first column of the first row (the whole row ``as_tuple`` / ``as_dict``)."""
        shaped = self.dicts() if as_dict else self.tuples()
        if getattr(shaped, '_limit', 0) is None and hasattr(shaped, 'limit'):
            shaped = shaped.limit(1)      # one row is all it reads (on a copy of the query)
        row = shaped.peek(database)
        if row is None or as_dict or as_tuple:
            return row
        return row[0]

    @database_required
    def scalars(self, database: Any) -> Iterator:
        for row in self.tuples().execute(database):
            yield row[0]

    @database_required
    def count(self, database: Any, clear_limit: bool = False) -> int:
        """How many rows this query returns (``clear_limit``: ignoring LIMIT/OFFSET)."""
        windowed = self._limit is not None or self._offset is not None
        counted: Any
        if clear_limit:
            counted = self.limit(None).offset(None).order_by()
        elif windowed:
            counted = self          # its ordering decides which rows the LIMIT keeps
        else:
            counted = self.order_by()
        if database.dialect.derived_names_unique and isinstance(counted, Select):
            counted = _distinct_column_names(counted)
        outer = Select([counted.alias('_wrapped')], [fn.COUNT(SQL('1'))])
        return outer.scalar(database) or 0

    @database_required
    def exists(self, database: Any) -> bool:
        probe: Any = self.columns(SQL('1')) if isinstance(self, Select) else self
        return bool(probe.limit(1).scalar(database))

    @database_required
    def get(self, database: Any) -> Any:
        """The first row, or ``None``."""
        single: Any = self if self._limit == 1 else self.limit(1)
        return single.peek(database)

    def _parenthesize(self, ctx: Context) -> bool:
        return bool(ctx.state.subquery) and ctx.state.sole_function_arg is not self

    def _wrap(self, ctx: Context, render: Callable, own_names: bool = True) -> Context:
        """Render ``render()`` as a subquery where the position requires one, in a naming
        frame of its own unless ``own_names`` is false (a compound's members have theirs)."""
        in_source = ctx.scope == SCOPE_SOURCE
        in_column = ctx.scope == SCOPE_COLUMN and self._alias
        enclose = self._parenthesize(ctx) or in_source
        if enclose:
            ctx.literal('(')
        with ctx(subquery=True, scope=SCOPE_NORMAL, parentheses=False):
            if own_names:
                with ctx.push_alias(fresh=ctx.state.fresh_names is self):
                    render()
            else:
                render()
        if enclose:
            ctx.literal(')')
            if in_source:
                self.apply_alias(ctx)
            elif in_column:   # a scalar subquery in the select list: (SELECT ...) AS "name"
                ctx.literal(' AS ' + ctx.dialect.quote_identifier(self._alias))
        return ctx


class CompoundSelectQuery(SelectBase):
    """``lhs UNION|UNION ALL|INTERSECT|EXCEPT rhs``, nestable, orderable and limitable."""

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        super().__init__()
        for side in (lhs, rhs):
            if not isinstance(side, SelectQuery):
                raise TypeError('%s needs SELECT queries on both sides, got %r' % (op, side))
        self.lhs = lhs
        self.op = op
        self.rhs = rhs
        self._database = lhs._database or rhs._database
        self._row_type = lhs._row_type
        self._constructor = lhs._constructor

    @property
    def _returning(self) -> tuple:
        return self.lhs._returning

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        # rows are shaped as the left-hand query would shape them, in this row type
        if database is None:
            database = self._database
        shape = self.lhs._shaped(self._row_type, self._constructor)
        return shape._get_cursor_wrapper(cursor, database)

    # -- how members are grouped --------------------------------------------------------
    # ``compound_select_parentheses`` (a dialect flag, or a rendering option of the
    # context) says how the engine groups the members of a compound:
    #   0 never:    no parentheses at all; a member that must stay grouped (it has its
    #               own ORDER BY / LIMIT, or it is a compound the flat text would regroup)
    #               is written as a subquery, SELECT * FROM (...)
    #   1 always:   every member and every nested compound in parentheses
    #   2 unnested: every plain member in parentheses, nested compounds written flat
    #   3 grouped:  plain members in parentheses, a nested compound only where the
    #               flat text would mean something else
    # ``True`` counts as 1 and ``False`` as 0.

    @staticmethod
    def _same_kind(op: str, other: str, as_set: bool) -> bool:
        # as the operand of IN only the set of values counts, so UNION ALL may join a
        # chain of UNIONs and the other way round
        if as_set and op in _UNIONS and other in _UNIONS:
            return True
        return op == other

    def _chains_with(self, op: str, as_set: bool) -> bool:
        """Whether this compound, as the right-hand member of ``op``, may be written
        without grouping: the flat text must combine the same way.  That needs an
        associative operator, the same one all down the left spine, and no ORDER BY /
        LIMIT of its own."""
        if op not in _ASSOCIATIVE or not self._same_kind(op, self.op, as_set) or \
                _has_tail(self):
            return False
        left = self.lhs
        return not isinstance(left, CompoundSelectQuery) or left._chains_with(op, as_set)

    def _member_grouping(self, ctx: Context, member: Any, is_rhs: bool, mode: int,
                         as_set: bool) -> str:
        """How to write ``member``: 'flat', 'parens' or 'subquery'."""
        nested = isinstance(member, CompoundSelectQuery)
        if _has_tail(member):
            return 'subquery' if mode == 0 else 'parens'
        if not nested:
            return 'parens' if mode in (1, 2) or (mode == 3 and not as_set) else 'flat'
        if mode == 1:
            return 'parens'
        if mode == 2:
            return 'flat'
        if is_rhs:
            if member._chains_with(self.op, as_set):
                return 'flat'
            return 'parens' if mode == 3 else 'subquery'
        # a left-hand compound runs first when operators run left to right; where
        # INTERSECT binds tighter (grouped engines), a weaker lhs must be grouped
        if mode == 3 and self.op == 'INTERSECT' and member.op != 'INTERSECT':
            return 'parens'
        return 'flat'

    def _render_member(self, ctx: Context, member: Any, is_rhs: bool, mode: int,
                       as_set: bool, fresh: bool = False) -> dict:
        """Write one member, naming its sources in a frame of its own (so the two sides
        never share a name they did not inherit); returns the names it introduced."""
        aliases = ctx.alias_manager
        aliases.push(fresh=is_rhs or fresh)
        try:
            self._write_member(ctx, member, is_rhs, mode, as_set)
        finally:
            introduced = aliases.pop()
        return introduced

    def _write_member(self, ctx: Context, member: Any, is_rhs: bool, mode: int,
                      as_set: bool) -> None:
        how = self._member_grouping(ctx, member, is_rhs, mode, as_set)
        if how == 'flat':
            with ctx(set_operand=as_set):
                ctx.sql(member)
        elif how == 'parens':
            ctx.literal('(')
            with ctx(set_operand=as_set):
                ctx.sql(member)
            ctx.literal(')')
        else:
            ctx.literal('SELECT * FROM (')
            with ctx(in_compound=False, set_operand=False):
                ctx.sql(member)
            ctx.literal(')')
            if ctx.dialect.subquery_alias_required:
                ctx.literal(' AS ' + ctx.dialect.quote_identifier(
                    ctx.alias_manager.next_name('_c')))

    def __sql__(self, ctx: Context) -> Context:
        mode = ctx.setting('compound_select_parentheses')
        mode = 1 if mode is True else int(mode or 0)
        # the operand of IN / NOT IN: only its set of values matters
        as_set = ctx.state.set_operand if ctx.state.in_compound else \
            ctx.state.membership_operand is self

        def render() -> None:
            self._render_ctes(ctx)
            with ctx(in_compound=True, subquery=False):
                named = self._render_member(ctx, self.lhs, False, mode, as_set,
                                            fresh=ctx.state.fresh_names is self)
                ctx.literal(' %s ' % self.op)
                self._render_member(ctx, self.rhs, True, mode, as_set)
            # the sources the left-hand side named keep their names in the enclosing
            # query (as in peewee: SELECT COALESCE((SELECT .. "t1" UNION ..), 0)
            # FROM "users" AS "t1")
            ctx.alias_manager.adopt(named)
            # ORDER BY of a compound names its output columns: render them unqualified
            with ctx.scope_values():
                self._apply_ordering(ctx)

        if ctx.state.in_compound:
            render()
            return ctx
        return self._wrap(ctx, render, own_names=False)


_UNIONS = frozenset(('UNION', 'UNION ALL'))
_ASSOCIATIVE = frozenset(('UNION', 'UNION ALL', 'INTERSECT'))


def _has_tail(query: Any) -> bool:
    """Whether a member of a compound has its own ORDER BY, LIMIT or OFFSET."""
    return bool(query._order_by) or query._limit is not None or query._offset is not None


_LOCK_RE = re.compile(r'^(FOR (?:UPDATE|SHARE|NO KEY UPDATE|KEY SHARE))'
                      r'(?: (NOWAIT|SKIP LOCKED))?$')


class ForUpdate(Node):
    """``FOR UPDATE [OF ...] [NOWAIT | SKIP LOCKED]`` and its variants.

    The lock may be spelled with its modifier (``'FOR SHARE NOWAIT'``), or take it from
    ``nowait=`` / ``skip_locked=``.
    """

    _LOCKS = ('FOR UPDATE', 'FOR SHARE', 'FOR NO KEY UPDATE', 'FOR KEY SHARE')
    _MODIFIERS = (('NOWAIT', '_nowait'), ('SKIP LOCKED', '_skip_locked'))

    def __init__(self, expr: Any, of: Any = None, nowait: bool | None = None,
                 skip_locked: bool | None = None) -> None:
        spelled = 'FOR UPDATE' if expr is True else expr
        if not isinstance(spelled, str):
            raise TypeError('for_update= takes True or one of %s' % ', '.join(self._LOCKS))
        found = _LOCK_RE.match(' '.join(spelled.upper().split()))
        if found is None:
            raise ValueError('unknown lock %r; use one of %s' % (expr, ', '.join(self._LOCKS)))
        lock, modifier = found.groups()
        nowait = nowait or modifier == 'NOWAIT'
        skip_locked = skip_locked or modifier == 'SKIP LOCKED'
        if nowait and skip_locked:
            raise ValueError('choose either nowait or skip_locked, not both')
        self._expr = lock
        self._of = ensure_tuple(of)
        self._nowait, self._skip_locked = nowait, skip_locked

    def _locked_name(self, ctx: Context, source: Any) -> str:
        table = source._meta.table if _is_model_class(source) else source
        if isinstance(table, Source):
            return ctx.dialect.quote_identifier(table._alias or ctx.alias_manager[table])
        return ctx.dialect.quote_identifier(str(table))

    def __sql__(self, ctx: Context) -> Context:
        of = [self._locked_name(ctx, s) for s in self._of]
        # __init__ refuses both at once, so at most one of these is set
        modifier = next((word for word, flag in self._MODIFIERS if getattr(self, flag)), None)
        return ctx.literal(ctx.dialect.lock_sql(self._expr, of, modifier))


def _grouping_terms(column: Any) -> list:
    """What ``group_by(column)`` groups by: a table's or model's columns, or the node."""
    if isinstance(column, Table):
        if not column._columns:
            raise ValueError('group_by(%r): a table groups by its declared columns, and '
                             'this one declares none' % (column,))
        return [Column(column, name) for name in column._columns]
    if _is_model_class(column):
        return list(column._meta.sorted_fields)
    return [ensure_node(column, 'group_by()')]


class Select(SelectBase):
    """``SELECT`` with joins, grouping, windows, DISTINCT [ON] and row locks.

    ``_distinct`` is ``None`` (no DISTINCT), ``True`` (plain DISTINCT) or the tuple of
    expressions of a ``DISTINCT ON (...)``.
    """

    _returning: tuple | None = None       # type: ignore[assignment]
    _group_by: tuple | None = None
    _having: Any = None
    _windows: tuple | None = None
    _for_update: ForUpdate | None = None
    _lateral: bool | None = None
    _distinct: Any = None
    _as_of_system_time: Any = None

    def __init__(self, from_list: Iterable | None = None, columns: Iterable | None = None,
                 group_by: Iterable | None = None, having: Any = None, distinct: Any = None,
                 windows: Iterable | None = None, for_update: Any = None,
                 for_update_of: Any = None, nowait: bool | None = None,
                 lateral: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._from_list = [_ensure_source(s, 'from_()') for s in from_list or ()]
        if columns is not None:
            self._returning = tuple(columns)
        if group_by:
            self._group_by = tuple(group_by)
        if having is not None:
            self._having = having
        if distinct:
            self._distinct = True if isinstance(distinct, bool) else tuple(distinct)
        if windows:
            self._windows = tuple(windows)
        if for_update:
            self._for_update = ForUpdate(for_update, for_update_of, nowait)
        if lateral is not None:
            self._lateral = lateral

    @mutator
    def columns(self, *columns: Any, **kwargs: Any) -> None:
        self._returning = _node_list(columns, 'select()')

    select = columns

    @property
    def selected_columns(self) -> tuple | None:
        """The select list; assigning replaces it in place (``columns()`` copies)."""
        return self._returning

    @selected_columns.setter
    def selected_columns(self, value: Iterable) -> None:
        self._returning = _node_list(value, 'selected_columns')
        self._cursor_wrapper = None

    @mutator
    def select_extend(self, *columns: Any) -> None:
        self._returning = (self._returning or ()) + _node_list(columns, 'select_extend()')

    @mutator
    def from_(self, *sources: Any) -> None:
        self._from_list = [_ensure_source(s, 'from_()') for s in sources]

    @mutator
    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None) -> None:
        """Join ``dest`` onto the last source of the FROM list."""
        sources = self._from_list
        if not sources:
            raise ValueError('No sources to join on: call from_() before join()')
        # a new list: copies of this query share the old one
        self._from_list = sources[:-1] + [Join(sources[-1], dest, join_type, on)]

    def left_outer_join(self, dest: Any, on: Any = None) -> Any:
        return self.join(dest, JOIN.LEFT_OUTER, on)

    @mutator
    def group_by(self, *columns: Any) -> None:
        self._group_by = tuple(itertools.chain.from_iterable(map(_grouping_terms, columns)))

    def group_by_extend(self, *values: Any) -> 'Select':
        return self.group_by(*(self._group_by or ()), *values)

    @mutator
    def having(self, *expressions: Any) -> None:
        self._having = _conjoin(self._having, _node_list(expressions, 'having()'), OP.AND)

    @mutator
    def distinct(self, *columns: Any) -> None:
        """``distinct()`` / ``distinct(True)``: SELECT DISTINCT; ``distinct(False)``: not;
        ``distinct(a, b)``: DISTINCT ON (a, b) (PostgreSQL)."""
        if len(columns) == 1 and isinstance(columns[0], (list, tuple)):
            columns = tuple(columns[0])           # distinct([a, b]) is distinct(a, b)
            if not columns:
                raise ValueError('distinct([]) names no column to be distinct on')
        if not columns:
            self._distinct = True
        elif len(columns) == 1 and isinstance(columns[0], bool):
            self._distinct = columns[0] or None
        else:
            self._distinct = _node_list(columns, 'distinct()')

    @mutator
    def window(self, *windows: Window) -> None:
        strays = [w for w in windows if not isinstance(w, Window)]
        if strays:
            raise TypeError('window() expects Window objects, got %r' % (strays[0],))
        names = [w._alias for w in windows]
        if len(set(names)) != len(names):
            raise ValueError('window() got several windows named %s: give each its own '
                             'name with window.alias(...)' % ', '.join(sorted(set(
                                 n for n in names if names.count(n) > 1))))
        self._windows = windows or None

    @mutator
    def for_update(self, for_update: Any = True, of: Any = None, nowait: bool | None = None,
                   skip_locked: bool | None = None) -> None:
        # naming what to lock (or how to wait) asks for a lock even with for_update=False
        wanted = bool(for_update) or of is not None or bool(nowait) or bool(skip_locked)
        self._for_update = ForUpdate(for_update or True, of, nowait, skip_locked) \
            if wanted else None

    @mutator
    def lateral(self, lateral: bool = True) -> None:
        self._lateral = lateral

    @mutator
    def as_of_system_time(self, value: Any) -> None:
        """Read as of a past moment (CockroachDB ``AS OF SYSTEM TIME``); ``None`` clears."""
        self._as_of_system_time = value

    def _selection(self, in_expression: bool) -> tuple:
        """The select list; ``in_expression``: the query is an operand (``IN (...)``)."""
        return self._returning or (SQL('*'),)

    # -- the clauses, in the order they are written ---------------------------------------
    def _render_distinct(self, ctx: Context) -> None:
        distinct = self._distinct
        if not distinct:
            return
        if distinct is True:
            ctx.literal('DISTINCT ')
            return
        if not ctx.dialect.supports_distinct_on:
            raise ctx.dialect.not_supported('DISTINCT ON')
        ctx.literal('DISTINCT ON ').sql(EnclosedNodeList(distinct)).literal(' ')

    def _render_from(self, ctx: Context) -> None:
        if self._from_list:
            ctx.literal(' FROM ')
            with ctx.scope_source():
                ctx.sql(CommaNodeList(self._from_list))
        moment = self._as_of_system_time
        if moment is not None:
            render_as_of = getattr(ctx.dialect, 'render_as_of_system_time', None)
            if render_as_of is None:
                raise ctx.dialect.not_supported('AS OF SYSTEM TIME')
            render_as_of(ctx, moment)

    def _render_filters(self, ctx: Context) -> None:
        grouping = CommaNodeList(self._group_by) if self._group_by else None
        for keyword, node in ((' WHERE ', self._where), (' GROUP BY ', grouping),
                              (' HAVING ', self._having)):
            if node is not None:
                ctx.literal(keyword).sql(node)
        if self._windows is not None:
            ctx.literal(' WINDOW ')
            with ctx(window_definitions=True):
                ctx.sql(CommaNodeList(self._windows))

    def _render_body(self, ctx: Context, in_expression: bool = False) -> None:
        self._render_ctes(ctx)
        ctx.literal('SELECT ')
        self._render_distinct(ctx)
        with ctx.scope_column():
            ctx.sql(CommaNodeList(self._selection(in_expression)))
        self._render_from(ctx)
        self._render_filters(ctx)
        self._apply_ordering(ctx)
        lock = self._for_update
        if lock is not None:
            if ctx.setting('for_update'):
                ctx.literal(' ').sql(lock)
            elif not ctx.dialect.for_update_ignored:
                raise ctx.dialect.not_supported('SELECT ... %s' % lock._expr, value_error=True)

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.in_compound:   # a member: the compound gave it its naming frame
            with ctx(in_compound=False, subquery=True, scope=SCOPE_NORMAL):
                self._render_body(ctx)
            return ctx
        if ctx.scope == SCOPE_SOURCE and self._lateral:
            ctx.literal('LATERAL ')
        # an operand (IN (...), EXISTS(...), a scalar subquery): a model's default
        # selection then stands for its primary key
        in_expression = ctx.scope != SCOPE_SOURCE and bool(ctx.state.subquery)
        return self._wrap(ctx, lambda: self._render_body(ctx, in_expression))


# -- writes ---------------------------------------------------------------------------
class WriteQuery(Query):
    """Shared by INSERT, UPDATE and DELETE: a target table and RETURNING.

    ``_returning`` is ``None`` when no RETURNING was asked for, ``()`` when it was
    explicitly turned off (``returning()``), else the columns to return.
    """

    #: marks INSERT/UPDATE/DELETE for a CTE (only some engines take them in WITH)
    _writes_rows = True
    _returning: tuple | None = None
    _return_cursor = False

    def __init__(self, table: Any, returning: Iterable | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table = _ensure_write_target(table)
        if returning:
            self._set_returning(tuple(returning))

    def _set_returning(self, columns: tuple) -> None:
        # returning() with no columns means "no RETURNING at all": writes then report the
        # number of rows affected (on PostgreSQL inserts would otherwise return keys)
        self._returning = columns
        self._return_cursor = len(columns) > 0

    @mutator
    def returning(self, *returning: Any) -> None:
        self._set_returning(_node_list(returning, 'returning()'))

    def cte(self, name: str, recursive: bool = False, columns: Iterable | None = None,
            materialized: bool | None = None) -> CTE:
        """This write as a common table expression, for a ``WITH`` clause (PostgreSQL):
        ``WITH moved AS (DELETE ... RETURNING ...) INSERT INTO ... SELECT ... FROM moved``."""
        return CTE(name, self, recursive=recursive, columns=columns, materialized=materialized)

    def _render_target_scope(self, ctx: Context) -> None:
        # columns of the target table are qualified by the table's own name
        ctx.alias_manager.set(self.table, self.table._name)

    def _render_tail(self, ctx: Context, verb: str) -> None:
        """``[WHERE ...] [ORDER BY ... LIMIT ...] [RETURNING ...]`` of UPDATE / DELETE."""
        if self._where is not None:
            ctx.literal(' WHERE ')
            ctx.sql(self._where)
        if self._order_by or self._limit is not None:
            if not ctx.dialect.supports_update_limit:
                raise ctx.dialect.not_supported('ORDER BY / LIMIT on %s' % verb)
            # the target's columns, by their bare names
            with ctx.scope_values():
                self._apply_ordering(ctx)
        self._apply_returning(ctx)

    def _apply_returning(self, ctx: Context, columns: tuple | None = None) -> Context:
        columns = columns or self._returning
        if not columns:
            return ctx
        dialect = ctx.dialect
        if not dialect.returning_clause:
            raise dialect.not_supported('RETURNING')
        if isinstance(self, Update) and not dialect.update_returning:
            raise dialect.not_supported('UPDATE ... RETURNING')
        ctx.literal(' RETURNING ')
        if dialect.returning_qualified:
            with ctx(scope=SCOPE_COLUMN):
                return ctx.sql(CommaNodeList(columns))
        # unqualified names; an alias still needs its  expr AS "name"  spelling
        with ctx(scope=SCOPE_VALUES):
            for position, node in enumerate(columns):
                if position:
                    ctx.literal(', ')
                if isinstance(node, Alias):
                    ctx.sql(node.node).literal(' AS ' + dialect.quote_identifier(node.name))
                else:
                    ctx.sql(node)
        return ctx

    def _execute(self, database: Any) -> Any:
        if self._returning and self._return_cursor:
            return self.execute_returning(database)
        return self.handle_result(database, database.execute(self))

    @database_required
    def execute_returning(self, database: Any) -> Any:
        """Run the query and return the rows of its ``RETURNING`` clause."""
        if not self._returning:
            raise ValueError('execute_returning() needs a RETURNING clause: call '
                             'returning(...) with the columns to return first')
        return self._run_for_rows(database)

    def handle_result(self, database: Any, cursor: Any) -> Any:
        return database.rows_affected(cursor)

    def __sql__(self, ctx: Context) -> Context:
        nested = bool(ctx.state.subquery)
        if nested:
            ctx.literal('(')
        with ctx(subquery=False), ctx.push_alias(fresh=ctx.state.fresh_names is self):
            self._render(ctx)
        return ctx.literal(')') if nested else ctx

    def _render(self, ctx: Context) -> None:
        raise NotImplementedError


def _ensure_write_target(table: Any) -> Any:
    if _is_model_class(table):
        return table._meta.table
    if not isinstance(table, Table):
        raise TypeError('INSERT/UPDATE/DELETE need a Table (or model), got %r' % (table,))
    return table


def _column_for(table: Table, key: Any, where: str) -> Any:
    """Turn a dict key (a name or a Column) into a Column of ``table``."""
    if isinstance(key, str):
        # the table of a model: the model's field of that name, whose conversion the
        # value then goes through (as it does for a field given as the key)
        named = getattr(getattr(table, '_model', None), key, None)
        if isinstance(named, ColumnBase):
            return named
        if table._columns is not None and key not in table._columns:
            raise ValueError('%s: table %r has no column %r (columns: %s)'
                             % (where, table._name, key, ', '.join(table._columns)))
        return Column(table, key)
    if isinstance(key, ColumnBase):
        return key
    raise TypeError('%s: column keys must be names or columns, got %r' % (where, key))


def _sort_keys(ctx: Context, columns: list) -> list | None:
    """The positions of ``columns`` in the order INSERT and UPDATE write columns given
    by name or key (a dict): a model's fields in the model's order, a table's columns by
    name, as peewee writes them.  ``None`` when they are in that order already (or are
    of kinds that do not compare)."""
    with ctx.scope_values():
        keys = [column.get_sort_key(ctx) for column in columns]
    try:
        if all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1)):
            return None
        return sorted(range(len(keys)), key=keys.__getitem__)
    except TypeError:
        return None


def _assignments(table: Table, data: dict, where: str) -> list:
    """``"col" = value`` nodes for SET clauses."""
    parts = []
    for key, value in data.items():
        column = _column_for(table, key, where)
        if not isinstance(value, Node):
            value = Value(value, converter=column._value_converter(), unpack=False)
        parts.append(NodeList((column, SQL('='), value)))
    return parts


def _selected_name(node: Any) -> Any:
    """The name a select-list entry has in a derived table (``None``: unknown)."""
    if isinstance(node, Alias):
        return node._alias
    return getattr(node, 'column_name', None) or getattr(node, 'name', None)


def _distinct_column_names(query: 'Select') -> 'Select':
    """``query`` with the second and later columns of one name aliased apart, for
    engines that refuse a derived table with two columns of one name (MySQL)."""
    columns = query._returning or ()
    seen: set = set()
    renamed: list = []
    changed = False
    for position, node in enumerate(columns):
        name = _selected_name(node)
        if isinstance(name, str) and name in seen:
            inner = node.node if isinstance(node, Alias) else node
            node = Alias(inner, '_c%d_%s' % (position, name))
            changed = True
        seen.add(name)
        renamed.append(node)
    return query.columns(*renamed) if changed else query


class Update(WriteQuery):
    """``UPDATE table SET ... [FROM ...] [WHERE ...] [RETURNING ...]``."""

    _from: list | None = None

    def __init__(self, table: Any, update: dict | None = None, **kwargs: Any) -> None:
        super().__init__(table, **kwargs)
        if update is not None and not isinstance(update, dict):
            raise TypeError('update() takes a dict of {column: value} or keyword arguments')
        self._update = update or {}

    @mutator
    def from_(self, *sources: Any) -> None:
        self._from = [_ensure_source(s, 'from_()') for s in sources]

    def _render(self, ctx: Context) -> None:
        if not self._update:
            raise ValueError('UPDATE of %r has no columns to set: pass values to update()'
                             % self.table._name)
        self._render_ctes(ctx)
        self._render_target_scope(ctx)
        ctx.literal('UPDATE ')
        with ctx.scope_values():
            ctx.sql(self.table)
        ctx.literal(' SET ')
        assignments = _assignments(self.table, self._update, 'update()')
        if len(assignments) > 1:
            order = _sort_keys(ctx, [node.nodes[0] for node in assignments])
            if order is not None:
                assignments = [assignments[i] for i in order]
        with ctx(subquery=True):
            for position, node in enumerate(assignments):
                column, _, value = node.nodes
                if position:
                    ctx.literal(', ')
                with ctx.scope_values():
                    ctx.sql(column)
                ctx.literal(' = ')
                with ctx.scope_normal():
                    ctx.sql(value)
            if self._from:
                if not ctx.dialect.supports_update_from:
                    raise ctx.dialect.not_supported('UPDATE ... FROM')
                ctx.literal(' FROM ')
                with ctx.scope_source():
                    ctx.sql(CommaNodeList(self._from))
            self._render_tail(ctx, 'UPDATE')


class Delete(WriteQuery):
    """``DELETE FROM table [WHERE ...] [RETURNING ...]``."""

    def _render(self, ctx: Context) -> None:
        self._render_ctes(ctx)
        self._render_target_scope(ctx)
        ctx.literal('DELETE FROM ')
        with ctx.scope_values():
            ctx.sql(self.table)
        with ctx(subquery=True):
            self._render_tail(ctx, 'DELETE')


_CONFLICT_ACTIONS = frozenset(('IGNORE', 'REPLACE', 'UPDATE', 'NOTHING'))


class OnConflict(Node):
    """What an INSERT does when a row conflicts: ignore, replace, or update.

    Its parts are kept as ``_action``, ``_update``, ``_preserve``, ``_where`` (what to do)
    and ``_conflict_target``, ``_conflict_where``, ``_conflict_constraint`` (which
    conflict); the dialect renders them.
    """

    _action: str | None
    _update: dict | None
    _preserve: tuple
    _where: Any
    _conflict_target: tuple
    _conflict_where: Any
    _conflict_constraint: str | None

    def __init__(self, action: str | None = None, update: dict | None = None,
                 preserve: Any = None, where: Any = None, conflict_target: Any = None,
                 conflict_where: Any = None, conflict_constraint: str | None = None) -> None:
        if conflict_target is not None and conflict_constraint is not None:
            raise ValueError('give conflict_target or conflict_constraint, not both')
        spelled = None if action is None else action.upper()
        if spelled is not None and spelled not in _CONFLICT_ACTIONS:
            raise ValueError('on_conflict action must be "ignore", "replace" or "update", '
                             'got %r' % spelled)
        self._set(action=spelled, update=update, preserve=ensure_tuple(preserve),
                  where=where, conflict_target=ensure_tuple(conflict_target),
                  conflict_where=conflict_where, conflict_constraint=conflict_constraint)

    def _set(self, **parts: Any) -> None:
        for name, value in parts.items():
            setattr(self, '_' + name, value)

    def get_conflict_statement(self, ctx: Context, query: 'Insert') -> Any:
        return ctx.dialect.conflict_statement(self, query)

    def get_conflict_update(self, ctx: Context, query: 'Insert') -> Any:
        return ctx.dialect.conflict_update(self, query)

    @mutator
    def preserve(self, *columns: Any) -> None:
        self._set(preserve=columns)

    @mutator
    def update(self, _data: dict | None = None, **kwargs: Any) -> None:
        """Columns to set on conflict: a dict, keyword arguments, or both."""
        if not kwargs:
            self._set(update=_data)
        elif not _data:
            self._set(update=kwargs)
        elif isinstance(_data, dict):
            self._set(update={**_data, **kwargs})
        else:
            raise ValueError('update() takes a dict or keyword arguments')

    @mutator
    def where(self, *expressions: Any) -> None:
        self._set(where=_conjoin(self._where, expressions, OP.AND))

    @mutator
    def conflict_target(self, *constraints: Any) -> None:
        self._set(conflict_target=constraints, conflict_constraint=None)

    @mutator
    def conflict_where(self, *expressions: Any) -> None:
        self._set(conflict_where=_conjoin(self._conflict_where, expressions, OP.AND))

    @mutator
    def conflict_constraint(self, constraint: str) -> None:
        self._set(conflict_target=(), conflict_constraint=constraint)

    def is_update(self) -> bool:
        return bool(self._update or self._preserve)


class NoRowsToInsert(ValueError):
    """insert_many() got no rows: executing the query does nothing, and its SQL is an
    insert of nothing (``DEFAULT VALUES``)."""


def key_of_returned_row(row: Any, keys: tuple) -> Any:
    """The new key in a row an INSERT returned: the value, or a tuple of the values of a
    composite key; ``None`` when no row came back (the insert was ignored)."""
    if row is None:
        return None
    return row[0] if len(keys) == 1 else tuple(row)


class Insert(WriteQuery):
    """``INSERT INTO table (cols) VALUES ... | SELECT ... [ON CONFLICT ...] [RETURNING]``."""

    SIMPLE = 0
    QUERY = 1
    MULTI = 2

    class DefaultValuesException(Exception):
        pass

    #: SIMPLE, QUERY or MULTI, known once the rows have been looked at
    _query_type: int | None = None
    #: report the number of rows inserted rather than the new key
    _as_rowcount = False

    def __init__(self, table: Any, insert: Any = None, columns: Iterable | None = None,
                 on_conflict: OnConflict | None = None, **kwargs: Any) -> None:
        super().__init__(table, **kwargs)
        self._insert, self._on_conflict = insert, on_conflict
        self._columns = None if columns is None else tuple(columns)

    def where(self, *expressions: Any) -> 'Insert':
        raise NotImplementedError('an INSERT takes no WHERE clause; filter the rows it '
                                  'inserts instead (INSERT ... SELECT ... WHERE)')

    @mutator
    def as_rowcount(self, _as_rowcount: bool = True) -> None:
        self._as_rowcount = _as_rowcount

    def on_conflict_ignore(self, ignore: bool = True) -> 'Insert':
        return self.on_conflict('IGNORE' if ignore else None)

    def on_conflict_replace(self, replace: bool = True) -> 'Insert':
        return self.on_conflict('REPLACE' if replace else None)

    @mutator
    def on_conflict(self, *args: Any, **kwargs: Any) -> None:
        """``on_conflict(OnConflict(...))``, or the arguments of one; ``None`` clears."""
        if kwargs or args not in ((), (None,)):
            given = args[0] if len(args) == 1 and not kwargs else None
            self._on_conflict = given if isinstance(given, OnConflict) else \
                OnConflict(*args, **kwargs)
        else:
            self._on_conflict = None

    def _default_columns(self) -> list | None:
        if self.table._columns:
            return [Column(self.table, c) for c in self.table._columns]
        return None

    def _prepare_rows(self) -> tuple[list, Any]:
        """Return (columns, rows-or-query) and set the query type."""
        insert = self._insert
        if isinstance(insert, SelectQuery):
            # without columns the SELECT fills the table's columns in their order
            self._query_type = Insert.QUERY
            return [_column_for(self.table, c, 'insert()') for c in self._columns or ()], \
                insert
        if insert is None:
            self._query_type = Insert.SIMPLE
            return [], []
        if isinstance(insert, dict):
            self._query_type = Insert.SIMPLE
            rows = [insert]
        else:
            if isinstance(insert, (str, bytes)) or not hasattr(insert, '__iter__'):
                raise TypeError('insert() takes a dict, a list of dicts or tuples, or a '
                                'SELECT query; got %r' % (insert,))
            rows = list(insert)
            self._query_type = Insert.MULTI
            if not rows:
                raise NoRowsToInsert('insert_many() was given no rows')
        first = rows[0]
        if isinstance(first, dict):
            keys = list(first)
            columns = [_column_for(self.table, k, 'insert()') for k in keys]
            values = []
            for n, row in enumerate(rows):
                if not isinstance(row, dict):
                    raise TypeError('row %d of insert_many() is %r; all rows must be dicts '
                                    'like the first' % (n, row))
                try:
                    values.append([row[k] for k in keys])
                except KeyError as exc:
                    raise ValueError('row %d of insert_many() lacks column %r that the first '
                                     'row has' % (n, exc.args[0])) from None
                if len(row) != len(keys):
                    extra = [k for k in row if k not in first]
                    raise ValueError('row %d of insert_many() has columns %r that the first '
                                     'row does not' % (n, extra))
            return columns, values
        names = self._columns or self._default_columns()
        if not names:
            raise ValueError('insert_many() of tuples needs fields=[...] (or a Table declared '
                             'with its columns)')
        key = self.table._primary_key
        if self._columns is None and key is not None and len(first) == len(names) - 1:
            # rows without the primary key: the database assigns it
            names = [c for c in names if getattr(c, 'name', c) != key]
        columns = [_column_for(self.table, c, 'insert()') for c in names]
        tuples = []
        for n, row in enumerate(rows):
            row = tuple(row)
            if len(row) != len(columns):
                raise ValueError('row %d of insert_many() has %d values for %d columns'
                                 % (n, len(row), len(columns)))
            tuples.append(row)
        return columns, tuples

    def sql(self) -> tuple[str, list]:
        if self._database is None and self._on_conflict is not None:
            # each engine writes conflict handling its own way (INSERT OR IGNORE, ON
            # CONFLICT ..., UPSERT), so there is no engine-neutral text to show
            raise InterfaceError('an INSERT with on_conflict() is written for the database '
                                 'it runs on: bind the query (query.bind(db)) to see its SQL')
        return super().sql()

    def _keyed_rows(self) -> bool:
        """Whether the rows named their columns (dicts, keyword arguments), so that the
        columns are written in their natural order rather than as given."""
        if self._query_type == Insert.SIMPLE:
            return True
        source = self._insert
        return isinstance(source, (list, tuple)) and bool(source) and \
            isinstance(source[0], dict)

    def _render(self, ctx: Context) -> None:
        dialect = ctx.dialect
        try:
            columns, rows = self._prepare_rows()
        except NoRowsToInsert:
            # written as an insert of nothing (DEFAULT VALUES); executed, it runs nothing
            self._query_type = Insert.SIMPLE
            columns, rows = [], []
        if len(columns) > 1 and self._query_type != Insert.QUERY and self._keyed_rows():
            order = _sort_keys(ctx, columns)
            if order is not None:
                columns = [columns[i] for i in order]
                rows = [[row[i] for i in order] for row in rows]
        self._render_ctes(ctx)
        self._render_target_scope(ctx)
        oc = self._on_conflict
        ctx.literal(dialect.insert_verb(oc) + ' INTO ')
        with ctx.scope_values():
            ctx.sql(self.table)
        if self._query_type == Insert.QUERY:
            if columns:
                ctx.literal(' (')
                with ctx.scope_values():
                    ctx.sql(CommaNodeList(columns))
                ctx.literal(')')
            ctx.literal(' ')
            if oc is not None and dialect.upsert_select_needs_where and \
                    isinstance(rows, Select) and rows._where is None:
                rows = rows.where(SQL('1'))   # lets SQLite parse the ON CONFLICT that follows
            with ctx(subquery=False, scope=SCOPE_NORMAL, insert_select=True):
                ctx.sql(rows)
        elif not columns:
            ctx.literal(' ' + dialect.default_values_sql)
        else:
            ctx.literal(' (')
            with ctx.scope_values():
                ctx.sql(CommaNodeList(columns))
            ctx.literal(') VALUES ')
            converters = [c._value_converter() or _plain for c in columns]
            with ctx(subquery=True):
                _render_value_rows(ctx, rows, converters)
        if oc is not None:
            with ctx(subquery=True):
                dialect.render_on_conflict(ctx, oc, self)
        with ctx(subquery=True):
            keys = self._keys_to_return(ctx) if self._returning is None else None
            self._apply_returning(ctx, keys)

    def _keys_to_return(self, ctx: Context) -> tuple | None:
        """The key columns an INSERT returns without being asked, on engines that read
        new keys with RETURNING (PostgreSQL); compiled without a database's dialect, the
        database the query is bound to decides.  ``None`` when there is none to return."""
        if self._as_rowcount:
            return None
        dialect = ctx.dialect
        if not dialect.for_engine:
            bound = self._database
            if bound is None:
                return None
            dialect = bound.dialect
        if not (dialect.insert_returns_pk and dialect.returning_clause):
            return None
        return self._returned_keys()

    def _returned_keys(self) -> tuple | None:
        """The columns of the primary key (several for a composite key), or ``None``."""
        key = self._get_primary_key()
        return None if key is None else (key,)

    def _no_rows(self) -> bool:
        """Whether this is an ``insert_many()`` of no rows (an iterator of rows is read
        into a list here, since it can be read only once)."""
        rows = self._insert
        if rows is None or isinstance(rows, (dict, str, bytes, Node)) or \
                not hasattr(rows, '__iter__'):
            return False
        if not isinstance(rows, (list, tuple)):
            rows = self._insert = list(rows)
        return not rows

    def _execute(self, database: Any) -> Any:
        if self._no_rows():
            return None      # as in peewee: insert_many() of no rows runs nothing
        return self._execute_rows(database)

    def _execute_rows(self, database: Any) -> Any:
        dialect = database.dialect
        if self._returning is None and dialect.returning_clause and \
                dialect.insert_returns_pk and not self._as_rowcount:
            keys = self._returned_keys()
            if keys is not None:
                cursor = database.execute(self)     # with RETURNING of the key
                if self._query_type == Insert.SIMPLE:
                    return key_of_returned_row(cursor.fetchone(), keys)
                # several rows: an iterable of tuples holding each new key, as peewee does
                return database.row_adapters[ROW.TUPLE](cursor)
        return super()._execute(database)

    def _get_primary_key(self) -> Any:
        return self.table._get_primary_key()

    def handle_result(self, database: Any, cursor: Any) -> Any:
        # returning() with no columns asks for no RETURNING at all: a single-row insert
        # then reports what the engine gives without it (PostgreSQL: nothing), a
        # several-row one how many rows went in
        if self._as_rowcount or self._query_type == Insert.QUERY or \
                (self._returning == () and self._query_type != Insert.SIMPLE):
            return database.rows_affected(cursor)
        return database.last_insert_id(cursor, self._query_type)


_NULLS_DISTINCT = {True: ' NULLS DISTINCT', False: ' NULLS NOT DISTINCT', None: ''}


class Index(Node):
    """``CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table [USING m] (...)
    [NULLS [NOT] DISTINCT] [WHERE ...]``.

    A table given by name is quoted; an expression given as a string is SQL written as
    is (``'username DESC'``).  The options (``unique``, ``safe``, ``where``, ``using``,
    ``nulls_distinct``) are kept as ``_<option>`` attributes.
    """

    _unique: bool
    _safe: bool
    _where: Any
    _using: str | None
    _nulls_distinct: bool | None

    def __init__(self, name: str, table: Any, expressions: Iterable, unique: bool = False,
                 safe: bool = False, where: Any = None, using: str | None = None,
                 nulls_distinct: bool | None = None) -> None:
        parts = [SQL(e) if isinstance(e, str) else e for e in expressions]
        if not parts:
            raise ValueError('an index needs at least one column or expression')
        self._name = name
        self._table = Entity(table) if isinstance(table, str) else table
        self._expressions = parts
        self._configure(unique=unique, safe=safe, where=where, using=using,
                        nulls_distinct=nulls_distinct)

    def _configure(self, **options: Any) -> None:
        method = options.get('using')
        if method:      # an index method is a bare word
            options['using'] = re.sub(r'[^A-Za-z0-9_]', '', method)
        for option, value in options.items():
            setattr(self, '_' + option, value)

    @mutator
    def nulls_distinct(self, nulls_distinct: bool | None = None) -> None:
        """Whether NULLs count as distinct values in a unique index (PostgreSQL 15+):
        ``NULLS DISTINCT`` / ``NULLS NOT DISTINCT``; ``None`` leaves it to the engine."""
        self._configure(nulls_distinct=nulls_distinct)

    @mutator
    def safe(self, _safe: bool = True) -> None:
        self._configure(safe=_safe)

    @mutator
    def where(self, *expressions: Any) -> None:
        self._configure(where=_conjoin(self._where, expressions, OP.AND))

    @mutator
    def using(self, _using: str | None = None) -> None:
        self._configure(using=_using)

    def _name_sql(self, dialect: Any, table: Any) -> str:
        if isinstance(table, Entity):   # a table given by name: its schema is in the path
            schema = table._path[0] if len(table._path) > 1 else None
        else:
            schema = getattr(table, '_schema', None)
        if schema and dialect.index_schema_prefix:
            return dialect.quote_path((schema, self._name))
        return dialect.quote_identifier(self._name)

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        table = self._table._meta.table if _is_model_class(self._table) else self._table
        words = ['CREATE UNIQUE INDEX' if self._unique else 'CREATE INDEX']
        if self._safe and dialect.safe_create_index:
            words.append('IF NOT EXISTS')
        words += [self._name_sql(dialect, table), 'ON ']
        ctx.literal(' '.join(words))
        with ctx.scope_values():
            ctx.sql(table)
            method = ' USING ' + self._using if self._using else ''
            ctx.literal(method + ' ').sql(EnclosedNodeList(self._expressions))
            ctx.literal(_NULLS_DISTINCT[self._nulls_distinct])
            if self._where is not None:
                ctx.literal(' WHERE ').sql(self._where)
        return ctx
