"""Row sources: tables, joins, common table expressions and VALUES lists."""
from __future__ import annotations

from typing import Any, Iterable

from .context import Context, SCOPE_CTE, SCOPE_SOURCE, SCOPE_VALUES
from .nodes import (Column, ColumnBase, EnclosedNodeList, Entity, Node, NodeList, SQL, Star,
                    Value, attrdict, ensure_node, mutator)

__all__ = ['JOIN', 'Source', 'BaseTable', 'Table', 'Join', 'CTE', 'ValuesList',
           'ColumnFactory', '_BoundTableContext']

JOIN = attrdict(
    INNER='INNER JOIN',
    LEFT_OUTER='LEFT OUTER JOIN',
    RIGHT_OUTER='RIGHT OUTER JOIN',
    FULL='FULL JOIN',
    FULL_OUTER='FULL OUTER JOIN',
    CROSS='CROSS JOIN',
    NATURAL='NATURAL JOIN',
    LATERAL='LATERAL',
    LEFT_LATERAL='LEFT JOIN LATERAL',
)
_JOIN_TYPES = set(JOIN.values())


class ColumnFactory:
    """``source.c.name`` returns a Column of that source."""

    __slots__ = ('node',)

    def __init__(self, node: 'Source') -> None:
        self.node = node

    def __getattr__(self, attr: str) -> Column:
        if attr.startswith('__'):
            raise AttributeError(attr)
        return Column(self.node, attr)

    __getitem__ = __getattr__


class _JoinMixin:
    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None) -> 'Join':
        return Join(self, dest, join_type, on)

    def left_outer_join(self, dest: Any, on: Any = None) -> 'Join':
        return Join(self, dest, JOIN.LEFT_OUTER, on)

    __and__ = join
    __add__ = join
    __sub__ = right_outer = lambda self, dest: Join(self, dest, JOIN.RIGHT_OUTER)  # noqa
    __or__ = lambda self, dest: Join(self, dest, JOIN.FULL_OUTER)  # noqa
    __mul__ = lambda self, dest: Join(self, dest, JOIN.CROSS)  # noqa


class Source(_JoinMixin, Node):
    """Anything rows come from.  ``c`` gives its columns; aliases are assigned per query."""

    c = property(lambda self: ColumnFactory(self))
    _alias: str | None = None

    def __init__(self, alias: str | None = None) -> None:
        self._alias = alias

    @mutator
    def alias(self, name: str) -> None:
        self._alias = name

    def select(self, *columns: Any) -> Any:
        from .queries import Select
        if not columns:
            columns = (SQL('*'),)
        return Select((self,), columns)

    @property
    def __star__(self) -> Star:
        return Star(self)

    def cte(self, name: str, recursive: bool = False, columns: Iterable | None = None,
            materialized: bool | None = None) -> 'CTE':
        return CTE(name, self, recursive=recursive, columns=columns, materialized=materialized)

    def get_sort_key(self, ctx: Context) -> tuple:
        if self._alias:
            return (self._alias,)
        return (ctx.alias_manager[self],)

    def apply_alias(self, ctx: Context) -> Context:
        """In a FROM clause: `` AS "alias"`` (the alias is assigned if it has none)."""
        if ctx.scope == SCOPE_SOURCE:
            alias = self._alias or ctx.alias_manager[self]
            if alias:
                ctx.literal(' AS ' + ctx.dialect.quote_identifier(alias))
        return ctx

    def apply_column(self, ctx: Context) -> Context:
        """Elsewhere: the alias by which columns are qualified."""
        alias = self._alias or ctx.alias_manager[self]
        return ctx.literal(ctx.dialect.quote_identifier(alias))


class BaseTable(Source):
    """Base of tables (and models' tables): join shortcuts live in _JoinMixin."""


class _BoundTableContext:
    def __init__(self, table: 'Table', database: Any) -> None:
        self.table = table
        self.database = database

    def __call__(self, fn):  # decorator form
        import functools

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with _BoundTableContext(self.table, self.database):
                return fn(*args, **kwargs)
        return inner

    def __enter__(self) -> 'Table':
        self._orig = self.table._database
        self.table.bind(self.database)
        return self.table

    def __exit__(self, *exc: Any) -> None:
        self.table.bind(self._orig)


class Table(BaseTable):
    """A database table usable without models: ``Table('users', ('id', 'name'))``."""

    def __init__(self, name: str, columns: Iterable[str] | None = None,
                 primary_key: str | None = None, schema: str | None = None,
                 alias: str | None = None, _model: Any = None, _database: Any = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError('Table() needs a table name string, got %r' % (name,))
        self.__name__ = name
        self._name = name
        self._columns = tuple(columns) if columns is not None else None
        self._primary_key = primary_key
        self._schema = schema
        self._path = (schema, name) if schema else (name,)
        self._model = _model
        self._database = _database
        super().__init__(alias=alias)
        if self._columns:
            reserved = set(dir(type(self)))
            for col in self._columns:
                if not isinstance(col, str):
                    raise TypeError('Table column names must be strings, got %r' % (col,))
                if col not in reserved:
                    self.__dict__[col] = Column(self, col)
        if primary_key is not None and self._columns and primary_key not in self._columns:
            raise ValueError('primary_key %r is not one of the columns %r'
                             % (primary_key, self._columns))

    def __repr__(self) -> str:
        if self._alias:
            return '<Table %s AS %s>' % (self._name, self._alias)
        return '<Table %s>' % self._name

    def clone(self) -> 'Table':
        # columns stored as attributes must point at the copy, not the original
        obj = super().clone()
        if obj._columns:
            for col in obj._columns:
                if isinstance(obj.__dict__.get(col), Column):
                    obj.__dict__[col] = Column(obj, col)
        return obj

    def bind(self, database: Any = None) -> 'Table':
        self._database = database
        return self

    def bind_ctx(self, database: Any = None) -> _BoundTableContext:
        return _BoundTableContext(self, database)

    def _get_primary_key(self) -> Column | None:
        if self._primary_key is None:
            return None
        return Column(self, self._primary_key)

    def select(self, *columns: Any) -> Any:
        from .queries import Select
        if not columns and self._columns:
            columns = [Column(self, c) for c in self._columns]
        elif not columns:
            columns = (SQL('*'),)
        return Select((self,), columns, _database=self._database)

    def insert(self, insert: Any = None, columns: Iterable | None = None, **kwargs: Any):
        from .queries import Insert
        return Insert(self, insert=insert if insert is not None else (kwargs or None),
                      columns=columns, _database=self._database)

    def insert_many(self, rows: Iterable, fields: Iterable | None = None):
        return self.insert(rows, columns=fields)

    def replace(self, insert: Any = None, columns: Iterable | None = None, **kwargs: Any):
        return self.insert(insert, columns, **kwargs).on_conflict_replace()

    def update(self, update: Any = None, **kwargs: Any):
        from .queries import Update
        if update is not None and kwargs:
            update = dict(update, **kwargs)
        return Update(self, update=update if update is not None else kwargs,
                      _database=self._database)

    def delete(self):
        from .queries import Delete
        return Delete(self, _database=self._database)

    def __sql__(self, ctx: Context) -> Context:
        scope = ctx.scope
        if scope == SCOPE_VALUES:
            return ctx.literal(ctx.dialect.quote_path(self._path))
        if scope == SCOPE_SOURCE:
            ctx.literal(ctx.dialect.quote_path(self._path))
            return self.apply_alias(ctx)
        return self.apply_column(ctx)


class Join(_JoinMixin, Node):
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
        self._on = predicate
        return self

    def sources(self) -> list:
        out = []
        for side in (self.lhs, self.rhs):
            if isinstance(side, Join):
                out.extend(side.sources())
            else:
                out.append(side)
        return out

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        with ctx.scope_source():
            ctx.sql(self.lhs)
        join_type = self.join_type
        on = self._on
        if join_type in (JOIN.LATERAL, JOIN.LEFT_LATERAL):
            if not dialect.supports_lateral:
                raise dialect.not_supported('LATERAL joins')
            if join_type == JOIN.LATERAL:
                join_type = 'INNER JOIN LATERAL' if on is not None else 'CROSS JOIN LATERAL'
            elif on is None:
                on = SQL('TRUE')
        ctx.literal(' %s ' % join_type)
        with ctx.scope_source():
            ctx.sql(self.rhs)
        if on is not None:
            ctx.literal(' ON ')
            with ctx.scope_normal(parentheses=False):
                ctx.sql(on)
        return ctx


def _ensure_source(obj: Any, where: str) -> Any:
    if isinstance(obj, (Source, Join)) or (isinstance(obj, type) and hasattr(obj, '_meta')):
        return obj
    if isinstance(obj, Node) or hasattr(obj, '__sql__'):
        return obj
    raise TypeError('%s expects a table, subquery, join or SQL node, got %s %r'
                    % (where, type(obj).__name__, obj))


class CTE(Source):
    """A common table expression: ``WITH "name" ("cols") AS (query)``."""

    def __init__(self, name: str, query: Any, recursive: bool = False,
                 columns: Iterable | None = None, materialized: bool | None = None) -> None:
        self._name = name
        self._query = query
        self._recursive = recursive
        self._materialized = materialized
        self._columns = tuple(columns) if columns is not None else None
        super().__init__(alias=None)

    def select_from(self, *columns: Any) -> Any:
        if not columns:
            raise ValueError('select_from() needs at least one column')
        from .queries import Select
        query = Select((self,), columns).with_cte(self)
        query._database = getattr(self._query, '_database', None)
        model = getattr(self._query, 'model', None)
        if model is not None:
            # a CTE over a model query: rows are built by that model (peewee does so)
            query = query.objects(model)
        return query

    def _get_hash(self) -> int:
        return hash((self.__class__, self._name, id(self._query)))

    def union_all(self, rhs: Any) -> 'CTE':
        clone = self.clone()
        clone._query = self._query + rhs
        return clone

    __add__ = union_all

    def union(self, rhs: Any) -> 'CTE':
        clone = self.clone()
        clone._query = self._query | rhs
        return clone

    __or__ = union

    def get_sort_key(self, ctx: Context) -> tuple:
        return (self._alias or self._name,)

    def apply_column(self, ctx: Context) -> Context:
        # a CTE is referenced by its own name (or alias), never by a generated "tN"
        return ctx.literal(ctx.dialect.quote_identifier(self._alias or self._name))

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
            with ctx(subquery=False):
                ctx.sql(self._query)
            ctx.literal(')')
        return ctx


class ValuesList(Source):
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

    @mutator
    def columns(self, *names: str) -> None:
        self._columns = names

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
            ctx.literal(' (%s)' % ', '.join(quote(c) for c in self._columns))
        return ctx
