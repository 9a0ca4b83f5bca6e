"""orm: a lightweight, fast Python ORM with a peewee-compatible API.

SQLite (the embedded default), PostgreSQL, and CockroachDB through
``playhouse.cockroachdb``.  ``import orm as peewee`` runs peewee applications.
"""
from __future__ import annotations

from typing import Any

from .exceptions import (DatabaseError, DataError, DoesNotExist, ExceptionWrapper,
                         ImproperlyConfigured, IntegrityError, InterfaceError, InternalError,
                         NotSupportedError, OperationalError, PeeweeException,
                         ProgrammingError)
from .sql.context import AliasManager, Context, State
from .sql.nodes import (EXCLUDED, OP, SQL, Alias, Asc, AsIs, BindTo, BitwiseMixin,
                        BitwiseNegated, Case, Cast, Check, Column, ColumnBase, CommaNodeList,
                        Default, Desc, EnclosedNodeList, Entity, EntityFactory, Expression,
                        Function, NamespaceAttribute, Negated, Node, NodeList, Ordering,
                        QualifiedNames, Star, StringExpression, Tuple, Value, ValueLiterals,
                        Window, WindowAlias, WrappedNode, attrdict, ensure_entity,
                        ensure_tuple, fn, qesc, qualify_names, quote, unqesc)
from .sql.queries import (ROW, BaseQuery, CompoundSelectQuery, Delete, ForUpdate, Index,
                          Insert, OnConflict, Query, RawQuery, Select, SelectBase,
                          SelectQuery, Update, chunked, database_required)
from .sql.sources import CTE, JOIN, BaseTable, ColumnFactory, Join, Source, Table, ValuesList
from .dialects import Dialect, PostgresDialect, SqliteDialect
from .database import (ColumnMetadata, ConnectionContext, Database, DatabaseProxy,
                       ForeignKeyMetadata, IndexMetadata, PostgresqlDatabase, Proxy,
                       SqliteDatabase, ViewMetadata)
from .results import (CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper,
                      ObjectCursorWrapper, ResultIterator)

__version__ = '0.1.0'


def query_to_string(query: Any) -> str:
    """The SQL of ``query`` with its parameters written in as literals (for reading only)."""
    db = getattr(query, '_database', None)
    dialect = db.dialect if db is not None else SqliteDialect()
    sql, params = dialect.compile(query)
    parts = sql.split(dialect.param)
    if len(parts) != len(params) + 1:
        return sql
    out = [parts[0]]
    for value, tail in zip(params, parts[1:]):
        out.append(dialect.literal_value(value))
        out.append(tail)
    text = ''.join(out)
    return text.replace('%%', '%') if dialect.param == '%s' else text


def callable_(obj: Any) -> bool:
    return callable(obj)


def merge_dict(source: dict, overrides: dict | None) -> dict:
    merged = dict(source)
    merged.update(overrides or {})
    return merged


__all__ = [
    # the names `from peewee import *` gives (the model layer adds the rest)
    'AsIs', 'Case', 'Cast', 'Check', 'Column', 'Context', 'DataError', 'Database',
    'DatabaseError', 'DatabaseProxy', 'Default', 'DoesNotExist', 'EXCLUDED', 'Entity',
    'ImproperlyConfigured', 'Index', 'IntegrityError', 'InterfaceError', 'InternalError',
    'JOIN', 'NotSupportedError', 'OP', 'OperationalError', 'PostgresqlDatabase',
    'ProgrammingError', 'Proxy', 'QualifiedNames', 'SQL', 'Select', 'SqliteDatabase', 'Table',
    'Tuple', 'Value', 'ValuesList', 'Window', 'chunked', 'fn',
]
