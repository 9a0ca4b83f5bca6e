"""Helpers built on the model API.

* :func:`model_to_dict` / :func:`dict_to_model` / :func:`update_model_from_dict` --
  convert model instances (with their related objects) to dictionaries and back;
* :func:`resolve_multimodel_query` -- rows of a ``UNION`` of several models as
  instances of the right model;
* :func:`insert_where` -- ``INSERT ... SELECT ... WHERE``: insert a row only when a
  condition holds;
* :class:`ReconnectMixin` -- a database that reconnects when the server dropped its
  connection, without ever sending a statement twice (:class:`OutcomeUnknownError`
  when a statement's fate is unknown);
* :class:`ThreadSafeDatabaseMetadata` -- model metadata whose database can be swapped
  per thread.
"""
from __future__ import annotations

import re
import threading
from typing import AbstractSet, Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, \
    Optional, Tuple

from orm import (Alias, CompoundSelectQuery, Field, ForeignKeyField, InterfaceError,
                 Metadata, OperationalError, OutcomeUnknownError, PostgresAdapter,
                 ProgrammingError, Select, Value, callable_)

__all__ = ['OutcomeUnknownError', 'ReconnectMixin', 'ThreadSafeDatabaseMetadata',
           'dict_to_model', 'insert_where', 'model_to_dict', 'resolve_multimodel_query',
           'update_model_from_dict']

_SENTINEL = object()


# ---------------------------------------------------------------------------------------
# model -> dict
# ---------------------------------------------------------------------------------------

class _Flattener:
    """One model_to_dict() call: the options every level of the walk shares.

    ``keep`` is the set of fields and accessors to keep (``None``: keep everything);
    each level gets its own ``banned`` set: what was excluded by the caller plus the
    relations already walked on the way down, so that a level never points back at
    the one above it.
    """

    def __init__(self, follow_fks: bool, backrefs: bool, manytomany: bool,
                 keep: Optional[AbstractSet]) -> None:
        self.follow_fks = follow_fks
        self.backrefs = backrefs
        self.manytomany = manytomany
        self.keep = keep

    def wanted(self, node: Any, banned: AbstractSet) -> bool:
        if node in banned:
            return False
        return self.keep is None or node in self.keep

    def flatten(self, obj: Any, levels: Optional[int], banned: FrozenSet) -> dict:
        """``obj`` as a dictionary; ``levels`` is how many relations deep may still be
        walked (``None``: no limit)."""
        nested_ok = levels is None or levels > 0
        deeper = None if levels is None else levels - 1
        out: Dict[str, Any] = {}
        if self.manytomany and nested_ok:
            out.update(self._many_to_many(obj, deeper, banned))
        for field in obj._meta.sorted_fields:
            if self.wanted(field, banned):
                out[field.name] = self._field_value(obj, field, nested_ok, deeper, banned)
        if self.follow_fks and self.backrefs and nested_ok:
            links: FrozenSet = frozenset()
            if self.manytomany:
                # the rows of a many-to-many's through model are its list already
                links = frozenset(fk for m2m in obj._meta.manytomany.values()
                                  for fk in m2m.get_through_model()._meta.refs)
            out.update(self._children(obj, deeper, banned, links))
        return out

    def _field_value(self, obj: Any, field: Any, nested_ok: bool,
                     deeper: Optional[int], banned: FrozenSet) -> Any:
        raw = obj.__data__.get(field.name)
        walk = (nested_ok and self.follow_fks and raw is not None
                and isinstance(field, ForeignKeyField) and field.lazy_load)
        if not walk:
            return raw
        # below, this foreign key is banned: a self-reference stops after one level
        return self.flatten(getattr(obj, field.name), deeper, banned | {field})

    def _children(self, obj: Any, deeper: Optional[int], banned: FrozenSet,
                  links: FrozenSet) -> Iterator[Tuple[str, List[dict]]]:
        owner = type(obj)
        below = banned
        for fk in obj._meta.backrefs:
            name: Optional[str] = fk.backref
            accessor = getattr(owner, name, None) if name else None
            if accessor is None or fk in banned or fk in links or accessor in banned:
                continue
            if self.keep is not None and not ({fk, accessor} & self.keep):
                continue
            # children leave out the key leading back up (and so do later collections)
            below = below | {fk}
            yield fk.backref, [self.flatten(child, deeper, below)
                               for child in getattr(obj, fk.backref)]

    def _many_to_many(self, obj: Any, deeper: Optional[int], banned: FrozenSet
                      ) -> Iterator[Tuple[str, List[dict]]]:
        for name, m2m in obj._meta.manytomany.items():
            if not self.wanted(m2m, banned):
                continue
            # the other side lists neither this relation, its mirror, nor the links
            hidden = set(m2m.get_through_model()._meta.refs)
            hidden.add(m2m)
            if m2m.backref:
                mirror = m2m.rel_model._meta.manytomany.get(m2m.backref)
                if mirror is not None:
                    hidden.add(mirror)
            below = banned | hidden
            yield name, [self.flatten(other, deeper, below) for other in getattr(obj, name)]


def _selected_by(query: Any) -> Tuple[set, List[str]]:
    """The fields a query selects, and the names of its aliased expressions."""
    returning = list(getattr(query, '_returning', None) or ())
    return ({node for node in returning if isinstance(node, Field)},
            [node._alias for node in returning if isinstance(node, Alias)])


def model_to_dict(model: Any, recurse: bool = True, backrefs: bool = False,
                  only: Optional[Iterable] = None, exclude: Optional[Iterable] = None,
                  seen: Optional[Iterable] = None, extra_attrs: Optional[Iterable] = None,
                  fields_from_query: Any = None, max_depth: Optional[int] = None,
                  manytomany: bool = False) -> dict:
    """A dictionary of ``model``'s field values, following its relations.

    :param recurse: give a foreign key as the related object's dictionary (instead of
        its key value). A foreign key declared with ``lazy_load=False`` keeps its value.
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
    keep: Optional[set] = set(only) if only else None
    names = list(extra_attrs or ())
    if fields_from_query is not None:
        selected, aliases = _selected_by(fields_from_query)
        keep = (keep or set()) | selected
        names += [alias for alias in aliases if alias not in names]
    banned = frozenset(exclude or ()) | frozenset(seen or ())
    walker = _Flattener(recurse, backrefs, manytomany, keep)
    out = walker.flatten(model, max_depth, banned)
    for name in names:
        attr = getattr(model, name)
        out[name] = attr() if callable_(attr) else attr
    return out


# ---------------------------------------------------------------------------------------
# dict -> model
# ---------------------------------------------------------------------------------------

def _related_from_dict(instance: Any, fk: Any, nested: dict, ignore_unknown: bool) -> Any:
    """The object ``instance.<fk>`` should point at, updated from ``nested``: the
    loaded one, or a new one carrying the stored key (no query is run)."""
    loaded = instance.__rel__.get(fk.name)
    if loaded is not None:
        return update_model_from_dict(loaded, nested, ignore_unknown)
    stored_key = instance.__data__.get(fk.name)
    seed = {} if stored_key is None else {fk.rel_field.name: stored_key}
    return update_model_from_dict(fk.rel_model(**seed), nested, ignore_unknown)


def _as_instances(model_class: Any, rows: Iterable, ignore_unknown: bool) -> List[Any]:
    return [dict_to_model(model_class, row, ignore_unknown) if isinstance(row, dict) else row
            for row in rows]


def update_model_from_dict(instance: Any, data: dict, ignore_unknown: bool = False) -> Any:
    """Set ``instance``'s fields from ``data``; returns the instance.

    A foreign key given as a dictionary becomes a related instance, a back-reference
    name given a list of dictionaries becomes a list of related instances. A key that
    is neither raises :class:`AttributeError` unless ``ignore_unknown`` is true (then
    it is set as a plain attribute).
    """
    meta = instance._meta
    by_backref = {fk.backref: fk for fk in meta.backrefs if fk.backref}
    for name, value in data.items():
        field = meta.combined.get(name)
        is_list = isinstance(value, (list, tuple))
        if field is not None:
            if isinstance(value, dict) and isinstance(field, ForeignKeyField):
                value = _related_from_dict(instance, field, value, ignore_unknown)
            setattr(instance, field.name, value)
        elif is_list and name in by_backref:
            fk = by_backref[name]
            children = _as_instances(fk.model, value, ignore_unknown)
            for child in children:
                setattr(child, fk.name, instance)
            instance.__dict__[name] = children
        elif is_list and name in meta.manytomany:
            instance.__dict__[name] = _as_instances(meta.manytomany[name].rel_model, value,
                                                    ignore_unknown)
        elif ignore_unknown:
            setattr(instance, name, value)
        else:
            raise AttributeError(
                '%s has no field, back-reference or many-to-many named %r (its fields: '
                '%s); with ignore_unknown=True such keys become plain attributes'
                % (type(instance).__name__, name, ', '.join(meta.sorted_field_names)))
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
    by_table: Dict[str, Any] = {}

    def label(part: Any) -> Any:
        if isinstance(part, CompoundSelectQuery):
            copy: Any = part.clone()
            copy.lhs, copy.rhs = label(part.lhs), label(part.rhs)
            return copy
        model: Any = getattr(part, 'model', None)
        if not hasattr(model, '_meta'):
            raise TypeError('resolve_multimodel_query() works on model queries; %r is '
                            'not one' % (part,))
        table = model._meta.table_name
        if by_table.setdefault(table, model) is not model:
            raise ValueError('cannot tell the rows apart: two models of the query use '
                             'the table name %r' % table)
        return part.select_extend(Value(table).alias(key))

    labelled = label(query)

    def instances() -> Iterator:
        for row in labelled.dicts().iterator():
            obj = by_table[row.pop(key)](**row)
            obj._dirty.clear()          # as read from the database: nothing to save
            yield obj
    return instances()


def insert_where(cls: type, data: dict, where: Any = None) -> Any:
    """An ``INSERT INTO ... SELECT <values> WHERE <where>`` query of ``cls``: the row
    (``{field or name: value}``, fields with defaults filled in) is inserted only when
    ``where`` holds, e.g. ``~fn.EXISTS(Tweet.select().where(...))``.

    Returns the query; ``execute()`` it.
    """
    meta: Any = getattr(cls, '_meta')
    row: Dict[Any, Any] = {}
    for name, value in data.items():
        field = name if isinstance(name, Field) else meta.combined.get(name)
        if field is None:
            raise ValueError('%s has no field named %r; its fields are: %s'
                             % (cls.__name__, name, ', '.join(meta.sorted_field_names)))
        row[field] = value
    for field in meta.defaults:
        row.setdefault(field, field.get_default())

    def as_column(field: Any, value: Any) -> Any:
        if hasattr(value, '__sql__') and not hasattr(value, '_meta'):
            return value                # already SQL: a function call, a subquery, ...
        return Value(value, converter=field.db_value, unpack=False)

    source: Any = Select(columns=[as_column(f, v) for f, v in row.items()])
    if where is not None:
        source = source.where(where)
    return getattr(cls, 'insert_from')(source, list(row))


# ---------------------------------------------------------------------------------------
# databases
# ---------------------------------------------------------------------------------------

# What a driver says when the connection under it is gone, by error class. The
# fragments are matched case-insensitively against the error's text.
# a call on a connection the driver already knows is closed: nothing is sent
_CLOSED_ON_OUR_SIDE: Tuple[Tuple[type, Tuple[str, ...]], ...] = (
    (InterfaceError, (
        'connection already closed',                    # psycopg2
        'cannot operate on a closed database',          # sqlite3
        'the connection has been closed')),             # apsw
    (ProgrammingError, ('cannot operate on a closed database',)),
)

_CONNECTION_GONE: Tuple[Tuple[type, Tuple[str, ...]], ...] = (
    (OperationalError, (
        # MySQL / MariaDB drivers
        'server has gone away', 'lost connection to mysql server', 'commands out of sync',
        'disconnected by the server because of inactivity', 'mysql connection not available',
        # PostgreSQL, psycopg2 and psycopg 3: the backend was terminated (an
        # administrator, a restart, an idle timeout) or its connection is already closed
        'terminating connection', 'server closed the connection unexpectedly',
        'connection already closed', 'ssl connection has been closed unexpectedly',
        'no connection to the server', 'the connection is closed', 'the connection is lost',
        'connection is bad', 'sending query')),
) + _CLOSED_ON_OUR_SIDE

# The lost-connection errors a driver raises *before* it sends anything: the
# connection was already closed on our side, or writing the request failed. A
# statement that failed so never reached the server and may be sent again.
_NOT_SENT: Tuple[Tuple[type, Tuple[str, ...]], ...] = (
    (OperationalError, (
        'the connection is closed',             # psycopg 3, closed before the call
        'connection already closed',
        'no connection to the server',          # libpq: nothing to send it on
        'sending query')),                      # psycopg 3: the request did not go out
) + _CLOSED_ON_OUR_SIDE

# statements that end a transaction by committing it: losing the connection while
# one runs leaves the commit's outcome unknown
_COMMITTING = re.compile(r'\s*(COMMIT|END|RELEASE\s+(SAVEPOINT\s+)?"?cockroach_restart)\b',
                         re.IGNORECASE)


def _rule_table(pairs: Iterable[Tuple[type, str]]) -> Dict[type, List[str]]:
    rules: Dict[type, List[str]] = {}
    for error_class, fragment in pairs:
        rules.setdefault(error_class, []).append(fragment.lower())
    return rules


def _matches(rules: Dict[type, List[str]], exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(isinstance(exc, error_class) and any(f in text for f in fragments)
               for error_class, fragments in rules.items())


def _outcome_unknown(exc: BaseException, committing: bool) -> OutcomeUnknownError:
    return OutcomeUnknownError.replacing(
        exc, 'The connection was lost after the statement was sent and before its result '
             'arrived, so the server may or may not have %s it; it is not sent again. '
             'The next statement reconnects.' % ('committed' if committing else 'run'))


class ReconnectMixin:
    """Mix into a database class to reconnect when the connection was lost -- but never
    by sending a statement twice::

        class ReconnectingPostgresqlDatabase(ReconnectMixin, PostgresqlDatabase):
            pass

    Before a statement outside a transaction, the connection is checked (without a
    round trip unless the server sent something unasked): one found dead -- closed, or
    its backend terminated while idle -- is replaced, then the statement runs once.
    When a statement fails because the connection is lost:

    * the driver reports that the statement was never sent (``unsent_errors``): the
      database reconnects and runs it, once -- outside a transaction only;
    * otherwise the request may have reached the server and run there: an
      autocommitted statement (or a ``COMMIT``) raises :class:`OutcomeUnknownError`,
      which says so; a statement inside a transaction raises the driver's error (the
      transaction is gone with the connection, nothing of it was committed).

    After either error the next statement reconnects.

    ``reconnect_errors`` lists ``(exception class, message fragment)`` pairs meaning
    the connection is lost; ``unsent_errors`` those of them raised before anything was
    sent. An error matches a pair when it is an instance of the class and its message
    contains the fragment (case insensitive; ``''`` matches any). Extend them in a
    subclass.
    """

    reconnect_errors: Tuple[Tuple[type, str], ...] = tuple(
        (error_class, fragment)
        for error_class, fragments in _CONNECTION_GONE for fragment in fragments)
    unsent_errors: Tuple[Tuple[type, str], ...] = tuple(
        (error_class, fragment)
        for error_class, fragments in _NOT_SENT for fragment in fragments)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reconnect_rules = _rule_table(self.reconnect_errors)
        self._unsent_rules = _rule_table(self.unsent_errors)

    def _connection_was_lost(self, exc: BaseException) -> bool:
        return _matches(self._reconnect_rules, exc)

    def _inside_transaction(self) -> bool:
        db: Any = self
        try:
            return bool(db.in_transaction())
        except Exception:
            # the driver cannot say any more (its connection is gone): use our own count
            return bool(db.transaction_depth())

    def _found_dead(self) -> bool:
        """Whether the calling thread's idle connection is known, or cheaply found, to
        be lost (PostgreSQL: closed, broken, or its backend said goodbye)."""
        db: Any = self
        conn = db._state.conn
        adapter = getattr(db, 'adapter', None)
        if conn is None or not isinstance(adapter, PostgresAdapter):
            return False
        return adapter.link_lost(conn)

    def execute_sql(self, sql: str, params: Any = None, commit: Any = _SENTINEL) -> Any:
        # asked before the statement runs: after the connection is lost the driver can
        # no longer tell that a transaction (even one begun by hand) was open
        outside = not self._inside_transaction()
        if outside and self._found_dead():
            self._reconnect()
        try:
            return self._execute_once(sql, params, commit)
        except Exception as exc:
            if not self._connection_was_lost(exc):
                raise
            if not _matches(self._unsent_rules, exc):
                # the request may have reached the server: never send it again
                committing = _COMMITTING.match(sql) is not None
                if outside or committing:
                    raise _outcome_unknown(exc, committing) from exc
                raise          # a transaction's statement: nothing of it was committed
            if not outside:
                raise
        self._reconnect()
        return self._execute_once(sql, params, commit)

    def _execute_once(self, sql: str, params: Any, commit: Any) -> Any:
        parent: Any = super()
        if commit is _SENTINEL:
            return parent.execute_sql(sql, params)
        return parent.execute_sql(sql, params, commit)

    def _reconnect(self) -> None:
        """Drop the dead connection and open a new one."""
        db: Any = self
        if not db.is_closed():
            try:
                db.close()
            except Exception:
                # a dead connection may refuse to close: forget it anyway
                db._state.reset()
        db.connect()


class ThreadSafeDatabaseMetadata(Metadata):
    """Model metadata that keeps ``database`` per thread: a thread may point the model
    at another database (``Model.bind(...)``, ``bind_ctx(...)``, a read replica)
    while every other thread keeps its own. Name it as ``model_metadata_class`` in the
    ``Meta`` of the model (or of a common base model).

    Threads that never chose a database see the first one the model was given (by
    ``Meta`` or its first ``bind``). Subclasses of the model use this metadata class too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._default_database = None
        self._local = threading.local()
        self._database_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _get_database(self) -> Any:
        return getattr(self._local, 'database', self._default_database)

    def _put_database(self, database: Any) -> None:
        if self._default_database is None:
            with self._database_lock:
                if self._default_database is None:
                    self._default_database = database
        self._local.database = database

    database = property(_get_database, _put_database)  # type: ignore[assignment]

    def set_database(self, database: Any) -> None:
        # Metadata.set_database() would also rebind the table object, which all threads
        # share; model queries read the database from here instead
        self._put_database(database)
        for hook in self._db_hooks:
            hook(database)
