"""Compiled statements cached by query shape, for the statements applications repeat most:
``get_by_id``, and the INSERT / UPDATE that ``save()`` and ``create()`` issue.

A shape is compiled once per model, dialect and set of columns, with marker objects in
place of the values; later calls only convert and bind fresh values.  The cache lives on
the model's metadata and is emptied whenever the table changes (fields added or removed,
table name or schema changed, database rebound), so a cached statement never serves a
query of a different shape.  Anything unusual (SQL expressions as values, composite keys,
models without a database) takes the ordinary query path.
"""
from __future__ import annotations

from typing import Any

from .fields import Field
from .results import convert_row
from .sql.nodes import AsIs, Node
from .sql.queries import Insert

__all__ = ['get_by_id', 'insert_row', 'update_row', 'shape_cache']

_BASE_CONVERTER = Field._value_converter


class _Marker:
    """Stands in for a value while a shape is compiled; found again among the params."""

    __slots__ = ('index',)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return '<value %d>' % self.index


def shape_cache(meta: Any) -> dict:
    cache = meta.__dict__.get('_shape_cache')
    if cache is None:
        cache = meta._shape_cache = {}
    return cache


def _positions(params: list, count: int) -> list | None:
    """Where each marker 0..count-1 landed in the compiled params (None if not all did)."""
    found = [-1] * count
    for position, param in enumerate(params):
        if isinstance(param, _Marker):
            found[param.index] = position
    return None if -1 in found else found


def _bind(template: list, positions: list, values: list, dialect: Any) -> list:
    params = list(template)
    adapt = dialect.adapt_param
    for position, value in zip(positions, values):
        params[position] = adapt(value) if adapt is not None else value
    return params


# -- get_by_id --------------------------------------------------------------------------------
def _get_by_id_plan(model: type, dialect: Any) -> tuple:
    meta = model._meta
    query = model.select().where(meta.primary_key == AsIs(_Marker(0))).limit(1)
    sql, params = dialect.compile(query)
    positions = _positions(params, 1)
    fields = meta.sorted_fields
    keys = [f.name for f in fields]
    conversions = [(i, conv) for i, conv in
                   enumerate(f.row_converter(dialect) for f in fields) if conv]
    return sql, params, positions, keys, conversions


def get_by_id(model: type, pk: Any) -> Any:
    """``Model.get_by_id(pk)`` through a cached statement."""
    meta = model._meta
    if meta.primary_key is False:
        raise ValueError('%s has no primary key; use get() with a condition' % model.__name__)
    db = meta.database
    if db is None or meta.composite_key or isinstance(pk, Node) or \
            hasattr(pk, '__sql__'):
        return model.select().where(meta.primary_key == pk).get()
    dialect = db.dialect
    cache = shape_cache(meta)
    key = ('get_by_id', dialect)
    plan = cache.get(key)
    if plan is None:
        plan = cache[key] = _get_by_id_plan(model, dialect)
    sql, template, positions, keys, conversions = plan
    params = _bind(template, positions, [meta.primary_key.db_value(pk)], dialect)
    cursor = db.execute_sql(sql, params)
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        raise model.DoesNotExist('%s instance matching query does not exist:\nSQL: %s\n'
                                 'Params: %s' % (model.__name__, sql, params))
    if conversions:
        row = convert_row(row, conversions)
    inst = model.__new__(model)
    inst.__dict__ = {'__data__': dict(zip(keys, row)), '__rel__': {}, '_dirty': set()}
    return inst


# -- save(): INSERT and UPDATE ----------------------------------------------------------------
def _is_sql(value: Any) -> bool:
    """A value that renders as SQL rather than binding as a parameter (model instances
    bind their key)."""
    return isinstance(value, Node) or (hasattr(value, '__sql__') and
                                       not hasattr(value, '_meta'))


def _cacheable(values: Any) -> bool:
    return not any(_is_sql(value) for value in values)


def _unknown(fields: list) -> bool:
    # not `None in fields`: == on a field builds an SQL expression, which is always truthy
    # a field with its own _value_converter may bind values through a node (such as
    # CAST(%s AS UUID[]) for arrays), which a cached shape would leave out: no cache
    return any(field is None or type(field)._value_converter is not _BASE_CONVERTER
               for field in fields)


def _returns_pk(meta: Any, dialect: Any) -> Any:
    pk = meta.primary_key
    if dialect.returning_clause and dialect.insert_returns_pk and pk is not False and \
            pk is not None and not meta.composite_key:
        return pk
    return None


def _insert_plan(model: type, dialect: Any, keys: tuple) -> Any:
    """The compiled INSERT for rows setting ``keys`` (plus unset fields with defaults, as
    insert() adds them), or ``False`` when this shape cannot be cached."""
    meta = model._meta
    names = list(keys) + [f.name for f in meta.defaults if f.name not in keys]
    fields = [meta.fields.get(name) for name in names]
    if _unknown(fields):
        return False
    returning = _returns_pk(meta, dialect)
    query = model.insert({f: AsIs(_Marker(i)) for i, f in enumerate(fields)})
    if returning is not None:
        query = query.returning(returning)
    sql, params = dialect.compile(query)
    positions = _positions(params, len(fields))
    if positions is None:
        return False
    return fields, fields[len(keys):], sql, params, positions, returning is not None


def insert_row(model: type, field_dict: dict) -> Any:
    """INSERT one row of ``{field name: value}``; returns the new primary key (or id)."""
    meta = model._meta
    db = meta.database
    if db is None:
        return model.insert(**field_dict).execute()
    dialect = db.dialect
    cache = shape_cache(meta)
    key = ('insert', dialect, tuple(field_dict))
    plan = cache.get(key)
    if plan is None:
        plan = cache[key] = _insert_plan(model, dialect, key[2])
    if plan is False:
        return model.insert(**field_dict).execute()
    fields, defaulted, sql, template, positions, returning = plan
    raw = list(field_dict.values())
    for field in defaulted:
        raw.append(field.get_default())
    values = []
    for field, value in zip(fields, raw):
        # SQL given as a value (or returned by db_value(), e.g. fn.json(...)) is not a
        # parameter: such rows take the query path
        if _is_sql(value):
            return model.insert(**field_dict).execute()
        value = field.db_value(value)
        if _is_sql(value):
            return model.insert(**field_dict).execute()
        values.append(value)
    cursor = db.execute_sql(sql, _bind(template, positions, values, dialect))
    if returning:
        row = cursor.fetchone()
        return row[0] if row else None
    return db.last_insert_id(cursor, Insert.SIMPLE)


def update_row(model: type, field_dict: dict, pk_value: Any) -> int:
    """UPDATE the row whose primary key is ``pk_value``; returns the rows affected."""
    meta = model._meta
    db = meta.database
    names = list(field_dict)
    fields = [meta.fields.get(name) for name in names]
    pk = meta.primary_key
    if db is None or meta.composite_key or _unknown(fields) or \
            not _cacheable(field_dict.values()) or not _cacheable((pk_value,)):
        return model.update(**field_dict).where(pk == pk_value).execute()
    dialect = db.dialect
    cache = shape_cache(meta)
    key = ('update', dialect, tuple(names))
    plan = cache.get(key)
    if plan is None:
        markers = {f: AsIs(_Marker(i)) for i, f in enumerate(fields)}
        query = model.update(markers).where(pk == AsIs(_Marker(len(fields))))
        sql, params = dialect.compile(query)
        positions = _positions(params, len(fields) + 1)
        if positions is None:
            return model.update(**field_dict).where(pk == pk_value).execute()
        plan = cache[key] = (sql, params, positions)
    sql, template, positions = plan
    values = [f.db_value(field_dict[f.name]) for f in fields] + [pk.db_value(pk_value)]
    if not _cacheable(values):   # a db_value() that returns SQL (e.g. fn.json(...))
        return model.update(**field_dict).where(pk == pk_value).execute()
    cursor = db.execute_sql(sql, _bind(template, positions, values, dialect))
    return db.rows_affected(cursor)
