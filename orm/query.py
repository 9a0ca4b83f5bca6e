"""Model-aware queries: ModelSelect (joins rebuilt into object graphs), writes, raw SQL."""
from __future__ import annotations

import functools
import operator
from typing import Any, Iterable

from .fields import Field, FieldAlias
from .model import DJANGO_MAP, DQ, Model, ModelAlias, is_model
from .relations import BackrefAccessor, ForeignKeyField
from .sql.context import Context
from .sql.nodes import (Alias, Column, ColumnBase, Expression, Negated, Node, SQL,
                        mutator)
from .sql.queries import (ROW, CompoundSelectQuery, Delete, Insert, NoRowsToInsert, RawQuery,
                          Select, SelectQuery, Update, chunked, database_required)
from .sql.sources import JOIN, Join, Table
from . import results

__all__ = ['ModelSelect', 'ModelCompoundSelectQuery', 'ModelUpdate', 'ModelInsert',
           'ModelDelete', 'ModelRaw', 'NoopModelSelect', 'BaseModelSelect',
           'ManyToManyModelSelect', 'ManyToManyQuery', 'get_by_id', 'bulk_create',
           'bulk_update']


def _model_of(source: Any) -> Any:
    if isinstance(source, ModelAlias):
        return source.model
    return source


class _ModelQueryHelper:
    """Row-type handling shared by every model query."""

    default_row_type = ROW.MODEL

    @mutator
    def objects(self, constructor: Any = None) -> None:
        """Rows as one flat object each: the model (or ``constructor(**row)``), with
        every selected column, joined ones included, set as a plain attribute."""
        self._row_type = ROW.CONSTRUCTOR
        self._constructor = _model_of(self.model) if constructor is None else constructor

    def _model_cursor_wrapper(self, cursor: Any, row_type: Any = None) -> Any:
        row_type = row_type or self._row_type or self.default_row_type
        if row_type == ROW.MODEL:
            return self._get_model_cursor_wrapper(cursor)
        if row_type == ROW.DICT:
            return results.ModelDictCursorWrapper(cursor, self.model, self._returning)
        if row_type == ROW.TUPLE:
            return results.ModelTupleCursorWrapper(cursor, self.model, self._returning)
        if row_type == ROW.NAMEDTUPLE:
            return results.ModelNamedTupleCursorWrapper(cursor, self.model, self._returning)
        if row_type == ROW.CONSTRUCTOR:
            return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                    self._constructor)
        raise ValueError('unrecognised row type %r' % (row_type,))

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return self._model_cursor_wrapper(cursor)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                self.model)


class BaseModelSelect(_ModelQueryHelper):
    """Methods shared by ModelSelect and compound model selects."""

    def union_all(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return ModelCompoundSelectQuery(self.model, self, 'UNION ALL', rhs)

    __add__ = union_all

    def union(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return ModelCompoundSelectQuery(self.model, self, 'UNION', rhs)

    __or__ = union

    def intersect(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return ModelCompoundSelectQuery(self.model, self, 'INTERSECT', rhs)

    __and__ = intersect

    def except_(self, rhs: Any) -> 'ModelCompoundSelectQuery':
        return ModelCompoundSelectQuery(self.model, self, 'EXCEPT', rhs)

    __sub__ = except_

    def __iter__(self) -> Any:
        if self._cursor_wrapper is None:
            self.execute()
        return iter(self._cursor_wrapper)

    def prefetch(self, *subqueries: Any, **kwargs: Any) -> list:
        from .prefetch import prefetch
        return prefetch(self, *subqueries, **kwargs)

    @database_required
    def get(self, database: Any) -> Any:
        clone = self.paginate(1, 1)
        clone._cursor_wrapper = None
        try:
            return clone.execute(database)[0]
        except IndexError:
            sql, params = clone.sql()
            raise self.model.DoesNotExist('%s instance matching query does not exist:\n'
                                          'SQL: %s\nParams: %s' %
                                          (clone.model.__name__, sql, params)) from None

    def get_or_none(self, database: Any = None) -> Any:
        """Like ``get()``, but ``None`` when no row matches."""
        try:
            return self.get(database)
        except self.model.DoesNotExist:
            return None

    def _resolve_database(self) -> Any:
        return self._database


class ModelCompoundSelectQuery(BaseModelSelect, CompoundSelectQuery):
    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(*args, **kwargs)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return self.lhs._get_model_cursor_wrapper(cursor)

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return self._model_cursor_wrapper(cursor, self._row_type or self.lhs._row_type)


def _normalize_selection(fields: Iterable) -> tuple:
    """Expand models and aliases in a selection into their fields."""
    selected = []
    for item in fields:
        if is_model(item):
            selected.extend(item._meta.sorted_fields)
        elif isinstance(item, ModelAlias):
            selected.extend(item.get_field_aliases())
        elif isinstance(item, Table) and item._columns:
            selected.extend(Column(item, c) for c in item._columns)
        else:
            if not isinstance(item, Node) and not hasattr(item, '__sql__'):
                raise TypeError('select() takes fields, models or expressions, got %r'
                                % (item,))
            selected.append(item)
    return tuple(selected)


class ModelSelect(BaseModelSelect, Select):
    """``Model.select(...)``: joins, filters, and rows as model instances by default."""

    def __init__(self, model: Any, fields_or_models: Iterable, is_default: bool = False
                 ) -> None:
        self.model = self._join_ctx = model
        self._joins: dict = {}
        self._is_default = is_default
        fields = _normalize_selection(fields_or_models)
        super().__init__([model], fields)
        self._database = _model_of(model)._meta.database

    #: relations to load for the rows, one query each (see with_related())
    _related_loads: tuple = ()

    def clone(self) -> 'ModelSelect':
        clone = super().clone()
        if clone._joins:
            clone._joins = {k: list(v) for k, v in clone._joins.items()}
        return clone

    def with_related(self, *loads: Any) -> 'ModelSelect':
        """A copy of this query that also loads the relations ``loads`` (:class:`Load`)
        for the rows it returns: one more query per relation, not one per row.  The
        result is read whole when first used."""
        from .loading import check_loads
        clone = self.clone()
        clone._related_loads = self._related_loads + check_loads(self, loads)
        return clone

    def _execute(self, database: Any) -> Any:
        fresh = self._cursor_wrapper is None
        wrapper = super()._execute(database)
        if fresh and self._related_loads:
            from .loading import load_related
            wrapper.fill_cache()
            rows = [row for row in wrapper.row_cache if hasattr(row, '__data__')]
            load_related(rows, self._related_loads, database)
        return wrapper

    def select(self, *fields_or_models: Any) -> 'ModelSelect':
        if fields_or_models or not self._is_default:
            self._is_default = False
            fields = _normalize_selection(fields_or_models)
            return super().select(*fields)
        return self

    columns = select

    def select_extend(self, *columns: Any) -> 'ModelSelect':
        self._is_default = False
        return super().select_extend(*_normalize_selection(columns))

    @property
    def selected_columns(self) -> tuple:
        """The select list (fields and expressions); assigning replaces it in place."""
        return self._returning

    @selected_columns.setter
    def selected_columns(self, value: Iterable) -> None:
        self._is_default = False
        self._returning = _normalize_selection(value)
        self._cursor_wrapper = None

    @mutator
    def switch(self, ctx: Any = None) -> None:
        self._join_ctx = self.model if ctx is None else ctx

    def _get_model(self, src: Any) -> Any:
        if is_model(src):
            return src, True
        if isinstance(src, ModelAlias):
            return src.model, True
        if isinstance(src, Table) and src._model:
            return src._model, False
        if hasattr(src, 'model'):
            return src.model, False
        return None, False

    def _normalize_join(self, src: Any, dest: Any, on: Any, attr: str | None) -> tuple:
        """Work out the ON expression, the attribute and the constructor of a join."""
        on_alias = isinstance(on, Alias)
        if on_alias:
            attr = attr or on._alias
            on = on.alias()

        src_model, src_is_model = self._get_model(src)
        dest_model, dest_is_model = self._get_model(dest)
        if src_model and dest_model:
            self._join_ctx = dest
            constructor = dest_model

            if not (src_is_model and dest_is_model) and isinstance(on, Column):
                if on.source is src:
                    to_field = src_model._meta.columns[on.name]
                elif on.source is dest:
                    to_field = dest_model._meta.columns[on.name]
                else:
                    raise AttributeError('"on" clause Column %s does not belong to %s or %s'
                                         % (on, src_model, dest_model))
                on = None
            elif isinstance(on, Field):
                to_field = on
                on = None
            else:
                to_field = None

            fk_fields, is_backref = self._generate_on_clause(src_model, dest_model, to_field,
                                                             on)
            if on is None:
                src_attr = 'name' if src_is_model else 'column_name'
                dest_attr = 'name' if dest_is_model else 'column_name'
                if is_backref:
                    lhs = getattr(dest, getattr(fk_fields[0], dest_attr))
                    rhs = getattr(src, getattr(fk_fields[0].rel_field, src_attr))
                else:
                    lhs = getattr(src, getattr(fk_fields[0], src_attr))
                    rhs = getattr(dest, getattr(fk_fields[0].rel_field, dest_attr))
                on = (lhs == rhs)

            if not attr:
                if fk_fields and not is_backref:
                    attr = fk_fields[0].name
                else:
                    attr = dest_model._meta.name
            elif on_alias and fk_fields and attr == fk_fields[0].object_id_name and \
                    not is_backref:
                raise ValueError('Cannot assign join alias to "%s", as this attribute is '
                                 'the column holding the foreign key.' % attr)
        elif on is None and not isinstance(dest, (Join,)) and dest_model is None:
            raise ValueError('no foreign key between %r and %r; pass on=' % (src, dest))
        else:
            if not attr:
                attr = getattr(dest, '_alias', None) or getattr(dest, '_name', None) or \
                    'rel'
            constructor = dict
        return (on, attr, constructor)

    def _generate_on_clause(self, src: type, dest: type, to_field: Any = None,
                            on: Any = None) -> tuple:
        meta = src._meta
        is_backref = fk_fields = False
        if dest in meta.model_refs:
            fk_fields = meta.model_refs[dest]
        elif dest in meta.model_backrefs:
            fk_fields = meta.model_backrefs[dest]
            is_backref = True

        if not fk_fields:
            if on is not None:
                return None, False
            raise ValueError('Unable to find foreign key between %s and %s. Please specify '
                             'an explicit join condition.' % (src.__name__, dest.__name__))
        elif to_field is not None:
            target = (to_field.field if isinstance(to_field, FieldAlias) else to_field)
            fk_fields = [f for f in fk_fields if (
                (f is target) or (is_backref and f.rel_field is to_field))]
        if len(fk_fields) == 1:
            return fk_fields, is_backref
        if on is None:
            # several foreign keys and no hint: ambiguous
            raise ValueError('More than one foreign key between %s and %s. Please specify '
                             'which you are joining on.' % (src.__name__, dest.__name__))
        # the caller gave an ON expression: use the foreign key it names, if any
        def fields_of(node: Any) -> list:
            if isinstance(node, Expression):
                return fields_of(node.lhs) + fields_of(node.rhs)
            if isinstance(node, Field):
                return [node.field if isinstance(node, FieldAlias) else node]
            return []
        named = set(fields_of(on))
        matches = [f for f in fk_fields if f in named]
        return (matches[:1] or fk_fields[:1]), is_backref

    @mutator
    def join(self, dest: Any, join_type: str = JOIN.INNER, on: Any = None, src: Any = None,
             attr: str | None = None) -> None:
        src = self._join_ctx if src is None else src
        if join_type in (JOIN.LATERAL, JOIN.LEFT_LATERAL):
            pass    # columns selected from a lateral subquery land on the row's model
        elif join_type != JOIN.CROSS:
            on, attr, constructor = self._normalize_join(src, dest, on, attr)
            if attr:
                self._joins.setdefault(src, [])
                self._joins[src].append((dest, attr, constructor, join_type))
        elif on is not None:
            raise ValueError('CROSS joins take no "on" clause')
        if join_type != JOIN.CROSS:
            self._join_ctx = dest
        item = self._from_list.pop()
        self._from_list.append(Join(item, dest, join_type, on))

    def left_outer_join(self, dest: Any, on: Any = None, src: Any = None,
                        attr: str | None = None) -> 'ModelSelect':
        return self.join(dest, JOIN.LEFT_OUTER, on, src, attr)

    def join_from(self, src: Any, dest: Any, join_type: str = JOIN.INNER, on: Any = None,
                  attr: str | None = None) -> 'ModelSelect':
        return self.join(dest, join_type, on, src, attr)

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        if len(self._from_list) == 1 and not self._joins:
            return results.ModelObjectCursorWrapper(cursor, self.model, self._returning,
                                                    self.model)
        return results.ModelCursorWrapper(cursor, self.model, self._returning,
                                          self._from_list, self._joins)

    def ensure_join(self, lm: Any, rm: Any, on: Any = None, **join_kwargs: Any
                    ) -> 'ModelSelect':
        join_ctx = self._join_ctx
        for dest, _, constructor, _ in self._joins.get(lm, []):
            if dest == rm:
                return self
        return self.switch(lm).join(rm, on=on, **join_kwargs).switch(join_ctx)

    def convert_dict_to_node(self, qdict: dict) -> tuple:
        accum = []
        joins = []
        fks = (ForeignKeyField,)
        for key, value in sorted(qdict.items()):
            curr = self.model
            if '__' in key and key.rsplit('__', 1)[1] in DJANGO_MAP:
                key, op = key.rsplit('__', 1)
                op = DJANGO_MAP[op]
            elif value is None:
                op = DJANGO_MAP['is']
            else:
                op = DJANGO_MAP['eq']
            if '__' not in key:
                # a simple lookup on the model itself
                model_attr = _lookup_field(curr, key)
            else:
                pieces = key.split('__')
                for n, piece in enumerate(pieces):
                    last = n == len(pieces) - 1
                    for dest, attr, _, _ in self._joins.get(curr, ()):
                        try:
                            model_attr = getattr(curr, piece, None)
                        except Exception:
                            model_attr = None
                        if attr == piece or (isinstance(dest, ModelAlias) and
                                             dest.alias == piece):
                            curr = dest
                            break
                    else:
                        backref = getattr(_model_of(curr), piece, None)
                        if not last and isinstance(backref, BackrefAccessor):
                            # user__tweets__content: join to the rows that refer to curr
                            curr = backref.rel_model
                            joins.append(backref)
                            continue
                        model_attr = _lookup_field(curr, piece)
                        if not last and isinstance(model_attr, fks):
                            curr = model_attr.rel_model
                            joins.append(model_attr)
                accum.append(op(model_attr, value))
                continue
            accum.append(op(model_attr, value))
        return accum, joins

    def filter(self, *args: Any, **kwargs: Any) -> 'ModelSelect':
        """Django-style filters: ``filter(name='x', age__gte=3, user__name='y')``, ``DQ``."""
        if kwargs:
            dq = DQ(**kwargs)
            args = args + (dq,)
        if not args:
            return self
        query = self.clone()
        for arg in args:
            node, joins = self._dq_to_node(query, arg)
            for fk in joins:
                query = query.ensure_join(fk.model, fk.rel_model)
            query = query.where(node)
        return query

    def _dq_to_node(self, query: 'ModelSelect', node: Any) -> tuple:
        if isinstance(node, DQ):
            exprs, joins = query.convert_dict_to_node(node.query)
            expr = functools.reduce(operator.and_, exprs)
            if node._negated:
                expr = ~expr
            return expr, joins
        if isinstance(node, Expression) and (_contains_dq(node.lhs) or
                                             _contains_dq(node.rhs)):
            lhs, lj = self._dq_to_node(query, node.lhs)
            rhs, rj = self._dq_to_node(query, node.rhs)
            return Expression(lhs, node.op, rhs), lj + rj
        if isinstance(node, Negated) and _contains_dq(node.node):
            inner, joins = self._dq_to_node(query, node.node)
            return Negated(inner), joins
        if isinstance(node, Node):
            return node, []
        raise TypeError('filter() takes DQ objects, expressions or keyword lookups, got %r'
                        % (node,))

    def create_table(self, name: str, safe: bool = True, **meta: Any) -> Any:
        return self.model._schema.create_table_as(name, self, safe, **meta)

    def _selection(self, in_expression: bool) -> tuple:
        # ``Tweet.user.in_(User.select())``: a default selection used as an operand
        # stands for the primary key, so the subquery returns one column.
        if in_expression and self._is_default and self._returning and \
                len(self._returning) > 1:
            meta = _model_of(self.model)._meta
            if meta.primary_key is not False and not meta.composite_key:
                return (getattr(self.model, meta.primary_key.name),)
        return super()._selection(in_expression)


def _contains_dq(node: Any) -> bool:
    """Whether ``node`` is a DQ or combines DQs with ``&``, ``|`` or ``~``."""
    if isinstance(node, DQ):
        return True
    if isinstance(node, Expression):
        return _contains_dq(node.lhs) or _contains_dq(node.rhs)
    if isinstance(node, Negated):
        return _contains_dq(node.node)
    return False


def _lookup_field(model: Any, name: str) -> Any:
    target = model.model if isinstance(model, ModelAlias) else model
    if name in target._meta.combined:
        return getattr(model, target._meta.combined[name].name)
    attr = getattr(model, name, None)
    if isinstance(attr, (Field, ColumnBase)):
        return attr
    raise AttributeError('%s has no field %r for a filter() lookup; its fields are: %s'
                         % (target.__name__, name, ', '.join(target._meta.sorted_field_names)))


class NoopModelSelect(ModelSelect):
    """A query that returns no rows without touching the database."""

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(ctx.dialect.noop_select() if hasattr(ctx.dialect, 'noop_select')
                       else SQL('SELECT 0 WHERE 0 = 1'))

    def _get_cursor_wrapper(self, cursor: Any, database: Any = None) -> Any:
        return results.CursorWrapper(cursor)


class ManyToManyModelSelect(ModelSelect):
    """``obj.m2m`` query with ``add`` / ``remove`` / ``clear``."""

    _accessor: Any = None
    _instance: Any = None

    def _id_list(self, model_or_id_list: Any) -> list:
        if isinstance(model_or_id_list, (list, tuple, set)):
            items = list(model_or_id_list)
        else:
            items = [model_or_id_list]
        out = []
        ref = self._accessor.dest_fk.rel_field
        for item in items:
            if isinstance(item, Model):
                value = getattr(item, ref.name)
                if value is None:
                    raise ValueError('cannot relate an unsaved %s: save it first'
                                     % type(item).__name__)
                out.append(value)
            else:
                out.append(item)
        return out

    def add(self, value: Any, clear_existing: bool = False) -> None:
        acc = self._accessor
        if clear_existing:
            self.clear()
        src_id = getattr(self._instance, acc.src_fk.rel_field.name)
        if src_id is None:
            raise ValueError('save %r before adding related rows' % self._instance)
        if isinstance(value, SelectQuery):
            query = value.columns(_const(src_id, acc.src_fk), acc.dest_fk.rel_field)
            acc.through_model.insert_from(
                fields=[acc.src_fk, acc.dest_fk], query=query).execute()
            return
        ids = self._id_list(value)
        if not ids:
            return
        acc.through_model.insert_many([{acc.src_fk.name: src_id, acc.dest_fk.name: rel_id}
                                       for rel_id in ids]).execute()

    def remove(self, value: Any) -> int:
        acc = self._accessor
        src_id = getattr(self._instance, acc.src_fk.rel_field.name)
        if isinstance(value, SelectQuery):
            column = getattr(value.model, acc.dest_fk.rel_field.name)
            subquery = value.columns(column)
            return (acc.through_model._delete_query()
                    .where((acc.dest_fk << subquery) & (acc.src_fk == src_id)).execute())
        ids = self._id_list(value)
        if not ids:
            return 0
        return (acc.through_model._delete_query()
                .where((acc.src_fk == src_id) & (acc.dest_fk << ids)).execute())

    def clear(self) -> int:
        acc = self._accessor
        src_id = getattr(self._instance, acc.src_fk.rel_field.name)
        return acc.through_model._delete_query().where(acc.src_fk == src_id).execute()


#: peewee's name for the query a many-to-many accessor returns
ManyToManyQuery = ManyToManyModelSelect


def _const(value: Any, field: Field) -> Node:
    from .sql.nodes import Value
    return Value(value, converter=field.db_value, unpack=False)


# -- writes --------------------------------------------------------------------------------
class _ModelWriteQueryHelper(_ModelQueryHelper):
    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(model, *args, **kwargs)
        self._database = model._meta.database

    def returning(self, *returning: Any) -> Any:
        accum = []
        for item in returning:
            if is_model(item):
                accum.extend(item._meta.sorted_fields)
            else:
                accum.append(item)
        return super().returning(*accum)

    def _set_table_alias(self, ctx: Context) -> None:
        table = self.model._meta.table
        ctx.alias_manager.set(table, table.__name__)


class ModelUpdate(_ModelWriteQueryHelper, Update):
    pass


class ModelDelete(_ModelWriteQueryHelper, Delete):
    pass


class ModelInsert(_ModelWriteQueryHelper, Insert):
    # rows of an explicit returning(...) are model instances, as peewee documents (the
    # keys PostgreSQL returns by default come back as tuples: see Insert._execute)
    default_row_type = ROW.MODEL

    def _default_columns(self) -> list:
        return [f for f in self.model._meta.sorted_fields
                if not (f.primary_key and self.model._meta.auto_increment)]

    def _prepare_rows(self) -> tuple:
        insert = self._insert
        if isinstance(insert, dict):
            data = self._with_defaults(insert)
            self._query_type = Insert.SIMPLE
            if not data:
                return [], []
            return list(data), [list(data.values())]
        if insert is None or isinstance(insert, SelectQuery):
            return super()._prepare_rows()
        rows = list(insert)
        if not rows:
            raise NoRowsToInsert('insert_many() was given no rows')
        self._query_type = Insert.MULTI
        defaults = self.model._meta.defaults
        if isinstance(rows[0], dict):
            normalized = [self.model._normalize_data(row, {}) for row in rows]
            # every field any row names, then the fields that have defaults
            columns: list = []
            seen: set = set()
            for row in normalized:
                for field in row:
                    if field not in seen:
                        seen.add(field)
                        columns.append(field)
            columns.extend(f for f in defaults if f not in seen)
            values = []
            for n, row in enumerate(normalized):
                values.append([row[f] if f in row else self._missing_value(f, n)
                               for f in columns])
            return columns, values
        if isinstance(rows[0], Model):
            raise TypeError('insert_many() takes dicts or tuples; use bulk_create() for '
                            'model instances')
        fields = self._columns or self._default_columns()
        columns = [getattr(self.model, f) if isinstance(f, str) else f for f in fields]
        given = len(columns)
        named = set(map(id, columns))     # by identity: == on a field builds an expression
        columns.extend(f for f in defaults if id(f) not in named)
        values = []
        for n, row in enumerate(rows):
            row = tuple(row)
            short = [f.name for f in columns[len(row):given] if f not in defaults]
            if len(row) > given or short:
                hint = ' (%s has no default)' % ', '.join(short) if short else ''
                raise ValueError('row %d of insert_many() has %d values for %d fields%s'
                                 % (n, len(row), given, hint))
            values.append(row + tuple(self._missing_value(f, n) for f in columns[len(row):]))
        return columns, values

    def _missing_value(self, field: Any, n: int) -> Any:
        """The value of ``field`` for row ``n`` of insert_many(), which does not give it."""
        if field in self.model._meta.defaults:
            return field.get_default()
        if getattr(field, 'null', False):
            return None
        raise ValueError('row %d of insert_many() has no value for %s, which is not nullable '
                         'and has no default' % (n, field.name))

    def _with_defaults(self, data: dict) -> dict:
        meta = self.model._meta
        if not meta.defaults:
            return data
        out = dict(data)
        for field, default in meta.defaults.items():
            if field not in out:
                out[field] = default() if callable(default) else default
        return out

    def _get_primary_key(self) -> Any:
        pk = self.model._meta.primary_key
        if pk is False or pk is None or self.model._meta.composite_key:
            return None
        return pk


class ModelRaw(_ModelQueryHelper, RawQuery):
    def __init__(self, model: type, sql: str, params: Iterable, **kwargs: Any) -> None:
        self.model = model
        self._returning = ()
        super().__init__(sql=sql, params=params, **kwargs)
        self._database = model._meta.database

    def get(self) -> Any:
        try:
            return self.execute()[0]
        except IndexError:
            raise self.model.DoesNotExist('%s instance matching query does not exist:\n'
                                          'SQL: %s\nParams: %s' %
                                          (self.model.__name__, self._sql, self._params)
                                          ) from None

    def _get_model_cursor_wrapper(self, cursor: Any) -> Any:
        return results.ModelObjectCursorWrapper(cursor, self.model, None, self.model)


# -- helpers used by Model classmethods ---------------------------------------------------
def get_by_id(model: type, pk: Any) -> Any:
    meta = model._meta
    if meta.primary_key is False:
        raise ValueError('%s has no primary key; use get() with a condition' % model.__name__)
    if model.select.__func__ is Model.select.__func__ and \
            not results._has_own_init(model):    # (rows of those run their __init__)
        from . import shapes      # the statement is cached by shape (orm/shapes.py)
        return shapes.get_by_id(model, pk)
    return model.select().where(meta.primary_key == pk).get()


def bulk_create(model: type, model_list: Iterable, batch_size: int | None = None) -> None:
    model_list = list(model_list)
    if not model_list:
        return
    meta = model._meta
    if batch_size is not None and batch_size < 1:
        raise ValueError('batch_size must be a positive integer')
    batches = chunked(model_list, batch_size) if batch_size else [model_list]
    field_names = list(meta.sorted_field_names)
    if meta.auto_increment:
        pk_name = meta.primary_key.name
        field_names.remove(pk_name)
    db = meta.database_required()
    # with RETURNING (PostgreSQL, SQLite 3.35+) the new keys are read back in row order
    returns_pk = db.dialect.returning_clause and meta.primary_key is not False and \
        not meta.composite_key
    fields = [meta.fields[name] for name in field_names]
    for batch in batches:
        for obj in batch:
            obj._populate_unsaved_relations(obj.__data__)
        accum = ([obj.__data__.get(f) for f in field_names] for obj in batch)
        query = model.insert_many(accum, fields=fields)
        if returns_pk:
            for obj, (pk,) in zip(batch, query.returning(meta.primary_key).tuples()
                                  .execute()):
                obj._pk = pk
        else:
            query.execute()
        for obj in batch:
            obj._dirty.clear()


def bulk_update(model: type, model_list: Iterable, fields: Iterable,
                batch_size: int | None = None) -> int:
    from .sql.nodes import Case
    model_list = list(model_list)
    if not model_list:
        return 0
    meta = model._meta
    if isinstance(meta.primary_key, type(None)) or meta.primary_key is False or \
            meta.composite_key:
        raise ValueError('bulk_update() needs a model with a single-column primary key')
    fields = [meta.combined[f] if isinstance(f, str) else f for f in fields]
    if not fields:
        raise ValueError('bulk_update() needs the fields to update')
    pk = meta.primary_key
    n = 0
    for batch in (chunked(model_list, batch_size) if batch_size else [model_list]):
        ids = [obj._pk for obj in batch]
        if any(i is None for i in ids):
            raise ValueError('bulk_update() got an unsaved instance (no primary key)')
        update = {}
        for field in fields:
            accum = []
            for obj in batch:
                value = obj.__data__.get(field.name)
                if not isinstance(value, Node):
                    value = field.to_value(value)
                accum.append((pk.to_value(obj._pk), value))
            update[field] = Case(pk, accum)
        n += model.update(update).where(pk.in_(ids)).execute()
        for obj in batch:
            for field in fields:
                obj._dirty.discard(field.name)
    return n
