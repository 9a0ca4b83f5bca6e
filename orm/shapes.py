"""Statements compiled once per *shape* and replayed with fresh values: the primary-key
lookup of ``get_by_id`` and the single-row INSERT and UPDATE of ``save()``/``create()``.

A shape is a model, a dialect and (for writes) the tuple of field names written.  It is
compiled once with :class:`Hole` objects where the values go; the compiled parameter
list is kept as a template with the position of every hole, and each later call only
converts its values (``db_value`` then the dialect's ``adapt_param``) into those
positions.  The plans live in the model metadata's ``_shape_cache`` dict, which the model
layer empties whenever the table's shape changes (fields added or removed, table
renamed, database rebound), so a plan never outlives the statement it stands for.

Whatever a plan cannot express takes the ordinary query path: SQL expressions among the
values, composite keys, models without a database, fields that bind through an SQL node
of their own, models that override ``select``/``insert``/``update`` or ``__init__``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .exceptions import UnconvertibleValue
from .fields import Field
from .results import generated, instance_maker, library_default, not_found, unmatchable
from .sql.nodes import Node, Value
from .sql.queries import Insert

__all__ = ['get_by_id', 'insert_row', 'update_row', 'shape_cache']

# values of these types are parameters as they are, never SQL: no check needed
_PLAIN = frozenset((int, str, float, bool, bytes, type(None)))

# fields whose _value_converter is this one bind a plain parameter per value
_PLAIN_BINDING = Field._value_converter


class Hole:
    """Marks where value number ``index`` goes while a shape is compiled."""

    __slots__ = ('index',)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return '<hole %d>' % self.index


def _hole(index: int) -> Value:
    """The parameter standing for value number ``index``: bound unconverted (the values
    are converted when the statement runs)."""
    return Value(Hole(index), converter=False, unpack=False)


def shape_cache(meta: Any) -> dict:
    """The plans of one model (its metadata's ``_shape_cache``, made if missing)."""
    plans = meta.__dict__.get('_shape_cache')
    if plans is None:
        plans = meta._shape_cache = {}
    return plans


def _renders_sql(value: Any) -> bool:
    """A value that becomes SQL text instead of a parameter (a model instance passed as
    a value binds its key, so it does not count)."""
    if type(value) in _PLAIN:
        return False
    return isinstance(value, Node) or (hasattr(value, '__sql__')
                                       and not hasattr(value, '_meta'))


_PLAIN_SAMPLES = (0, 1, -1, 2 ** 70, 'text', '', 1.5, True, False, b'raw', None)


def _leaves_plain_alone(adapt: Any) -> bool:
    """Whether the dialect's ``adapt_param`` returns values of the plain types as they
    are (then bound parameters of those types skip the call)."""
    try:
        return all(adapt(sample) is sample for sample in _PLAIN_SAMPLES)
    except Exception:
        return False


def _passthrough(converter: Any) -> frozenset:
    """The value types a field's ``db_value`` (the bound method ``converter``) returns
    unchanged, as declared (``_db_passthrough``) by the class that defines that method;
    empty when unknown."""
    field = getattr(converter, '__self__', None)
    if field is None:
        return frozenset()
    for klass in type(field).__mro__:
        if 'db_value' in vars(klass):
            declared = vars(klass).get('_db_passthrough')
            return frozenset(declared) | {type(None)} if declared else frozenset()
    return frozenset()


class Statement:
    """One compiled shape: its SQL and ``bind(values)``, which turns the values of one
    call into the parameter list (``None`` when a value turns out to be SQL, which the
    caller then sends down the query path).

    ``bind`` is generated for the shape: each value goes through its field's
    ``db_value`` (``converters``), with ``defaults`` called for the values the caller
    leaves out, then through the dialect's ``adapt_param``, straight into its place
    among the fixed parameters of the template."""

    __slots__ = ('sql', 'bind', 'dialect')

    def __init__(self, query: Any, dialect: Any, converters: list,
                 defaults: Sequence = ()) -> None:
        self.dialect = dialect
        self.sql, params = dialect.compile(query)
        given = len(converters) - len(defaults)
        count = len(converters)
        where = {param.index: position for position, param in enumerate(params)
                 if isinstance(param, Hole)}
        if sorted(where) != list(range(count)):
            raise LookupError('a value of this shape did not reach the parameters')
        scope: dict = {'PLAIN': _PLAIN, 'sqlish': _renders_sql}
        lines = ['def bind(values):']
        names = ['v%d' % i for i in range(count)]
        if given:
            lines.append('    %s, = values' % ', '.join(names[:given]))
        for i in range(given, count):
            scope['d%d' % i] = defaults[i - given]
            lines.append('    v%d = d%d()' % (i, i))
        adapt = dialect.adapt_param
        if adapt is not None:
            scope['adapt'] = adapt
        # a dialect that leaves values of the plain types alone is only asked about others
        adapts_plain = adapt is not None and not _leaves_plain_alone(adapt)
        for i, name in enumerate(names):
            scope['f%d' % i] = converters[i]
            unchanged = _passthrough(converters[i])
            pad = ''
            if unchanged:
                # a value of a type the field passes through unchanged needs no conversion
                scope['T%d' % i] = unchanged
                lines.append('    if type({0}) not in T{1}:'.format(name, i))
                pad = '    '
            lines.append(pad + '    if type({0}) not in PLAIN and sqlish({0}): return None'
                         .format(name))
            lines.append(pad + '    {0} = f{1}({0})'.format(name, i))
            lines.append(pad + '    if type({0}) not in PLAIN:'.format(name))
            lines.append(pad + '        if sqlish({0}): return None'.format(name))
            if adapt is not None and not adapts_plain:
                lines.append(pad + '        {0} = adapt({0})'.format(name))
            if adapts_plain:
                lines.append('    {0} = adapt({0})'.format(name))
        slots = {position: index for index, position in where.items()}
        items = []
        for position, param in enumerate(params):
            if position in slots:
                items.append('v%d' % slots[position])
            else:
                scope['p%d' % position] = param
                items.append('p%d' % position)
        lines.append('    return [%s]' % ', '.join(items))
        self.bind = generated(lines, scope, 'bind')


def _compile(query: Any, dialect: Any, converters: list,
             defaults: Sequence = ()) -> Optional[Statement]:
    try:
        return Statement(query, dialect, converters, defaults)
    except LookupError:
        return None


# -- get_by_id ----------------------------------------------------------------------------
class _Lookup:
    """The plan of ``get_by_id`` for one model on one dialect (``statement`` is ``None``
    when lookups of this model take the query path)."""

    __slots__ = ('statement', 'make', 'dialect')

    def __init__(self, model: Any, db: Any) -> None:
        self.statement: Optional[Statement] = None
        self.dialect = dialect = getattr(db, 'dialect', None)
        meta = model._meta
        key = meta.primary_key
        if dialect is None or not key or meta.composite_key or \
                not library_default(model, '__init__') or \
                not library_default(model, 'select'):
            return
        query = model.select().where(key == _hole(0)).limit(1)
        self.statement = _compile(query, dialect, [key.db_value])
        columns = meta.sorted_fields
        self.make = instance_maker(model, [f.name for f in columns],
                                   [f.row_converter(dialect) for f in columns])


def _query_lookup(model: Any, pk: Any) -> Any:
    key = model._meta.primary_key
    if key is False:
        raise ValueError('%s has no primary key, so it has no rows by id: select with '
                         'get() and a condition instead' % model.__name__)
    return model.select().where(key == pk).get()


def get_by_id(model: Any, pk: Any) -> Any:
    """``Model.get_by_id(pk)``: the row whose primary key is ``pk``, through the cached
    lookup of ``model`` when it has one, else through an ordinary query."""
    meta = model._meta
    db = meta.database
    plans = _plans(meta)
    plan = plans.get('get_by_id')
    if plan is None or db is None or plan.dialect is not db.dialect:
        plan = plans['get_by_id'] = _Lookup(model, db)
    statement: Optional[Statement] = plan.statement
    try:
        params = None if statement is None else statement.bind((pk,))
    except UnconvertibleValue as exc:         # such a key is in no row
        raise unmatchable(model, exc) from exc
    if statement is None or params is None:
        return _query_lookup(model, pk)
    cursor = db.execute_sql(statement.sql, params)
    row = cursor.fetchone()
    cursor.close()
    if row is None:
        raise not_found(model, statement.sql, params)
    return plan.make(row)


# -- save(): INSERT and UPDATE -------------------------------------------------------------
def _binds_plainly(fields: list) -> bool:
    """Every field is known and binds a plain parameter per value (a field with its own
    ``_value_converter`` may wrap its value in SQL, such as ``CAST(%s AS UUID[])``, which
    a cached statement would lose)."""
    return all(isinstance(field, Field) and type(field)._value_converter is _PLAIN_BINDING
               for field in fields)


class _Write:
    """The plan of a single-row INSERT or UPDATE writing one tuple of fields."""

    __slots__ = ('statement', 'dialect', 'returning')

    def __init__(self, model: Any, db: Any, kind: str, names: tuple) -> None:
        self.statement: Optional[Statement] = None
        self.dialect = dialect = getattr(db, 'dialect', None)
        self.returning = False
        meta = model._meta
        if dialect is None or meta.composite_key and kind == 'update':
            return
        fields = [meta.fields.get(name) for name in names]
        if kind == 'insert':
            # insert() adds the unset fields that have defaults: so does the plan
            extra = [f for f in meta.defaults if f.name not in names]
            if not _binds_plainly(fields + extra):
                return
            holes = {field: _hole(i) for i, field in enumerate(fields + extra)}
            query = model.insert(holes)
            key = meta.primary_key
            if dialect.returning_clause and dialect.insert_returns_pk and key and \
                    not meta.composite_key:
                query = query.returning(key)
                self.returning = True
            self.statement = _compile(query, dialect,
                                      [f.db_value for f in fields + extra],
                                      [f.get_default for f in extra])
        else:
            if not _binds_plainly(fields):
                return
            key = meta.primary_key
            holes = {field: _hole(i) for i, field in enumerate(fields)}
            query = model.update(holes).where(key == _hole(len(fields)))
            self.statement = _compile(query, dialect,
                                      [f.db_value for f in fields] + [key.db_value])


def _plans(meta: Any) -> dict:
    try:
        return meta._shape_cache
    except AttributeError:
        return shape_cache(meta)


def _write_plan(model: Any, db: Any, kind: str, names: tuple) -> _Write:
    plans = _plans(model._meta)
    key = (kind, names)
    plan = plans.get(key)
    if plan is None or db is None or plan.dialect is not db.dialect:
        plan = plans[key] = _Write(model, db, kind, names)
    return plan


def insert_row(model: Any, field_dict: dict) -> Any:
    """INSERT one row of ``{field name: value}``; the new row's primary key (or id)."""
    meta = model._meta
    db = meta.database
    names = tuple(field_dict)
    # inserts are the hottest shapes: keyed by their field names alone
    plan = meta._shape_cache.get(names)
    if plan is None or db is None or plan.dialect is not db.dialect:
        plan = _plans(meta)[names] = _Write(model, db, 'insert', names)
    statement = plan.statement
    params = None if statement is None else statement.bind(field_dict.values())
    if params is None:
        return model.insert(**field_dict).execute()
    cursor = db.execute_sql(statement.sql, params)
    if plan.returning:
        row = cursor.fetchone()
        return row[0] if row else None
    return db.last_insert_id(cursor, _SIMPLE)


_SIMPLE = Insert.SIMPLE


def update_row(model: Any, field_dict: dict, pk_value: Any) -> int:
    """UPDATE the row whose primary key is ``pk_value``; the number of rows changed."""
    db = model._meta.database
    plan = _write_plan(model, db, 'update', tuple(field_dict))
    statement = plan.statement
    params = None if statement is None else statement.bind((*field_dict.values(), pk_value))
    if statement is None or params is None:
        key = model._meta.primary_key
        return model.update(**field_dict).where(key == pk_value).execute()
    return db.rows_affected(db.execute_sql(statement.sql, params))
