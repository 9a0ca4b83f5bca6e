"""Compare model classes with the live schema of a database.

::

    from playhouse.schema_diff import diff_models

    diff = diff_models(db, [User, Tweet, Note])
    if diff:
        print(diff)          # create table note / add column user.karma / ...

:func:`diff_models` returns a :class:`SchemaDiff`, a named tuple of five lists that map
onto migrator calls: tables to create, columns to add and drop, indexes to add and drop.
Columns are matched by name; plain indexes by their columns and uniqueness, partial and
expression indexes by name.  Tables that no model describes are left alone, and virtual
tables (SQLite FTS and the like) are skipped.

orm compares more than that, and keeps it beside the five lists (see
:class:`SchemaDiff`): NULL / NOT NULL and column types (by family, so ``VARCHAR(255)``
and ``character varying(255)`` agree; on SQLite by type affinity, which is all SQLite
enforces) and foreign keys.  A difference there also makes the diff true.

:func:`playhouse.migrations.template` turns a diff into a migration file.
"""
from __future__ import annotations

import re
from collections import namedtuple
from typing import Any, Iterable, Optional

from orm import Field, ForeignKeyField, sort_models

__all__ = ['ColumnChange', 'ForeignKeyDiff', 'IndexDiff', 'SchemaDiff', 'diff_models']


class IndexDiff(namedtuple('IndexDiff', ('table', 'name', 'columns', 'unique'))):
    """An index to add or drop.

    ``columns`` is None for a partial or expression index, which is known by ``name``
    only.  An index to add that is made of plain columns has no ``name`` (the migrator
    names it when it creates it); an index to drop always has one.
    """

    __slots__ = ()

    @property
    def by_name(self) -> bool:
        """Whether the index is known by name only (partial or expression)."""
        return self.columns is None

    def describe(self) -> str:
        if self.by_name:
            return '%s.%s (partial or expression)' % (self.table, self.name)
        where = self.table if self.name is None else '%s.%s' % (self.table, self.name)
        return '%s (%s)%s' % (where, ', '.join(self.columns),
                              ' unique' if self.unique else '')


#: a column both sides have but describe differently (orm's addition): ``field`` is the
#: model's, ``live_type`` and ``live_null`` are the database's; ``null_differs`` and
#: ``type_differs`` say what differs.
ColumnChange = namedtuple('ColumnChange', ('table', 'column', 'field', 'live_type',
                                           'live_null', 'null_differs', 'type_differs'))

#: a foreign-key constraint to add or drop (orm's addition)
ForeignKeyDiff = namedtuple('ForeignKeyDiff', ('table', 'column', 'dest_table',
                                               'dest_column', 'on_delete', 'on_update'))

class SchemaDiff(namedtuple('SchemaDiff', ('create_tables', 'add_columns', 'drop_columns',
                                           'add_indexes', 'drop_indexes'))):
    """What separates the models from the live schema.

    The five lists of the tuple:

    * ``create_tables``: model classes whose table does not exist, referenced tables
      first;
    * ``add_columns``: the model fields whose column is missing (``field.model`` is the
      model);
    * ``drop_columns``: ``(table, column)`` for columns no model field describes;
    * ``add_indexes`` / ``drop_indexes``: :class:`IndexDiff` entries.

    Besides them (attributes, not part of the tuple):

    * ``column_changes``: :class:`ColumnChange` for columns whose NULL / NOT NULL or type
      differ;
    * ``add_foreign_keys`` / ``drop_foreign_keys``: :class:`ForeignKeyDiff` for
      foreign-key constraints on columns both sides have;
    * ``extra_tables``: live tables that no model describes (never a difference).

    The diff is false when nothing differs; ``str(diff)`` is one line per difference.
    """

    column_changes: list
    add_foreign_keys: list
    drop_foreign_keys: list
    extra_tables: list

    def __new__(cls, create_tables: Iterable = (), add_columns: Iterable = (),
                drop_columns: Iterable = (), add_indexes: Iterable = (),
                drop_indexes: Iterable = (), *, column_changes: Iterable = (),
                add_foreign_keys: Iterable = (), drop_foreign_keys: Iterable = (),
                extra_tables: Iterable = ()) -> 'SchemaDiff':
        self = super().__new__(cls, list(create_tables), list(add_columns),
                               list(drop_columns), list(add_indexes), list(drop_indexes))
        self.column_changes = list(column_changes)
        self.add_foreign_keys = list(add_foreign_keys)
        self.drop_foreign_keys = list(drop_foreign_keys)
        self.extra_tables = list(extra_tables)
        return self

    def __bool__(self) -> bool:
        return any(self) or bool(self.column_changes or self.add_foreign_keys or
                                 self.drop_foreign_keys)

    def lines(self) -> list:
        """One line per difference, as ``str()`` prints them."""
        out = ['create table %s' % _qualified(model) for model in self.create_tables]
        out += ['add column %s.%s' % (field.model._meta.table_name, field.column_name)
                for field in self.add_columns]
        out += ['drop column %s.%s' % pair for pair in self.drop_columns]
        out += ['add index %s' % index.describe() for index in self.add_indexes]
        out += ['drop index %s' % index.describe() for index in self.drop_indexes]
        for change in self.column_changes:
            where = '%s.%s' % (change.table, change.column)
            if change.null_differs:
                out.append('alter column %s %s' % (
                    where, 'null' if change.field.null else 'not null'))
            if change.type_differs:
                out.append('alter column %s type %s -> %s' % (
                    where, change.live_type, _declared_type(change.field)))
        out += ['add foreign key %s.%s -> %s.%s' % fk[:4] for fk in self.add_foreign_keys]
        out += ['drop foreign key %s.%s -> %s.%s' % fk[:4] for fk in self.drop_foreign_keys]
        return out

    summary = lines

    def __str__(self) -> str:
        return '\n'.join(self.lines())

    def __repr__(self) -> str:
        return '<SchemaDiff: %s>' % ('; '.join(self.lines()) or 'no differences')


def _qualified(model: Any) -> str:
    meta = model._meta
    schema = getattr(meta, 'schema', None)
    return '%s.%s' % (schema, meta.table_name) if schema else meta.table_name


# ---------------------------------------------------------------------------------------
# Column types (orm's addition)
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
    """``(family, size arguments)`` of a declared type: ``('varchar', (40,))``."""
    text = (type_text or '').strip().lower()
    if text.endswith('[]'):
        # an array: PostgreSQL records no dimensions (INTEGER[][] is integer[]), so
        # only the element type counts
        family, args = _family(re.sub(r'(\s*\[\])+$', '', text))
        return family + '[]', args
    match = re.match(r'^([^(]*)(?:\(([^)]*)\))?\s*(.*)$', text)
    if match is None:
        return text, ()
    base = ' '.join(part for part in (match.group(1).strip(), match.group(3).strip())
                    if part)
    sizes = tuple(int(n) for n in re.findall(r'\d+', match.group(2) or ''))
    return _FAMILIES.get(base, base), sizes


def _sqlite_affinity(type_text: str) -> str:
    """The affinity SQLite gives a declared type (its documented rules, in order)."""
    text = (type_text or '').upper()
    if 'INT' in text:
        return 'INTEGER'
    if 'CHAR' in text or 'CLOB' in text or 'TEXT' in text:
        return 'TEXT'
    if 'BLOB' in text or not text.strip():
        return 'BLOB'
    if 'REAL' in text or 'FLOA' in text or 'DOUB' in text:
        return 'REAL'
    return 'NUMERIC'


def _declared_type(field: Field, database: Any = None) -> str:
    database = database if database is not None else field.model._meta.database
    ctx = database.get_sql_context()
    sql, _ = ctx.sql(field.ddl_datatype(ctx)).query()
    return sql


def _types_differ(database: Any, field: Field, live_type: str) -> bool:
    try:
        model_type = _declared_type(field, database)
    except Exception:           # a field type this engine cannot declare: not compared
        return False
    if not model_type or not live_type:
        return False            # an untyped column takes anything
    if database.dialect.name == 'sqlite':
        return _sqlite_affinity(model_type) != _sqlite_affinity(live_type)
    ours, our_sizes = _family(model_type)
    theirs, their_sizes = _family(live_type)
    if ours != theirs:
        return True
    return bool(our_sizes and their_sizes and our_sizes != their_sizes)


# ---------------------------------------------------------------------------------------
# Reading the live schema
# ---------------------------------------------------------------------------------------

def _is_pg(database: Any) -> bool:
    return database.dialect.name in ('postgres', 'cockroach')


def _live_types(database: Any, table: str, schema: Optional[str]) -> dict:
    """``{column: declared type}``, with lengths and precision on PostgreSQL."""
    if _is_pg(database):
        cursor = database.execute_sql(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = COALESCE(%s, current_schema()) "
            "AND a.attnum > 0 AND NOT a.attisdropped", (table, schema))
        return dict(cursor.fetchall())
    return {c.name: c.data_type for c in database.get_columns(table, schema)}


def _constraint_indexes(database: Any, table: str, schema: Optional[str]) -> set:
    """Names of the indexes behind constraints (primary key, UNIQUE, EXCLUDE): they go
    with the table definition and are never dropped as indexes."""
    if _is_pg(database):
        cursor = database.execute_sql(
            "SELECT ic.relname FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_class ic ON ic.oid = con.conindid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = COALESCE(%s, current_schema()) "
            "AND con.contype IN ('p', 'u', 'x')", (table, schema))
        return {row[0] for row in cursor.fetchall()}
    return {index.name for index in database.get_indexes(table, schema)
            if index.name.startswith('sqlite_autoindex_')}


_WHERE = re.compile(r'\bWHERE\b', re.I)


def _live_indexes(database: Any, table: str, schema: Optional[str],
                  live_columns: Iterable[str], pk_columns: Iterable[str]) -> tuple:
    """``(indexes, kept)``: the table's indexes as :class:`IndexDiff` entries (partial
    and expression ones with ``columns`` None), and the names of those never to drop
    because a constraint or the primary key owns them (they still satisfy a model's
    index on the same columns)."""
    kept = _constraint_indexes(database, table, schema)
    known = set(live_columns)
    pk = set(pk_columns)
    out = []
    for index in database.get_indexes(table, schema):
        columns = tuple(index.columns or ())
        plain = bool(columns) and all(c in known for c in columns) and \
            not _WHERE.search(index.sql or '')
        if plain and index.unique and set(columns) == pk:
            kept.add(index.name)
        if plain:
            out.append(IndexDiff(table, index.name, columns, bool(index.unique)))
        else:
            out.append(IndexDiff(table, index.name, None, None))
    return out, kept


# ---------------------------------------------------------------------------------------
# The models' side
# ---------------------------------------------------------------------------------------

def _index_columns(model: Any, index: Any) -> Optional[tuple]:
    """The column names of a model index made of plain fields, else None (a partial or
    expression index, or one given as SQL)."""
    if getattr(index, '_where', None) is not None:
        return None
    items = getattr(index, '_fields', None)
    if items is None:
        items = getattr(index, '_expressions', None)
        if callable(items):
            items = None
    if not items:
        return None
    columns = []
    for item in items:
        if isinstance(item, str):
            item = model._meta.combined.get(item)
        if not isinstance(item, Field):
            return None
        columns.append(item.column_name)
    return tuple(columns)


def _model_indexes(model: Any) -> list:
    """The model's indexes as :class:`IndexDiff` entries (named)."""
    table = model._meta.table_name
    out = []
    for index in model._meta.fields_to_index():
        name = getattr(index, 'name', None) or getattr(index, '_name', None)
        if not isinstance(name, str):
            continue            # an index given as raw SQL: nothing to compare
        columns = _index_columns(model, index)
        unique = bool(getattr(index, '_unique', False))
        out.append(IndexDiff(table, name, columns, unique if columns else None))
    return out


def _is_virtual(model: Any) -> bool:
    return bool(getattr(model._meta, 'extension_module', None))


def _expand(models: Iterable) -> list:
    """The models, plus the through models of their many-to-many fields."""
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

def _pair_indexes(table: str, wanted: list, live: list) -> tuple:
    """``(to add, to drop)`` for one table: indexes known by name pair by name, plain
    ones by their columns and uniqueness."""
    unpaired = list(live)
    to_add = []
    for index in wanted:
        if index.by_name:
            match = next((i for i in unpaired if i.name == index.name), None)
        else:
            same = [i for i in unpaired if not i.by_name and i.columns == index.columns
                    and i.unique == index.unique]
            match = next((i for i in same if i.name == index.name), same[0] if same else None)
            if match is None:   # a plain declaration the database reports otherwise
                match = next((i for i in unpaired if i.by_name and i.name == index.name),
                             None)
        if match is not None:
            unpaired.remove(match)
        elif index.by_name:
            to_add.append(index)
        else:
            to_add.append(IndexDiff(table, None, index.columns, index.unique))
    to_add.sort(key=lambda i: (i.columns is None, i.columns or (), i.name or ''))
    unpaired.sort(key=lambda i: i.name)
    return to_add, unpaired


def diff_models(database: Any, models: Iterable,
                ignore_tables: Optional[Iterable[str]] = None) -> SchemaDiff:
    """Compare ``models`` with ``database``'s live schema; the :class:`SchemaDiff` is
    false when they agree.

    Two models on one table: the first one given is compared.  ``ignore_tables`` leaves
    tables out of ``extra_tables``.
    """
    chosen: list = []
    seen_tables: set = set()
    for model in _expand(models):
        key = (getattr(model._meta, 'schema', None), model._meta.table_name)
        if _is_virtual(model) or key in seen_tables:
            continue
        seen_tables.add(key)
        chosen.append(model)

    tables_by_schema: dict = {}

    def live_tables(schema: Optional[str]) -> set:
        if schema not in tables_by_schema:
            tables_by_schema[schema] = set(database.get_tables(schema=schema))
        return tables_by_schema[schema]

    create: list = []
    add_columns: list = []
    drop_columns: list = []
    add_indexes: list = []
    drop_indexes: list = []
    changes: list = []
    add_fks: list = []
    drop_fks: list = []
    for model in chosen:
        meta = model._meta
        table, schema = meta.table_name, getattr(meta, 'schema', None)
        if table not in live_tables(schema):
            create.append(model)
            continue
        live = {c.name: c for c in database.get_columns(table, schema)}
        declared = {f.column_name: f for f in meta.sorted_fields}
        pk_columns = database.get_primary_keys(table, schema)
        types = _live_types(database, table, schema)

        new_columns = [f for column, f in declared.items() if column not in live]
        gone = [column for column in live if column not in declared]
        add_columns.extend(new_columns)
        drop_columns.extend((table, column) for column in gone)

        for column, field in declared.items():
            if column not in live or field.primary_key or column in pk_columns:
                continue
            live_type = types.get(column, live[column].data_type)
            null_differs = bool(field.null) != bool(live[column].null)
            type_differs = _types_differ(database, field, live_type)
            if null_differs or type_differs:
                changes.append(ColumnChange(table, column, field, live_type,
                                            bool(live[column].null), null_differs,
                                            type_differs))

        wanted_idx = _model_indexes(model)
        live_idx, kept = _live_indexes(database, table, schema, live, pk_columns)
        more, fewer = _pair_indexes(table, wanted_idx, live_idx)
        add_indexes.extend(more)
        drop_indexes.extend(i for i in fewer if i.name not in kept)

        live_fks = {(fk.column, fk.dest_table, fk.dest_column)
                    for fk in database.get_foreign_keys(table, schema)}
        wanted_fks = {}
        for field in meta.sorted_fields:
            if isinstance(field, ForeignKeyField) and not getattr(field, 'deferred', False) \
                    and field.column_name in live and field.rel_field is not None:
                wanted_fks[(field.column_name, field.rel_model._meta.table_name,
                            field.rel_field.column_name)] = field
        for (column, dest, dest_column), field in wanted_fks.items():
            if (column, dest, dest_column) not in live_fks:
                add_fks.append(ForeignKeyDiff(table, column, dest, dest_column,
                                              field.on_delete, field.on_update))
        for column, dest, dest_column in sorted(live_fks):
            if (column, dest, dest_column) not in wanted_fks and column in declared:
                drop_fks.append(ForeignKeyDiff(table, column, dest, dest_column, None, None))

    ignored = set(ignore_tables or ())
    described = {model._meta.table_name for model in chosen}
    extra = sorted(live_tables(None) - described - ignored)
    return SchemaDiff(sort_models(create), add_columns, drop_columns, add_indexes,
                      drop_indexes, column_changes=changes, add_foreign_keys=add_fks,
                      drop_foreign_keys=drop_fks, extra_tables=extra)
