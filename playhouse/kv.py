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

from typing import Any, Iterator, List, Optional, Tuple

from orm import EXCLUDED, CharField, Field, Model, Node, SqliteDatabase

from .fields import PickleField

__all__ = ['KeyValue', 'Sentinel']


class _SentinelType:
    def __repr__(self) -> str:
        return 'Sentinel'


#: default of :meth:`KeyValue.pop`: "no default given, raise KeyError"
Sentinel = _SentinelType()

_BATCH = 500       # rows per multi-row upsert in KeyValue.update()


def _store_model(db: Any, table: str, key_column: Field, value_column: Field) -> Any:
    """The model class of one store: two columns, the first the primary key."""
    if not key_column.primary_key:
        raise ValueError('the key column of a KeyValue store is its primary key: '
                         'declare it with primary_key=True')

    class KeyValueModel(Model):
        key = key_column
        value = value_column

        class Meta:
            database = db
            table_name = table

    KeyValueModel.__module__ = __name__
    return KeyValueModel


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

    model: Any
    key: Field
    value: Field

    def __init__(self, key_field: Optional[Field] = None,
                 value_field: Optional[Field] = None, ordered: bool = False,
                 database: Any = None, table_name: str = 'keyvalue') -> None:
        db = SqliteDatabase(':memory:') if database is None else database
        self.model = _store_model(
            db, table_name,
            CharField(max_length=255, primary_key=True) if key_field is None else key_field,
            PickleField(null=True) if value_field is None else value_field)  # None is a value
        meta = self.model._meta
        #: the key column, for expressions: ``kv[kv.key.startswith('user:')]``
        self.key = meta.primary_key
        #: the value column, for expressions
        self.value = meta.fields['value']
        self._database = db
        self._ordered = ordered
        self._table_name = table_name
        db.create_tables([self.model], safe=True)

    def __repr__(self) -> str:
        return '<KeyValue %r on %r>' % (self._table_name, self._database)

    # -- queries ---------------------------------------------------------------------------
    def query(self, *select: Any) -> Any:
        """A SELECT of ``select`` (default: key and value) as tuples, in key order when
        the store is ``ordered``."""
        columns = select if select else (self.key, self.value)
        query = self.model.select(*columns).tuples()
        return query.order_by(self.key) if self._ordered else query

    def convert_expression(self, expr: Any) -> Tuple[Any, bool]:
        """``(condition, is_single_key)`` for a key or an expression."""
        is_key = not isinstance(expr, Node)
        return (self.key == expr if is_key else expr), is_key

    def _matching_values(self, condition: Any) -> List[Any]:
        return [value for value, in self.query(self.value).where(condition)]

    def _write(self, pairs: List[Tuple[Any, Any]]) -> None:
        statement = self.model.insert_many(pairs, fields=[self.key, self.value])
        if self._database.dialect.name == 'sqlite':
            statement = statement.on_conflict_replace()
        else:
            statement = statement.on_conflict(
                conflict_target=[self.key], update={self.value: EXCLUDED.value})
        statement.execute()

    def upsert(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``, inserting or overwriting."""
        self._write([(key, value)])

    # -- mapping API -----------------------------------------------------------------------
    def __contains__(self, expr: Any) -> bool:
        return self.model.select().where(self.convert_expression(expr)[0]).exists()

    def __len__(self) -> int:
        return self.model.select().count()

    def __getitem__(self, expr: Any) -> Any:
        condition, is_key = self.convert_expression(expr)
        found = self._matching_values(condition)
        if not is_key:
            return found
        if found:
            return found[0]
        raise KeyError(expr)

    def __setitem__(self, expr: Any, value: Any) -> None:
        condition, is_key = self.convert_expression(expr)
        if is_key:
            self._write([(expr, value)])
        else:
            self.model.update({self.value: value}).where(condition).execute()

    def __delitem__(self, expr: Any) -> None:
        condition, is_key = self.convert_expression(expr)
        removed = self.model.delete().where(condition).execute()
        if is_key and removed == 0:
            raise KeyError(expr)

    def __iter__(self) -> Iterator[Tuple[Any, Any]]:
        return self.items()

    def keys(self) -> Iterator[Any]:
        """The keys."""
        for key, in self.query(self.key).execute():
            yield key

    def values(self) -> Iterator[Any]:
        """The values."""
        for value, in self.query(self.value).execute():
            yield value

    def items(self) -> Iterator[Tuple[Any, Any]]:
        """``(key, value)`` pairs."""
        return iter(self.query().execute())

    def update(self, __data: Optional[dict] = None, **mapping: Any) -> None:
        """Set several keys at once: one upsert statement per batch of keys, inside a
        transaction when there is more than one batch."""
        pairs = list({**(__data or {}), **mapping}.items())
        if len(pairs) <= _BATCH:
            if pairs:
                self._write(pairs)          # a single statement is atomic on its own
            return
        with self._database.atomic():
            for start in range(0, len(pairs), _BATCH):
                self._write(pairs[start:start + _BATCH])

    def get(self, expr: Any, default: Any = None) -> Any:
        """The value of a key (``default`` when missing), or the list of values an
        expression matches."""
        condition, is_key = self.convert_expression(expr)
        found = self._matching_values(condition)
        if not is_key:
            return found
        return found[0] if found else default

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, first setting it to ``default`` when missing."""
        with self._database.atomic():
            found = self._matching_values(self.key == key)
            if found:
                return found[0]
            self._write([(key, default)])
        return default

    def pop(self, expr: Any, default: Any = Sentinel) -> Any:
        """Remove and return the value of a key (``default`` when missing, else
        :class:`KeyError`), or the values an expression matches (removing them)."""
        condition, is_key = self.convert_expression(expr)
        with self._database.atomic():
            found = self._matching_values(condition)
            if found:
                self.model.delete().where(condition).execute()
        if not is_key:
            return found
        if found:
            return found[0]
        if default is Sentinel:
            raise KeyError(expr)
        return default

    def clear(self) -> None:
        """Remove every key."""
        self.model.delete().execute()
