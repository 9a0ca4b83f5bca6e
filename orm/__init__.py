"""orm: a lightweight, fast Python ORM with a peewee-compatible API.

SQLite (the embedded default), PostgreSQL, MySQL / MariaDB, and CockroachDB through
``playhouse.cockroachdb``.  ``import orm as peewee`` runs peewee applications.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sqlite3
import sys
import types
from typing import Any

from .exceptions import (DatabaseError, DataError, DoesNotExist, ExceptionWrapper,
                         ImproperlyConfigured, IntegrityError, InterfaceError, InternalError,
                         NotSupportedError, OperationalError, OutcomeUnknownError,
                         PeeweeException, ProgrammingError, UnconvertibleValue,
                         __exception_wrapper__)
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
                          SelectQuery, Update, chunked, database_required, query_to_string)
from .sql.sources import CTE, JOIN, BaseTable, ColumnFactory, Join, Source, Table, ValuesList
from .dialects import CockroachDialect, Dialect, MySQLDialect, PostgresDialect, SqliteDialect
from .dialects.cockroach import parse_cockroach_version
from .database import (ColumnMetadata, ConnectionContext, Database, DatabaseProxy,
                       ForeignKeyMetadata, IndexMetadata, Proxy, QueryEvent, ViewMetadata,
                       log_statement, query_logger, use_query_logger)
from .sqlite_db import SqliteDatabase
from .sqlite_rank import fts_bm25, fts_bm25f, fts_lucene, fts_rank
from .postgres_db import PostgresqlDatabase, isolation_level_sql
from .postgres_adapters import PostgresAdapter, Psycopg2Adapter, Psycopg3Adapter
from .mysql_db import MySQLDatabase
from .json_methods import (BaseJSONMethods, JSONPath, MySQLJSONMethods, PostgresqlJSONMethods,
                           SqliteJSONMethods)
from .rows import (CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper,
                   ObjectCursorWrapper, ResultIterator)
from .results import (BaseModelCursorWrapper, ModelCursorWrapper, ModelDictCursorWrapper,
                      ModelNamedTupleCursorWrapper, ModelObjectCursorWrapper,
                      ModelTupleCursorWrapper)
from .fields import (AnyField, AutoField, BareField, BigAutoField, BigBitField,
                     BigBitFieldAccessor, BigBitFieldData, BigIntegerField, BinaryUUIDField,
                     BitField, BlobField, BooleanField, CharField, DateField, DateTimeField,
                     DecimalField, DoubleField, Field, FieldAccessor, FieldAlias,
                     FieldDatabaseHook,
                     FixedCharField, FloatField, IdentityField, IntegerField, IPField,
                     JSONField, MetaField, ObjectIdAccessor, PrimaryKeyField,
                     SmallIntegerField, TextField, TimeField, TimestampField, UUIDField,
                     VirtualField, format_date_time, safe_python_value, simple_date_time)
from .relations import BackrefAccessor, DeferredForeignKey, ForeignKeyAccessor, ForeignKeyField
from .schema import ModelIndex
from .modelbase import (CompositeKey, Metadata, ModelBase, ModelDescriptor,
                        SubclassAwareMetadata, classmethod_only, is_model, make_identifier,
                        make_snake_case, sort_models)
from .query import DJANGO_MAP, DQ, BaseModelSelect, ModelCompoundSelectQuery, NoopModelSelect
from .model import Model
# named once more with ``as``: a strict type checker then treats them as exported, for
# annotations in application code, while ``from orm import *`` keeps peewee's names
from .query import ModelDelete as ModelDelete, ModelInsert as ModelInsert  # noqa: E501
from .query import ModelRaw as ModelRaw, ModelSelect as ModelSelect, ModelUpdate as ModelUpdate
from .model import ModelAlias as ModelAlias
from .manytomany import (DeferredThroughModel, ManyToManyField, ManyToManyFieldAccessor,
                         ManyToManyModelSelect, ManyToManyQuery)
from .schema import SchemaManager, make_index_name
# Transaction context managers under peewee's module-level names, for databases that
# extend them (playhouse.cockroachdb).
from .transactions import _atomic, _manual_commit, _savepoint, _transaction
from .prefetch import PREFETCH_TYPE, PrefetchQuery, prefetch, prefetch_add_subquery
# eager loading (ModelSelect.with_related)
from .loading import Load, load_related

__version__ = '0.1.0'

#: the version of the SQLite library the standard ``sqlite3`` module runs on
__sqlite_version__ = sqlite3.sqlite_version_info

#: the field type names (``FIELD.INT``, ``FIELD.VARCHAR`` ...) and the generic SQL type
#: each stands for; an engine's dialect may spell some of them its own way
FIELD = attrdict(Dialect.field_types)


class _ModuleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook: ``import <name>`` gives the module ``target``, imported only then
    (``import pwiz`` -> ``playhouse.pwiz``). The module keeps its own name and spec."""

    def __init__(self, name: str, target: str) -> None:
        self.name = name
        self.target = target
        self._spec: Any = None

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # already run as ``target``; the import system has put the alias's spec on it
        module.__spec__ = self._spec


def install_as_peewee() -> None:
    """Stand in for peewee in this process: after it, ``import peewee`` gives this module,
    ``import pwiz`` gives ``playhouse.pwiz`` (peewee's model generator, on orm), and
    every statement is logged on the ``peewee`` logger (where applications written for
    peewee look for it) instead of the ``orm`` logger. A ``pwiz`` imported before the
    call stays what it was."""
    sys.modules['peewee'] = sys.modules[__name__]
    if not any(isinstance(finder, _ModuleAlias) and finder.name == 'pwiz'
               for finder in sys.meta_path):
        sys.meta_path.insert(0, _ModuleAlias('pwiz', 'playhouse.pwiz'))
    use_query_logger('peewee')


def callable_(obj: Any) -> bool:
    return callable(obj)


def merge_dict(source: dict, overrides: dict | None) -> dict:
    merged = dict(source)
    merged.update(overrides or {})
    return merged


__all__ = [
    # the names `from peewee import *` gives
    'AnyField', 'AsIs', 'AutoField', 'BareField', 'BigAutoField', 'BigBitField',
    'BigIntegerField', 'BinaryUUIDField', 'BitField', 'BlobField', 'BooleanField', 'Case',
    'Cast', 'CharField', 'Check', 'Column', 'CompositeKey', 'Context', 'DJANGO_MAP', 'DQ',
    'DataError', 'Database', 'DatabaseError', 'DatabaseProxy', 'DateField', 'DateTimeField',
    'DecimalField', 'Default', 'DeferredForeignKey', 'DeferredThroughModel', 'DoesNotExist',
    'DoubleField', 'EXCLUDED', 'Entity', 'Field', 'FixedCharField', 'FloatField',
    'ForeignKeyField', 'IPField', 'IdentityField', 'ImproperlyConfigured', 'Index',
    'IntegerField', 'IntegrityError', 'InterfaceError', 'InternalError', 'JOIN', 'JSONField',
    'Load', 'ManyToManyField', 'Model', 'ModelIndex', 'MySQLDatabase', 'NotSupportedError',
    'OP', 'OperationalError', 'OutcomeUnknownError', 'PREFETCH_TYPE', 'PostgresqlDatabase',
    'PrimaryKeyField', 'ProgrammingError', 'Proxy',
    'QualifiedNames', 'QueryEvent', 'SQL', 'SchemaManager', 'Select', 'SmallIntegerField',
    'SqliteDatabase', 'Table', 'TextField', 'TimeField', 'TimestampField', 'Tuple',
    'UUIDField', 'Value', 'ValuesList', 'Window', 'chunked', 'fn', 'prefetch',
]

