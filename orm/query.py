"""Queries that know models: ``Model.select()`` with joins rebuilt into object graphs and
Django-style ``filter()``, and the model versions of INSERT, UPDATE, DELETE and raw SQL.

Each class here is the SQL layer's query (``orm.sql.queries``) plus what a model adds:
which row adapter builds the results (``orm.results``), how a join between two models
finds its condition, how field names in ``filter(user__name='x')`` become columns.
"""
from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, TypeVar

from . import results
from .exceptions import UnconvertibleValue
from .fields import Field, FieldAlias
from .loading import check_loads, load_related
from .modelbase import ModelAliasBase, ModelCore, is_model
from .prefetch import prefetch as _prefetch
from .relations import BackrefAccessor, ForeignKeyField
from .sql.context import Context
from .sql.nodes import (SQL, Alias, Column, ColumnBase, Expression, Negated, Node,
                        attrdict, mutator)
from .sql.queries import (ROW, BaseQuery, CompoundSelectQuery, Delete, Insert, NoRowsToInsert,
                          RawQuery, Select, SelectBase, SelectQuery, Update, WriteQuery,
                          database_required, key_of_returned_row)
from .sql.sources import JOIN, Join, Table

if TYPE_CHECKING:
    from typing_extensions import Self

    # the mixins below are only ever combined with these query classes: a checker reads
    # them as their bases
    _RowsBase = BaseQuery
    _SelectBase = SelectBase
    _WriteBase = WriteQuery
else:
    _RowsBase = _SelectBase = _WriteBase = object

__all__ = ['ModelSelect', 'ModelCompoundSelectQuery', 'ModelUpdate', 'ModelInsert',
           'ModelDelete', 'ModelRaw', 'NoopModelSelect', 'BaseModelSelect', 'DQ',
           'DJANGO_MAP', 'model_of']

_M = TypeVar('_M')


def model_of(source: Any) -> Any:
    """The model class behind a model or a model alias."""
    return source.model if isinstance(source, ModelAliasBase) else source


def _no_row_error(query: Any) -> Exception:
    model = model_of(query.model)
    sql, params = query.sql()
    return model.DoesNotExist('No %s row matches the query.\nSQL: %s\nParams: %s'
                              % (model.__name__, sql, params))


# -- Django-style lookups ----------------------------------------------------------------------
def _is_null(lhs: Any, wanted: Any) -> Any:
    return lhs.is_null(bool(wanted))


def _between(lhs: Any, bounds: Any) -> Any:
    low, high = bounds
    return lhs.between(low, high)


#: ``filter(field__<lookup>=value)``: how each lookup turns a column and a value into SQL
DJANGO_MAP = attrdict(
    eq=operator.eq, ne=operator.ne, lt=operator.lt, lte=operator.le, gt=operator.gt,
    gte=operator.ge,
    # lhs << rhs is IN; the rest call the column method of the same meaning
    **{'in': operator.lshift},
    not_in=lambda lhs, rhs: lhs.not_in(rhs),
    between=_between,
    is_null=_is_null,
    like=lambda lhs, rhs: lhs.like(rhs), ilike=lambda lhs, rhs: lhs.ilike(rhs),
    regexp=lambda lhs, rhs: lhs.regexp(rhs), iregexp=lambda lhs, rhs: lhs.iregexp(rhs),
    contains=lambda lhs, rhs: lhs.contains(rhs),
    startswith=lambda lhs, rhs: lhs.startswith(rhs),
    endswith=lambda lhs, rhs: lhs.endswith(rhs),
    **{'is': lambda lhs, rhs: Expression(lhs, 'IS', rhs),
       'is_not': lambda lhs, rhs: Expression(lhs, 'IS NOT', rhs)},
)


class DQ(ColumnBase):
    """Django-style lookups as a node that combines with ``&``, ``|`` and ``~``:
    ``User.filter(DQ(name='x') | DQ(age__gt=3))``."""

    def __init__(self, **query: Any) -> None:
        super().__init__()
        self.query = query
        self._negated = False

    def __invert__(self) -> 'DQ':
        flipped = self.clone()
        flipped._negated = not self._negated
        return flipped

    def clone(self) -> 'DQ':
        twin = DQ(**self.query)
        twin._negated = self._negated
        return twin


def _split_lookup(key: str, value: Any) -> tuple[list, Callable]:
    """``'user__name__startswith'`` -> (['user', 'name'], the startswith lookup)."""
    parts = key.split('__')
    if len(parts) > 1 and parts[-1] in DJANGO_MAP:
        return parts[:-1], DJANGO_MAP[parts[-1]]
    return parts, DJANGO_MAP['is' if value is None else 'eq']


def _has_dq(node: Any) -> bool:
    if isinstance(node, DQ):
        return True
    if isinstance(node, Expression):
        return _has_dq(node.lhs) or _has_dq(node.rhs)
    return isinstance(node, Negated) and _has_dq(node.node)


def _field_named(source: Any, name: str, lookup: str) -> Any:
    """The field (or column-like attribute) ``name`` of a model or alias."""
    model = model_of(source)
    meta = model._meta
    field = meta.combined.get(name)
    if field is not None:
        return getattr(source, field.name)
    candidate = getattr(source, name, None)
    if isinstance(candidate, ColumnBase):
        return candidate
    raise AttributeError('filter(%s=...): %s has no field %r (its fields: %s)'
                         % (lookup, model.__name__, name, ', '.join(meta.sorted_field_names)))


# -- the select list ----------------------------------------------------------------------------
def _expand_selection(items: Iterable) -> tuple:
    """Models and model aliases stand for all their fields; a Table declared with columns
    for its columns; anything else must render as SQL."""
    expanded: list = []
    for item in items:
        if is_model(item):
            expanded += item._meta.sorted_fields
        elif isinstance(item, ModelAliasBase):
            expanded += item.get_field_aliases()
        elif isinstance(item, Table) and item._columns:
            expanded += [Column(item, name) for name in item._columns]
        elif isinstance(item, Node) or hasattr(item, '__sql__'):
            expanded.append(item)
        else:
            raise TypeError('select() takes models, fields or SQL expressions; %r is none of '
                            'these (wrap a constant in Value(...))' % (item,))
    return tuple(expanded)


# -- rows ---------------------------------------------------------------------------------------
_PLAIN_MODEL_ROWS = {
    ROW.DICT: results.ModelDictCursorWrapper,
    ROW.TUPLE: results.ModelTupleCursorWrapper,
    ROW.NAMEDTUPLE: results.ModelNamedTupleCursorWrapper,
}


class _ModelRows(_RowsBase):
    """Choosing the row adapter of a model query: model instances by default, or dicts,
    tuples, namedtuples or objects when asked for."""

    default_row_type = ROW.MODEL
    model: Any
    _returning: Any

    @mutator
    def objects(self, constructor: Any = None) -> None:
        """One flat object per row: ``constructor(**row)``, or by default the model with every
        selected column, joined ones included, set as an attribute."""
        self._row_type = ROW.CONSTRUCTOR
        self._constructor = model_of(self.model) if constructor is None else constructor

    def _rows_as(self, row_type: Any, cursor: Any) -> Any:
        if row_type == ROW.MODEL:
            return self._get_model_cursor_wrapper(cursor)
        if row_type == ROW.CONSTRUCTOR:
            return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                    self._constructor)
        adapter = _PLAIN_MODEL_ROWS.get(row_type)
        if adapter is None:
            raise ValueError('%r is not a row type (use ROW.MODEL, DICT, TUPLE, NAMEDTUPLE or '
                             'CONSTRUCTOR)' % (row_type,))
        return adapter(cursor, self.model, self._returning)

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return self._rows_as(self._row_type or self.default_row_type, cursor)

    def _model_cursor_wrapper(self, cursor: Any, row_type: Any = None) -> Any:
        """Rows of this query shaped as ``row_type`` (for a compound it is the left side)."""
        return self._rows_as(row_type or self._row_type or self.default_row_type, cursor)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                model_of(self.model))


class BaseModelSelect(_ModelRows, _SelectBase):
    """What a model SELECT and a compound of model SELECTs share."""

    #: relations to load for the rows, one query each (``with_related()``)
    _related_loads: tuple = ()

    def with_related(self, *loads: Any) -> Self:
        """A copy that also loads the relations ``loads`` (:class:`Load`) for its rows: one
        query per relation, not one per row.  Its result is read whole on first use."""
        twin = self.clone()
        twin._related_loads = self._related_loads + check_loads(self, loads)
        return twin

    def _execute(self, database: Any) -> Any:
        first_run = self._cursor_wrapper is None
        wrapper = super()._execute(database)  # type: ignore[misc]
        if first_run and self._related_loads:
            wrapper.fill_cache()
            instances = [row for row in wrapper.row_cache if isinstance(row, ModelCore)]
            load_related(instances, self._related_loads, database, query=self)
        return wrapper

    def iterator(self, database: Any = None) -> Iterator:
        """The rows one at a time, without keeping them.  Not for a query with relations to
        load (``with_related()``): those need every row at once."""
        if self._related_loads:
            raise ValueError('iterator() reads rows one at a time, but with_related() loads '
                             'relations for all the rows at once: iterate the query itself')
        return super().iterator(database)  # type: ignore[misc]

    def _compound(self, operation: str, other: Any) -> 'ModelCompoundSelectQuery':
        return ModelCompoundSelectQuery(self.model, self, operation, other)

    def union_all(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return self._compound('UNION ALL', rhs)

    def union(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return self._compound('UNION', rhs)

    def intersect(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return self._compound('INTERSECT', rhs)

    def except_(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return self._compound('EXCEPT', rhs)

    __add__ = union_all
    __or__ = union
    __and__ = intersect
    __sub__ = except_

    def __iter__(self) -> Iterator:
        if self._cursor_wrapper is None:
            self.execute()
        return iter(self._cursor_wrapper)

    def prefetch(self, *subqueries: Any, **kwargs: Any) -> list:
        return _prefetch(self, *subqueries, **kwargs)

    @database_required
    def get(self, database: Any) -> Any:
        """The first row (the query limited to one row); ``DoesNotExist`` when there is none."""
        single = self.paginate(1, 1)
        try:
            rows = single.execute(database)
        except UnconvertibleValue as exc:     # such a value is in no row
            raise results.unmatchable(model_of(self.model), exc) from exc
        for row in rows:
            return row
        raise _no_row_error(single)

    def get_or_none(self, database: Any = None) -> Any:
        """Like ``get()``, but ``None`` when no row matches."""
        try:
            return self.get(database)
        except model_of(self.model).DoesNotExist:
            return None


class ModelCompoundSelectQuery(BaseModelSelect, CompoundSelectQuery):
    """``q1 | q2`` and friends over model queries: rows are built as the left query's."""

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(*args, **kwargs)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return self.lhs._get_model_cursor_wrapper(cursor)

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return self._rows_as(self._row_type or self.lhs._row_type or self.default_row_type,
                             cursor)


# -- joins between models -------------------------------------------------------------------------
def _model_behind(source: Any) -> tuple[Any, bool]:
    """(model, whether ``source`` exposes the model's fields by name) for a join end: a
    model or alias exposes fields; a model's table or a model query exposes columns."""
    if is_model(source):
        return source, True
    if isinstance(source, ModelAliasBase):
        return source.model, True
    if isinstance(source, Table):
        return source._model, False
    return model_of(getattr(source, 'model', None)), False


def _fields_in(node: Any) -> set:
    """The model fields an expression mentions (through aliases to the fields themselves)."""
    if isinstance(node, Expression):
        return _fields_in(node.lhs) | _fields_in(node.rhs)
    if isinstance(node, FieldAlias):
        return {node.field}
    return {node} if isinstance(node, Field) else set()


class _JoinPlanner:
    """Works out what ``ModelSelect.join()`` was not told: the ON condition (from the
    foreign key between the two models), the attribute the joined object is put on, and
    what builds it (the model, or ``dict`` for a plain table)."""

    def __init__(self, src: Any, dest: Any, on: Any, attr: str | None) -> None:
        self.src, self.dest = src, dest
        self.on, self.attr = on, attr
        self.named_by_alias = isinstance(on, Alias)
        if self.named_by_alias:
            self.attr = attr or on._alias
            self.on = on.alias()              # the bare condition

    def plan(self) -> tuple[Any, Any, Any]:
        if self.on is None and getattr(self.dest, '_lateral', None):
            self.on = True      # a lateral subquery relates itself to the outer row
        src_model, src_fields = _model_behind(self.src)
        dest_model, dest_fields = _model_behind(self.dest)
        if src_model is None or dest_model is None:
            return self._plan_without_models(dest_model)
        hint = self._key_hint(src_model, dest_model, src_fields and dest_fields)
        key, reverse = self._choose_key(src_model, dest_model, hint)
        if self.on is None:
            self.on = self._condition(key, reverse, src_fields, dest_fields)
        if not self.attr:
            self.attr = key.name if key is not None and not reverse else dest_model._meta.name
        elif self.named_by_alias and key is not None and not reverse and \
                self.attr == key.object_id_name:
            raise ValueError('join(..., on=...alias(%r)): %r already holds the value of '
                             'foreign key %s; choose another name for the joined object'
                             % (self.attr, self.attr, key.name))
        return self.on, self.attr, dest_model

    def _plan_without_models(self, dest_model: Any) -> tuple[Any, Any, Any]:
        if self.on is None and dest_model is None and not isinstance(self.dest, Join):
            raise ValueError('cannot join %r to %r without a condition: nothing relates them, '
                             'so pass on=' % (self.src, self.dest))
        if dest_model is not None and (is_model(self.dest) or
                                       isinstance(self.dest, ModelAliasBase)):
            # a model joined from a table or CTE: its instance, under the model's name
            return self.on, self.attr or dest_model._meta.name, dest_model
        # a source without a name (an unaliased VALUES list...) hangs nowhere: its
        # columns land on the row's main object
        attr = self.attr or getattr(self.dest, '_alias', None) or \
            getattr(self.dest, '_name', None)
        return self.on, attr, dict

    def _key_hint(self, src_model: Any, dest_model: Any, both_models: bool) -> Any:
        """A field that says which foreign key to use: ``on=Field``, or (for a join
        involving a subquery or table) ``on=<column of one end>``."""
        on = self.on
        if isinstance(on, Field):
            self.on = None
            return on
        if both_models or not isinstance(on, Column):
            return None
        for end, model in ((self.src, src_model), (self.dest, dest_model)):
            if on.source is end:
                self.on = None
                return model._meta.columns[on.name]
        raise AttributeError('join(on=%r): that column belongs to neither %r nor %r'
                             % (on, self.src, self.dest))

    def _choose_key(self, src_model: Any, dest_model: Any, hint: Any) -> tuple[Any, bool]:
        reverse = False
        keys = list(src_model._meta.model_refs[dest_model])
        if not keys:
            keys, reverse = list(dest_model._meta.model_refs[src_model]), True
        if not keys:
            if self.on is not None:
                return None, False
            raise ValueError('%s and %s are not related by a foreign key; join them with '
                             'an explicit on=' % (src_model.__name__, dest_model.__name__))
        if hint is not None:
            wanted = hint.field if isinstance(hint, FieldAlias) else hint
            keys = [k for k in keys if k is wanted or (reverse and k.rel_field is hint)]
        if len(keys) == 1:
            return keys[0], reverse
        if self.on is None and not reverse:
            # several keys and nothing said: the one named after the joined model
            named = [k for k in keys if k.name == dest_model._meta.name]
            if len(named) == 1:
                return named[0], reverse
        if self.on is None:
            raise ValueError('%s and %s are related by more than one foreign key (%s); say '
                             'which with on=' % (src_model.__name__, dest_model.__name__,
                                                 ', '.join(k.name for k in keys)))
        mentioned = _fields_in(self.on)
        return next((k for k in keys if k in mentioned), keys[0] if keys else None), reverse

    def _condition(self, key: Any, reverse: bool, src_fields: bool, dest_fields: bool) -> Any:
        def column(end: Any, by_field: bool, field: Any) -> Any:
            return getattr(end, field.name if by_field else field.column_name)
        if reverse:   # dest holds the foreign key, src is referenced
            return column(self.dest, dest_fields, key) == \
                column(self.src, src_fields, key.rel_field)
        return column(self.src, src_fields, key) == column(self.dest, dest_fields, key.rel_field)


# -- SELECT ----------------------------------------------------------------------------------------
class ModelSelect(BaseModelSelect, Select, Generic[_M]):
    """``Model.select(...)``: rows are model instances by default; joined models are put on
    the row's instance (``tweet.user``), and ``filter()`` takes Django-style lookups."""

    def __init__(self, model: Any, fields_or_models: Iterable, is_default: bool = False
                 ) -> None:
        self.model = model
        self._join_ctx = model
        self._joins: dict = {}
        self._is_default = is_default
        super().__init__([model], _expand_selection(fields_or_models))
        self._database = model_of(model)._meta.database

    if TYPE_CHECKING:
        # What a type checker sees of the chain: every builder returns the same query of
        # the same rows; dicts()/tuples()/namedtuples()/objects() change what a row is.
        def __iter__(self) -> Iterator[_M]: ...
        def get(self, database: Any = None) -> _M: ...
        def get_or_none(self, database: Any = None) -> _M | None: ...
        def first(self, database: Any = None, n: int = 1) -> _M | None: ...
        def peek(self, database: Any = None, n: int = 1) -> _M | None: ...
        def execute(self, database: Any = None) -> Any: ...
        def where(self, *expressions: Any) -> Self: ...
        def orwhere(self, *expressions: Any) -> Self: ...
        def order_by(self, *values: Any) -> Self: ...
        def order_by_extend(self, *values: Any) -> Self: ...
        def limit(self, value: int | None = None) -> Self: ...
        def offset(self, value: int | None = None) -> Self: ...
        def paginate(self, page: int, paginate_by: int = 20) -> Self: ...
        def group_by(self, *columns: Any) -> Self: ...
        def group_by_extend(self, *values: Any) -> Self: ...
        def having(self, *expressions: Any) -> Self: ...
        def distinct(self, *columns: Any) -> Self: ...
        def window(self, *windows: Any) -> Self: ...
        def with_cte(self, *cte_list: Any) -> Self: ...
        def for_update(self, for_update: Any = True, of: Any = None,
                       nowait: bool | None = None, skip_locked: bool | None = None
                       ) -> Self: ...
        def from_(self, *sources: Any) -> Self: ...
        def bind(self, database: Any = None) -> Self: ...
        def dicts(self, as_dict: bool = True) -> ModelSelect[dict[str, Any]]: ...
        def tuples(self, as_tuple: bool = True) -> ModelSelect[tuple[Any, ...]]: ...
        def namedtuples(self, as_namedtuple: bool = True) -> ModelSelect[Any]: ...
        def objects(self, constructor: Any = None) -> ModelSelect[Any]: ...

    # -- the select list --------------------------------------------------------------------
    def select(self, *fields_or_models: Any) -> Self:
        """A copy selecting ``fields_or_models``; with nothing given, a query that still
        selects its model's default columns is returned as it is."""
        if not fields_or_models and self._is_default:
            return self
        chosen: Any = super().select(*_expand_selection(fields_or_models))
        chosen._is_default = False
        return chosen

    columns = select

    def select_extend(self, *columns: Any) -> Self:
        extended: Any = super().select_extend(*_expand_selection(columns))
        extended._is_default = False
        return extended

    @property
    def selected_columns(self) -> Any:
        """The select list; assigning replaces it in place."""
        return self._returning

    @selected_columns.setter
    def selected_columns(self, value: Iterable) -> None:
        self._is_default = False
        self._returning = _expand_selection(value)
        self._cursor_wrapper = None

    def _selection(self, in_expression: bool) -> tuple:
        # ``Tweet.user.in_(User.select())``: the default select list, used as an operand,
        # stands for the primary key alone so that the subquery has one column
        if in_expression and self._is_default and self._returning and \
                len(self._returning) > 1:
            meta = model_of(self.model)._meta
            if meta.primary_key and not meta.composite_key:
                return (getattr(self.model, meta.primary_key.name),)
        return super()._selection(in_expression)

    # -- joins ---------------------------------------------------------------------------------
    @mutator
    def switch(self, ctx: Any = None) -> None:
        """Make the next join() start from ``ctx`` (the query's model by default)."""
        self._join_ctx = self.model if ctx is None else ctx

    @mutator
    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None, src: Any = None,
             attr: str | None = None) -> None:
        origin = self._join_ctx if src is None else src
        if join_type == JOIN.CROSS:
            if on is not None:
                raise ValueError('a CROSS JOIN has no condition; drop on=')
        else:
            if join_type not in (JOIN.LATERAL, JOIN.LEFT_LATERAL):
                on, attr, builds = _JoinPlanner(origin, dest, on, attr).plan()
                if attr:
                    # new containers: copies of this query share the old ones
                    edges = self._joins.get(origin, ()) + ((dest, attr, builds, join_type),)
                    self._joins = {**self._joins, origin: edges}
            self._join_ctx = dest
        sources = self._from_list
        self._from_list = sources[:-1] + [Join(sources[-1], dest, join_type, on)]

    def left_outer_join(self, dest: Any, on: Any = None, src: Any = None,  # type: ignore[override]
                        attr: str | None = None) -> ModelSelect[_M]:
        return self.join(dest, JOIN.LEFT_OUTER, on, src, attr)

    def join_from(self, src: Any, dest: Any, join_type: str = JOIN.INNER, on: Any = None,
                  attr: str | None = None) -> ModelSelect[_M]:
        return self.join(dest, join_type, on, src, attr)

    def ensure_join(self, lm: Any, rm: Any, on: Any = None, **join_kwargs: Any
                    ) -> ModelSelect[_M]:
        """This query joined from ``lm`` to ``rm``, unless it already is."""
        if any(edge[0] is rm for edge in self._joins.get(lm, ())):
            return self
        resume = self._join_ctx
        return self.switch(lm).join(rm, on=on, **join_kwargs).switch(resume)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        if self._joins or len(self._from_list) > 1:
            return results.ModelCursorWrapper(cursor, self.model, self._returning,
                                              self._from_list, self._joins)
        return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                self.model)

    # -- filter() ---------------------------------------------------------------------------
    def _hop(self, source: Any, step: str, lookup: str) -> tuple[Any, Any]:
        """Follow one step of a lookup path from ``source``: (the next source, the relation
        to join for it, or None when the query already joins it)."""
        for dest, attr, _, _ in self._joins.get(source, ()):
            if attr == step or (isinstance(dest, ModelAliasBase) and dest.alias == step):
                return dest, None
        backref = getattr(model_of(source), step, None)
        if isinstance(backref, BackrefAccessor):
            return backref.rel_model, backref
        field = _field_named(source, step, lookup)
        if isinstance(field, ForeignKeyField):
            return field.rel_model, field
        last = lookup.rsplit('__', 1)[-1]
        raise AttributeError('filter(%s=...): %r is not a lookup (the lookups: %s), and %r is '
                             'a field of %s, not a relation to follow'
                             % (lookup, last, ', '.join(sorted(DJANGO_MAP)), step,
                                model_of(source).__name__))

    def convert_dict_to_node(self, qdict: dict) -> tuple[list, list]:
        """Lookups (``{'user__name__startswith': 'a'}``) as (expressions, relations to
        join): each relation is a foreign key or backref to join from its ``model`` to its
        ``rel_model``."""
        expressions: list = []
        relations: list = []
        for key in sorted(qdict):
            value = qdict[key]
            path, lookup = _split_lookup(key, value)
            source = self.model
            for step in path[:-1]:
                source, relation = self._hop(source, step, key)
                if relation is not None:
                    relations.append(relation)
            expressions.append(lookup(_field_named(source, path[-1], key), value))
        return expressions, relations

    def _resolve_filter(self, query: 'ModelSelect', node: Any) -> tuple[Any, list]:
        """A filter() argument (DQ, or expressions combining DQs) as an expression and the
        relations it needs joined."""
        if isinstance(node, DQ):
            parts, relations = query.convert_dict_to_node(node.query)
            combined = functools.reduce(operator.and_, parts)
            return (~combined if node._negated else combined), relations
        if isinstance(node, Negated) and _has_dq(node.node):
            inner, relations = self._resolve_filter(query, node.node)
            return Negated(inner), relations
        if isinstance(node, Expression) and _has_dq(node):
            lhs, left = self._resolve_filter(query, node.lhs)
            rhs, right = self._resolve_filter(query, node.rhs)
            return Expression(lhs, node.op, rhs), left + right
        if isinstance(node, Node):
            return node, []
        raise TypeError('filter() takes DQ objects, expressions and keyword lookups; got %r'
                        % (node,))

    def filter(self, *args: Any, **kwargs: Any) -> ModelSelect[_M]:
        """Django-style filters: ``filter(name='x', age__gte=3, user__name='y')``, ``DQ``."""
        conditions = list(args)
        if kwargs:
            conditions.append(DQ(**kwargs))
        query: ModelSelect[_M] = self.clone()
        for condition in conditions:
            expression, relations = self._resolve_filter(query, condition)
            for relation in relations:
                query = query.ensure_join(relation.model, relation.rel_model)
            query = query.where(expression)
        return query

    def create_table(self, name: str, safe: bool = True, **meta: Any) -> Any:
        """``CREATE TABLE name AS`` this query."""
        return model_of(self.model)._schema.create_table_as(name, self, safe, **meta)


class NoopModelSelect(ModelSelect):
    """A query that returns no rows without asking the database."""

    def __sql__(self, ctx: Context) -> Context:
        noop = getattr(ctx.dialect, 'noop_select', None)
        return ctx.sql(noop() if noop is not None else SQL('SELECT 0 WHERE 0 = 1'))

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return results.CursorWrapper(cursor)


# -- writes ---------------------------------------------------------------------------------------
class _ModelWrite(_ModelRows, _WriteBase):
    """INSERT / UPDATE / DELETE on a model's table."""

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(model, *args, **kwargs)
        self._database = model._meta.database

    def returning(self, *returning: Any) -> Any:
        return super().returning(*_expand_selection(returning))


class ModelUpdate(_ModelWrite, Update):
    pass


class ModelDelete(_ModelWrite, Delete):
    pass


class ModelInsert(_ModelWrite, Insert):
    # rows of an explicit returning(...) are model instances, as peewee documents (the keys
    # PostgreSQL returns on its own come back as tuples: see Insert._execute)
    default_row_type = ROW.MODEL

    def _default_columns(self) -> list:
        meta = self.model._meta
        return [f for f in meta.sorted_fields if not (f.primary_key and meta.auto_increment)]

    def _get_primary_key(self) -> Any:
        meta = self.model._meta
        if meta.composite_key or not meta.primary_key:
            return None
        return meta.primary_key

    # On an engine whose INSERT hands the new keys back with RETURNING (PostgreSQL), a
    # model's insert asks for its key unless told otherwise (returning(...)), and its SQL
    # says so wherever it is rendered.
    def _returned_keys(self) -> tuple | None:
        meta = self.model._meta
        if meta.composite_key:
            return tuple(meta.fields[name] for name in meta.primary_key.field_names)
        return None if not meta.primary_key else (meta.primary_key,)

    def _implicit_key(self, database: Any) -> tuple | None:
        """The key fields this insert returns without being asked, on ``database``."""
        dialect = getattr(database, 'dialect', None)
        if self._returning is not None or self._as_rowcount or dialect is None or \
                not (dialect.returning_clause and dialect.insert_returns_pk):
            return None
        return self._returned_keys()

    def _with_key_returned(self, keys: tuple) -> 'ModelInsert':
        keyed = self.clone()
        keyed._returning = keys
        keyed._return_cursor = True
        keyed._row_type = ROW.TUPLE
        return keyed

    def _execute(self, database: Any) -> Any:
        key = self._implicit_key(database)
        if key is None or self._no_rows():
            return super()._execute(database)
        keyed = self._with_key_returned(key)
        try:
            rows = keyed._run_for_rows(database)
        except NoRowsToInsert:
            return None                   # insert_many([]): nothing runs (as in peewee)
        # the keys are this query's result: iterating it gives them without running again
        self._cursor_wrapper = rows
        self._query_type = keyed._query_type
        if self._query_type == Insert.SIMPLE:
            return key_of_returned_row(rows[0] if len(rows) else None, key)
        return rows

    def _with_defaults(self, data: dict) -> dict:
        """``data`` plus the default of every field it leaves out."""
        missing = [f for f in self.model._meta.defaults if f not in data]
        if not missing:
            return data
        filled = dict(data)
        for field in missing:
            filled[field] = field.get_default()
        return filled

    def _missing_value(self, field: Any, n: int) -> Any:
        """The value of ``field`` for row ``n`` of an insert_many() that does not give it."""
        if field in self.model._meta.defaults:
            return field.get_default()
        if getattr(field, 'null', False):
            return None
        raise ValueError('row %d of insert_many() leaves out %s, which can be neither NULL '
                         'nor defaulted' % (n, field.name))

    def _prepare_rows(self) -> tuple:
        source = self._insert
        if isinstance(source, dict):
            self._query_type = Insert.SIMPLE
            data = self._with_defaults(source)
            return (list(data), [list(data.values())]) if data else ([], [])
        if source is None or isinstance(source, SelectQuery):
            return super()._prepare_rows()
        if isinstance(source, Node):
            # the rows of hand-written SQL: INSERT INTO ... (columns) SELECT ...
            self._query_type = Insert.QUERY
            named = self._columns or self._default_columns()
            return [getattr(self.model, c) if isinstance(c, str) else c for c in named], source
        rows = list(source)
        if not rows:
            raise NoRowsToInsert('insert_many() was given no rows')
        self._query_type = Insert.MULTI
        if isinstance(rows[0], ModelCore):
            raise TypeError('insert_many() takes dicts or tuples of values; model instances '
                            'go through bulk_create()')
        if any(isinstance(row, dict) for row in rows):
            return self._rows_from_dicts(rows)
        return self._rows_from_tuples(rows)

    def _rows_from_dicts(self, rows: list) -> tuple:
        model = self.model
        # rows of values among the dicts give the fields named by fields= (else the
        # model's insertable fields), in order, as peewee reads them
        named = [getattr(model, f) if isinstance(f, str) else f
                 for f in (self._columns or self._default_columns())]
        given = [model._normalize_data(row if isinstance(row, dict) else
                                       dict(zip(named, row)), {}) for row in rows]
        order: dict = {}
        for row in given:
            for field in row:
                order.setdefault(field, None)
        for field in model._meta.defaults:
            order.setdefault(field, None)
        columns = list(order)
        values = [[row[f] if f in row else self._missing_value(f, n) for f in columns]
                  for n, row in enumerate(given)]
        return columns, values

    def _rows_from_tuples(self, rows: list) -> tuple:
        """Tuples give the values of the fields named (every field but an automatic key,
        by default) and then, optionally, of the defaulted fields that follow them."""
        model = self.model
        named = [getattr(model, f) if isinstance(f, str) else f
                 for f in (self._columns or self._default_columns())]
        chosen = {id(f) for f in named}      # by identity: == on a field builds SQL
        defaults = model._meta.defaults
        columns = named + [f for f in defaults if id(f) not in chosen]
        width = len(columns)
        values = []
        for n, row in enumerate(rows):
            row = tuple(row)
            lacking = [f.name for f in named[len(row):] if f not in defaults]
            if len(row) > width or lacking:
                hint = '; %s has no default' % ', '.join(lacking) if lacking else ''
                raise ValueError('row %d of insert_many() has %d values for %d fields%s'
                                 % (n, len(row), len(named), hint))
            values.append(row + tuple(self._missing_value(f, n) for f in columns[len(row):]))
        return columns, values


class ModelRaw(_ModelRows, RawQuery):
    """``Model.raw(sql, *params)``: hand-written SQL whose rows become model instances."""

    def __init__(self, model: Any, sql: str, params: Iterable, **kwargs: Any) -> None:
        self.model = model
        self._returning = ()
        super().__init__(sql=sql, params=params, **kwargs)
        self._database = model._meta.database

    def get(self) -> Any:
        for row in self.execute():
            return row
        raise self.model.DoesNotExist('No %s row is returned by the raw query.\nSQL: %s\n'
                                      'Params: %s' % (self.model.__name__, self._sql,
                                                      self._params))

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return results.ModelObjectCursorWrapper(cursor, self.model, None, self.model)

