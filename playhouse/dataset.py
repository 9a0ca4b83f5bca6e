"""A schemaless, dictionary-oriented API over a relational database.

.. code-block:: python

    from playhouse.dataset import DataSet

    db = DataSet('sqlite:///:memory:')      # a URL or a Database object
    people = db['people']                   # the table is created when missing
    people.insert(name='Huey', age=3)       # ... and so are new columns
    people.find_one(name='Huey')            # {'id': 1, 'name': 'Huey', 'age': 3}
    db.freeze(people.all(), format='json', filename='people.json')
    db['copy'].thaw(format='json', filename='people.json')

Existing tables are read with the database's introspection (``get_tables()``,
``get_columns()``, ``get_primary_keys()``); each table gets a model class
(:attr:`Table.model_class`) built on the fly. Rows are plain dictionaries.

Import and export formats are ``csv``, ``tsv`` and ``json``; add others by
subclassing :class:`Exporter` / :class:`Importer` and registering them in
:meth:`DataSet.get_export_formats` / :meth:`DataSet.get_import_formats`.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import datetime
import decimal
import json
import operator
import re
import uuid
from functools import reduce
from typing import Any, Callable, Iterable, Iterator, Optional

from orm import (SQL, AutoField, BareField, BigIntegerField, BlobField, BooleanField,
                 CompositeKey, Database, DateField, DateTimeField, DecimalField, DoubleField,
                 Field, FloatField, ImproperlyConfigured, IntegerField, Model,
                 NodeList, SmallIntegerField, SqliteDatabase, TextField, TimeField,
                 UUIDField, make_identifier)

from playhouse.db_url import connect

__all__ = ['CSVExporter', 'CSVImporter', 'DataSet', 'Exporter', 'Importer', 'JSONExporter',
           'JSONImporter', 'TSVExporter', 'TSVImporter', 'Table']


# ---------------------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------------------

#: (fragment of a reported column type, field class), most specific first
_TYPE_FRAGMENTS: list = [
    ('bigint', BigIntegerField), ('int8', BigIntegerField), ('bigserial', BigIntegerField),
    ('smallint', SmallIntegerField), ('int2', SmallIntegerField),
    ('interval', BareField), ('point', BareField),
    ('int', IntegerField), ('serial', IntegerField),
    ('bool', BooleanField),
    ('double', DoubleField), ('float', FloatField), ('real', FloatField),
    ('decimal', DecimalField), ('numeric', DecimalField),
    ('timestamp', DateTimeField), ('datetime', DateTimeField), ('date', DateField),
    ('time', TimeField),
    ('uuid', UUIDField),
    ('char', TextField), ('clob', TextField), ('text', TextField), ('json', TextField),
    ('blob', BlobField), ('bytea', BlobField), ('binary', BlobField),
]


def field_class_for(data_type: str) -> type:
    """The field class for a column type as the database reports it."""
    lowered = (data_type or '').lower()
    for fragment, field_class in _TYPE_FRAGMENTS:
        if fragment in lowered:
            return field_class
    return BareField


_INT32 = 2 ** 31 - 1


def _value_field_class(value: Any) -> Optional[type]:
    """The field class for a Python value (``None`` when the value does not tell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return BooleanField
    if isinstance(value, int):
        return BigIntegerField if abs(value) > _INT32 else IntegerField
    if isinstance(value, float):
        return FloatField
    if isinstance(value, decimal.Decimal):
        return DecimalField
    if isinstance(value, datetime.datetime):
        return DateTimeField
    if isinstance(value, datetime.date):
        return DateField
    if isinstance(value, datetime.time):
        return TimeField
    if isinstance(value, uuid.UUID):
        return UUIDField
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BlobField
    return TextField


_INT_TEXT = re.compile(r'^[-+]?\d+$')
_FLOAT_TEXT = re.compile(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$')
_BOOL_TEXT = {'true': True, 'false': False}


def _text_field_class(text: str) -> type:
    """The field class a text value (read from CSV or JSON) looks like."""
    if _INT_TEXT.match(text):
        return BigIntegerField if abs(int(text)) > _INT32 else IntegerField
    if _FLOAT_TEXT.match(text):
        return FloatField
    if text.lower() in _BOOL_TEXT:
        return BooleanField
    for parse, field_class in ((datetime.date.fromisoformat, DateField),
                               (datetime.datetime.fromisoformat, DateTimeField),
                               (datetime.time.fromisoformat, TimeField)):
        if any(c.isdigit() for c in text) and ('-' in text or ':' in text):
            try:
                parse(text)
            except ValueError:
                continue
            return field_class
    return TextField


# widening order when values of one column disagree
_NUMERIC = {IntegerField: 0, BigIntegerField: 1, FloatField: 2, DecimalField: 2}


def _merge_field_class(current: Optional[type], new: Optional[type]) -> Optional[type]:
    if current is None or current is new:
        return new if current is None else current
    if new is None:
        return current
    if current in _NUMERIC and new in _NUMERIC:
        return current if _NUMERIC[current] >= _NUMERIC[new] else new
    if {current, new} == {DateField, DateTimeField}:
        return DateTimeField
    return TextField


def _guess_field_class(values: Iterable, parse_text: bool) -> type:
    """One field class for every value of a new column."""
    guess: Optional[type] = None
    for value in values:
        if value is None or value == '':
            continue
        if isinstance(value, str) and parse_text:
            kind: Optional[type] = _text_field_class(value)
        else:
            kind = _value_field_class(value)
        guess = _merge_field_class(guess, kind)
        if guess is TextField:
            break
    return guess or TextField


def _new_field(field_class: type) -> Field:
    """An instance of ``field_class`` for a column added by the DataSet (nullable)."""
    if field_class is DecimalField:
        return DecimalField(max_digits=38, decimal_places=10, null=True)
    return field_class(null=True)


def _from_text(field: Field, value: Any, encoding: '_Encoding') -> Any:
    """``value`` (possibly text from a file) converted for ``field``."""
    if value is None:
        return None
    if isinstance(value, str):
        if value == '' and not isinstance(field, TextField):
            return None
        try:
            if isinstance(field, BooleanField):
                lowered = value.strip().lower()
                if lowered in ('1', 'true', 't', 'yes', 'y', 'on'):
                    return True
                if lowered in ('0', 'false', 'f', 'no', 'n', 'off'):
                    return False
                return value
            if isinstance(field, (IntegerField,)) and not isinstance(field, AutoField):
                return int(value) if _INT_TEXT.match(value.strip()) else \
                    int(float(value))
            if isinstance(field, AutoField):
                return int(value)
            if isinstance(field, FloatField):
                return float(value)
            if isinstance(field, DecimalField):
                return decimal.Decimal(value)
            if isinstance(field, DateTimeField):
                return datetime.datetime.fromisoformat(value)
            if isinstance(field, DateField):
                return datetime.date.fromisoformat(value[:10])
            if isinstance(field, TimeField):
                return datetime.time.fromisoformat(value)
            if isinstance(field, UUIDField):
                return uuid.UUID(value)
            if isinstance(field, BlobField):
                return encoding.blob(value)
        except (ValueError, ArithmeticError, UnicodeEncodeError, binascii.Error):
            return value
        return value
    if isinstance(value, (dict, list)) and isinstance(field, (TextField, BareField)):
        return json.dumps(value)
    return value


def _collides(name: str) -> bool:
    """Whether a column name cannot be a model attribute (it would hide Model's API)."""
    return not name.isidentifier() or name.startswith('_') or hasattr(Model, name)


# ---------------------------------------------------------------------------------------
# DataSet
# ---------------------------------------------------------------------------------------

class DataSet:
    """A database seen as a collection of :class:`Table` objects.

    :param url: a database URL (``sqlite:///path.db``, ``postgresql://...``; see
        :mod:`playhouse.db_url`) or a :class:`~orm.Database` object.
    :param include_views: list views in :attr:`tables` too (read them like tables).
    :param schema: the schema to work in (PostgreSQL), default the current one.
    :param bare_fields: give every column of the tables' model classes a
        :class:`~orm.BareField` (values pass as the driver gives them, for SQLite
        columns whose declared types say little).
    :param kwargs: passed to ``playhouse.db_url.connect()`` with a URL.
    """

    def __init__(self, url: Any, include_views: bool = False,
                 schema: Optional[str] = None, bare_fields: bool = False,
                 **kwargs: Any) -> None:
        if isinstance(url, Database) or hasattr(url, 'execute_sql'):
            self._database = url
            self._database_path = getattr(url, 'database', None)
        else:
            self._database_path = url
            self._database = connect(url, **kwargs)
        self._include_views = include_views
        self._schema = schema
        self._bare_fields = bare_fields
        self._models: dict = {}
        self._export_formats = self.get_export_formats()
        self._import_formats = self.get_import_formats()

    def __repr__(self) -> str:
        return '<DataSet: %s>' % (self._database_path,)

    @property
    def database(self) -> Any:
        """The underlying :class:`~orm.Database`."""
        return self._database

    def get_export_formats(self) -> dict:
        """``{format name: Exporter class}``; override to add formats."""
        return {'csv': CSVExporter, 'json': JSONExporter, 'tsv': TSVExporter}

    def get_import_formats(self) -> dict:
        """``{format name: Importer class}``; override to add formats."""
        return {'csv': CSVImporter, 'json': JSONImporter, 'tsv': TSVImporter}

    # -- tables ----------------------------------------------------------------------------
    @property
    def tables(self) -> list:
        """The names of the tables (and views, with ``include_views``), read afresh."""
        tables = list(self._database.get_tables(schema=self._schema))
        if self._include_views:
            tables.extend(self.views)
        return sorted(tables)

    @property
    def views(self) -> list:
        """The names of the views, read afresh (whatever ``include_views`` says)."""
        return sorted(view.name for view in self._database.get_views(schema=self._schema))

    def __contains__(self, table: str) -> bool:
        return table in self.tables

    def __getitem__(self, table: str) -> 'Table':
        """The table named ``table``, created (with an ``id`` key) when missing."""
        if table not in self._models:
            if table in self.tables:
                self._models[table] = self._introspect(table)
            else:
                self._models[table] = self._create(table)
        return Table(self, table, self._models[table])

    def update_cache(self, table: Optional[str] = None) -> None:
        """Read the structure of ``table`` (of every known table when omitted) again."""
        names = [table] if table is not None else list(self._models)
        existing = set(self.tables)
        for name in names:
            if name in existing:
                self._models[name] = self._introspect(name)
            else:
                self._models.pop(name, None)

    def _model_class(self, table: str, attrs: dict, meta: dict) -> Any:
        meta_options = {'database': self._database, 'table_name': table}
        if self._schema:
            meta_options['schema'] = self._schema
        meta_options.update(meta)
        attrs = dict(attrs, __module__=__name__, Meta=type('Meta', (), meta_options))
        return type(str('DataSet_' + make_identifier(table)), (Model,), attrs)

    def _create(self, table: str) -> Any:
        model = self._model_class(table, {'id': AutoField()}, {})
        model.create_table()
        return model

    def _introspect(self, table: str) -> Any:
        db = self._database
        columns = db.get_columns(table, schema=self._schema)
        primary_keys = list(db.get_primary_keys(table, schema=self._schema))
        attrs: dict = {}
        meta: dict = {}
        later = []
        for column in columns:
            field_class = BareField if self._bare_fields else field_class_for(column.data_type)
            if len(primary_keys) == 1 and column.name == primary_keys[0]:
                if issubclass(field_class, IntegerField) and not _collides(column.name):
                    attrs[column.name] = AutoField()
                    continue
                field = field_class(primary_key=True)
            else:
                field = field_class(null=column.null)
            if field.primary_key and not _collides(column.name):
                attrs[column.name] = field
            else:
                later.append((column.name, field))
        if len(primary_keys) > 1:
            meta['primary_key'] = CompositeKey(*primary_keys)
        elif not primary_keys:
            meta['primary_key'] = False
        model = self._model_class(table, attrs, meta)
        for name, field in later:
            model._meta.add_field(name, field, set_attribute=not _collides(name))
        return model

    # -- statements ------------------------------------------------------------------------
    def query(self, sql: str, params: Any = None, commit: Any = True) -> Any:
        """Run ``sql`` with ``params``; returns the driver cursor.

        ``commit`` is accepted for peewee compatibility and ignored: outside a
        transaction each statement commits on its own (autocommit)."""
        return self._database.execute_sql(sql, params)

    def transaction(self) -> '_Transaction':
        """A transaction (a savepoint when nested): ``with ds.transaction() as txn:``;
        ``txn.commit()`` / ``txn.rollback()`` as with ``atomic()``. Columns added inside
        a block that is rolled back are forgotten again."""
        return _Transaction(self)

    def connect(self, reuse_if_open: bool = False) -> bool:
        """Open the connection (it is otherwise opened on first use)."""
        return self._database.connect(reuse_if_open=reuse_if_open)

    def close(self) -> bool:
        """Close the connection."""
        return self._database.close()

    def __enter__(self) -> 'DataSet':
        self.connect(reuse_if_open=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._database.is_closed():
            self.close()

    # -- import / export -------------------------------------------------------------------
    @staticmethod
    def _pick(formats: dict, format: str, filename: Optional[str], file_obj: Any) -> Any:
        """The exporter or importer class for ``format``, once the file arguments are
        known to name exactly one file."""
        if (filename is None) == (file_obj is None):
            raise ValueError('name the file with filename= or pass an open file as '
                             'file_obj= (one of the two)')
        try:
            return formats[format]
        except KeyError:
            raise ValueError('no %r format here; known formats: %s'
                             % (format, ', '.join(sorted(formats)))) from None

    def freeze(self, query: Any, format: str = 'csv', filename: Optional[str] = None,
               file_obj: Any = None, encoding: str = 'utf8', iso8601_datetimes: bool = False,
               base64_bytes: bool = False, **kwargs: Any) -> None:
        """Write the rows of ``query`` (e.g. ``table.all()`` or ``table.find(...)``) to
        ``filename`` or ``file_obj`` as ``format``; ``kwargs`` go to the exporter.

        Datetimes are written as ``str()`` spells them, or in ISO 8601 with
        ``iso8601_datetimes``; bytes in hex, or in URL-safe base64 with
        ``base64_bytes``."""
        exporter_class = self._pick(self._export_formats, format, filename, file_obj)
        exporter = exporter_class(query, iso8601_datetimes=iso8601_datetimes,
                                  base64_bytes=base64_bytes)
        with _file(filename, file_obj, 'w', encoding) as out:
            exporter.export(out, **kwargs)

    def thaw(self, table: str, format: str = 'csv', filename: Optional[str] = None,
             file_obj: Any = None, strict: bool = False, encoding: str = 'utf8',
             iso8601_datetimes: bool = False, base64_bytes: bool = False,
             **kwargs: Any) -> int:
        """Load rows from ``filename`` or ``file_obj`` in ``format`` into ``table``;
        returns the number of rows loaded.

        With ``strict``, values for columns the table does not have are dropped;
        otherwise the columns are added (typed after the values). ``base64_bytes``
        says blob values are in base64 rather than hex, as :meth:`freeze` wrote them.
        """
        importer_class = self._pick(self._import_formats, format, filename, file_obj)
        importer = importer_class(self[table], strict, iso8601_datetimes=iso8601_datetimes,
                                  base64_bytes=base64_bytes)
        with _file(filename, file_obj, 'r', encoding) as source:
            return importer.load(source, **kwargs)


@contextlib.contextmanager
def _file(filename: Optional[str], file_obj: Any, mode: str, encoding: str) -> Iterator[Any]:
    """The file to read or write: ``file_obj`` as it is (left open), or ``filename``
    opened for the block (newline handling left to the csv module)."""
    if filename is None:
        yield file_obj
        return
    with open(filename, mode, encoding=encoding, newline='') as opened:
        yield opened


class _Transaction:
    """``db.atomic()`` that re-reads the tables' columns when it rolls back (the DDL of
    columns added inside it is rolled back too)."""

    def __init__(self, dataset: DataSet) -> None:
        self.dataset = dataset
        self._atomic = dataset._database.atomic()
        self._txn: Any = None

    def __enter__(self) -> '_Transaction':
        self._txn = self._atomic.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self._atomic.__exit__(exc_type, exc, tb)
        finally:
            if exc_type is not None:
                self.dataset.update_cache()

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        return self._txn.commit(*args, **kwargs)

    def rollback(self, *args: Any, **kwargs: Any) -> Any:
        result = self._txn.rollback(*args, **kwargs)
        self.dataset.update_cache()
        return result


# ---------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------

class Table:
    """The rows of one table as dictionaries. Columns appear as values for them are
    written (:meth:`insert`, :meth:`update`)."""

    def __init__(self, dataset: DataSet, name: str, model_class: Any) -> None:
        self.dataset = dataset
        self.name = name
        self._model_class = model_class

    @property
    def model_class(self) -> Any:
        """The model class built for the table (rebuilt when the DataSet re-reads it)."""
        return self.dataset._models.get(self.name, self._model_class)

    def __repr__(self) -> str:
        return '<Table: %s>' % self.name

    @property
    def columns(self) -> list:
        """The column names, key first."""
        return [f.name for f in self.model_class._meta.sorted_fields]

    def __len__(self) -> int:
        return self.model_class.select().count()

    def __iter__(self) -> Iterator[dict]:
        return iter(self.all().iterator())

    # -- schema ----------------------------------------------------------------------------
    def _field(self, name: str) -> Field:
        try:
            return self.model_class._meta.fields[name]
        except KeyError:
            raise KeyError('table %r has no column %r; its columns are: %s'
                           % (self.name, name, ', '.join(self.columns))) from None

    def _add_columns(self, new: dict) -> None:
        """Add ``{name: field class}`` as nullable columns (ALTER TABLE ... ADD COLUMN)."""
        model = self.model_class
        meta = model._meta
        db = self.dataset._database
        for name, field_class in new.items():
            field = _new_field(field_class)
            meta.add_field(name, field, set_attribute=not _collides(name))
            ctx = db.get_sql_context()
            ctx.sql(NodeList([SQL('ALTER TABLE'), meta.table_entity(), SQL('ADD COLUMN'),
                              field.ddl(ctx)]))
            sql, params = ctx.query()
            db.execute_sql(sql, params)
        if self.dataset._bare_fields:
            self.dataset.update_cache(self.name)      # the columns as read: bare fields

    def _migrate_new_columns(self, data: dict) -> None:
        new = {key: _guess_field_class([value], parse_text=False)
               for key, value in data.items() if key not in self.model_class._meta.fields}
        if new:
            self._add_columns(new)

    def create_index(self, columns: Iterable[str], unique: bool = False) -> None:
        """Create an index on ``columns`` (a list of column names)."""
        if isinstance(columns, str):
            columns = [columns]
        fields = [self._field(name) for name in columns]
        index = self.model_class.index(*fields, unique=unique)
        self.model_class._schema.create_index(index)

    # -- rows ------------------------------------------------------------------------------
    def _condition(self, query: dict, conjunction: Callable = operator.and_) -> Any:
        return reduce(conjunction, [self._field(key) == value
                                    for key, value in query.items()])

    def _ordered(self, query: Any) -> Any:
        pk = self.model_class._meta.primary_key
        if pk is False or pk is None:
            return query
        if self.model_class._meta.composite_key:
            return query.order_by(*[self._field(n) for n in pk.field_names])
        return query.order_by(pk)

    def all(self) -> Any:
        """A query of every row, as dictionaries (in primary-key order)."""
        return self._ordered(self.model_class.select()).dicts()

    def find(self, **query: Any) -> Any:
        """A query of the rows whose columns equal the given values."""
        select = self.all()
        if query:
            select = select.where(self._condition(query))
        return select

    def find_one(self, **query: Any) -> Optional[dict]:
        """The first row matching, or ``None``."""
        try:
            return self.find(**query).get()
        except self.model_class.DoesNotExist:
            return None

    def insert(self, **data: Any) -> Any:
        """Insert a row, adding columns for new keys; returns the new primary key."""
        self._migrate_new_columns(data)
        return self.model_class.insert(**data).execute()

    def update(self, columns: Optional[Iterable[str]] = None,
               conjunction: Optional[Callable] = None, **data: Any) -> int:
        """Update rows with ``data``, adding columns for new keys.

        The keys named in ``columns`` select the rows to update (all rows when none are
        named), combined with ``conjunction`` (default ``operator.and_``); returns the
        number of rows updated.
        """
        self._migrate_new_columns(data)
        filters = {}
        for name in columns or ():
            if name not in data:
                raise ValueError('update(columns=[%r]) needs a value for %r' % (name, name))
            filters[name] = data.pop(name)
        query = self.model_class.update(**data)
        if filters:
            query = query.where(self._condition(filters, conjunction or operator.and_))
        return query.execute()

    def delete(self, **query: Any) -> int:
        """Delete the rows whose columns equal the given values (all rows when none are
        given); returns the number deleted."""
        delete = self.model_class.delete()
        if query:
            delete = delete.where(self._condition(query))
        return delete.execute()

    # -- by primary key ---------------------------------------------------------------------
    def _pk_name(self) -> str:
        pk = self.model_class._meta.primary_key
        if pk is False or pk is None or self.model_class._meta.composite_key:
            raise TypeError('table %r has no single-column primary key to index by'
                            % self.name)
        return pk.name

    def __getitem__(self, key: Any) -> dict:
        row = self.find_one(**{self._pk_name(): key})
        if row is None:
            raise KeyError(key)
        return row

    def __setitem__(self, key: Any, data: dict) -> None:
        name = self._pk_name()
        if self.find_one(**{name: key}) is not None:
            self.update(columns=[name], **dict(data, **{name: key}))
        else:
            self.insert(**dict(data, **{name: key}))
            self._sync_sequence()

    def __delitem__(self, key: Any) -> None:
        if not self.delete(**{self._pk_name(): key}):
            raise KeyError(key)

    def _sync_sequence(self) -> None:
        """After explicit keys were inserted, move PostgreSQL's key sequence past them."""
        db = self.dataset._database
        meta = self.model_class._meta
        pk = meta.primary_key
        if db.dialect.name != 'postgres' or not isinstance(pk, AutoField):
            return
        table = meta.table_name if not meta.schema else '%s.%s' % (
            db.quote_identifier(meta.schema), db.quote_identifier(meta.table_name))
        if not meta.schema:
            table = db.quote_identifier(table)
        db.execute_sql(
            'SELECT setval(pg_get_serial_sequence(%%s, %%s), COALESCE(MAX(%s), 1), '
            'MAX(%s) IS NOT NULL) FROM %s' % (
                db.quote_identifier(pk.column_name), db.quote_identifier(pk.column_name),
                table), (table, pk.column_name))

    # -- import / export -------------------------------------------------------------------
    def freeze(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`DataSet.freeze` of every row of the table."""
        return self.dataset.freeze(self.all(), *args, **kwargs)

    def thaw(self, *args: Any, **kwargs: Any) -> int:
        """:meth:`DataSet.thaw` into this table."""
        return self.dataset.thaw(self.name, *args, **kwargs)


# ---------------------------------------------------------------------------------------
# exporters
# ---------------------------------------------------------------------------------------

def _stream(query: Any) -> tuple:
    """(column names, iterator of row dicts) of ``query``, without loading it all."""
    rows = iter(query.dicts().iterator())
    first = next(rows, None)
    if first is not None:
        names = list(first.keys())

        def chained() -> Iterator[dict]:
            yield first
            yield from rows
        return names, chained()
    names = []
    for node in getattr(query, '_returning', None) or ():
        name = getattr(node, '_alias', None) or getattr(node, 'name', None)
        if name:
            names.append(name)
    return names, iter(())


class _Encoding:
    """How dates and bytes are spelled in a file: ``str()`` of a datetime (``'2024-01-02
    03:04:05'``) or ISO 8601 (``'2024-01-02T03:04:05'``); bytes as hex digits or as
    URL-safe base64."""

    def __init__(self, iso8601_datetimes: bool = False, base64_bytes: bool = False) -> None:
        self.iso8601_datetimes = iso8601_datetimes
        self.base64_bytes = base64_bytes

    def text(self, value: Any) -> Any:
        """``value`` as it is written to a file (unchanged when JSON or CSV can take it)."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            if self.base64_bytes:
                return base64.urlsafe_b64encode(bytes(value)).decode('ascii')
            return bytes(value).hex()
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return value.isoformat() if self.iso8601_datetimes else str(value)
        if isinstance(value, (decimal.Decimal, uuid.UUID)):
            return str(value)
        return value

    def blob(self, text: str) -> bytes:
        """The bytes ``text`` spells."""
        if self.base64_bytes:
            return base64.urlsafe_b64decode(text.encode('ascii'))
        return bytes.fromhex(text)


class Exporter:
    """Writes the rows of a query to a file; subclasses implement :meth:`export`.

    :param iso8601_datetimes: write datetimes as ISO 8601 (``T`` between date and time)
        rather than as ``str()`` gives them.
    :param base64_bytes: write bytes in URL-safe base64 rather than in hex.
    """

    def __init__(self, query: Any, iso8601_datetimes: bool = False,
                 base64_bytes: bool = False) -> None:
        self.query = query
        self.encoding = _Encoding(iso8601_datetimes, base64_bytes)

    def export(self, file_obj: Any, **kwargs: Any) -> None:
        raise NotImplementedError


class JSONExporter(Exporter):
    """A JSON list of objects. Dates and times, decimals and UUIDs are written as
    strings, bytes as hex digits (or base64); ``kwargs`` go to :func:`json.dump` (e.g.
    ``indent=2``)."""

    def _default(self, value: Any) -> Any:
        converted = self.encoding.text(value)
        if converted is value:
            raise TypeError('cannot write %r (%s) as JSON' % (value, type(value).__name__))
        return converted

    def export(self, file_obj: Any, **kwargs: Any) -> None:
        kwargs.setdefault('default', self._default)
        _names, rows = _stream(self.query)
        json.dump(list(rows), file_obj, **kwargs)


class CSVExporter(Exporter):
    """Comma-separated values with a header row (``header=False`` to leave it out);
    ``NULL`` is written as an empty field; ``kwargs`` go to :func:`csv.writer`."""

    delimiter = ','

    def export(self, file_obj: Any, header: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault('delimiter', self.delimiter)
        writer = csv.writer(file_obj, **kwargs)
        names, rows = _stream(self.query)
        if header:
            writer.writerow(names)
        for row in rows:
            writer.writerow(['' if row[name] is None else self.encoding.text(row[name])
                             for name in names])


class TSVExporter(CSVExporter):
    """Tab-separated values (see :class:`CSVExporter`)."""

    delimiter = '\t'


# ---------------------------------------------------------------------------------------
# importers
# ---------------------------------------------------------------------------------------

class Importer:
    """Loads rows from a file into a :class:`Table`; subclasses implement
    :meth:`load` (usually by reading rows and calling :meth:`insert_rows`).

    :param table: the destination table.
    :param strict: drop values for columns the table does not have (otherwise the
        columns are added, typed after the values).
    :param iso8601_datetimes: accepted for symmetry with :class:`Exporter`: datetimes
        are read in either spelling.
    :param base64_bytes: bytes for blob columns are in URL-safe base64, not hex.
    """

    batch_size = 200

    def __init__(self, table: Table, strict: bool = False, iso8601_datetimes: bool = False,
                 base64_bytes: bool = False) -> None:
        self.table = table
        self.strict = strict
        self.encoding = _Encoding(iso8601_datetimes, base64_bytes)

    def load(self, file_obj: Any, **kwargs: Any) -> int:
        raise NotImplementedError

    def insert_rows(self, rows: list, parse_text: bool = False) -> int:
        """Insert ``rows`` (dicts), adding or skipping unknown columns; returns the count.

        A column added is typed after the Python values given for it; with
        ``parse_text``, text that reads as a number, a boolean, a date or a time counts
        as one (``'007'`` then becomes the integer 7: off by default)."""
        table = self.table
        meta = table.model_class._meta
        if self.strict:
            rows = [{k: v for k, v in row.items() if k in meta.fields} for row in rows]
        else:
            new: dict = {}
            for row in rows:
                for key in row:
                    if key not in meta.fields and key not in new:
                        new[key] = None
            if new:
                table._add_columns({
                    key: _guess_field_class((row.get(key) for row in rows), parse_text)
                    for key in new})
        fields = meta.fields
        converted = [{key: _from_text(fields[key], value, self.encoding)
                      for key, value in row.items()}
                     for row in rows if row]
        pk = meta.primary_key
        explicit_keys = isinstance(pk, AutoField) and any(
            row.get(pk.name) is not None for row in converted)
        with table.dataset._database.atomic():
            for start in range(0, len(converted), self.batch_size):
                batch = converted[start:start + self.batch_size]
                # insert_many() takes rows of one shape: each run of neighbours with
                # the same keys is one statement, so the rows keep the file's order
                run: list = []
                for row in batch:
                    if run and row.keys() != run[0].keys():
                        table.model_class.insert_many(run).execute()
                        run = []
                    run.append(row)
                if run:
                    table.model_class.insert_many(run).execute()
            if explicit_keys:
                table._sync_sequence()
        return len(converted)


class JSONImporter(Importer):
    """Loads a JSON list of objects; ``kwargs`` go to :func:`json.load`."""

    def load(self, file_obj: Any, **kwargs: Any) -> int:
        data = json.load(file_obj, **kwargs)
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValueError('JSON import needs a list of objects')
        return self.insert_rows(data)


class CSVImporter(Importer):
    """Loads comma-separated values. With ``header=True`` (default) the first row
    names the columns; otherwise the values fill the table's columns in order. Every
    value is text: columns added for it are text columns, an empty field is ``''`` in a
    text column and ``NULL`` in any other; ``kwargs`` go to :func:`csv.reader`."""

    delimiter = ','

    def load(self, file_obj: Any, header: bool = True, **kwargs: Any) -> int:
        kwargs.setdefault('delimiter', self.delimiter)
        reader = csv.reader(file_obj, **kwargs)
        if header:
            try:
                names = next(reader)
            except StopIteration:
                return 0
        else:
            names = self.table.columns
        rows = []
        for values in reader:
            if values:
                # CSV cannot tell NULL from '': the column's type decides (see _from_text)
                rows.append(dict(zip(names, values)))
        if not rows:
            return 0
        return self.insert_rows(rows)


class TSVImporter(CSVImporter):
    """Tab-separated values (see :class:`CSVImporter`)."""

    delimiter = '\t'
