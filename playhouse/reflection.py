"""Reflection: read a live database's schema and turn it into model classes or source.

::

    from playhouse.reflection import Introspector, print_model

    introspector = Introspector.from_database(db)
    models = introspector.generate_models()       # {table name: model class}
    Tweet = models['tweets']
    for tweet in Tweet.select().join(models['users']):
        ...
    print_model(Tweet)

``orm-pwiz DATABASE`` (the console script; ``python -m playhouse.reflection DATABASE``
does the same) prints Python source for the models of a SQLite file or a PostgreSQL /
CockroachDB database; ``--help`` lists the options.
"""
from __future__ import annotations

import argparse
import datetime
import getpass
import keyword
import os
import re
import shlex
import sys
from collections import namedtuple
from typing import Any, Iterable, List, Optional, Tuple

from orm import (SQL, AutoField, BareField, BigAutoField, BigIntegerField, BlobField,
                 BooleanField, CharField, CompositeKey, DateField, DateTimeField,
                 DecimalField, DoubleField, Field, FixedCharField,
                 FloatField, ForeignKeyField, IntegerField, JSONField, Model,
                 SmallIntegerField, TextField, TimeField, UUIDField)
from orm import Context, MySQLDatabase, PostgresqlDatabase, SqliteDatabase
from orm import __version__ as orm_version

from playhouse._cli import command_name
from playhouse.cockroachdb import CockroachDatabase
from playhouse.db_url import connect
from playhouse.postgres_ext import ArrayField

__all__ = [
    'CockroachDBMetadata', 'Column', 'DatabaseMetadata', 'Introspector', 'Metadata',
    'MySQLMetadata', 'PostgresqlMetadata', 'SqliteMetadata', 'UnknownField',
    'generate_models', 'get_table_sql', 'introspect', 'print_model', 'print_table_sql',
]


class UnknownField(BareField):
    """A column whose type orm does not map; values pass through unchanged."""


#: names a generated field may not take (they would hide model attributes)
_RESERVED = frozenset(name for name in dir(Model) if not name.startswith('__')
                      and name not in Model._meta.fields) | {'DoesNotExist', '_meta', '_schema'}


def _source_of(value: Any) -> str:
    """Python source for a keyword argument's value (a class is written by its name)."""
    return value.__name__ if isinstance(value, type) else repr(value)


def _identifier(name: str) -> str:
    """``name`` as a Python identifier: each run of other characters becomes one ``_``
    (``'w/-nug!'`` -> ``'w_nug_'``); underscores already there are kept."""
    name = re.sub(r'\W+', '_', name) or 'field'
    if name[0].isdigit():
        name = '_' + name
    return name


# ---------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------

class Column:
    """One column of an introspected table, and how to declare it as a field."""

    def __init__(self, name: str, field_class: type, raw_column_type: str, nullable: bool,
                 primary_key: bool = False, column_name: Optional[str] = None,
                 index: bool = False, unique: bool = False, default: Optional[str] = None,
                 extra_parameters: Optional[dict] = None) -> None:
        self.name = name
        self.field_class = field_class
        self.raw_column_type = raw_column_type
        self.nullable = nullable
        self.primary_key = primary_key
        self.column_name = column_name or name
        self.index = index
        self.unique = unique
        self.default = default
        self.extra_parameters = dict(extra_parameters or {})
        # foreign-key attributes, set by set_foreign_key()
        self.rel_model: Optional[str] = None
        self.rel_table: Optional[str] = None
        self.to_field: Optional[str] = None
        self.related_name: Optional[str] = None
        self.foreign_key: Any = None
        self.table: Optional[str] = None
        #: part of a primary key of several columns (declared with CompositeKey)
        self.composite_key = False
        self.on_delete: Optional[str] = None
        self.on_update: Optional[str] = None

    def __repr__(self) -> str:
        attrs = ['field_class', 'raw_column_type', 'nullable', 'primary_key', 'column_name']
        keyword_args = ', '.join('%s=%r' % (attr, getattr(self, attr)) for attr in attrs)
        return 'Column(%s, %s)' % (self.name, keyword_args)

    def is_primary_key(self) -> bool:
        return self.field_class is AutoField or self.field_class is BigAutoField \
            or (self.primary_key and not self.composite_key)

    def is_foreign_key(self) -> bool:
        return self.field_class is ForeignKeyField

    def is_self_referential_fk(self) -> bool:
        return self.is_foreign_key() and self.rel_table == self.table

    def set_foreign_key(self, foreign_key: Any, model_names: dict, dest: Any = None,
                        related_name: Optional[str] = None) -> None:
        """Make this column a foreign key to ``foreign_key.dest_table``."""
        self.foreign_key = foreign_key
        self.field_class = ForeignKeyField
        self.rel_table = foreign_key.dest_table
        self.rel_model = ('self' if foreign_key.dest_table == foreign_key.table
                          else model_names[foreign_key.dest_table])
        self.to_field = dest.name if dest is not None else None
        self.related_name = related_name

    def _declaration(self, for_source: bool = False) -> List[Tuple[str, Any, Any]]:
        """The keyword arguments of this column's field, in declaration order, each as
        ``(name, Python value, source)``: the source is text to write into generated
        code, or ``True`` for a flag.

        ``for_source`` leaves out what pwiz leaves out of the code it prints: a foreign
        key carries no ``index=False`` there, even when its column has no index (the
        printed model then indexes the key, as a model declared by hand would)."""
        fk = self.is_foreign_key()
        # an extra parameter given as a string is already source text (how tools that
        # subclass Column, such as peewee_migrate, hand in ``"'CASCADE'"``); other values
        # are written as Python source
        out: List[Tuple[str, Any, Any]] = [
            (name, value, value if isinstance(value, str) else _source_of(value))
            for name, value in self.extra_parameters.items()]

        def flag(name: str, on: Any) -> None:
            if on:
                out.append((name, True, True))

        flag('null', self.nullable)
        if fk or self.name != self.column_name:
            out.append(('column_name', self.column_name, repr(self.column_name)))
        flag('primary_key', self.primary_key and not self.composite_key
             and self.field_class not in (AutoField, BigAutoField))
        if fk:
            model = self.rel_model if self.rel_model != 'self' else repr('self')
            out.append(('model', self.rel_model, model))
            # ``field`` is always written, the primary key included, as pwiz writes it
            for name, value in (('field', self.to_field), ('backref', self.related_name),
                                ('on_delete', self.on_delete), ('on_update', self.on_update)):
                if value:
                    out.append((name, value, repr(value)))
        if self.is_primary_key():
            return out
        if self.default is not None:
            default = 'DEFAULT %s' % self.default
            out.append(('constraints', [SQL(default)], '[SQL(%r)]' % default))
        if self.unique:
            out.append(('unique', True, True))
        elif bool(self.index) != self._indexed_by_default():
            if not (for_source and fk):
                out.append(('index', bool(self.index), repr(bool(self.index))))
        return out

    def _indexed_by_default(self) -> bool:
        """Whether the field class indexes its column unless told not to (foreign keys
        and arrays do; other fields do not)."""
        return self.is_foreign_key() or self.field_class is ArrayField

    def get_field_parameters(self) -> dict:
        """Keyword arguments of the field declaration, as source text."""
        return {name: source for name, _, source in self._declaration(for_source=True)}

    def get_field(self) -> str:
        """``name = FieldClass(...)`` source for this column, the keyword arguments in
        alphabetical order (a foreign key's ``model`` among them)."""
        params = self.get_field_parameters()
        call = ', '.join('%s=%s' % pair for pair in sorted(params.items()))
        cls = 'ForeignKeyField' if self.is_foreign_key() else self.field_class.__name__
        return '%s = %s(%s)' % (self.name, cls, call)

    def field_kwargs(self) -> dict:
        """Keyword arguments of the field as Python values (for generate_models); the
        relation itself (model, field, backref) is left to the caller."""
        return {name: value for name, value, _ in self._declaration()
                if name not in ('model', 'field', 'backref')}


# ---------------------------------------------------------------------------------------
# Reading the schema of each engine
# ---------------------------------------------------------------------------------------

class Metadata:
    """Schema queries for one database; engines override :meth:`get_column_types`."""

    column_map: dict = {}

    def __init__(self, database: Any) -> None:
        self.database = database
        #: True once a column needs a field of an extension module (an ArrayField)
        self.requires_extension = False
        # each instance gets its own copy, to extend without touching the class
        self.column_map = dict(type(self).column_map)
        #: column type names to show instead of the catalog's, per column of the table
        #: read last (``inet[]`` where the catalog says ``ARRAY``)
        self.type_labels: dict = {}

    def execute(self, sql: str, *params: Any) -> Any:
        return self.database.execute_sql(sql, params)

    def get_column_types(self, table: str, schema: Optional[str] = None) -> tuple:
        """``({column: field class}, {column: extra field kwargs}, {column: auto?})``."""
        raise NotImplementedError

    def _clean_default(self, field_class: type, default: Any) -> Optional[str]:
        if default is None:
            return None
        default = str(default).strip()
        if default.upper() == 'NULL' or default.lower().startswith('nextval('):
            return None
        return default

    def get_columns(self, table: str, schema: Optional[str] = None) -> dict:
        """``{column name: Column}`` in table order."""
        types, extras, autos = self.get_column_types(table, schema)
        primary_keys = self.get_primary_keys(table, schema)
        columns: dict = {}
        for meta in self.database.get_columns(table, schema):
            field_class = types.get(meta.name, UnknownField)
            is_pk = meta.name in primary_keys
            if is_pk and len(primary_keys) == 1 and autos.get(meta.name):
                field_class = BigAutoField if field_class is BigIntegerField else AutoField
            columns[meta.name] = column = Column(
                meta.name, field_class, self.type_labels.get(meta.name, meta.data_type),
                meta.null and not is_pk,
                primary_key=is_pk, column_name=meta.name,
                default=self._clean_default(field_class, meta.default),
                extra_parameters=extras.get(meta.name))
            column.composite_key = is_pk and len(primary_keys) > 1
        return columns

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        return self.database.get_foreign_keys(table, schema)

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        return self.database.get_primary_keys(table, schema)

    def _type_name(self, data_type: Any) -> Any:
        """The catalog's type name in the form ``column_map`` is keyed by."""
        return data_type

    def get_foreign_key_actions(self, table: str, schema: Optional[str] = None) -> dict:
        """``{column: (on_delete, on_update)}`` for foreign keys with actions other than
        NO ACTION."""
        return {}

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        return self.database.get_indexes(table, schema)

    def get_views(self, schema: Optional[str] = None) -> list:
        return self.database.get_views(schema)

    def get_tables(self, schema: Optional[str] = None) -> list:
        return self.database.get_tables(schema)


def _length_params(field_class: type, args: list) -> dict:
    """max_length / max_digits / decimal_places from a type's arguments (those that
    differ from what the field class would use anyway)."""
    if not args:
        return {}
    if issubclass(field_class, CharField):
        given = {'max_length': (args[0], 255)}
    elif issubclass(field_class, DecimalField):
        scale = args[1] if len(args) > 1 else 0
        given = {'max_digits': (args[0], 10), 'decimal_places': (scale, 5)}
    else:
        return {}
    return {name: value for name, (value, usual) in given.items() if value != usual}


class SqliteMetadata(Metadata):
    """SQLite: declared types mapped by name, then by SQLite's affinity rules."""

    column_map = {
        'bigint': BigIntegerField, 'blob': BlobField, 'bool': BooleanField,
        'boolean': BooleanField, 'char': FixedCharField, 'character': FixedCharField,
        'date': DateField, 'datetime': DateTimeField, 'decimal': DecimalField,
        'double': DoubleField, 'double precision': DoubleField, 'float': FloatField,
        'int': IntegerField, 'integer': IntegerField, 'json': JSONField,
        'numeric': DecimalField, 'real': FloatField, 'smallint': SmallIntegerField,
        'text': TextField, 'time': TimeField, 'timestamp': DateTimeField,
        'varchar': CharField, 'nvarchar': CharField, 'character varying': CharField,
        'uuid': UUIDField, 'clob': TextField,
    }

    def _map_col(self, column_type: str) -> tuple:
        raw = (column_type or '').strip()
        match = re.match(r'^([^(]*?)\s*(?:\(([^)]*)\))?\s*$', raw)
        base = (match.group(1) if match else raw).lower().replace('unsigned', '').strip()
        args = []
        if match and match.group(2):
            for part in match.group(2).split(','):
                part = part.strip()
                if part.isdigit():
                    args.append(int(part))
        if not base:
            return BareField, {}
        field_class = self.column_map.get(base)
        if field_class is None:
            # SQLite's affinity rules (section 3.1 of its datatype documentation)
            if 'int' in base:
                field_class = IntegerField
            elif any(word in base for word in ('char', 'clob', 'text')):
                field_class = TextField
            elif 'blob' in base:
                field_class = BlobField
            elif any(word in base for word in ('real', 'floa', 'doub')):
                field_class = FloatField
            else:
                field_class = UnknownField
        return field_class, _length_params(field_class, args)

    def get_column_types(self, table: str, schema: Optional[str] = None) -> tuple:
        types, extras, autos = {}, {}, {}
        for meta in self.database.get_columns(table, schema):
            field_class, extra = self._map_col(meta.data_type)
            types[meta.name] = field_class
            if extra:
                extras[meta.name] = extra
            # an INTEGER PRIMARY KEY is the rowid: an auto-incrementing key
            autos[meta.name] = (meta.data_type or '').strip().upper() == 'INTEGER'
        return types, extras, autos

    def get_foreign_key_actions(self, table: str, schema: Optional[str] = None) -> dict:
        prefix = '%s.' % self.database.quote_identifier(schema) if schema else ''
        rows = self.database.execute_sql('PRAGMA %sforeign_key_list(%s)' % (
            prefix, self.database.quote_identifier(table))).fetchall()
        out = {}
        for row in rows:
            on_update, on_delete = (_action(row[5]), _action(row[6]))
            if on_delete or on_update:
                out[row[3]] = (on_delete, on_update)
        return out


def _action(text: Any) -> Optional[str]:
    text = (text or '').upper()
    return None if text in ('', 'NO ACTION') else text


_PG_ACTIONS = {'a': None, 'r': 'RESTRICT', 'c': 'CASCADE', 'n': 'SET NULL', 'd': 'SET DEFAULT'}


class PostgresqlMetadata(Metadata):
    """PostgreSQL: ``information_schema`` types, lengths and serial / identity keys."""

    column_map = {
        'bigint': BigIntegerField, 'boolean': BooleanField, 'bytea': BlobField,
        'character': FixedCharField, 'character varying': CharField, 'date': DateField,
        'double precision': DoubleField, 'integer': IntegerField, 'json': JSONField,
        'jsonb': JSONField, 'numeric': DecimalField, 'real': FloatField,
        'smallint': SmallIntegerField, 'text': TextField,
        'time without time zone': TimeField, 'time with time zone': TimeField,
        'timestamp without time zone': DateTimeField,
        'timestamp with time zone': DateTimeField, 'uuid': UUIDField,
    }

    def get_column_types(self, table: str, schema: Optional[str] = None) -> tuple:
        cursor = self.database.execute_sql(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, "
            "numeric_scale, column_default, is_identity "
            "FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = COALESCE(%s, current_schema())", (table, schema))
        types, extras, autos = {}, {}, {}
        rows = cursor.fetchall()
        arrays = self._array_columns(table, schema) \
            if any(self._type_name(row[1]) == 'ARRAY' for row in rows) else {}
        self.type_labels = {name: '%s%s' % (element, '[]' * max(dims or 1, 1))
                            for name, (element, dims) in arrays.items()}
        for name, data_type, length, precision, scale, default, identity in rows:
            data_type = self._type_name(data_type)
            if name in arrays:
                types[name], extras[name] = self._array_field(*arrays[name])
                continue
            field_class = self.column_map.get(data_type, UnknownField)
            types[name] = field_class
            args = [length] if length is not None else []
            if data_type == 'numeric' and precision is not None:
                args = [precision, scale or 0]
            extra = _length_params(field_class, args)
            if extra:
                extras[name] = extra
            autos[name] = (field_class in (IntegerField, BigIntegerField) and (
                identity == 'YES' or str(default or '').startswith('nextval(')))
        return types, extras, autos

    def _array_columns(self, table: str, schema: Optional[str] = None) -> dict:
        """``{column: (element type, dimensions)}`` for the array columns of ``table``;
        the element type as ``format_type`` writes it (``character varying(20)``)."""
        cursor = self.database.execute_sql(
            "SELECT att.attname, format_type(elem.oid, att.atttypmod), att.attndims "
            "FROM pg_catalog.pg_attribute att "
            "JOIN pg_catalog.pg_class cls ON cls.oid = att.attrelid "
            "JOIN pg_catalog.pg_namespace ns ON ns.oid = cls.relnamespace "
            "JOIN pg_catalog.pg_type typ ON typ.oid = att.atttypid "
            "JOIN pg_catalog.pg_type elem ON elem.oid = typ.typelem "
            "WHERE cls.relname = %s AND ns.nspname = COALESCE(%s, current_schema()) "
            "AND att.attnum > 0 AND NOT att.attisdropped AND typ.typcategory = 'A'",
            (table, schema))
        return {name: (element, dims) for name, element, dims in cursor.fetchall()}

    def _array_field(self, element: str, dimensions: Optional[int]) -> tuple:
        """``(field class, keyword arguments)`` for an array of ``element``: an
        ``ArrayField`` of the element's field, or ``UnknownField`` when orm has no field
        for the element type."""
        args = [int(arg) for arg in re.findall(r'\d+', ''.join(
            re.findall(r'\(([^)]*)\)', element)))]
        base = self._type_name(re.sub(r'\s*\([^)]*\)', '', element).strip())
        item = self.column_map.get(base)
        if item is None:
            return UnknownField, {}
        self.requires_extension = True
        if base == 'numeric' and len(args) == 1:
            args.append(0)
        kwargs: dict = {'field_class': item}
        item_kwargs = _length_params(item, args)
        if item_kwargs:
            kwargs['field_kwargs'] = item_kwargs
        if dimensions and dimensions > 1:
            kwargs['dimensions'] = dimensions
        return ArrayField, kwargs

    def get_foreign_key_actions(self, table: str, schema: Optional[str] = None) -> dict:
        cursor = self.database.execute_sql(
            "SELECT a.attname, con.confdeltype, con.confupdtype "
            "FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = con.conkey[1] "
            "WHERE con.contype = 'f' AND array_length(con.conkey, 1) = 1 AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema())", (table, schema))
        out = {}
        for column, on_delete, on_update in cursor.fetchall():
            actions = (_PG_ACTIONS.get(on_delete), _PG_ACTIONS.get(on_update))
            if any(actions):
                out[column] = actions
        return out


class CockroachDBMetadata(PostgresqlMetadata):
    """CockroachDB: PostgreSQL's catalog; ``INT`` is 64-bit and ``unique_rowid()`` keys."""

    column_map = dict(PostgresqlMetadata.column_map, bigint=BigIntegerField,
                      jsonb=JSONField)

    def _type_name(self, data_type: Any) -> Any:
        # some CockroachDB versions report their own names (INT8, STRING(20), INT8[])
        return self.database.dialect.standard_type_name(data_type)

    def get_column_types(self, table: str, schema: Optional[str] = None) -> tuple:
        types, extras, autos = super().get_column_types(table, schema)
        for meta in self.database.get_columns(table, schema):
            if 'unique_rowid()' in str(meta.default or ''):
                autos[meta.name] = True
        return types, extras, autos

    def _clean_default(self, field_class: type, default: Any) -> Optional[str]:
        if default is not None and 'unique_rowid()' in str(default):
            return None
        return super()._clean_default(field_class, default)


class MySQLMetadata(Metadata):
    """MySQL / MariaDB: types, lengths and ``AUTO_INCREMENT`` from
    ``information_schema.columns``; ``TINYINT(1)`` (MySQL's ``BOOL``) is a boolean."""

    column_map = {
        'bigint': BigIntegerField, 'blob': BlobField, 'bool': BooleanField,
        'boolean': BooleanField, 'char': CharField, 'date': DateField,
        'datetime': DateTimeField, 'decimal': DecimalField, 'double': DoubleField,
        'float': FloatField, 'int': IntegerField, 'integer': IntegerField,
        'longblob': BlobField, 'longtext': TextField, 'mediumblob': BlobField,
        'mediumint': IntegerField, 'mediumtext': TextField, 'numeric': DecimalField,
        'smallint': SmallIntegerField, 'text': TextField, 'time': TimeField,
        'timestamp': DateTimeField, 'tinyblob': BlobField, 'tinyint': SmallIntegerField,
        'tinytext': TextField, 'varbinary': BlobField, 'binary': BlobField,
        'varchar': CharField,
    }

    def __init__(self, database: Any, **kwargs: Any) -> None:
        super().__init__(database)

    def get_column_types(self, table: str, schema: Optional[str] = None) -> tuple:
        cursor = self.database.execute_sql(
            'SELECT column_name, data_type, column_type, character_maximum_length, '
            'numeric_precision, numeric_scale, extra FROM information_schema.columns '
            'WHERE table_name = %s AND table_schema = COALESCE(%s, DATABASE())',
            (table, schema))
        types: dict = {}
        extras: dict = {}
        autos: dict = {}
        for name, data_type, full_type, length, precision, scale, extra in cursor.fetchall():
            base = str(data_type or '').lower()
            if str(full_type or '').lower().startswith('tinyint(1)'):
                field_class: Any = BooleanField
            else:
                field_class = self.column_map.get(base, UnknownField)
            types[name] = field_class
            args = [length] if field_class is CharField and length is not None else []
            if field_class is DecimalField and precision is not None:
                args = [precision, scale or 0]
            params = _length_params(field_class, args)
            if params:
                extras[name] = params
            autos[name] = 'auto_increment' in str(extra or '').lower()
        return types, extras, autos

    def get_foreign_key_actions(self, table: str, schema: Optional[str] = None) -> dict:
        # MySQL reports RESTRICT, its default, for a key declared without an action
        out = {}
        for fk in self.database.get_foreign_keys(table, schema):
            actions = tuple(None if action == 'RESTRICT' else action
                            for action in (_action(fk.on_delete), _action(fk.on_update)))
            if any(actions):
                out[fk.column] = actions
        return out


#: the ``WHERE`` of a partial index, after its column list
_PARTIAL_INDEX = re.compile(r'\)\s*WHERE\s', re.I)

_DatabaseMetadata = namedtuple('_DatabaseMetadata', (
    'columns', 'primary_keys', 'foreign_keys', 'model_names', 'indexes'))


class DatabaseMetadata(_DatabaseMetadata):
    """What :meth:`Introspector.introspect` found: per-table dicts of columns, primary
    keys, foreign keys, model names and indexes."""

    def _handled(self, table: str, index: Any) -> bool:
        """Whether a field or ``Meta.indexes`` can declare ``index``: it covers plain
        columns of the table, and the whole table (no ``WHERE``)."""
        columns = list(index.columns or [])
        if not columns or any(c is None or c not in self.columns[table] for c in columns):
            return False     # an index on expressions
        return not _PARTIAL_INDEX.search(getattr(index, 'sql', None) or '')

    def _usable(self, table: str) -> list:
        pk = list(self.primary_keys.get(table) or [])
        out = []
        for index in self.indexes.get(table, []):
            if not self._handled(table, index):
                continue
            if index.unique and list(index.columns) == pk:
                continue     # the primary key's own index
            out.append(index)
        return out

    def unhandled_indexes(self, table: str) -> list:
        """The indexes of ``table`` that generated models leave out, because a model
        cannot declare them: partial indexes (``... WHERE ...``) and indexes on
        expressions (``LOWER(name)``). Each is the engine's index description, with
        ``name`` and ``sql``, to be created by hand (or by a migration) if needed."""
        return [index for index in self.indexes.get(table, [])
                if not self._handled(table, index)]

    def multi_column_indexes(self, table: str) -> list:
        """``[((columns...), unique), ...]`` for indexes on more than one column."""
        return [(tuple(index.columns), bool(index.unique))
                for index in self._usable(table) if len(index.columns) > 1]

    def column_indexes(self, table: str) -> dict:
        """``{column: unique}`` for single-column indexes."""
        out: dict = {}
        for index in self._usable(table):
            if len(index.columns) == 1:
                column = index.columns[0]
                out[column] = out.get(column, False) or bool(index.unique)
        return out


# ---------------------------------------------------------------------------------------
# The introspector
# ---------------------------------------------------------------------------------------

def _metadata_for(database: Any) -> Metadata:
    name = getattr(getattr(database, 'dialect', None), 'name', None)
    if name == 'cockroach':
        return CockroachDBMetadata(database)
    if name == 'postgres':
        return PostgresqlMetadata(database)
    if name == 'sqlite':
        return SqliteMetadata(database)
    if name == 'mysql':
        return MySQLMetadata(database)
    raise ValueError('cannot introspect %r: SQLite, PostgreSQL, CockroachDB and MySQL / '
                     'MariaDB are supported' % (database,))


class Introspector:
    """Reads a database's tables and builds models (or model source) from them."""

    pk_classes = (AutoField, BigAutoField)

    def __init__(self, metadata: Metadata, schema: Optional[str] = None) -> None:
        self.metadata = metadata
        self.schema = schema

    def __repr__(self) -> str:
        return '<Introspector: %s>' % self.metadata.database

    @classmethod
    def from_database(cls, database: Any, schema: Optional[str] = None) -> 'Introspector':
        """An introspector for ``database`` (proxies are followed)."""
        while hasattr(database, 'initialize') and hasattr(database, 'attach_callback'):
            database = object.__getattribute__(database, 'obj')
        return cls(_metadata_for(database), schema=schema)

    # -- facts about the database ----------------------------------------------------------
    def get_database_class(self) -> type:
        return type(self.metadata.database)

    def get_database_name(self) -> str:
        return self.metadata.database.database

    def get_database_kwargs(self) -> dict:
        """Connection arguments worth writing into generated source (no password)."""
        kwargs = dict(getattr(self.metadata.database, 'connect_params', None) or {})
        kwargs.pop('password', None)
        return {k: v for k, v in kwargs.items()
                if k in ('host', 'port', 'user', 'pragmas', 'sslmode') and v is not None}

    def get_additional_imports(self) -> str:
        """Imports the generated source needs beyond ``from orm import *`` (the database
        class of an extension module, e.g. ``playhouse.cockroachdb``)."""
        cls = self.get_database_class()
        module = cls.__module__
        if module == 'orm' or module.startswith('orm.'):
            return ''
        return 'from %s import %s\n' % (module, cls.__name__)

    # -- naming ------------------------------------------------------------------------------
    def make_model_name(self, table: str, snake_case: bool = True) -> str:
        """``blog_posts`` -> ``BlogPosts``; ``blogPosts`` -> ``BlogPosts``, or with
        ``snake_case=False`` (pwiz's legacy naming) ``Blogposts``."""
        words = re.sub(r'[^\w]+', '_', table)
        if not snake_case:
            words = words.lower()
        name = ''.join(part[:1].upper() + part[1:] for part in words.split('_') if part)
        name = name or 'Table'
        if not (name[0].isalpha() or name[0] == '_'):
            name = 'T' + name
        return name

    def make_column_name(self, column: str, is_foreign_key: bool = False,
                         snake_case: bool = True) -> str:
        """``camelCase`` -> ``camel_case``; a foreign key ``user_id`` -> ``user``. With
        ``snake_case=False`` (pwiz's legacy naming) the name is only lower-cased:
        ``camelCase`` -> ``camelcase``."""
        name = column.strip()
        if snake_case:
            name = re.sub(r'(.)([A-Z][a-z]+)', r'\1_\2', name)
            name = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name)
        name = _identifier(name.lower())
        if is_foreign_key:
            if name.lower().endswith('_id') and len(name) > 3:
                name = name[:-3]
            elif name.lower() == 'id':
                name = name + '_ref'
        if keyword.iskeyword(name) or name in _RESERVED:
            name += '_'
        return name

    # -- introspection ------------------------------------------------------------------------
    def introspect(self, table_names: Optional[Iterable[str]] = None,
                   literal_column_names: bool = False, include_views: bool = False,
                   snake_case: bool = True) -> DatabaseMetadata:
        """Read tables (all, or ``table_names``), their columns, keys and indexes."""
        tables = self.metadata.get_tables(self.schema)
        if include_views:
            tables = sorted(set(tables) | {v.name for v in self.metadata.get_views(self.schema)})
        if table_names is not None:
            wanted = set(table_names)
            tables = [t for t in tables if t in wanted]
            # tables those refer to come along, so foreign keys resolve
            queue = list(tables)
            seen = set(tables)
            while queue:
                for fk in self.metadata.get_foreign_keys(queue.pop(), self.schema):
                    if fk.dest_table not in seen:
                        seen.add(fk.dest_table)
                        tables.append(fk.dest_table)
                        queue.append(fk.dest_table)
            tables = sorted(tables)

        model_names: dict = {}
        used_names: set = set()
        for table in tables:
            name = self.make_model_name(table, snake_case)
            base, n = name, 1
            while name in used_names or name in ('BaseModel', 'UnknownField', 'Model'):
                n += 1
                name = '%s%d' % (base, n)
            used_names.add(name)
            model_names[table] = name

        columns, primary_keys, foreign_keys, indexes = {}, {}, {}, {}
        for table in tables:
            columns[table] = self.metadata.get_columns(table, self.schema)
            primary_keys[table] = self.metadata.get_primary_keys(table, self.schema)
            foreign_keys[table] = [fk for fk in self.metadata.get_foreign_keys(table,
                                                                              self.schema)
                                   if fk.dest_table in model_names]
            indexes[table] = self.metadata.get_indexes(table, self.schema)
        metadata = DatabaseMetadata(columns, primary_keys, foreign_keys, model_names, indexes)

        for table in tables:
            table_columns = columns[table]
            fk_columns = {fk.column: fk for fk in foreign_keys[table]}
            actions = self.metadata.get_foreign_key_actions(table, self.schema) \
                if fk_columns else {}
            single = metadata.column_indexes(table)
            keys_seen: set = set()    # tables a foreign key of this table points to
            taken: set = set()
            for column_name, column in table_columns.items():
                column.table = table
                if column_name in single:
                    column.unique = single[column_name]
                    column.index = not column.unique
                is_fk = column_name in fk_columns
                if literal_column_names:
                    attr = _identifier(column_name)
                    if keyword.iskeyword(attr) or attr in _RESERVED:
                        attr += '_'
                else:
                    attr = self.make_column_name(column_name, is_fk, snake_case)
                    if is_fk and (attr in table_columns or attr in taken):
                        attr = self.make_column_name(column_name, False, snake_case)
                base, n = attr, 1
                while attr in taken:
                    n += 1
                    attr = '%s_%d' % (base, n)
                taken.add(attr)
                column.name = attr
                if is_fk:
                    fk = fk_columns[column_name]
                    dest_columns = columns.get(fk.dest_table, {})
                    dest = dest_columns.get(fk.dest_column)
                    # the first key to a table keeps the default backref
                    # (<model>_set); each further key to the same table would clash
                    # with it, so it is named after the target table and the field
                    related_name = None
                    if fk.dest_table in keys_seen:
                        related_name = '%s_%s_set' % (self.make_column_name(
                            fk.dest_table, False, snake_case), attr)
                    keys_seen.add(fk.dest_table)
                    column.set_foreign_key(fk, model_names, dest, related_name)
                    column.on_delete, column.on_update = actions.get(column_name,
                                                                     (None, None))
                    column.extra_parameters.pop('max_length', None)
        # the target columns' attribute names are known now: ``field`` names them
        for table in tables:
            for fk in foreign_keys[table]:
                column = columns[table][fk.column]
                dest = columns.get(fk.dest_table, {}).get(fk.dest_column)
                if dest is not None:
                    column.to_field = dest.name
        return metadata

    # -- models -------------------------------------------------------------------------------
    def _model_order(self, metadata: DatabaseMetadata) -> tuple:
        """Tables ordered so referenced tables come first; foreign keys that close a
        cycle are returned as ``deferred`` ``{(table, column)}``."""
        order: list = []
        deferred: set = set()
        state: dict = {}

        def visit(table: str) -> None:
            state[table] = 'active'
            for fk in sorted(metadata.foreign_keys[table], key=lambda f: f.column):
                dest = fk.dest_table
                if dest == table:
                    continue
                if state.get(dest) == 'active':
                    deferred.add((table, fk.column))
                elif dest not in state:
                    visit(dest)
            state[table] = 'done'
            order.append(table)

        for table in sorted(metadata.model_names):
            if table not in state:
                visit(table)
        return order, deferred

    def generate_models(self, skip_invalid: bool = False,
                        table_names: Optional[Iterable[str]] = None,
                        literal_column_names: bool = False, bare_fields: bool = False,
                        include_views: bool = False) -> dict:
        """Working model classes for the tables: ``{table name: model}``.

        Foreign keys are resolved, self-references included; a cycle of foreign keys is
        closed by adding the last key after both models exist.
        """
        metadata = self.introspect(table_names=table_names,
                                   literal_column_names=literal_column_names,
                                   include_views=include_views)
        database = self.metadata.database
        schema = self.schema

        class BaseModel(Model):
            class Meta:
                pass
        BaseModel._meta.set_database(database)
        if schema:
            BaseModel._meta.schema = schema

        order, deferred = self._model_order(metadata)
        models: dict = {}
        late: list = []

        def make_field(table: str, column: Column) -> Field:
            kwargs = column.field_kwargs()
            if column.is_foreign_key():
                if column.rel_model == 'self':
                    rel = 'self'
                else:
                    rel = models[column.rel_table]
                if column.to_field:
                    kwargs['field'] = column.to_field
                if column.related_name:
                    kwargs['backref'] = column.related_name
                else:
                    kwargs['backref'] = _free_backref(
                        rel if rel != 'self' else None, metadata.model_names[table])
                return ForeignKeyField(rel, **kwargs)
            field_class = column.field_class
            if bare_fields and not column.is_primary_key():
                field_class = BareField
                for key in ('max_length', 'max_digits', 'decimal_places'):
                    kwargs.pop(key, None)
            return field_class(**kwargs)

        for table in order:
            try:
                attrs: dict = {}
                columns = metadata.columns[table]
                pk = metadata.primary_keys[table]
                meta_attrs: dict = {'table_name': table}
                for column in columns.values():
                    if (table, column.column_name) in deferred:
                        late.append((table, column))
                        continue
                    attrs[column.name] = make_field(table, column)
                if len(pk) > 1:
                    names = [columns[c].name for c in pk]
                    meta_attrs['primary_key'] = CompositeKey(*names)
                elif not pk:
                    meta_attrs['primary_key'] = False
                multi = metadata.multi_column_indexes(table)
                if multi:
                    meta_attrs['indexes'] = [
                        ([columns[c].name for c in cols], unique) for cols, unique in multi]
                attrs['Meta'] = type('Meta', (), meta_attrs)
                attrs['__module__'] = __name__
                models[table] = type(metadata.model_names[table], (BaseModel,), attrs)
            except Exception:
                if not skip_invalid:
                    raise
        for table, column in late:
            model = models.get(table)
            if model is None or column.rel_table not in models:
                continue
            field = make_field(table, column)
            if column.primary_key:
                model._meta.set_primary_key(column.name, field)
            else:
                model._meta.add_field(column.name, field)
        return models


def _free_backref(rel_model: Any, model_name: str) -> Optional[str]:
    """The default backref (``<model>_set``) unless the target already has that name."""
    name = '%s_set' % model_name.lower()
    if rel_model is not None and hasattr(rel_model, name):
        n = 2
        while hasattr(rel_model, '%s%d' % (name, n)):
            n += 1
        return '%s%d' % (name, n)
    return None


# ---------------------------------------------------------------------------------------
# Source generation (the model generator behind the command line)
# ---------------------------------------------------------------------------------------

def _database_source(introspector: Introspector) -> str:
    db_class = introspector.get_database_class().__name__
    kwargs = introspector.get_database_kwargs()
    args = [repr(introspector.get_database_name())]
    args.extend('%s=%r' % item for item in sorted(kwargs.items()))
    return 'database = %s(%s)' % (db_class, ', '.join(args))


#: what the printed module declares for columns of unknown types: like pwiz, a
#: stand-in that takes any arguments and maps nothing (the column is left out)
_UNKNOWN_FIELD_SOURCE = ['class UnknownField(object):',
                         '    def __init__(self, *_, **__): pass']


def generate_header(introspector: Introspector, command: str = 'orm-pwiz',
                    module: str = 'orm', when: Optional[datetime.datetime] = None) -> str:
    """The comment that ``-i`` puts first: the command that printed the module, when
    (``when``, or now), from which database, and the version of ``module`` (orm's
    version either way)::

        # Code generated by:
        # orm-pwiz -i app.db
        # Date: March 05, 2026 09:30AM
        # Database: app.db
        # orm version: 0.1.0
    """
    label = 'Peewee' if module == 'peewee' else module
    return '\n'.join([
        '# Code generated by:',
        '# %s' % command,
        '# Date: %s' % (when or datetime.datetime.now()).strftime('%B %d, %Y %I:%M%p'),
        '# Database: %s' % introspector.get_database_name(),
        '# %s version: %s' % (label, orm_version),
    ]) + '\n'


def generate_source(introspector: Introspector, tables: Optional[Iterable[str]] = None,
                    preserve_order: bool = False, include_views: bool = False,
                    ignore_unknown: bool = False, snake_case: bool = True,
                    info: bool = False, literal_column_names: bool = False,
                    module: str = 'orm') -> str:
    """Python source declaring a model per table of the introspected database, laid out
    as pwiz lays it out. ``module`` is the name the source imports (``orm``, or
    ``peewee`` for an application that runs on orm through ``install_as_peewee()``);
    ``info`` starts it with :func:`generate_header`."""
    metadata = introspector.introspect(table_names=tables, include_views=include_views,
                                       snake_case=snake_case,
                                       literal_column_names=literal_column_names)
    order, deferred = introspector._model_order(metadata)
    lines: list = []
    if info:
        lines.append(generate_header(introspector, module=module))
    lines.append('from %s import *' % module)
    extra = introspector.get_additional_imports()
    if extra:
        lines.append(extra.rstrip('\n'))
    if any(c.field_class is ArrayField
           for cols in metadata.columns.values() for c in cols.values()):
        lines.append('from playhouse.postgres_ext import ArrayField')
    lines.extend(['', _database_source(introspector), ''])
    if not ignore_unknown:
        lines.extend(_UNKNOWN_FIELD_SOURCE + [''])
    lines.extend(['class BaseModel(Model):', '    class Meta:',
                  '        database = database'])
    if introspector.schema:
        lines.append('        schema = %r' % introspector.schema)
    lines.append('')
    for table in order:
        columns = metadata.columns[table]
        model_name = metadata.model_names[table]
        lines.append('class %s(BaseModel):' % model_name)
        # fields by attribute name; preserve_order (-o) keeps the table's column order
        column_list = list(columns.values())
        if not preserve_order:
            column_list.sort(key=lambda c: c.name)
        pk = metadata.primary_keys[table]
        body = 0
        for column in column_list:
            if column.field_class is UnknownField and ignore_unknown:
                lines.append('    # %s - %s' % (column.name, column.raw_column_type))
                body += 1
                continue
            if column.field_class is AutoField and column.name == 'id' \
                    and column.column_name == 'id':
                continue       # the implicit primary key
            if (table, column.column_name) in deferred:
                params = column.get_field_parameters()
                params.pop('model')
                args = [repr(metadata.model_names[column.rel_table])]
                args += ['%s=%s' % item for item in sorted(params.items())]
                source = '%s = DeferredForeignKey(%s)' % (column.name, ', '.join(args))
            else:
                source = column.get_field()
            comment = ''
            if column.field_class is UnknownField:
                comment = '  # %s' % column.raw_column_type
            lines.append('    %s%s' % (source, comment))
            body += 1
        meta_lines = ['        table_name = %r' % table]
        if len(pk) > 1:
            meta_lines.append('        primary_key = CompositeKey(%s)' % ', '.join(
                repr(columns[c].name) for c in pk))
        elif not pk:
            meta_lines.append('        primary_key = False')
        multi = metadata.multi_column_indexes(table)
        if multi:
            meta_lines.append('        indexes = (')
            named = sorted(([columns[c].name for c in cols], unique) for cols, unique in multi)
            for names, unique in named:
                meta_lines.append('            ((%s%s), %s),' % (
                    ', '.join(map(repr, names)), ',' if len(names) == 1 else '', unique))
            meta_lines.append('        )')
        if body:
            lines.append('')
        lines.append('    class Meta:')
        lines.extend(meta_lines)
        lines.append('')
    return '\n'.join(lines).rstrip('\n') + '\n'


def print_models(introspector: Introspector, tables: Optional[Iterable[str]] = None,
                 preserve_order: bool = False, include_views: bool = False,
                 ignore_unknown: bool = False, snake_case: bool = True,
                 info: bool = False, module: str = 'orm') -> None:
    """Print :func:`generate_source` to standard output."""
    sys.stdout.write(generate_source(introspector, tables, preserve_order, include_views,
                                     ignore_unknown, snake_case, info, module=module))


# ---------------------------------------------------------------------------------------
# Module-level helpers
# ---------------------------------------------------------------------------------------

def introspect(database: Any, schema: Optional[str] = None) -> DatabaseMetadata:
    return Introspector.from_database(database, schema=schema).introspect()


def generate_models(database: Any, schema: Optional[str] = None, **options: Any) -> dict:
    """``{table name: model class}`` for ``database``'s tables."""
    return Introspector.from_database(database, schema=schema).generate_models(**options)


def print_model(model: Any, indexes: bool = True, inline_indexes: bool = False) -> None:
    """Print a model's table, columns, keys and indexes in a compact form::

        tweets
          id AUTO PK
          user_id INT FK: Users.id
          content TEXT
    """
    meta = model._meta
    lines = [meta.table_name]
    index_list = meta.fields_to_index() if indexes else []
    single: dict = {}
    for index in index_list:
        fields = getattr(index, '_fields', None) or []
        if len(fields) == 1 and isinstance(fields[0], Field):
            single[fields[0].column_name] = bool(getattr(index, '_unique', False))
    for field in meta.sorted_fields:
        parts = ['  %s %s' % (field.column_name, field.field_type)]
        if field.primary_key or (meta.composite_key and field.name in
                                 meta.primary_key.field_names):
            parts.append('PK')
        if isinstance(field, ForeignKeyField):
            parts.append('FK: %s.%s' % (field.rel_model.__name__,
                                        field.rel_field.column_name))
        if field.null:
            parts.append('NULL')
        if inline_indexes and field.column_name in single:
            parts.append('UNIQUE' if single[field.column_name] else 'INDEX')
        lines.append(' '.join(parts))
    if indexes and not inline_indexes and index_list:
        lines.extend(['', 'index(es)'])
        for index in index_list:
            fields = getattr(index, '_fields', None) or []
            names = ', '.join(getattr(f, 'column_name', None) or str(f) for f in fields)
            lines.append('  %s%s' % (names, ' UNIQUE' if getattr(index, '_unique', False)
                                     else ''))
    print('\n'.join(lines))


def get_table_sql(model: Any) -> str:
    """The ``CREATE TABLE`` statement of ``model`` for its database, values inlined."""
    database = model._meta.database
    ctx = database.get_sql_context(literal_values=True) if database is not None else None
    node = model._schema._create_table(safe=True)
    if ctx is None:
        ctx = Context(literal_values=True)
    sql, params = ctx.sql(node).query()
    return sql


def print_table_sql(model: Any) -> None:
    print(get_table_sql(model))


# ---------------------------------------------------------------------------------------
# Command line:  python -m playhouse.reflection [options] DATABASE
# ---------------------------------------------------------------------------------------

_ENGINES = {
    'sqlite': 'sqlite', 'sqlite3': 'sqlite',
    'postgres': 'postgresql', 'postgresql': 'postgresql', 'pg': 'postgresql',
    'cockroachdb': 'cockroachdb', 'crdb': 'cockroachdb', 'cockroach': 'cockroachdb',
    'mysql': 'mysql', 'mariadb': 'mysql',
}

_DATABASE_CLASSES = {'postgresql': PostgresqlDatabase, 'cockroachdb': CockroachDatabase,
                     'mysql': MySQLDatabase}


def connect_database(database: str, engine: Optional[str] = None, **kwargs: Any) -> Any:
    """A database object from a URL (``postgresql://user@host/db``), or from a name or
    file path with ``engine`` (``sqlite`` when omitted)."""
    if '://' in database:
        return connect(database)
    engine = _ENGINES.get((engine or 'sqlite').lower())
    if engine is None:
        raise ValueError('unknown engine; use one of sqlite, postgresql, cockroachdb, '
                         'mysql')
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if engine == 'sqlite':
        return SqliteDatabase(database)
    return _DATABASE_CLASSES[engine](database, **kwargs)


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description='Print orm model classes for the tables of a live database.',
        epilog='examples:  %(prog)s app.db   |   %(prog)s -e postgresql -H localhost '
               '-u postgres my_app   |   %(prog)s postgresql://postgres@localhost/my_app')
    parser.add_argument('database', help='SQLite file, database name, or database URL')
    parser.add_argument('-e', '--engine',
                        help='sqlite (default), postgresql, cockroachdb or mysql')
    parser.add_argument('-H', '--host')
    parser.add_argument('-p', '--port', type=int)
    parser.add_argument('-u', '--user')
    parser.add_argument('-P', '--password', action='store_true',
                        help='prompt for a password')
    parser.add_argument('-s', '--schema', help='schema to read (PostgreSQL)')
    parser.add_argument('-t', '--tables',
                        help='comma-separated tables (those they refer to come too)')
    parser.add_argument('-v', '--views', action='store_true', help='include views')
    parser.add_argument('-i', '--info', action='store_true',
                        help='start with a comment saying where the models came from')
    parser.add_argument('-o', '--preserve-order', action='store_true',
                        help='keep the columns in table order')
    parser.add_argument('-I', '--ignore-unknown', action='store_true',
                        help='leave out columns of types orm does not map')
    parser.add_argument('-L', '--legacy-naming', action='store_true',
                        help="pwiz's legacy naming: names only lower-cased (model "
                             "names capitalised), camelCase not split into words")
    return parser


def run_command(argv: Optional[list], prog: str, module: str = 'orm') -> int:
    """The model generator's command line, called ``prog`` in its help and header;
    the printed source imports ``module``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser(prog).parse_args(argv)
    password = getpass.getpass() if args.password else None
    try:
        database = connect_database(args.database, args.engine, host=args.host,
                                    port=args.port, user=args.user, password=password)
        if getattr(database, 'dialect', None) is not None and \
                database.dialect.name == 'sqlite':
            if args.database != ':memory:' and '://' not in args.database and \
                    not os.path.exists(args.database):
                raise ValueError('no SQLite database file at %r' % args.database)
        database.connect()
    except Exception as exc:
        sys.stderr.write('error: cannot open %s: %s\n' % (args.database, exc))
        return 2
    try:
        introspector = Introspector.from_database(database, schema=args.schema)
        tables = [t.strip() for t in args.tables.split(',')] if args.tables else None
        if args.info:
            sys.stdout.write(generate_header(introspector, ' '.join([prog, shlex.join(argv)]),
                                             module) + '\n')
        print_models(introspector, tables=tables, preserve_order=args.preserve_order,
                     include_views=args.views, ignore_unknown=args.ignore_unknown,
                     snake_case=not args.legacy_naming, module=module)
    finally:
        database.close()
    return 0


def main(argv: Optional[list] = None) -> int:
    """``orm-pwiz`` / ``python -m playhouse.reflection``: models that import ``orm``."""
    return run_command(argv, command_name('playhouse.reflection', 'orm-pwiz'))


if __name__ == '__main__':
    sys.exit(main())
