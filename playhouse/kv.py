"""A persistent dictionary stored in a database table.

.. code-block:: python

    from playhouse.kv import KeyValue

    kv = KeyValue()                 # in-memory SQLite unless database= is given
    kv['k1'] = 'v1'
    kv.update(k2='v2', k3='v3')
    kv[kv.key > 'k1']               # ['v2', 'v3']: expressions select several keys
    del kv[kv.key.startswith('k')]

Keys are the table's primary key; setting a key writes an upsert (``INSERT OR
REPLACE`` on SQLite, ``INSERT ... ON CONFLICT (key) DO UPDATE`` elsewhere).
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

from orm import CharField, Field, Model, Node, SqliteDatabase

from .fields import PickleField

__all__ = ['KeyValue', 'Sentinel']


class _SentinelType:
    def __repr__(self) -> str:
        return 'Sentinel'


#: default of :meth:`KeyValue.pop`: "no default given, raise KeyError"
Sentinel = _SentinelType()


def _is_expression(expr: Any) -> bool:
    return isinstance(expr, Node)


class KeyValue:
    """Dictionary-like access to a two-column table.

    :param key_field: the key column (default ``CharField(max_length=255)``); it must be
        declared with ``primary_key=True``.
    :param value_field: the value column (default a nullable
        :class:`~playhouse.fields.PickleField`, which stores any picklable object,
        ``None`` included).
    :param ordered: iterate in key order.
    :param database: where the table lives (default: a new in-memory SQLite database).
    :param table_name: the table (created when missing).

    Wherever a key is expected an expression over :attr:`key` / :attr:`value` may be
    given instead (``kv[kv.key > 'a']``): reading gives a list of the matching values,
    assigning updates every match, deleting deletes every match.

    Iterating gives ``(key, value)`` pairs; :meth:`keys`, :meth:`values` and
    :meth:`items` work as for ``dict`` and ``dict(kv)`` copies the whole store.
    """

    def __init__(self, key_field: Optional[Field] = None,
                 value_field: Optional[Field] = None, ordered: bool = False,
                 database: Any = None, table_name: str = 'keyvalue') -> None:
        if key_field is None:
            key_field = CharField(max_length=255, primary_key=True)
        if not key_field.primary_key:
            raise ValueError('KeyValue key_field must be declared with primary_key=True '
                             '(e.g. CharField(primary_key=True))')
        if value_field is None:
            value_field = PickleField(null=True)      # None is a value like any other
        self._database = database if database is not None else SqliteDatabase(':memory:')
        self._ordered = ordered
        self._table_name = table_name
        meta = type('Meta', (), {'database': self._database, 'table_name': table_name})
        self.model = type('KeyValueModel', (Model,), {
            '__module__': __name__, 'key': key_field, 'value': value_field, 'Meta': meta})
        #: the key column, for expressions: ``kv[kv.key.startswith('user:')]``
        self.key = self.model.key
        #: the value column, for expressions
        self.value = self.model.value
        self.model.create_table()
        self._replace = self._database.dialect.name == 'sqlite'

    def __repr__(self) -> str:
        return '<KeyValue %r on %r>' % (self._table_name, self._database)

    # -- queries ---------------------------------------------------------------------------
    def query(self, *select: Any) -> Any:
        """A SELECT of ``select`` (default: key and value) as tuples, in key order when
        the store is ``ordered``."""
        query = self.model.select(*(select or (self.key, self.value))).tuples()
        if self._ordered:
            query = query.order_by(self.key)
        return query

    def convert_expression(self, expr: Any) -> tuple:
        """``(condition, is_single_key)`` for a key or an expression."""
        if _is_expression(expr):
            return expr, False
        return self.key == expr, True

    def _upsert_query(self, rows: list) -> Any:
        if self._replace:
            return self.model.replace_many(rows, fields=[self.key, self.value])
        return (self.model.insert_many(rows, fields=[self.key, self.value])
                .on_conflict(conflict_target=[self.key], preserve=[self.value]))

    def upsert(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``, inserting or overwriting."""
        self._upsert_query([(key, value)]).execute()

    # -- mapping API -----------------------------------------------------------------------
    def __contains__(self, expr: Any) -> bool:
        condition, _ = self.convert_expression(expr)
        return self.model.select().where(condition).exists()

    def __len__(self) -> int:
        return self.model.select().count()

    def __getitem__(self, expr: Any) -> Any:
        condition, single = self.convert_expression(expr)
        values = [row[0] for row in self.query(self.value).where(condition)]
        if not single:
            return values
        if not values:
            raise KeyError(expr)
        return values[0]

    def __setitem__(self, expr: Any, value: Any) -> None:
        if _is_expression(expr):
            self.model.update(value=value).where(expr).execute()
        else:
            self.upsert(expr, value)

    def __delitem__(self, expr: Any) -> None:
        condition, single = self.convert_expression(expr)
        deleted = self.model.delete().where(condition).execute()
        if single and not deleted:
            raise KeyError(expr)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.query().execute())

    def keys(self) -> Iterator:
        """The keys."""
        return (row[0] for row in self.query(self.key).execute())

    def values(self) -> Iterator:
        """The values."""
        return (row[0] for row in self.query(self.value).execute())

    def items(self) -> Iterator[tuple]:
        """``(key, value)`` pairs."""
        return iter(self.query().execute())

    def update(self, __data: Optional[dict] = None, **mapping: Any) -> None:
        """Set several keys at once (one upsert statement per batch)."""
        if __data is not None:
            mapping = dict(__data, **mapping)
        if not mapping:
            return
        rows = list(mapping.items())
        with self._database.atomic():
            for start in range(0, len(rows), 500):
                self._upsert_query(rows[start:start + 500]).execute()

    def get(self, expr: Any, default: Any = None) -> Any:
        """The value of a key (``default`` when missing), or the list of values an
        expression matches."""
        try:
            return self[expr]
        except KeyError:
            return default

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, first setting it to ``default`` when missing."""
        with self._database.atomic():
            try:
                return self[key]
            except KeyError:
                self[key] = default
                return default

    def pop(self, expr: Any, default: Any = Sentinel) -> Any:
        """Remove and return the value of a key (``default`` when missing, else
        :class:`KeyError`), or the values an expression matches (removing them)."""
        with self._database.atomic():
            condition, single = self.convert_expression(expr)
            values = [row[0] for row in self.query(self.value).where(condition)]
            if single and not values:
                if default is Sentinel:
                    raise KeyError(expr)
                return default
            self.model.delete().where(condition).execute()
        return values[0] if single else values

    def clear(self) -> None:
        """Remove every key."""
        self.model.delete().execute()
