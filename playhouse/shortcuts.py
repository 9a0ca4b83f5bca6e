"""Helpers built on the model API.

* :func:`model_to_dict` / :func:`dict_to_model` / :func:`update_model_from_dict` --
  convert model instances (with their related objects) to dictionaries and back;
* :func:`resolve_multimodel_query` -- rows of a ``UNION`` of several models as
  instances of the right model;
* :func:`insert_where` -- ``INSERT ... SELECT ... WHERE``: insert a row only when a
  condition holds;
* :class:`ReconnectMixin` -- a database that reconnects when the server dropped its
  connection;
* :class:`ThreadSafeDatabaseMetadata` -- model metadata whose database can be swapped
  per thread.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable, Iterator, Optional

from orm import (Alias, CompoundSelectQuery, Field, ForeignKeyField, InterfaceError,
                 Metadata, OperationalError, ProgrammingError, Select, Value, callable_)

__all__ = ['ReconnectMixin', 'ThreadSafeDatabaseMetadata', 'dict_to_model', 'insert_where',
           'model_to_dict', 'resolve_multimodel_query', 'update_model_from_dict']

_SENTINEL = object()


# ---------------------------------------------------------------------------------------
# model <-> dict
# ---------------------------------------------------------------------------------------

def model_to_dict(model: Any, recurse: bool = True, backrefs: bool = False,
                  only: Optional[Iterable] = None, exclude: Optional[Iterable] = None,
                  seen: Optional[Iterable] = None, extra_attrs: Optional[Iterable] = None,
                  fields_from_query: Any = None, max_depth: Optional[int] = None,
                  manytomany: bool = False) -> dict:
    """A dictionary of ``model``'s field values, following its relations.

    :param recurse: give a foreign key as the related object's dictionary (instead of
        its key value).
    :param backrefs: add each back-reference (``user.tweets``) as a list of dictionaries.
    :param only: fields (and back-reference accessors) to include; all when not given.
    :param exclude: fields (and back-reference accessors) to leave out.
    :param seen: foreign keys already followed (used while recursing).
    :param extra_attrs: names of further attributes to add; callables are called.
    :param fields_from_query: the query the instance came from: only the fields it
        selected are included, and the names of its aliased expressions are added.
    :param max_depth: how many relations deep to follow (``0``: none); unlimited by
        default.
    :param manytomany: add each many-to-many field as a list of dictionaries.
    """
    depth = -1 if max_depth is None else max_depth
    if depth == 0:
        recurse = False
    only_set = set(only) if only else set()
    extras = list(extra_attrs) if extra_attrs else []
    if fields_from_query is not None:
        for node in fields_from_query._returning or ():
            if isinstance(node, Field):
                only_set.add(node)
            elif isinstance(node, Alias) and node._alias not in extras:
                extras.append(node._alias)
    excluded = set(exclude) if exclude else set()
    excluded |= set(seen) if seen else set()

    def skip(node: Any) -> bool:
        return node in excluded or bool(only_set and node not in only_set)

    def nested(obj: Any, exclude_set: set, seen_set: Optional[set] = None) -> dict:
        return model_to_dict(obj, recurse=recurse, backrefs=backrefs,
                             only=only_set or None, exclude=exclude_set, seen=seen_set,
                             max_depth=depth - 1, manytomany=manytomany)

    meta = model._meta
    data: dict = {}

    if manytomany:
        for name, m2m in meta.manytomany.items():
            if skip(m2m):
                continue
            # the related objects do not list this object again
            m2m_exclude = set(excluded)
            m2m_exclude.add(m2m)
            reverse = m2m.rel_model._meta.manytomany.get(m2m.backref) \
                if m2m.backref else None
            if reverse is not None:
                m2m_exclude.add(reverse)
            m2m_exclude.update(m2m.get_through_model()._meta.refs)
            data[name] = [nested(obj, m2m_exclude) for obj in getattr(model, name)]

    for field in meta.sorted_fields:
        if skip(field):
            continue
        value = model.__data__.get(field.name)
        if recurse and isinstance(field, ForeignKeyField):
            if value is not None:
                related = getattr(model, field.name)
                value = nested(related, excluded, (set(seen) if seen else set()) | {field})
        data[field.name] = value

    for attr in extras:
        value = getattr(model, attr)
        data[attr] = value() if callable_(value) else value

    if backrefs and recurse:
        model_class = type(model)
        for fk in meta.backrefs:
            name = fk.backref
            if not name or name in ('+', '!'):
                continue
            accessor = getattr(model_class, name, None)
            if accessor is None or accessor in excluded or fk in excluded:
                continue
            if only_set and accessor not in only_set and fk not in only_set:
                continue
            # the children do not repeat their parent
            excluded.add(fk)
            data[name] = [nested(obj, excluded) for obj in getattr(model, name)]
    return data


def update_model_from_dict(instance: Any, data: dict, ignore_unknown: bool = False) -> Any:
    """Set ``instance``'s fields from ``data``; returns the instance.

    A foreign key given as a dictionary becomes a related instance, a back-reference
    name given a list of dictionaries becomes a list of related instances. A key that
    is neither raises :class:`AttributeError` unless ``ignore_unknown`` is true (then
    it is set as a plain attribute).
    """
    meta = instance._meta
    backrefs = {fk.backref: fk for fk in meta.backrefs if fk.backref}
    for key, value in data.items():
        if key in meta.combined:
            field = meta.combined[key]
            if isinstance(field, ForeignKeyField) and isinstance(value, dict):
                related = instance.__rel__.get(field.name)
                if related is None:
                    # not loaded: a new instance standing for the referenced row
                    related = field.rel_model()
                    key = instance.__data__.get(field.name)
                    if key is not None:
                        setattr(related, field.rel_field.name, key)
                value = update_model_from_dict(related, value, ignore_unknown)
            setattr(instance, field.name, value)
        elif key in backrefs and isinstance(value, (list, tuple)):
            fk = backrefs[key]
            children = []
            for row in value:
                child = row if not isinstance(row, dict) else \
                    dict_to_model(fk.model, row, ignore_unknown)
                setattr(child, fk.name, instance)
                children.append(child)
            instance.__dict__[key] = children
        elif key in meta.manytomany and isinstance(value, (list, tuple)):
            m2m = meta.manytomany[key]
            instance.__dict__[key] = [
                dict_to_model(m2m.rel_model, row, ignore_unknown)
                if isinstance(row, dict) else row for row in value]
        elif ignore_unknown:
            setattr(instance, key, value)
        else:
            raise AttributeError('%r is not a field or back-reference of %s (fields: %s); '
                                 'pass ignore_unknown=True to set it as a plain attribute'
                                 % (key, type(instance).__name__,
                                    ', '.join(meta.sorted_field_names)))
    return instance


def dict_to_model(model_class: type, data: dict, ignore_unknown: bool = False) -> Any:
    """A new (unsaved) ``model_class`` instance built from ``data``, with related
    instances for nested dictionaries (see :func:`update_model_from_dict`)."""
    return update_model_from_dict(model_class(), data, ignore_unknown)


# ---------------------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------------------

def resolve_multimodel_query(query: Any, key: str = '_model_identifier') -> Iterator:
    """Iterate over a compound query (``A.select() | B.select()``) yielding each row as
    an instance of the model its part of the query selects from.

    Each part selects the model's table name as the extra column ``key``; the rows are
    then built as instances of the model that name belongs to.
    """
    models: dict = {}

    def tag(node: Any) -> Any:
        if isinstance(node, CompoundSelectQuery):
            clone = node.clone()
            clone.lhs = tag(node.lhs)
            clone.rhs = tag(node.rhs)
            return clone
        model = getattr(node, 'model', None)
        if model is None or not hasattr(model, '_meta'):
            raise TypeError('resolve_multimodel_query() needs model queries, got %r' % node)
        name = model._meta.table_name
        if models.setdefault(name, model) is not model:
            raise ValueError('two models of the query share the table name %r' % name)
        return node.select_extend(Value(name).alias(key))

    tagged = tag(query)

    def rows() -> Iterator:
        for row in tagged.dicts().iterator():
            model = models[row.pop(key)]
            instance = model(**row)
            instance._dirty.clear()
            yield instance
    return rows()


def insert_where(cls: type, data: dict, where: Any = None) -> Any:
    """An ``INSERT INTO ... SELECT <values> WHERE <where>`` query of ``cls``: the row
    (``{field or name: value}``, fields with defaults filled in) is inserted only when
    ``where`` holds, e.g. ``~fn.EXISTS(Tweet.select().where(...))``.

    Returns the query; ``execute()`` it.
    """
    meta = cls._meta
    values: dict = {}
    for key, value in data.items():
        field = key if isinstance(key, Field) else meta.combined.get(key)
        if field is None:
            raise ValueError('%s has no field named %r; its fields are: %s'
                             % (cls.__name__, key, ', '.join(meta.sorted_field_names)))
        values[field] = value
    for field in meta.defaults:
        if field not in values:
            values[field] = field.get_default()
    fields = list(values)
    columns = [value if hasattr(value, '__sql__') and not hasattr(value, '_meta')
               else Value(value, converter=field.db_value, unpack=False)
               for field, value in values.items()]
    select = Select(columns=columns)
    if where is not None:
        select = select.where(where)
    return cls.insert_from(select, fields)


# ---------------------------------------------------------------------------------------
# databases
# ---------------------------------------------------------------------------------------

class ReconnectMixin:
    """Mix into a database class to reconnect, once, when a statement fails because the
    connection was lost -- outside a transaction only (inside one, the work done so far
    is gone with the connection, so the error is raised)::

        class ReconnectingPostgresqlDatabase(ReconnectMixin, PostgresqlDatabase):
            pass

    ``reconnect_errors`` lists ``(exception class, message fragment)`` pairs; an error
    that is an instance of the class and whose message contains the fragment (case
    insensitive; ``''`` matches any) triggers the reconnect. Extend it in a subclass.
    """

    reconnect_errors: tuple = (
        # MySQL / MariaDB: server gone away, lost connection, out of sync, timeout
        (OperationalError, '2006'),
        (OperationalError, '2013'),
        (OperationalError, '2014'),
        (OperationalError, '4031'),
        (OperationalError, 'mysql connection not available'),
        # PostgreSQL: backend terminated (pg_terminate_backend, server restart, idle
        # timeout), and the closed connection left behind
        (OperationalError, 'terminating connection'),
        (OperationalError, 'server closed the connection unexpectedly'),
        (OperationalError, 'connection already closed'),
        (InterfaceError, 'connection already closed'),
        (OperationalError, 'ssl connection has been closed unexpectedly'),
        (OperationalError, 'no connection to the server'),       # libpq, either driver
        (OperationalError, 'the connection is closed'),          # psycopg 3
        (OperationalError, 'the connection is lost'),            # psycopg 3
        (OperationalError, 'connection is bad'),                 # psycopg 3
        # SQLite: the driver connection was closed underneath the database object
        (ProgrammingError, 'cannot operate on a closed database'),
        (InterfaceError, 'cannot operate on a closed database'),
        (InterfaceError, 'the connection has been closed'),     # apsw
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reconnect_rules = [(klass, fragment.lower())
                                 for klass, fragment in self.reconnect_errors]

    def _is_reconnect_error(self, exc: BaseException) -> bool:
        message = str(exc).lower()
        return any(isinstance(exc, klass) and fragment in message
                   for klass, fragment in self._reconnect_rules)

    def _in_transaction_now(self) -> bool:
        try:
            return self.in_transaction()  # type: ignore[attr-defined]
        except Exception:
            # the driver cannot tell (its connection is gone): trust the helpers' stack
            return bool(self.transaction_depth())  # type: ignore[attr-defined]

    def execute_sql(self, sql: str, params: Any = None, commit: Any = _SENTINEL) -> Any:
        # asked before running the statement: once the connection is lost the driver
        # no longer knows that a transaction (even one begun by hand) was open
        in_transaction = self._in_transaction_now()
        try:
            if commit is _SENTINEL:
                return super().execute_sql(sql, params)  # type: ignore[misc]
            return super().execute_sql(sql, params, commit)  # type: ignore[misc]
        except Exception as exc:
            if in_transaction or not self._is_reconnect_error(exc):
                raise
            self._reconnect()
        if commit is _SENTINEL:
            return super().execute_sql(sql, params)  # type: ignore[misc]
        return super().execute_sql(sql, params, commit)  # type: ignore[misc]

    def _reconnect(self) -> None:
        """Drop the dead connection and open a new one."""
        if not self.is_closed():  # type: ignore[attr-defined]
            try:
                self.close()  # type: ignore[attr-defined]
            except Exception:
                # closing a dead connection may fail; forget it all the same
                self._state.reset()  # type: ignore[attr-defined]
        self.connect()  # type: ignore[attr-defined]


class ThreadSafeDatabaseMetadata(Metadata):
    """Model metadata whose ``database`` is kept per thread, so that one thread can
    swap a model's database (primary -> replica, ``Model.bind(...)``,
    ``bind_ctx(...)``) without affecting the others::

        class BaseModel(Model):
            class Meta:
                database = primary
                model_metadata_class = ThreadSafeDatabaseMetadata

    The database first given (in ``Meta`` or by the first ``bind``) is the default of
    every thread that has not set its own. Subclasses of the model inherit the
    metadata class.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._default_database = None
        self._local = threading.local()
        self._database_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def database(self) -> Any:
        return getattr(self._local, 'database', self._default_database)

    @database.setter
    def database(self, database: Any) -> None:
        with self._database_lock:
            if self._default_database is None:
                self._default_database = database
        self._local.database = database

    def set_database(self, database: Any) -> None:
        # unlike Metadata.set_database(), the table object shared by all threads keeps
        # the default database: model queries take the database from here
        self.database = database
        for hook in self._db_hooks:
            hook(database)
