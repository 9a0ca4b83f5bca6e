"""Query builders: SELECT (and compound selects), INSERT, UPDATE, DELETE and raw SQL.

Builders are immutable: every chained call returns a new query.  A query runs on the
database it is bound to (``bind(db)``) or the one passed to ``execute(db)``.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable, Iterator

from .context import Context, SCOPE_COLUMN, SCOPE_NORMAL, SCOPE_SOURCE, SCOPE_VALUES
from .nodes import (SQL, Alias, Column, ColumnBase, CommaNodeList, EnclosedNodeList,
                    Entity, Expression, Node, NodeList, OP, Value, Window, ensure_node,
                    ensure_tuple, mutator)
from .sources import CTE, Join, JOIN, Source, Table, _ensure_source

__all__ = ['BaseQuery', 'RawQuery', 'Query', 'SelectQuery', 'SelectBase', 'Select',
           'CompoundSelectQuery', 'WriteQuery', 'Insert', 'Update', 'Delete', 'OnConflict',
           'ForUpdate', 'ROW', 'database_required', 'chunked', 'Index']

ROW = type('ROW', (), dict(TUPLE=1, DICT=2, NAMEDTUPLE=3, CONSTRUCTOR=4, MODEL=5))


def _interface_error(message: str) -> Exception:
    from ..exceptions import InterfaceError
    return InterfaceError(message)


def database_required(method: Callable) -> Callable:
    """Give ``method`` the query's bound database unless one is passed explicitly."""
    @functools.wraps(method)
    def inner(self, database=None, *args, **kwargs):
        database = self._database if database is None else database
        if database is None:
            raise _interface_error(
                'Query must be bound to a database to run %s(): call query.bind(db), '
                'Table(...).bind(db), or pass the database, e.g. query.%s(db).'
                % (method.__name__, method.__name__))
        if not hasattr(database, 'execute'):
            raise TypeError(
                '%s() takes the database as its first positional argument, got %r; pass '
                'other arguments by keyword, e.g. query.%s(n=2)'
                % (method.__name__, database, method.__name__))
        return method(self, database, *args, **kwargs)
    return inner


def chunked(iterable: Iterable, n: int) -> Iterator[list]:
    """Yield lists of up to ``n`` items from ``iterable``."""
    if n < 1:
        raise ValueError('chunked() needs a chunk size of at least 1')
    chunk: list = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _node_list(values: Iterable, where: str) -> tuple:
    return tuple(ensure_node(v, where) for v in values)


class BaseQuery(Node):
    """Everything that can be executed: row-type selection, binding, caching of results."""

    default_row_type = ROW.DICT

    def __init__(self, _database: Any = None, **kwargs: Any) -> None:
        self._database = _database
        self._cursor_wrapper = None
        self._row_type = None
        self._constructor = None
        super().__init__(**kwargs)

    def bind(self, database: Any = None) -> 'BaseQuery':
        self._database = database
        return self

    def clone(self) -> 'BaseQuery':
        query = super().clone()
        query._cursor_wrapper = None
        return query

    @mutator
    def dicts(self, as_dict: bool = True) -> None:
        self._row_type = ROW.DICT if as_dict else None

    @mutator
    def tuples(self, as_tuple: bool = True) -> None:
        self._row_type = ROW.TUPLE if as_tuple else None

    @mutator
    def namedtuples(self, as_namedtuple: bool = True) -> None:
        self._row_type = ROW.NAMEDTUPLE if as_namedtuple else None

    @mutator
    def objects(self, constructor: Callable | None = None) -> None:
        self._row_type = ROW.CONSTRUCTOR if constructor else None
        self._constructor = constructor

    def _get_cursor_wrapper(self, cursor: Any) -> Any:
        from .. import results
        row_type = self._row_type or self.default_row_type
        if row_type == ROW.DICT:
            return results.DictCursorWrapper(cursor)
        if row_type == ROW.TUPLE:
            return results.CursorWrapper(cursor)
        if row_type == ROW.NAMEDTUPLE:
            return results.NamedTupleCursorWrapper(cursor)
        if row_type == ROW.CONSTRUCTOR:
            return results.ObjectCursorWrapper(cursor, self._constructor)
        raise ValueError('unrecognised row type %r' % (row_type,))

    def sql(self) -> tuple[str, list]:
        """Compile to ``(sql, params)`` for the bound database (SQLite syntax if unbound)."""
        if self._database is not None:
            context = self._database.get_sql_context()
        else:
            from ..dialects.sqlite import SqliteDialect
            context = SqliteDialect().context()
        return context.sql(self).query()

    @database_required
    def execute(self, database: Any) -> Any:
        return self._execute(database)

    def _execute(self, database: Any) -> Any:
        raise NotImplementedError

    def iterator(self, database: Any = None) -> Iterator:
        return iter(self.execute(database).iterator())

    def _ensure_execution(self) -> None:
        if self._cursor_wrapper is None:
            if self._database is None:
                raise _interface_error(
                    'Query has not been executed and is not bound to a database: call '
                    'query.bind(db) or query.execute(db) first.')
            self.execute()

    def __iter__(self) -> Iterator:
        self._ensure_execution()
        return iter(self._cursor_wrapper)

    def __getitem__(self, value: Any) -> Any:
        self._ensure_execution()
        if isinstance(value, slice):
            index = value.stop
        else:
            index = value
        if index is not None:
            index = index + 1 if index >= 0 else 0
        self._cursor_wrapper.fill_cache(index)
        return self._cursor_wrapper.row_cache[value]

    def __len__(self) -> int:
        self._ensure_execution()
        return len(self._cursor_wrapper)

    def __str__(self) -> str:
        from .. import query_to_string
        return query_to_string(self)


class RawQuery(BaseQuery):
    """Hand-written SQL run through the query machinery: ``RawQuery('SELECT ...', params)``."""

    def __init__(self, sql: str | None = None, params: Iterable | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sql = sql
        self._params = params

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal(self._sql)
        if self._params:
            for param in self._params:
                ctx.value(param, add_param=False)
        return ctx

    def _execute(self, database: Any) -> Any:
        if self._cursor_wrapper is None:
            cursor = database.execute(self)
            self._cursor_wrapper = self._get_cursor_wrapper(cursor)
            self._cursor_wrapper.dialect = database.dialect
        return self._cursor_wrapper


class Query(BaseQuery):
    """Adds WHERE, ORDER BY, LIMIT/OFFSET and WITH to BaseQuery."""

    def __init__(self, where: Any = None, order_by: Iterable | None = None,
                 limit: int | None = None, offset: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._where = where
        self._order_by = tuple(order_by) if order_by else None
        self._limit = limit
        self._offset = offset
        self._cte_list = None

    @mutator
    def with_cte(self, *cte_list: CTE) -> None:
        for cte in cte_list:
            if not isinstance(cte, CTE):
                raise TypeError('with_cte() expects CTEs made by query.cte(name), got %r'
                                % (cte,))
        self._cte_list = cte_list

    @mutator
    def where(self, *expressions: Any) -> None:
        expressions = _node_list(expressions, 'where()')
        if self._where is not None:
            expressions = (self._where,) + expressions
        self._where = functools.reduce(lambda a, b: Expression(a, OP.AND, b), expressions) \
            if expressions else self._where

    @mutator
    def orwhere(self, *expressions: Any) -> None:
        expressions = _node_list(expressions, 'orwhere()')
        if self._where is not None:
            expressions = (self._where,) + expressions
        self._where = functools.reduce(lambda a, b: Expression(a, OP.OR, b), expressions) \
            if expressions else self._where

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
        page = _check_count(page, 'page')
        paginate_by = _check_count(paginate_by, 'paginate_by')
        if page < 1:
            raise ValueError('paginate() pages are numbered from 1, got %d' % page)
        self._limit = paginate_by
        self._offset = (page - 1) * paginate_by if page > 1 else None

    def _apply_ordering(self, ctx: Context) -> Context:
        if self._order_by:
            ctx.literal(' ORDER BY ')
            with ctx(parentheses=False):
                ctx.sql(CommaNodeList(self._order_by))
        if self._limit is not None or (self._offset is not None and
                                       ctx.dialect.limit_max is not None):
            ctx.literal(' LIMIT ')
            ctx.value(self._limit if self._limit is not None else ctx.dialect.limit_max,
                      converter=_plain)
        if self._offset is not None:
            ctx.literal(' OFFSET ')
            ctx.value(self._offset, converter=_plain)
        return ctx

    def _render_ctes(self, ctx: Context) -> Context:
        if self._cte_list:
            recursive = any(cte._recursive for cte in self._cte_list)
            ctx.literal('WITH RECURSIVE ' if recursive else 'WITH ')
            with ctx.scope_cte():
                for i, cte in enumerate(self._cte_list):
                    if i:
                        ctx.literal(', ')
                    ctx.sql(cte)
            ctx.literal(' ')
        return ctx


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
        query = Select((self,), columns)
        query._database = self._database
        return query


class SelectBase(SelectQuery, Source):
    """Execution helpers shared by Select and CompoundSelectQuery."""

    # identity semantics: a query used as a source is keyed by identity in alias lookups
    __hash__ = object.__hash__

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
        if self._cursor_wrapper is None:
            cursor = database.execute(self)
            self._cursor_wrapper = self._get_cursor_wrapper(cursor)
            self._cursor_wrapper.dialect = database.dialect
        return self._cursor_wrapper

    @database_required
    def peek(self, database: Any, n: int = 1) -> Any:
        rows = self.execute(database)[:n]
        if rows:
            return rows[0] if n == 1 else rows
        return None

    @database_required
    def first(self, database: Any, n: int = 1) -> Any:
        # as peewee documents: the LIMIT is applied to this query itself, so repeated
        # calls with the same n reuse the cached result instead of running it again
        if self._limit != n:
            self._limit = n
            self._cursor_wrapper = None
        return self.peek(database, n=n)

    @database_required
    def scalar(self, database: Any, as_tuple: bool = False, as_dict: bool = False) -> Any:
        if as_dict:
            return self.dicts().peek(database)
        row = self.tuples().peek(database)
        if as_tuple:
            return row
        return row[0] if row else None

    @database_required
    def scalars(self, database: Any) -> Iterator:
        for row in self.tuples().execute(database):
            yield row[0]

    @database_required
    def count(self, database: Any, clear_limit: bool = False) -> int:
        from .nodes import fn
        clone = self.order_by().alias('_wrapped')
        if clear_limit:
            clone._limit = clone._offset = None
        elif self._limit is not None or self._offset is not None:
            clone._order_by = self._order_by  # ordering decides which rows a LIMIT keeps
        query = Select([clone], [fn.COUNT(SQL('1'))])
        return query.scalar(database) or 0

    @database_required
    def exists(self, database: Any) -> bool:
        clone = self.columns(SQL('1')) if isinstance(self, Select) else self
        clone = clone.limit(1)
        clone._offset = self._offset
        return bool(clone.scalar(database))

    @database_required
    def get(self, database: Any) -> Any:
        clone = self.limit(1) if self._limit != 1 else self
        try:
            return clone.execute(database)[0]
        except IndexError:
            return None

    def _parenthesize(self, ctx: Context) -> bool:
        return bool(ctx.state.subquery) and ctx.state.sole_function_arg is not self

    def _wrap(self, ctx: Context, render: Callable) -> Context:
        """Render ``render()`` as a subquery where the position requires one."""
        in_source = ctx.scope == SCOPE_SOURCE
        in_column = ctx.scope == SCOPE_COLUMN and self._alias
        if self._parenthesize(ctx) or in_source:
            ctx.literal('(')
            with ctx(subquery=True, scope=SCOPE_NORMAL, parentheses=False):
                with ctx.push_alias():
                    render()
            ctx.literal(')')
            if in_source:
                self.apply_alias(ctx)
            elif in_column:   # a scalar subquery in the select list: (SELECT ...) AS "name"
                ctx.literal(' AS ' + ctx.dialect.quote_identifier(self._alias))
            return ctx
        with ctx(subquery=True, scope=SCOPE_NORMAL, parentheses=False):
            with ctx.push_alias():
                render()
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

    def _get_cursor_wrapper(self, cursor: Any) -> Any:
        if hasattr(self.lhs, '_model_cursor_wrapper'):
            return self.lhs._model_cursor_wrapper(cursor, self._row_type)
        return super()._get_cursor_wrapper(cursor)

    def _render_member(self, ctx: Context, member: Any, is_rhs: bool) -> None:
        has_tail = (member._order_by or member._limit is not None or
                    member._offset is not None)
        nested = isinstance(member, CompoundSelectQuery)
        if not (has_tail or nested):
            ctx.sql(member)
            return
        if ctx.dialect.compound_select_parentheses:
            ctx.literal('(')
            ctx.sql(member)
            ctx.literal(')')
        elif nested and not is_rhs and not has_tail:
            ctx.sql(member)        # engines without parentheses evaluate left to right
        else:
            ctx.literal('SELECT * FROM (')
            with ctx(in_compound=False):
                ctx.sql(member)
            ctx.literal(')')
            if ctx.dialect.subquery_alias_required:
                ctx.literal(' AS ' + ctx.dialect.quote_identifier(
                    '_c%d' % ctx.alias_manager._counter))
                ctx.alias_manager._counter += 1

    def __sql__(self, ctx: Context) -> Context:
        def render() -> None:
            self._render_ctes(ctx)
            with ctx(in_compound=True, subquery=False):
                self._render_member(ctx, self.lhs, False)
                ctx.literal(' %s ' % self.op)
                self._render_member(ctx, self.rhs, True)
            # ORDER BY of a compound names its output columns: render them unqualified
            with ctx.scope_values():
                self._apply_ordering(ctx)

        if ctx.state.in_compound:
            render()
            return ctx
        return self._wrap(ctx, render)


class ForUpdate(Node):
    """``FOR UPDATE [OF ...] [NOWAIT | SKIP LOCKED]`` and its variants."""

    _LOCKS = ('FOR UPDATE', 'FOR SHARE', 'FOR NO KEY UPDATE', 'FOR KEY SHARE')

    def __init__(self, expr: Any, of: Any = None, nowait: bool | None = None,
                 skip_locked: bool | None = None) -> None:
        if expr is True:
            expr = 'FOR UPDATE'
        if not isinstance(expr, str):
            raise TypeError('for_update= takes True or one of %s' % ', '.join(self._LOCKS))
        text = ' '.join(expr.upper().split())
        if text.endswith(' NOWAIT'):
            text, nowait = text[:-7], True
        if text.endswith(' SKIP LOCKED'):
            text, skip_locked = text[:-12], True
        if text not in self._LOCKS:
            raise ValueError('unknown lock %r; use one of %s' % (expr, ', '.join(self._LOCKS)))
        if nowait and skip_locked:
            raise ValueError('choose either nowait or skip_locked, not both')
        self._expr = text
        self._of = ensure_tuple(of)
        self._nowait = nowait
        self._skip_locked = skip_locked

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal(self._expr)
        if self._of:
            ctx.literal(' OF ')
            quote = ctx.dialect.quote_identifier
            names = []
            for source in self._of:
                if isinstance(source, type) and hasattr(source, '_meta'):
                    source = source._meta.table
                names.append(quote(source._alias or ctx.alias_manager[source])
                             if isinstance(source, Source) else quote(str(source)))
            ctx.literal(', '.join(names))
        if self._nowait:
            ctx.literal(' NOWAIT')
        elif self._skip_locked:
            ctx.literal(' SKIP LOCKED')
        return ctx


class Select(SelectBase):
    """``SELECT`` with joins, grouping, windows, DISTINCT [ON] and row locks."""

    def __init__(self, from_list: Iterable | None = None, columns: Iterable | None = None,
                 group_by: Iterable | None = None, having: Any = None, distinct: Any = None,
                 windows: Iterable | None = None, for_update: Any = None,
                 for_update_of: Any = None, nowait: bool | None = None,
                 lateral: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._from_list = [_ensure_source(s, 'from_()') for s in from_list] \
            if from_list else []
        self._returning = tuple(columns) if columns is not None else None
        self._group_by = tuple(group_by) if group_by else None
        self._having = having
        self._windows = tuple(windows) if windows else None
        self._for_update = ForUpdate(for_update, for_update_of, nowait) \
            if for_update else None
        self._lateral = lateral
        self._distinct = self._simple_distinct = None
        if distinct:
            if isinstance(distinct, bool):
                self._simple_distinct = True
            else:
                self._distinct = tuple(distinct)

    def clone(self) -> 'Select':
        clone = super().clone()
        clone._from_list = list(self._from_list)
        return clone

    @mutator
    def columns(self, *columns: Any, **kwargs: Any) -> None:
        self._returning = tuple(ensure_node(c, 'select()') for c in columns)

    select = columns

    @property
    def selected_columns(self) -> tuple | None:
        """The select list; assigning replaces it in place (``columns()`` copies)."""
        return self._returning

    @selected_columns.setter
    def selected_columns(self, value: Iterable) -> None:
        self._returning = tuple(ensure_node(c, 'selected_columns') for c in value)
        self._cursor_wrapper = None

    @mutator
    def select_extend(self, *columns: Any) -> None:
        self._returning = (self._returning or ()) + \
            tuple(ensure_node(c, 'select_extend()') for c in columns)

    @mutator
    def from_(self, *sources: Any) -> None:
        self._from_list = [_ensure_source(s, 'from_()') for s in sources]

    @mutator
    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None) -> None:
        if not self._from_list:
            raise ValueError('No sources to join on: call from_() before join()')
        item = self._from_list.pop()
        self._from_list.append(Join(item, dest, join_type, on))

    def left_outer_join(self, dest: Any, on: Any = None) -> 'Select':
        return self.join(dest, JOIN.LEFT_OUTER, on)

    @mutator
    def group_by(self, *columns: Any) -> None:
        grouping = []
        for column in columns:
            if isinstance(column, Table) and column._columns:
                grouping.extend(Column(column, c) for c in column._columns)
            elif isinstance(column, type) and hasattr(column, '_meta'):
                grouping.extend(column._meta.sorted_fields)
            else:
                grouping.append(ensure_node(column, 'group_by()'))
        self._group_by = tuple(grouping)

    def group_by_extend(self, *values: Any) -> 'Select':
        group_by = tuple(self._group_by or ())
        return self.group_by(*(group_by + values))

    @mutator
    def having(self, *expressions: Any) -> None:
        expressions = _node_list(expressions, 'having()')
        if self._having is not None:
            expressions = (self._having,) + expressions
        self._having = functools.reduce(lambda a, b: Expression(a, OP.AND, b), expressions)

    @mutator
    def distinct(self, *columns: Any) -> None:
        if len(columns) == 1 and (columns[0] is True or columns[0] is False):
            self._simple_distinct = columns[0]
            self._distinct = None
        elif columns:
            self._simple_distinct = False
            self._distinct = _node_list(columns, 'distinct()')
        else:
            self._simple_distinct = True
            self._distinct = None

    @mutator
    def window(self, *windows: Window) -> None:
        for window in windows:
            if not isinstance(window, Window):
                raise TypeError('window() expects Window objects, got %r' % (window,))
        self._windows = windows or None

    @mutator
    def for_update(self, for_update: Any = True, of: Any = None, nowait: bool | None = None,
                   skip_locked: bool | None = None) -> None:
        if not for_update and (of is not None or nowait or skip_locked):
            for_update = True
        self._for_update = ForUpdate(for_update, of, nowait, skip_locked) \
            if for_update else None

    @mutator
    def lateral(self, lateral: bool = True) -> None:
        self._lateral = lateral

    _as_of_system_time: Any = None

    @mutator
    def as_of_system_time(self, value: Any) -> None:
        """Read as of a past moment (CockroachDB ``AS OF SYSTEM TIME``); ``None`` clears."""
        self._as_of_system_time = value

    def _register_sources(self, ctx: Context) -> None:
        for source in self._from_list:
            for item in (source.sources() if isinstance(source, Join) else (source,)):
                if isinstance(item, type) and hasattr(item, '_meta'):
                    item = item._meta.table          # a model: its table
                if isinstance(item, CTE) or not hasattr(item, 'apply_column'):
                    continue
                if not item._alias:
                    ctx.alias_manager.add(item)

    def _selection(self, in_expression: bool) -> tuple:
        """The select list; ``in_expression``: the query is an operand (``IN (...)``)."""
        return self._returning or (SQL('*'),)

    def _render_body(self, ctx: Context, in_expression: bool = False) -> None:
        dialect = ctx.dialect
        self._render_ctes(ctx)
        self._register_sources(ctx)
        ctx.literal('SELECT ')
        if self._simple_distinct or self._distinct is not None:
            ctx.literal('DISTINCT ')
            if self._distinct:
                if not dialect.supports_distinct_on:
                    raise dialect.not_supported('DISTINCT ON')
                ctx.literal('ON ')
                ctx.sql(EnclosedNodeList(self._distinct))
                ctx.literal(' ')
        with ctx.scope_column():
            ctx.sql(CommaNodeList(self._selection(in_expression)))
        if self._from_list:
            ctx.literal(' FROM ')
            with ctx.scope_source():
                ctx.sql(CommaNodeList(self._from_list))
        if self._as_of_system_time is not None:
            render_as_of = getattr(dialect, 'render_as_of_system_time', None)
            if render_as_of is None:
                raise dialect.not_supported('AS OF SYSTEM TIME')
            render_as_of(ctx, self._as_of_system_time)
        if self._where is not None:
            ctx.literal(' WHERE ')
            ctx.sql(self._where)
        if self._group_by:
            ctx.literal(' GROUP BY ')
            ctx.sql(CommaNodeList(self._group_by))
        if self._having is not None:
            ctx.literal(' HAVING ')
            ctx.sql(self._having)
        if self._windows is not None:
            ctx.literal(' WINDOW ')
            with ctx(window_definitions=True):
                ctx.sql(CommaNodeList(self._windows))
        self._apply_ordering(ctx)
        if self._for_update is not None and dialect.for_update:
            ctx.literal(' ')
            ctx.sql(self._for_update)

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.in_compound:
            with ctx(in_compound=False, subquery=True, scope=SCOPE_NORMAL):
                with ctx.push_alias():
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
    """Shared by INSERT, UPDATE and DELETE: a target table and RETURNING."""

    def __init__(self, table: Any, returning: Iterable | None = None, **kwargs: Any) -> None:
        self.table = _ensure_write_target(table)
        self._returning = tuple(returning) if returning else None
        self._return_cursor = bool(returning)
        super().__init__(**kwargs)

    #: marks INSERT/UPDATE/DELETE for a CTE (only some engines take them in WITH)
    _writes_rows = True

    @mutator
    def returning(self, *returning: Any) -> None:
        # returning() with no columns means "no RETURNING at all": writes then report the
        # number of rows affected (on PostgreSQL inserts would otherwise return keys)
        self._returning = tuple(ensure_node(r, 'returning()') for r in returning)
        self._return_cursor = bool(returning)

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
            self._apply_ordering(ctx)
        self._apply_returning(ctx)

    def _apply_returning(self, ctx: Context) -> Context:
        if self._returning:
            if not ctx.dialect.returning_clause:
                raise ctx.dialect.not_supported('RETURNING')
            ctx.literal(' RETURNING ')
            if ctx.dialect.returning_qualified:
                with ctx(scope=SCOPE_COLUMN):
                    ctx.sql(CommaNodeList(self._returning))
                return ctx
            # unqualified names; an alias still needs its  expr AS "name"  spelling
            with ctx(scope=SCOPE_VALUES):
                for i, node in enumerate(self._returning):
                    if i:
                        ctx.literal(', ')
                    if isinstance(node, Alias):
                        ctx.sql(node.node)
                        ctx.literal(' AS ' + ctx.dialect.quote_identifier(node.name))
                    else:
                        ctx.sql(node)
        return ctx

    def _execute(self, database: Any) -> Any:
        if self._returning and self._return_cursor:
            return self.execute_returning(database)
        cursor = database.execute(self)
        return self.handle_result(database, cursor)

    @database_required
    def execute_returning(self, database: Any) -> Any:
        """Run the query and return the rows of its ``RETURNING`` clause."""
        if not self._returning:
            raise ValueError('execute_returning() needs a RETURNING clause: call '
                             'returning(...) with the columns to return first')
        if self._cursor_wrapper is None:
            cursor = database.execute(self)
            self._cursor_wrapper = self._get_cursor_wrapper(cursor)
            self._cursor_wrapper.dialect = database.dialect
        return self._cursor_wrapper

    def handle_result(self, database: Any, cursor: Any) -> Any:
        return database.rows_affected(cursor)

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.subquery:
            ctx.literal('(')
            with ctx(subquery=False), ctx.push_alias():
                self._render(ctx)
            return ctx.literal(')')
        with ctx.push_alias():
            self._render(ctx)
        return ctx

    def _render(self, ctx: Context) -> None:
        raise NotImplementedError


def _ensure_write_target(table: Any) -> Any:
    if isinstance(table, type) and hasattr(table, '_meta'):
        return table._meta.table
    if not isinstance(table, Table):
        raise TypeError('INSERT/UPDATE/DELETE need a Table (or model), got %r' % (table,))
    return table


def _column_for(table: Table, key: Any, where: str) -> Any:
    """Turn a dict key (a name or a Column) into a Column of ``table``."""
    if isinstance(key, str):
        if table._columns is not None and key not in table._columns:
            raise ValueError('%s: table %r has no column %r (columns: %s)'
                             % (where, table._name, key, ', '.join(table._columns)))
        return Column(table, key)
    if isinstance(key, ColumnBase):
        return key
    raise TypeError('%s: column keys must be names or columns, got %r' % (where, key))


def _assignments(table: Table, data: dict, where: str) -> list:
    """``"col" = value`` nodes for SET clauses."""
    parts = []
    for key, value in data.items():
        column = _column_for(table, key, where)
        if not isinstance(value, Node):
            value = Value(value, converter=column._value_converter(), unpack=False)
        parts.append(NodeList((column, SQL('='), value)))
    return parts


class Update(WriteQuery):
    """``UPDATE table SET ... [FROM ...] [WHERE ...] [RETURNING ...]``."""

    def __init__(self, table: Any, update: dict | None = None, **kwargs: Any) -> None:
        super().__init__(table, **kwargs)
        if update is not None and not isinstance(update, dict):
            raise TypeError('update() takes a dict of {column: value} or keyword arguments')
        self._update = update or {}
        self._from = None

    @mutator
    def from_(self, *sources: Any) -> None:
        self._from = [_ensure_source(s, 'from_()') for s in sources]

    def _render(self, ctx: Context) -> None:
        if not self._update:
            raise ValueError('UPDATE of %r has no columns to set: pass values to update()'
                             % self.table._name)
        self._render_ctes(ctx)
        self._render_target_scope(ctx)
        if self._from:
            for source in self._from:
                if isinstance(source, Source) and not source._alias:
                    ctx.alias_manager.add(source)
        ctx.literal('UPDATE ')
        with ctx.scope_values():
            ctx.sql(self.table)
        ctx.literal(' SET ')
        sets = _assignments(self.table, self._update, 'update()')
        with ctx(subquery=True):
            for i, node in enumerate(sets):
                if i:
                    ctx.literal(', ')
                column, _, value = node.nodes
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


class OnConflict(Node):
    """What an INSERT does when a row conflicts: ignore, replace, or update."""

    def __init__(self, action: str | None = None, update: dict | None = None,
                 preserve: Any = None, where: Any = None, conflict_target: Any = None,
                 conflict_where: Any = None, conflict_constraint: str | None = None) -> None:
        if action is not None:
            action = action.upper()
            if action not in ('IGNORE', 'REPLACE', 'UPDATE', 'NOTHING'):
                raise ValueError('on_conflict action must be "ignore", "replace" or "update", '
                                 'got %r' % action)
        self._action = action
        self._update = update
        self._preserve = ensure_tuple(preserve)
        self._where = where
        if conflict_target is not None and conflict_constraint is not None:
            raise ValueError('give conflict_target or conflict_constraint, not both')
        self._conflict_target = ensure_tuple(conflict_target)
        self._conflict_where = conflict_where
        self._conflict_constraint = conflict_constraint

    def get_conflict_statement(self, ctx: Context, query: 'Insert') -> Any:
        return ctx.dialect.conflict_statement(self, query)

    def get_conflict_update(self, ctx: Context, query: 'Insert') -> Any:
        return ctx.dialect.conflict_update(self, query)

    @mutator
    def preserve(self, *columns: Any) -> None:
        self._preserve = columns

    @mutator
    def update(self, _data: dict | None = None, **kwargs: Any) -> None:
        if _data and kwargs and not isinstance(_data, dict):
            raise ValueError('update() takes a dict or keyword arguments')
        if _data and kwargs:
            _data = dict(_data, **kwargs)
        self._update = _data or kwargs

    @mutator
    def where(self, *expressions: Any) -> None:
        if self._where is not None:
            expressions = (self._where,) + expressions
        self._where = functools.reduce(lambda a, b: Expression(a, OP.AND, b), expressions)

    @mutator
    def conflict_target(self, *constraints: Any) -> None:
        self._conflict_constraint = None
        self._conflict_target = constraints

    @mutator
    def conflict_where(self, *expressions: Any) -> None:
        if self._conflict_where is not None:
            expressions = (self._conflict_where,) + expressions
        self._conflict_where = functools.reduce(lambda a, b: Expression(a, OP.AND, b),
                                                expressions)

    @mutator
    def conflict_constraint(self, constraint: str) -> None:
        self._conflict_constraint = constraint
        self._conflict_target = ()

    def is_update(self) -> bool:
        return bool(self._update or self._preserve)


class NoRowsToInsert(ValueError):
    """insert_many() got no rows: executing the query does nothing (``sql()`` raises)."""


class Insert(WriteQuery):
    """``INSERT INTO table (cols) VALUES ... | SELECT ... [ON CONFLICT ...] [RETURNING]``."""

    SIMPLE = 0
    QUERY = 1
    MULTI = 2

    class DefaultValuesException(Exception):
        pass

    def __init__(self, table: Any, insert: Any = None, columns: Iterable | None = None,
                 on_conflict: OnConflict | None = None, **kwargs: Any) -> None:
        super().__init__(table, **kwargs)
        self._insert = insert
        self._columns = tuple(columns) if columns is not None else None
        self._on_conflict = on_conflict
        self._query_type = None
        self._as_rowcount = False

    def where(self, *expressions: Any) -> 'Insert':
        raise NotImplementedError('INSERT queries cannot have a WHERE clause')

    @mutator
    def as_rowcount(self, _as_rowcount: bool = True) -> None:
        self._as_rowcount = _as_rowcount

    @mutator
    def on_conflict_ignore(self, ignore: bool = True) -> None:
        self._on_conflict = OnConflict('IGNORE') if ignore else None

    @mutator
    def on_conflict_replace(self, replace: bool = True) -> None:
        self._on_conflict = OnConflict('REPLACE') if replace else None

    @mutator
    def on_conflict(self, *args: Any, **kwargs: Any) -> None:
        if args and isinstance(args[0], OnConflict):
            self._on_conflict = args[0]
        else:
            self._on_conflict = OnConflict(*args, **kwargs)

    def _default_columns(self) -> list | None:
        if self.table._columns:
            return [Column(self.table, c) for c in self.table._columns]
        return None

    def _prepare_rows(self) -> tuple[list, Any]:
        """Return (columns, rows-or-query) and set the query type."""
        insert = self._insert
        if isinstance(insert, SelectQuery):
            self._query_type = Insert.QUERY
            columns = self._columns or self._default_columns()
            if not columns:
                raise ValueError('INSERT ... SELECT needs columns=[...] (or a Table declared '
                                 'with its columns)')
            return [_column_for(self.table, c, 'insert()') for c in columns], insert
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
        columns = [_column_for(self.table, c, 'insert()') for c in names]
        values = []
        for n, row in enumerate(rows):
            row = tuple(row)
            if len(row) != len(columns):
                raise ValueError('row %d of insert_many() has %d values for %d columns'
                                 % (n, len(row), len(columns)))
            values.append(row)
        return columns, values

    def _render(self, ctx: Context) -> None:
        dialect = ctx.dialect
        columns, rows = self._prepare_rows()
        self._render_ctes(ctx)
        self._render_target_scope(ctx)
        oc = self._on_conflict
        ctx.literal(dialect.insert_verb(oc) + ' INTO ')
        with ctx.scope_values():
            ctx.sql(self.table)
        if self._query_type == Insert.QUERY:
            ctx.literal(' (')
            with ctx.scope_values():
                ctx.sql(CommaNodeList(columns))
            ctx.literal(') ')
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
            self._apply_returning(ctx)

    def _execute(self, database: Any) -> Any:
        try:
            return self._execute_rows(database)
        except NoRowsToInsert:
            # as in peewee: insert_many() of an empty list runs nothing and returns None
            return None

    def _execute_rows(self, database: Any) -> Any:
        dialect = database.dialect
        if self._returning is None and dialect.returning_clause and \
                dialect.insert_returns_pk and not self._as_rowcount:
            pk = self._get_primary_key()
            if pk is not None:
                clone = self.returning(pk)
                clone._return_cursor = False
                cursor = database.execute(clone)
                self._query_type = clone._query_type
                if self._query_type == Insert.SIMPLE:
                    row = cursor.fetchone()
                    return row[0] if row else None
                # several rows: an iterable of 1-tuples holding each new key, as peewee does
                from ..results import CursorWrapper
                return CursorWrapper(cursor)
        return super()._execute(database)

    def _get_primary_key(self) -> Any:
        return self.table._get_primary_key()

    def handle_result(self, database: Any, cursor: Any) -> Any:
        if self._as_rowcount or self._query_type == Insert.QUERY or self._returning == ():
            return database.rows_affected(cursor)
        return database.last_insert_id(cursor, self._query_type)


class Index(Node):
    """``CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table [USING m] (...) [WHERE ...]``."""

    def __init__(self, name: str, table: Any, expressions: Iterable, unique: bool = False,
                 safe: bool = False, where: Any = None, using: str | None = None) -> None:
        self._name = name
        self._table = Entity(table) if isinstance(table, str) else table
        self._expressions = [Entity(e) if isinstance(e, str) else e for e in expressions]
        if not self._expressions:
            raise ValueError('an index needs at least one column or expression')
        self._unique = unique
        self._safe = safe
        self._where = where
        self._using = using and re.sub(r'[^A-Za-z0-9_]', '', using)

    @mutator
    def safe(self, _safe: bool = True) -> None:
        self._safe = _safe

    @mutator
    def where(self, *expressions: Any) -> None:
        if self._where is not None:
            expressions = (self._where,) + expressions
        self._where = functools.reduce(lambda a, b: Expression(a, OP.AND, b), expressions)

    @mutator
    def using(self, _using: str | None = None) -> None:
        self._using = _using

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        ctx.literal('CREATE UNIQUE INDEX ' if self._unique else 'CREATE INDEX ')
        if self._safe and dialect.safe_create_index:
            ctx.literal('IF NOT EXISTS ')
        table = self._table
        if isinstance(table, type) and hasattr(table, '_meta'):
            table = table._meta.table
        schema = getattr(table, '_schema', None)
        if schema and dialect.index_schema_prefix:
            ctx.literal(dialect.quote_path((schema, self._name)))
        else:
            ctx.literal(dialect.quote_identifier(self._name))
        ctx.literal(' ON ')
        with ctx.scope_values():
            ctx.sql(table)
            if self._using:
                ctx.literal(' USING ' + self._using)
            ctx.literal(' ')
            ctx.sql(EnclosedNodeList(self._expressions))
            if self._where is not None:
                ctx.literal(' WHERE ')
                ctx.sql(self._where)
        return ctx
