"""JSON for the core :class:`~orm.JSONField`: one SQL vocabulary per engine.

Each database names its JSON vocabulary in ``Database.json_methods_class``;
the field builds one methods object for the database its model is bound to (see
:class:`~orm.FieldDatabaseHook`).  A methods object turns the field's operations
into that engine's SQL:

==================== ================================ ===================================
operation            SQLite (JSON1, 3.38+)            PostgreSQL (``jsonb``)
==================== ================================ ===================================
``data['a'][0]``     ``data -> '$."a"[0]'``           ``data #> '{a,0}'``
``.as_text()``       ``data ->> '$."a"[0]'``          ``data #>> '{a,0}'``
``.set(v)``          ``json_set(data, path, v)``      ``jsonb_set(data, '{a,0}', v)``
``.insert(v)``       ``json_insert(data, path, v)``   ``CASE`` around ``jsonb_set``
``.replace(v)``      ``json_replace(data, path, v)``  ``jsonb_set(..., false)``
``.append(v)``       ``json_set(data, 'path[#]', v)`` ``jsonb_insert(..., '{..,-1}', v, true)``
``.remove()``        ``json_remove(data, path)``      ``data #- '{a,0}'``
``.length()``        ``json_array_length(data, p)``   ``jsonb_array_length(data #> ...)``
``update(v)``        ``json_patch`` (deep merge)      ``data || v`` (top-level merge)
``contains(v)``      structural test in SQL           ``data @> v``
``has_key(k)``       ``json_type(data, path)``        ``data ? k``
==================== ================================ ===================================

:class:`MySQLJSONMethods` renders MySQL's ``JSON_*`` functions (for databases that
name it; orm has no MySQL engine yet).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

from .exceptions import NotSupportedError
from .sql.nodes import (OP, SQL, Case, Cast, ColumnBase, Expression, Node, NodeList, Value,
                        fn)

__all__ = ['BaseJSONMethods', 'SqliteJSONMethods', 'PostgresqlJSONMethods',
           'MySQLJSONMethods', 'JSONPath', 'JSONExpression', 'json_methods_for',
           'DIALECT_JSON_METHODS']


def _same(value: Any) -> Any:
    return value


def _raw(value: Any) -> Value:
    """A parameter bound as given (no field conversion, whatever it is compared with)."""
    return Value(value, converter=_same, unpack=False)


def _raw_list(values: Iterable) -> Value:
    """``(?, ?, ...)`` bound as given."""
    return Value(list(values), converter=_same)


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple))


class BaseJSONMethods:
    """The JSON vocabulary of one engine, for the fields of one database.

    :param database: the database the field's model is bound to.

    ``field_type`` is the column type the core JSONField gets on this engine.
    Subclasses implement the methods below; each takes the field (the JSON
    document) and ``keys``, the path into it (a tuple of keys and indexes).
    """

    field_type = 'JSON'

    def __init__(self, database: Any) -> None:
        self.database = database

    def __repr__(self) -> str:
        return '<%s>' % type(self).__name__

    # -- values --------------------------------------------------------------------------
    def make_value_wrapper(self, dumps: Callable) -> Callable:
        """The converter from a Python value to the parameter stored in the column."""
        def wrap(value: Any) -> Any:
            return value if value is None else dumps(value)
        return wrap

    def make_value_reader(self, loads: Callable) -> Callable:
        """The converter from what the driver returns to a Python value."""
        def read(value: Any) -> Any:
            if isinstance(value, (str, bytes, bytearray)):
                try:
                    return loads(value)
                except (TypeError, ValueError):
                    return value        # not JSON (a row written outside the field)
            return value
        return read

    def json_value(self, field: Any, value: Any) -> Node:
        """``value`` as a JSON value inside an SQL expression."""
        raise NotImplementedError

    @staticmethod
    def json_path(keys: Sequence) -> str:
        """The SQL/JSON path of ``keys``: ``('a', 0, -1)`` is ``$."a"[0][#-1]``."""
        parts = ['$']
        for key in keys:
            if isinstance(key, bool) or not isinstance(key, int):
                text = str(key).replace('\\', '\\\\').replace('"', '\\"')
                parts.append('."%s"' % text)
            elif key < 0:
                parts.append('[#%d]' % key)
            else:
                parts.append('[%d]' % key)
        return ''.join(parts)

    def _path(self, keys: Sequence) -> Value:
        return _raw(self.json_path(keys))

    def _path_args(self, keys: Sequence) -> tuple:
        """The path argument of a JSON function that reads the whole document when it
        is left out: none for the empty path."""
        return (self._path(keys),) if keys else ()

    # -- reading -------------------------------------------------------------------------
    def extract(self, field: Any, keys: Sequence) -> Any:
        """The value at ``keys`` as JSON."""
        raise NotImplementedError

    def extract_text(self, field: Any, keys: Sequence) -> Any:
        """The value at ``keys`` as an SQL scalar (strings without quotes)."""
        raise NotImplementedError

    def cast_type(self, kind: str) -> str:
        """The SQL type name for ``'int'`` or ``'float'``."""
        raise NotImplementedError

    def cast_for_case(self, value: Any, dumps: Callable) -> Optional[Node]:
        """A typed value for ``CASE ... THEN value`` (``bulk_update``), or ``None``."""
        return None

    def compare(self, field: Any, keys: Sequence, op: str, value: Any) -> Node:
        """``<value at keys> op value``, comparing JSON values structurally."""
        raise NotImplementedError

    # -- modifying (values of an UPDATE) -------------------------------------------------
    def set(self, field: Any, keys: Sequence, value: Any) -> Node:
        """The document with ``value`` at ``keys``, whether or not something is there."""
        raise NotImplementedError

    def insert(self, field: Any, keys: Sequence, value: Any) -> Node:
        """The document with ``value`` at ``keys`` if nothing is there yet (a stored
        JSON null counts as something); else the document unchanged."""
        raise NotImplementedError

    def replace(self, field: Any, keys: Sequence, value: Any) -> Node:
        """The document with ``value`` at ``keys`` if something is there already; else
        the document unchanged."""
        raise NotImplementedError

    def append(self, field: Any, keys: Sequence, value: Any) -> Node:
        """The document with ``value`` added at the end of the array at ``keys``."""
        raise NotImplementedError

    def remove(self, field: Any, keys: Sequence) -> Node:
        raise NotImplementedError

    def update(self, field: Any, value: Any) -> Node:
        raise NotImplementedError

    def length(self, field: Any, keys: Sequence) -> Node:
        raise NotImplementedError

    # -- predicates ----------------------------------------------------------------------
    def contains(self, field: Any, keys: Sequence, value: Any) -> Node:
        raise NotImplementedError

    def contained_by(self, field: Any, keys: Sequence, value: Any) -> Node:
        raise NotImplementedError

    def has_key(self, field: Any, keys: Sequence, key: Any) -> Node:
        raise NotImplementedError

    def has_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        raise NotImplementedError

    def has_any_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        raise NotImplementedError


def _all(nodes: list) -> Node:
    if not nodes:
        return SQL('1 = 1')
    node = nodes[0]
    for other in nodes[1:]:
        node = Expression(node, OP.AND, other)
    return node


def _any(nodes: list) -> Node:
    if not nodes:
        return SQL('1 = 0')
    node = nodes[0]
    for other in nodes[1:]:
        node = Expression(node, OP.OR, other)
    return node


# SQLite's json_type() names, per Python type of a scalar
def _sqlite_types(value: Any) -> tuple:
    if value is None:
        return ('null',)
    if value is True:
        return ('true',)
    if value is False:
        return ('false',)
    if isinstance(value, (int, float)):
        return ('integer', 'real')
    return ('text',)


class SqliteJSONMethods(BaseJSONMethods):
    """SQLite's JSON functions and ``->`` / ``->>`` operators (SQLite 3.38 or newer).

    The column is ``TEXT`` (a ``JSON`` column would have NUMERIC affinity and store
    ``'123'`` as a number).  Containment (``contains()``, ``contained_by()``) is written
    out in SQL with ``json_type()`` and ``json_each()``: it reads every row.
    """

    field_type = 'TEXT'
    _aliases = itertools.count(1)

    def json_value(self, field: Any, value: Any) -> Node:
        if isinstance(value, Node):
            return value
        return fn.json(_raw(field.dumps(value)))

    def extract(self, field: Any, keys: Sequence) -> Any:
        return Expression(field, '->', self._path(keys)) if keys else field

    def extract_text(self, field: Any, keys: Sequence) -> Any:
        return Expression(field, '->>', self._path(keys)) if keys else field

    def cast_type(self, kind: str) -> str:
        return {'int': 'INTEGER', 'float': 'REAL'}[kind]

    def compare(self, field: Any, keys: Sequence, op: str, value: Any) -> Node:
        if isinstance(value, Node):
            return Expression(self.extract(field, keys), op, value)
        if _is_container(value) or not keys:
            # JSON text in the canonical (minified) form on both sides
            lhs = self.extract(field, keys) if keys else fn.json(field)
            return Expression(lhs, op, self.json_value(field, value))
        # a scalar: compare SQL values (numbers as numbers), and the JSON type, so
        # that the string '1' is not the number 1 and true is not 1
        lhs = Expression(self.extract_text(field, keys), op, _raw(value))
        if op not in (OP.EQ, OP.NE):
            return lhs
        types = _sqlite_types(value)
        type_test = Expression(fn.json_type(field, self._path(keys)), OP.IN,
                               _raw_list(types))
        if op == OP.EQ:
            return Expression(lhs, OP.AND, type_test)
        return Expression(lhs, OP.OR, Expression(type_test, OP.EQ, SQL('0')))

    def _new_value(self, field: Any, value: Any) -> Any:
        """``value`` as the new value of a JSON function: JSON for containers, null
        and booleans, an SQL value (a JSON number or string) otherwise."""
        if isinstance(value, Node):
            return value
        if value is None or _is_container(value) or isinstance(value, bool):
            return self.json_value(field, value)
        return _raw(value)

    def set(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.json_set(field, self._path(keys), self._new_value(field, value))

    def insert(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.json_insert(field, self._path(keys), self._new_value(field, value))

    def replace(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.json_replace(field, self._path(keys), self._new_value(field, value))

    def append(self, field: Any, keys: Sequence, value: Any) -> Node:
        """``$...[#]`` names the slot after the last element of an array (anything
        else there is left alone); a missing array is created with ``value`` in it."""
        new = self._new_value(field, value)
        at_end = fn.json_set(field, _raw(self.json_path(keys) + '[#]'), new)
        if not keys:
            return at_end
        missing = Expression(fn.json_type(field, self._path(keys)), OP.IS, None)
        return Case(None, [(missing, fn.json_set(field, self._path(keys),
                                                 fn.json_array(new)))], at_end)

    def remove(self, field: Any, keys: Sequence) -> Node:
        return fn.json_remove(field, self._path(keys))

    def update(self, field: Any, value: Any) -> Node:
        """``json_patch``: ``value`` is merged in key by key, recursively; a key given
        ``None`` is removed from the document."""
        return fn.json_patch(field, self.json_value(field, value))

    def length(self, field: Any, keys: Sequence) -> Node:
        return fn.json_array_length(field, *self._path_args(keys))

    # -- containment, written out in SQL --------------------------------------------------
    def _contains(self, doc: Any, path: str, value: Any) -> Node:
        """Whether the JSON at ``path`` in ``doc`` contains ``value`` (as ``@>`` does)."""
        kind = fn.json_type(doc, _raw(path))
        if isinstance(value, dict):
            tests: list[Node] = [Expression(kind, OP.EQ, _raw('object'))]
            for key, item in value.items():
                tests.append(self._contains(doc, path + self.json_path([key])[1:], item))
            return _all(tests)
        if isinstance(value, (list, tuple)):
            items: list[Node] = [Expression(kind, OP.EQ, _raw('array'))]
            items.extend(self._array_has(doc, path, item) for item in value)
            return _all(items)
        scalar = _all([Expression(kind, OP.IN, _raw_list(_sqlite_types(value)))]
                      + ([] if value is None or isinstance(value, bool) else
                         [Expression(Expression(doc, '->>', _raw(path)), OP.EQ,
                                     _raw(value))]))
        # like jsonb, an array contains a scalar that is one of its elements
        in_array = Expression(Expression(kind, OP.EQ, _raw('array')), OP.AND,
                              self._array_has(doc, path, value))
        return Expression(scalar, OP.OR, in_array)

    def _array_has(self, doc: Any, path: str, item: Any) -> Node:
        """EXISTS an element of the array at ``path`` containing ``item``."""
        alias = '"_orm_je%d"' % next(self._aliases)
        if _is_container(item):
            element = SQL('%s.value' % alias)
            test = Expression(
                Expression(SQL('%s.type' % alias), OP.EQ,
                           _raw('object' if isinstance(item, dict) else 'array')),
                OP.AND, self._contains(element, '$', item))
        else:
            test = Expression(SQL('%s.type' % alias), OP.IN,
                              _raw_list(_sqlite_types(item)))
            if item is not None and not isinstance(item, bool):
                test = Expression(test, OP.AND,
                                  Expression(SQL('%s.atom' % alias), OP.EQ, _raw(item)))
        return NodeList((SQL('EXISTS (SELECT 1 FROM json_each('), doc, SQL(', '),
                         _raw(path), SQL(') AS %s WHERE ' % alias), test, SQL(')')),
                        glue='')

    def contains(self, field: Any, keys: Sequence, value: Any) -> Node:
        if isinstance(value, Node):
            raise TypeError('contains() on SQLite needs a Python value, not an expression')
        return self._contains(field, self.json_path(keys), value)

    def _scalar_is(self, kind: Any, atom: Any, value: Any) -> Node:
        """Whether the JSON scalar of type ``kind`` and SQL value ``atom`` is ``value``."""
        test = Expression(kind, OP.IN, _raw_list(_sqlite_types(value)))
        if value is None or isinstance(value, bool):
            return test
        return Expression(test, OP.AND, Expression(atom, OP.EQ, _raw(value)))

    def _within(self, doc: Any, path: str, kind: Any, atom: Any, value: Any) -> Node:
        """Whether the JSON at ``path`` in ``doc`` (of type ``kind``, read as ``atom``)
        is contained in ``value`` (``value @> it``, as jsonb has it): each key of an
        object must be a key of ``value`` holding something that contains its value;
        each element of an array must be contained in an element of ``value``."""
        if not _is_container(value):
            return self._scalar_is(kind, atom, value)
        alias = '"_orm_je%d"' % next(self._aliases)
        item = (SQL('%s.value' % alias), '$', SQL('%s.type' % alias), SQL('%s.atom' % alias))
        fits: list[Node]
        if isinstance(value, dict):
            fits = [Expression(Expression(SQL('%s.key' % alias), OP.EQ, _raw(key)), OP.AND,
                               self._within(*item, inner)) for key, inner in value.items()]
            shape = 'object'
        else:
            fits = [self._within(*item, inner) for inner in value]
            shape = 'array'
        misfit = NodeList((SQL('NOT EXISTS (SELECT 1 FROM json_each('), doc, SQL(', '),
                           _raw(path), SQL(') AS %s WHERE NOT ' % alias),
                           NodeList((_any(fits),), parens=True), SQL(')')), glue='')
        test: Node = Expression(Expression(kind, OP.EQ, _raw(shape)), OP.AND, misfit)
        if shape == 'array':
            # like jsonb, an array contains a scalar that is one of its elements
            members = [self._scalar_is(kind, atom, inner) for inner in value
                       if not _is_container(inner)]
            if members:
                test = Expression(test, OP.OR, _any(members))
        return test

    def contained_by(self, field: Any, keys: Sequence, value: Any) -> Node:
        if isinstance(value, Node):
            raise TypeError('contained_by() on SQLite needs a Python value, not an '
                            'expression')
        path = self.json_path(keys)
        return self._within(field, path, fn.json_type(field, _raw(path)),
                            Expression(field, '->>', _raw(path)), value)

    def has_key(self, field: Any, keys: Sequence, key: Any) -> Node:
        return Expression(fn.json_type(field, self._path(tuple(keys) + (key,))),
                          OP.IS_NOT, None)

    def has_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return _all([self.has_key(field, keys, key) for key in key_list])

    def has_any_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return _any([self.has_key(field, keys, key) for key in key_list])


def _pg_text_array(items: Iterable) -> str:
    """A PostgreSQL ``text[]`` literal: ``{"a","0"}``."""
    quoted = ('"%s"' % str(item).replace('\\', '\\\\').replace('"', '\\"')
              for item in items)
    return '{%s}' % ','.join(quoted)


class PostgresqlJSONMethods(BaseJSONMethods):
    """PostgreSQL's ``jsonb`` operators and functions; the column is ``JSONB``."""

    field_type = 'JSONB'

    def make_value_reader(self, loads: Callable) -> Callable:
        # the driver has already decoded json/jsonb: a str here is a JSON string
        return lambda value: value

    def json_value(self, field: Any, value: Any) -> Node:
        if isinstance(value, Node):
            return value
        return Cast(_raw(field.dumps(value)), 'JSONB')

    @staticmethod
    def _key_path(keys: Sequence) -> Value:
        """``keys`` as one ``text[]`` parameter (array positions as their digits)."""
        return _raw([str(key) for key in keys])

    def extract(self, field: Any, keys: Sequence) -> Any:
        return Expression(field, '#>', self._key_path(keys)) if keys else field

    def extract_text(self, field: Any, keys: Sequence) -> Any:
        return Expression(field, '#>>', self._key_path(keys)) if keys else field

    def cast_type(self, kind: str) -> str:
        return {'int': 'INTEGER', 'float': 'DOUBLE PRECISION'}[kind]

    def cast_for_case(self, value: Any, dumps: Callable) -> Optional[Node]:
        return Cast(_raw(dumps(value)), 'JSONB')

    def compare(self, field: Any, keys: Sequence, op: str, value: Any) -> Node:
        rhs = value if isinstance(value, Node) else self.json_value(field, value)
        return Expression(self.extract(field, keys), op, rhs)

    def _path_array(self, keys: Sequence) -> Node:
        return Cast(_raw(_pg_text_array(keys)), 'TEXT[]')

    def set(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.jsonb_set(field, self._path_array(keys), self.json_value(field, value),
                            SQL('true'))

    def insert(self, field: Any, keys: Sequence, value: Any) -> Node:
        # #> gives SQL NULL for a missing path, but jsonb 'null' for a stored null
        absent = Expression(Expression(field, '#>', self._path_array(keys)), OP.IS, None)
        return Case(None, [(absent, self.set(field, keys, value))], field)

    def replace(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.jsonb_set(field, self._path_array(keys), self.json_value(field, value),
                            SQL('false'))

    def append(self, field: Any, keys: Sequence, value: Any) -> Node:
        """``jsonb_insert`` after the element at index -1 (the last one)."""
        return fn.jsonb_insert(field, self._path_array(tuple(keys) + (-1,)),
                               self.json_value(field, value), SQL('true'))

    def remove(self, field: Any, keys: Sequence) -> Node:
        return Expression(field, '#-', self._path_array(keys))

    def update(self, field: Any, value: Any) -> Node:
        """``field || value``: the top-level keys of ``value`` replace the field's."""
        return Expression(field, '||', self.json_value(field, value))

    def length(self, field: Any, keys: Sequence) -> Node:
        return fn.jsonb_array_length(self.extract(field, keys))

    def contains(self, field: Any, keys: Sequence, value: Any) -> Node:
        return Expression(self.extract(field, keys), '@>', self.json_value(field, value))

    def contained_by(self, field: Any, keys: Sequence, value: Any) -> Node:
        return Expression(self.extract(field, keys), '<@', self.json_value(field, value))

    def has_key(self, field: Any, keys: Sequence, key: Any) -> Node:
        return Expression(self.extract(field, keys), '?', _raw(str(key)))

    def has_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return Expression(self.extract(field, keys), '?&',
                          Cast(_raw(_pg_text_array(key_list)), 'TEXT[]'))

    def has_any_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return Expression(self.extract(field, keys), '?|',
                          Cast(_raw(_pg_text_array(key_list)), 'TEXT[]'))


class MySQLJSONMethods(BaseJSONMethods):
    """MySQL / MariaDB ``JSON_*`` functions (SQL only: orm has no MySQL engine yet)."""

    field_type = 'JSON'

    def json_value(self, field: Any, value: Any) -> Node:
        if isinstance(value, Node):
            return value
        if value is None or _is_container(value):
            return fn.JSON_COMPACT(_raw(field.dumps(value)))
        return _raw(value)

    def extract(self, field: Any, keys: Sequence) -> Any:
        if not keys:
            return field
        return fn.JSON_COMPACT(fn.JSON_EXTRACT(field, self._path(keys)))

    def extract_text(self, field: Any, keys: Sequence) -> Any:
        if not keys:
            return field
        return fn.JSON_UNQUOTE(fn.JSON_EXTRACT(field, self._path(keys)))

    def cast_type(self, kind: str) -> str:
        return {'int': 'SIGNED', 'float': 'DOUBLE'}[kind]

    def compare(self, field: Any, keys: Sequence, op: str, value: Any) -> Node:
        if isinstance(value, Node):
            return Expression(self.extract(field, keys), op, value)
        if _is_container(value) or value is None or isinstance(value, bool):
            return Expression(self.extract(field, keys), op,
                              fn.JSON_COMPACT(_raw(field.dumps(value))))
        return Expression(self.extract_text(field, keys), op, _raw(value))

    def set(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.JSON_SET(field, self._path(keys), self.json_value(field, value))

    def insert(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.JSON_INSERT(field, self._path(keys), self.json_value(field, value))

    def replace(self, field: Any, keys: Sequence, value: Any) -> Node:
        return fn.JSON_REPLACE(field, self._path(keys), self.json_value(field, value))

    def append(self, field: Any, keys: Sequence, value: Any) -> Node:
        """``JSON_ARRAY_APPEND``, with the server's own rules (as peewee has it): a
        value that is not an array is wrapped in one, and a missing path is ignored by
        MySQL but makes MariaDB return NULL (see docs/mysql.rst)."""
        return fn.JSON_ARRAY_APPEND(field, self._path(keys), self.json_value(field, value))

    def remove(self, field: Any, keys: Sequence) -> Node:
        return fn.JSON_REMOVE(field, self._path(keys))

    def update(self, field: Any, value: Any) -> Node:
        return fn.JSON_MERGE_PATCH(field, self.json_value(field, value))

    def length(self, field: Any, keys: Sequence) -> Node:
        return fn.JSON_LENGTH(field, *self._path_args(keys))

    def contains(self, field: Any, keys: Sequence, value: Any) -> Node:
        return Expression(fn.JSON_CONTAINS(field, self.json_value(field, value),
                                           *self._path_args(keys)),
                          OP.EQ, SQL('1'))

    def contained_by(self, field: Any, keys: Sequence, value: Any) -> Node:
        return Expression(fn.JSON_CONTAINS(self.json_value(field, value),
                                           self.extract(field, keys)), OP.EQ, SQL('1'))

    def _key_paths(self, keys: Sequence, key_list: Iterable) -> list:
        return [self._path(tuple(keys) + (key,)) for key in key_list]

    def has_key(self, field: Any, keys: Sequence, key: Any) -> Node:
        return self.has_any_keys(field, keys, [key])

    def has_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return Expression(fn.JSON_CONTAINS_PATH(field, _raw('all'),
                                                *self._key_paths(keys, key_list)),
                          OP.EQ, SQL('1'))

    def has_any_keys(self, field: Any, keys: Sequence, key_list: Iterable) -> Node:
        return Expression(fn.JSON_CONTAINS_PATH(field, _raw('one'),
                                                *self._key_paths(keys, key_list)),
                          OP.EQ, SQL('1'))


#: dialect name -> JSON methods, for a field whose model has no database of that engine
DIALECT_JSON_METHODS: dict = {
    'sqlite': SqliteJSONMethods,
    'postgres': PostgresqlJSONMethods,
    'cockroach': PostgresqlJSONMethods,
    'mysql': MySQLJSONMethods,
}


def json_methods_for(field: Any, dialect: Any) -> BaseJSONMethods:
    """The JSON methods to render ``field``'s operations with on ``dialect``: those of
    the field's database when the query runs there, else the dialect's."""
    database = field._check_db_hook()
    methods = getattr(field, '_json_methods', None)
    if methods is not None and getattr(database, 'dialect', None) is dialect:
        return methods
    name = getattr(dialect, 'name', None)
    methods_class = DIALECT_JSON_METHODS.get(name)
    if methods_class is None:
        raise NotSupportedError('JSONField has no JSON operations for the %r dialect' % name)
    return methods_class(database)


class JSONExpression(ColumnBase):
    """A JSON operation rendered with the JSON methods of the engine the query runs on."""

    def __init__(self, field: Any, build: Callable[[BaseJSONMethods], Any]) -> None:
        self._field = field
        self._build = build

    def __sql__(self, ctx: Any) -> Any:
        return ctx.sql(self._build(json_methods_for(self._field, ctx.dialect)))


class _Where(NamedTuple):
    """Where a :class:`JSONPath` points: the field holding the document, the keys into
    it, and whether the value is read as an SQL scalar rather than as JSON."""
    field: Any
    keys: tuple
    as_text: bool


class JSONPath(ColumnBase):
    """A path into a :class:`~orm.JSONField`: ``Doc.data['a'][0]`` or
    ``Doc.data.path('a', 0)``.

    Selected, it reads the value at the path as JSON (decoded to Python); with
    :meth:`as_text` as an SQL scalar.  Comparisons compare JSON values; the
    other methods build predicates (``contains``, ``has_key`` ...) and the
    values of an ``UPDATE`` (``set``, ``remove``).  A path is immutable: every
    step makes a new one.
    """

    def __init__(self, field: Any, keys: Iterable = (), as_text: bool = False) -> None:
        self._where = _Where(field, tuple(keys), as_text)

    @classmethod
    def _at(cls, where: _Where) -> 'JSONPath':
        path = cls.__new__(cls)
        path._where = where
        return path

    def __repr__(self) -> str:
        field, keys, as_text = self._where
        return '<JSONPath %r %s%s>' % (field, keys, ' as text' if as_text else '')

    def clone(self) -> 'JSONPath':
        return self._at(self._where)

    def _defer(self, build: Callable[[BaseJSONMethods], Any]) -> JSONExpression:
        return JSONExpression(self._where.field, build)

    def __getitem__(self, key: Any) -> 'JSONPath':  # type: ignore[override]
        return self.path(key)

    def path(self, *keys: Any) -> 'JSONPath':
        return self._at(self._where._replace(keys=self._where.keys + keys))

    def as_text(self, as_text: bool = True) -> 'JSONPath':
        """This path read as an SQL scalar (``->>``) instead of JSON."""
        return self._at(self._where._replace(as_text=as_text))

    def as_json(self) -> 'JSONPath':
        return self.as_text(False)

    def _typed(self, kind: str) -> JSONExpression:
        field, keys, _ = self._where
        return self._defer(lambda m: Cast(m.extract_text(field, keys), m.cast_type(kind)))

    def as_int(self) -> JSONExpression:
        """The value as an SQL integer (``CAST(... ->> ... AS INTEGER)``)."""
        return self._typed('int')

    def as_float(self) -> JSONExpression:
        """The value as an SQL floating-point number."""
        return self._typed('float')

    def __sql__(self, ctx: Any) -> Any:
        field, keys, as_text = self._where
        methods = json_methods_for(field, ctx.dialect)
        read = methods.extract_text if as_text else methods.extract
        return ctx.sql(read(field, keys))

    def _converter(self, value: Any) -> Any:   # type: ignore[override]
        if self._where.as_text or value is None:
            return value
        return self._where.field.python_value(value)

    # -- comparisons -------------------------------------------------------------------
    def _compare(self, op: str, value: Any) -> Node:
        field, keys, as_text = self._where
        if as_text:
            return Expression(self, op, value if isinstance(value, Node) else _raw(value))
        return self._defer(lambda m: m.compare(field, keys, op, value))

    def _null_test(self, is_null: bool) -> Node:
        # SQL NULL, a missing key and a JSON null all read as NULL through ->>
        field, keys, _ = self._where
        op = OP.IS if is_null else OP.IS_NOT
        return self._defer(lambda m: Expression(m.extract_text(field, keys), op, None))

    def __eq__(self, rhs: Any) -> Node:  # type: ignore[override]
        if rhs is None:
            return self._null_test(True)
        return self._compare(OP.EQ, rhs)

    def __ne__(self, rhs: Any) -> Node:  # type: ignore[override]
        if rhs is None:
            return self._null_test(False)
        return self._compare(OP.NE, rhs)

    def is_null(self, is_null: bool = True) -> Node:  # type: ignore[override]
        return self._null_test(is_null)

    def __lt__(self, rhs: Any) -> Node:  # type: ignore[override]
        return self._compare(OP.LT, rhs)

    def __le__(self, rhs: Any) -> Node:  # type: ignore[override]
        return self._compare(OP.LTE, rhs)

    def __gt__(self, rhs: Any) -> Node:  # type: ignore[override]
        return self._compare(OP.GT, rhs)

    def __ge__(self, rhs: Any) -> Node:  # type: ignore[override]
        return self._compare(OP.GTE, rhs)

    __hash__ = ColumnBase.__hash__

    def between(self, lo: Any, hi: Any) -> Expression:
        return Expression(self._compare(OP.GTE, lo), OP.AND, self._compare(OP.LTE, hi))

    def in_(self, values: Any) -> Node:  # type: ignore[override]
        if isinstance(values, Node):        # a subquery: its rows are compared as read
            return Expression(self, OP.IN, values)
        return _any([self._compare(OP.EQ, value) for value in values])

    def not_in(self, values: Any) -> Node:  # type: ignore[override]
        if isinstance(values, Node):
            return Expression(self, OP.NOT_IN, values)
        return _all([self._compare(OP.NE, value) for value in values])

    # text matching reads the value as text
    def like(self, rhs: Any) -> Node:  # type: ignore[override]
        return ColumnBase.like(self.as_text(), rhs)

    def ilike(self, rhs: Any) -> Node:  # type: ignore[override]
        return ColumnBase.ilike(self.as_text(), rhs)

    def regexp(self, rhs: Any) -> Node:  # type: ignore[override]
        return ColumnBase.regexp(self.as_text(), rhs)

    def startswith(self, rhs: Any) -> Node:  # type: ignore[override]
        return ColumnBase.startswith(self.as_text(), rhs)

    def endswith(self, rhs: Any) -> Node:  # type: ignore[override]
        return ColumnBase.endswith(self.as_text(), rhs)

    # -- JSON operations ---------------------------------------------------------------
    def _op(self, name: str, *args: Any) -> JSONExpression:
        field, keys, _ = self._where
        return self._defer(lambda m: getattr(m, name)(field, keys, *args))

    def contains(self, value: Any) -> Node:  # type: ignore[override]
        """Whether the value here contains ``value`` (``@>`` on PostgreSQL); read as
        text (:meth:`as_text`), whether the text contains the string ``value``."""
        if self._where.as_text:
            return ColumnBase.contains(self, value)
        return self._op('contains', value)

    def contained_by(self, value: Any) -> Node:
        """Whether ``value`` contains the value here (``<@`` on PostgreSQL)."""
        return self._op('contained_by', value)

    def has_key(self, key: Any) -> Node:
        """Whether the object here has ``key``."""
        return self._op('has_key', key)

    def has_keys(self, key_list: Iterable) -> Node:
        """Whether the object here has every key of ``key_list``."""
        return self._op('has_keys', list(key_list))

    def has_any_keys(self, key_list: Iterable) -> Node:
        """Whether the object here has one of the keys of ``key_list``."""
        return self._op('has_any_keys', list(key_list))

    def length(self) -> Node:
        """The length of the array here."""
        return self._op('length')

    def set(self, value: Any) -> Node:
        """The document with this path set to ``value`` (for ``update()``)."""
        return self._op('set', value)

    def insert(self, value: Any) -> Node:
        """The document with ``value`` here if the path is absent (a stored JSON null
        is not absent); unchanged otherwise.  For ``update()``."""
        return self._op('insert', value)

    def replace(self, value: Any) -> Node:
        """The document with ``value`` here if the path exists; unchanged otherwise."""
        return self._op('replace', value)

    def append(self, value: Any) -> Node:
        """The document with ``value`` appended to the array here.  What happens when
        the value here is no array, or missing, depends on the engine (see the JSON
        methods)."""
        return self._op('append', value)

    def remove(self) -> Node:
        """The document without this path (for ``update()``)."""
        return self._op('remove')
