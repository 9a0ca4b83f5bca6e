"""Compare model classes with a live database schema.

::

    from playhouse.schema_diff import diff_models

    diff = diff_models(db, [User, Tweet, Tag])
    for line in diff.summary():
        print(line)          # + table tag / + column tweet.likes / ~ tweet.content: NULL ...

The result lists tables to create, columns to add or drop, columns whose nullability or
type differ, indexes and foreign keys to add or drop, and tables that have no model.  The
migration runner's ``generate`` command writes a draft migration from it.

Types are compared loosely, by family (``VARCHAR(255)`` and ``character varying(255)``
agree; on SQLite by type affinity, which is all SQLite enforces), so a difference is
reported only when the column would really behave differently.
"""
from __future__ import annotations

import re
from collections import namedtuple
from typing import Any, Iterable, Optional

from orm import Field, ForeignKeyField, sort_models

__all__ = ['IndexDiff', 'SchemaDiff', 'diff_models']


class IndexDiff(namedtuple('IndexDiff', ('table', 'name', 'columns', 'unique'))):
    """An index to add or drop: table, index name, column names, unique."""

    def describe(self) -> str:
        return '%sindex %s on %s (%s)' % ('unique ' if self.unique else '', self.name,
                                          self.table, ', '.join(self.columns))


ColumnChange = namedtuple('ColumnChange', ('table', 'column', 'field', 'live'))
ForeignKeyDiff = namedtuple('ForeignKeyDiff', ('table', 'column', 'dest_table', 'dest_column',
                                               'on_delete', 'on_update'))


class SchemaDiff:
    """What separates the models from the live schema (see the module docstring)."""

    def __init__(self, database: Any) -> None:
        self.database = database
        #: models whose table does not exist (ordered so referenced tables come first)
        self.tables_to_create: list = []
        #: live tables no model describes (names)
        self.extra_tables: list = []
        #: ``(model, field)`` for columns the table lacks
        self.columns_to_add: list = []
        #: ``(table, ColumnMetadata)`` for columns no field describes
        self.columns_to_drop: list = []
        #: :class:`ColumnChange` where NULL / NOT NULL differ (the field holds the target)
        self.nullability: list = []
        #: :class:`ColumnChange` where the column type differs
        self.type_changes: list = []
        self.indexes_to_add: list = []
        self.indexes_to_drop: list = []
        self.foreign_keys_to_add: list = []
        self.foreign_keys_to_drop: list = []
        #: live type text per (table, column), for drafting the reverse of a type change
        self.live_types: dict = {}

    def __bool__(self) -> bool:
        return bool(self.tables_to_create or self.columns_to_add or self.columns_to_drop or
                    self.nullability or self.type_changes or self.indexes_to_add or
                    self.indexes_to_drop or self.foreign_keys_to_add or
                    self.foreign_keys_to_drop)

    def __repr__(self) -> str:
        return '<SchemaDiff: %s>' % ('; '.join(self.summary()) or 'no differences')

    def summary(self) -> list:
        """One line per difference (``+`` add, ``-`` remove, ``~`` change)."""
        lines = []
        for model in self.tables_to_create:
            lines.append('+ table %s' % model._meta.table_name)
        for model, field in self.columns_to_add:
            lines.append('+ column %s.%s' % (model._meta.table_name, field.column_name))
        for table, column in self.columns_to_drop:
            lines.append('- column %s.%s' % (table, column.name))
        for change in self.nullability:
            lines.append('~ %s.%s: %s' % (change.table, change.column,
                                          'NULL allowed' if change.field.null else 'NOT NULL'))
        for change in self.type_changes:
            lines.append('~ %s.%s: type %s -> %s' % (
                change.table, change.column, change.live,
                _model_type(self.database, change.field)))
        for index in self.indexes_to_drop:
            lines.append('- %s' % index.describe())
        for index in self.indexes_to_add:
            lines.append('+ %s' % index.describe())
        for fk in self.foreign_keys_to_drop:
            lines.append('- foreign key %s.%s -> %s.%s' % fk[:4])
        for fk in self.foreign_keys_to_add:
            lines.append('+ foreign key %s.%s -> %s.%s' % fk[:4])
        for table in self.extra_tables:
            lines.append('? table %s has no model' % table)
        return lines


# ---------------------------------------------------------------------------------------
# Type comparison
# ---------------------------------------------------------------------------------------

_FAMILIES = {
    'int': 'integer', 'integer': 'integer', 'int4': 'integer', 'serial': 'integer',
    'mediumint': 'integer', 'bigint': 'bigint', 'int8': 'bigint', 'bigserial': 'bigint',
    'smallint': 'smallint', 'int2': 'smallint', 'varchar': 'varchar',
    'character varying': 'varchar', 'nvarchar': 'varchar', 'char': 'char',
    'character': 'char', 'bpchar': 'char', 'text': 'text', 'clob': 'text',
    'real': 'real', 'float': 'real', 'float4': 'real', 'double': 'double',
    'double precision': 'double', 'float8': 'double', 'decimal': 'decimal',
    'numeric': 'decimal', 'bool': 'boolean', 'boolean': 'boolean', 'date': 'date',
    'time': 'time', 'time without time zone': 'time', 'datetime': 'timestamp',
    'timestamp': 'timestamp', 'timestamp without time zone': 'timestamp',
    'timestamp with time zone': 'timestamptz', 'timestamptz': 'timestamptz',
    'blob': 'blob', 'bytea': 'blob', 'uuid': 'uuid', 'json': 'json', 'jsonb': 'jsonb',
}


def _family(type_text: str) -> tuple:
    text = (type_text or '').strip().lower()
    if text.endswith('[]'):
        # an array: PostgreSQL records no dimensions (INTEGER[][] is integer[]), so
        # only the element type counts
        family, args = _family(re.sub(r'(\s*\[\])+$', '', text))
        return family + '[]', args
    match = re.match(r'^([^(]*)(?:\(([^)]*)\))?\s*(.*)$', text)
    base = match.group(1).strip() if match else text
    tail = match.group(3).strip() if match else ''
    if tail:
        base = (base + ' ' + tail).strip()
    args = tuple(int(a) for a in re.findall(r'\d+', match.group(2) or '')) if match else ()
    return _FAMILIES.get(base, base), args


def _sqlite_affinity(type_text: str) -> str:
    """SQLite's column affinity for a declared type."""
    text = (type_text or '').upper()
    if 'INT' in text:
        return 'INTEGER'
    if any(word in text for word in ('CHAR', 'CLOB', 'TEXT')):
        return 'TEXT'
    if 'BLOB' in text or not text.strip():
        return 'BLOB'
    if any(word in text for word in ('REAL', 'FLOA', 'DOUB')):
        return 'REAL'
    return 'NUMERIC'


def _model_type(database: Any, field: Field) -> str:
    ctx = database.get_sql_context()
    sql, _ = ctx.sql(field.ddl_datatype(ctx)).query()
    return sql


def _types_differ(database: Any, field: Field, live_type: str) -> bool:
    model_type = _model_type(database, field)
    if not model_type or not live_type:
        return False            # a bare column takes anything
    if database.dialect.name == 'sqlite':
        return _sqlite_affinity(model_type) != _sqlite_affinity(live_type)
    model_family, model_args = _family(model_type)
    live_family, live_args = _family(live_type)
    if model_family != live_family:
        return True
    return bool(model_args and live_args and model_args != live_args)


# ---------------------------------------------------------------------------------------
# Reading the live schema
# ---------------------------------------------------------------------------------------

def _live_types(database: Any, table: str) -> dict:
    """``{column: declared type}`` -- with lengths and precision on PostgreSQL."""
    if database.dialect.name in ('postgres', 'cockroach'):
        cursor = database.execute_sql(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = current_schema() AND a.attnum > 0 "
            "AND NOT a.attisdropped", (table,))
        return dict(cursor.fetchall())
    return {c.name: c.data_type for c in database.get_columns(table)}


def _constraint_indexes(database: Any, table: str) -> set:
    """Names of indexes that back constraints (never dropped as plain indexes)."""
    if database.dialect.name in ('postgres', 'cockroach'):
        cursor = database.execute_sql(
            "SELECT ic.relname FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_class ic ON ic.oid = con.conindid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = current_schema() "
            "AND con.contype IN ('p', 'u', 'x')", (table,))
        return {row[0] for row in cursor.fetchall()}
    return {index.name for index in database.get_indexes(table)
            if index.name.startswith('sqlite_autoindex_')}


def _model_indexes(model: Any) -> list:
    """``IndexDiff`` entries for the model's field indexes and ``Meta.indexes`` that are
    made of plain fields (expression and partial indexes are not compared)."""
    out = []
    table = model._meta.table_name
    for index in model._meta.fields_to_index():
        fields = getattr(index, '_fields', None)
        if not fields or getattr(index, '_where', None) is not None:
            continue
        resolved: list = []
        for item in fields:
            if isinstance(item, str):
                item = model._meta.combined.get(item)
            if not isinstance(item, Field):
                resolved = []
                break
            resolved.append(item.column_name)
        if resolved:
            out.append(IndexDiff(table, index.name, tuple(resolved),
                                 bool(getattr(index, '_unique', False))))
    return out


def _expand(models: Iterable) -> list:
    """The models plus the through models of their many-to-many fields."""
    out: list = []
    for model in models:
        if model not in out:
            out.append(model)
        for m2m in getattr(model._meta, 'manytomany', {}).values():
            through = m2m.get_through_model() if hasattr(m2m, 'get_through_model') else None
            if through is not None and through not in out:
                out.append(through)
    return out


# ---------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------

def diff_models(database: Any, models: Iterable,
                ignore_tables: Optional[Iterable[str]] = None) -> SchemaDiff:
    """Compare ``models`` with ``database``'s live schema.

    :param ignore_tables: live tables never reported as lacking a model (the migration
        runner passes its history table).
    """
    models = sort_models(_expand(models))
    diff = SchemaDiff(database)
    live_tables = set(database.get_tables())
    model_tables = {model._meta.table_name for model in models}
    ignored = set(ignore_tables or ())
    diff.extra_tables = sorted(t for t in live_tables - model_tables - ignored)

    for model in models:
        meta = model._meta
        table = meta.table_name
        if table not in live_tables:
            diff.tables_to_create.append(model)
            continue
        live_columns = {c.name: c for c in database.get_columns(table)}
        live_types = _live_types(database, table)
        fields = {f.column_name: f for f in meta.sorted_fields}
        pk_columns = set(database.get_primary_keys(table))

        for column, field in fields.items():
            if column not in live_columns:
                diff.columns_to_add.append((model, field))
                continue
            live = live_columns[column]
            diff.live_types[(table, column)] = live_types.get(column, live.data_type)
            if column in pk_columns or field.primary_key:
                continue
            if bool(field.null) != bool(live.null):
                diff.nullability.append(ColumnChange(table, column, field, live.null))
            live_type = live_types.get(column, live.data_type)
            if _types_differ(database, field, live_type):
                diff.type_changes.append(ColumnChange(table, column, field, live_type))
        for column, live in live_columns.items():
            if column not in fields:
                diff.columns_to_drop.append((table, live))
                diff.live_types[(table, column)] = live_types.get(column, live.data_type)

        # indexes, compared by (columns, unique)
        dropped_columns = {live.name for _t, live in diff.columns_to_drop if _t == table}
        wanted = _model_indexes(model)
        wanted_keys = {(i.columns, i.unique) for i in wanted}
        protected = _constraint_indexes(database, table)
        live_indexes = []
        for index in database.get_indexes(table):
            columns = tuple(index.columns or ())
            if not columns or any(c is None or c not in live_columns for c in columns):
                continue
            live_indexes.append((index, columns))
        live_keys = {(columns, bool(index.unique)) for index, columns in live_indexes}
        # add_column() creates the index of a new column declared index= / unique=
        added = {field.column_name for _m, field in diff.columns_to_add
                 if _m is model and (field.index or field.unique)}
        for index in wanted:
            if len(index.columns) == 1 and index.columns[0] in added:
                continue
            if (index.columns, index.unique) not in live_keys:
                diff.indexes_to_add.append(index)
        for index, columns in live_indexes:
            if index.name in protected or set(columns) == pk_columns:
                continue
            if set(columns) & dropped_columns:
                continue          # dropping the column drops the index
            if (columns, bool(index.unique)) not in wanted_keys:
                diff.indexes_to_drop.append(IndexDiff(table, index.name, columns,
                                                      bool(index.unique)))

        # foreign keys, compared by (column, target table, target column)
        live_fks = {(fk.column, fk.dest_table, fk.dest_column)
                    for fk in database.get_foreign_keys(table)}
        model_fks = {}
        for field in meta.sorted_fields:
            if isinstance(field, ForeignKeyField) and not field.deferred:
                key = (field.column_name, field.rel_model._meta.table_name,
                       field.rel_field.column_name)
                model_fks[key] = field
        for key, field in model_fks.items():
            if key not in live_fks:
                diff.foreign_keys_to_add.append(ForeignKeyDiff(
                    table, key[0], key[1], key[2], field.on_delete, field.on_update))
        for key in sorted(live_fks):
            if key not in model_fks and key[0] not in dropped_columns:
                diff.foreign_keys_to_drop.append(ForeignKeyDiff(table, key[0], key[1],
                                                                key[2], None, None))
    return diff
