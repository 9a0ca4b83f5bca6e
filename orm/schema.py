"""DDL for models: CREATE/DROP TABLE, indexes, constraints, sequences, TRUNCATE."""
from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

from .dialects.base import Dialect
from .exceptions import ImproperlyConfigured, NotSupportedError
from .fields import Field
from .sql.context import Context
from .sql.nodes import (SQL, ColumnBase, CommaNodeList, EnclosedNodeList, Entity, Node,
                        NodeList, ValueLiterals)

__all__ = ['SchemaManager', 'ModelIndex', 'ModelIndexNode', 'make_index_name',
           'index_name_prefix', 'fields_to_index']


def index_name_prefix(meta: Any) -> str:
    """What generated index names start with, as in peewee: the lower-cased model name
    (``Meta.legacy_table_names``, the default), else the table name."""
    return meta.name if meta.legacy_table_names else meta.table_name


#: generated index names longer than this are cut and given a digest of the full name
_MAX_INDEX_NAME = 64


def make_index_name(table_name: str, columns: Iterable[str]) -> str:
    """``table_col1_col2``, shortened as :func:`fit_name` shortens names."""
    return fit_name('_'.join([table_name, *columns]))


def fit_name(full: str) -> str:
    """A generated name (of an index or a constraint) short enough for every engine
    (PostgreSQL cuts names at 63 characters): one over 64 characters keeps its first 56
    and ends with ``_`` and 7 hex digits of its MD5, so different long names stay
    different."""
    if len(full) <= _MAX_INDEX_NAME:
        return full
    return '%s_%s' % (full[:56], hashlib.md5(full.encode('utf-8')).hexdigest()[:7])


class ModelIndex(Node):
    """An index on a model's table: ``CREATE [UNIQUE] INDEX ... ON table (fields or
    expressions) [WHERE ...]``; made by ``Model.index()`` or ``Model.add_index()``."""

    def __init__(self, model: Any, fields: Iterable, unique: bool = False, safe: bool = True,
                 where: Any = None, using: str | None = None, name: str | None = None,
                 nulls_distinct: bool | None = None) -> None:
        self.model = model
        self._fields = list(fields)
        if not self._fields:
            raise ValueError('an index needs at least one field or expression')
        meta = getattr(model, '_meta', None)
        if meta is not None:
            for item in self._fields:
                if isinstance(item, str) and item not in meta.combined:
                    raise ValueError('%s has no field %r to index; its fields are: %s (use '
                                     'SQL(...) for an expression)' % (
                                         model.__name__, item,
                                         ', '.join(meta.sorted_field_names)))
        self._unique = unique
        self._safe = safe
        self._where = where
        self._using = using
        self._name = name
        self._nulls_distinct = nulls_distinct

    def nulls_distinct(self, nulls_distinct: bool | None = None) -> 'ModelIndex':
        """Whether a unique index counts NULLs as distinct values (``NULLS DISTINCT``,
        PostgreSQL 15+) or as equal ones (``NULLS NOT DISTINCT``); ``None`` leaves it to
        the engine.  SQLite always counts them distinct: ``False`` is refused there."""
        clone = self.clone()
        clone._nulls_distinct = nulls_distinct
        return clone

    def safe(self, _safe: bool = True) -> 'ModelIndex':
        clone = self.clone()
        clone._safe = _safe
        return clone

    def where(self, *expressions: Any) -> 'ModelIndex':
        clone = self.clone()
        node = clone._where
        for expr in expressions:
            node = expr if node is None else (node & expr)
        clone._where = node
        return clone

    def using(self, _using: str | None = None) -> 'ModelIndex':
        clone = self.clone()
        clone._using = _using
        return clone

    def retarget(self, model: Any) -> 'ModelIndex':
        """This index for ``model`` when ``model`` subclasses the model it was declared on
        (an index passed down through ``Meta.indexes`` indexes the subclass's own table);
        otherwise the index itself."""
        declared_on = self.model
        if declared_on is model or not isinstance(declared_on, type) or \
                not issubclass(model, declared_on):
            return self
        clone = self.clone()
        clone.model = model
        return clone

    def _expressions(self) -> list:
        meta = self.model._meta
        out = []
        for item in self._fields:
            if isinstance(item, str):
                field = meta.combined.get(item)
                if field is None:
                    raise ValueError('%s has no field %r to index' % (self.model.__name__, item))
                out.append(field)
            else:
                out.append(item)
        return out

    @property
    def name(self) -> str:
        """The name given, else the one peewee gives: the model's prefix and the columns
        of the fields indexed (``Article.title.desc()`` counts as ``title``).  Other
        expressions add nothing to it; an index of expressions only is named after a
        digest of their SQL, so that two such indexes get different names."""
        if self._name:
            return self._name
        expressions = self._expressions()
        names = []
        for item in expressions:
            if isinstance(item, Node) and not isinstance(item, Field):
                item = item.unwrap()
            column = getattr(item, 'column_name', None) if isinstance(item, Field) else None
            if column:
                names.append(column)
            elif isinstance(item, SQL) and not item.params and item.sql.split():
                names.append(item.sql.split()[0])   # a name from Meta.indexes: 'title DESC'
        if not names:
            sql, params = Dialect().compile(EnclosedNodeList(expressions))
            digest = hashlib.md5((sql + repr(params)).encode()).hexdigest()[:6]
            names.append('expr' + digest)
        return make_index_name(index_name_prefix(self.model._meta),
                               [re.sub(r'[^\w]+', '', n) for n in names])


    def name_on(self, dialect: Dialect) -> str:
        """The name the index is created and dropped under on ``dialect``: a name given
        is kept as it is, a generated one is fitted to the engine's identifier limit."""
        return self._name if self._name else dialect.fit_generated_name(self.name)

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        meta = self.model._meta
        ctx.literal('CREATE UNIQUE INDEX ' if self._unique else 'CREATE INDEX ')
        if self._safe and dialect.safe_create_index:
            ctx.literal('IF NOT EXISTS ')
        name = self.name_on(dialect)
        if meta.schema and dialect.index_schema_prefix:
            ctx.literal(dialect.quote_path((meta.schema, name)))
        else:
            ctx.literal(dialect.quote_identifier(name))
        ctx.literal(' ON ')
        with ctx.scope_values():
            if meta.schema and dialect.index_schema_prefix:
                # SQLite: the schema goes on the index name; the table is named bare
                ctx.literal(dialect.quote_identifier(meta.table_name))
            else:
                ctx.sql(meta.table)
            if self._using and dialect.name != 'sqlite':
                using = ''.join(c for c in self._using if c.isalnum() or c == '_')
                ctx.literal(' USING ' + using)
            ctx.literal(' ')
            # engines take no parameters in an index definition (SQLite refuses them):
            # the values of expressions and of the WHERE clause are written inline
            ctx.sql(ValueLiterals(EnclosedNodeList(
                [dialect.index_key(part, bool(self._unique)) for part in self._expressions()])))
            self._nulls_sql(ctx)
            if self._where is not None:
                if not dialect.partial_indexes:
                    raise dialect.not_supported('partial indexes (where=)', value_error=True)
                ctx.literal(' WHERE ')
                ctx.sql(ValueLiterals(self._where))
        return ctx

    def _nulls_sql(self, ctx: Context) -> None:
        if self._nulls_distinct is None:
            return
        if not ctx.dialect.nulls_distinct_clause:
            if not self._nulls_distinct:
                raise ctx.dialect.not_supported(
                    'nulls_distinct=False (NULLS NOT DISTINCT: %s counts NULLs in a '
                    'unique index as distinct values, always)' % ctx.dialect.display_name)
            return      # what the engine does anyway
        ctx.literal(' NULLS DISTINCT' if self._nulls_distinct else ' NULLS NOT DISTINCT')


ModelIndexNode = ModelIndex   # the name this class had before it took peewee's


def _declared_index(meta: Any, entry: Any) -> Any:
    """One entry of ``Meta.indexes`` as an index node."""
    if isinstance(entry, Node) or hasattr(entry, '__sql__'):
        return entry
    if not (isinstance(entry, (list, tuple)) and len(entry) == 2):
        raise ValueError('%s.Meta.indexes holds ((field names...), unique) pairs, ModelIndex '
                         'objects or SQL; %r is none of these' % (meta.model.__name__, entry))
    names, unique = entry
    if isinstance(names, str):
        names = (names,)
    parts = [meta.combined.get(name) or SQL(name) for name in names]
    return ModelIndexNode(meta.model, parts, unique=unique)


def fields_to_index(meta: Any) -> list:
    """The indexes of a model: one per field declared with ``index=`` or ``unique=`` (the
    primary key needs none), then those of ``Meta.indexes``."""
    per_field = [ModelIndexNode(meta.model, (field,), unique=field.unique,
                                using=field.index_type)
                 for field in meta.sorted_fields
                 if (field.index or field.unique) and not field.primary_key]
    return per_field + [_declared_index(meta, entry) for entry in meta.indexes]


def _check_resolved(model: Any, field: Any) -> None:
    """A DeferredForeignKey still waiting for its model has no column type: say so."""
    rel_name = getattr(field, 'rel_model_name', None)
    if rel_name is not None and not hasattr(field, 'foreign_key_constraint'):
        raise ValueError(
            '%s.%s is a DeferredForeignKey to %r, which has not been declared yet, so its '
            'column type is unknown. Declare that model (or call '
            'DeferredForeignKey.resolve(TheModel)) before creating the table'
            % (model.__name__, field.name, rel_name))


# SQLite STRICT tables accept only these column types; other declared types are mapped by
# SQLite's own affinity rules (https://www.sqlite.org/datatype3.html, 3.1)
_STRICT_TYPES = ('INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY')


def _strict_type(declared: str) -> str:
    name = declared.upper().split('(')[0].strip()
    if name in _STRICT_TYPES:
        return name
    if 'INT' in name:
        return 'INTEGER'
    if 'CHAR' in name or 'CLOB' in name or 'TEXT' in name:
        return 'TEXT'
    if 'BLOB' in name:
        return 'BLOB'
    if 'REAL' in name or 'FLOA' in name or 'DOUB' in name:
        return 'REAL'
    return 'ANY'    # NUMERIC affinity (DECIMAL, DATETIME, ...) or no type: stored as given


def _strict_column(column: NodeList, datatype: Any) -> NodeList:
    """The column definition with its type replaced by one a STRICT table accepts."""
    declared = getattr(datatype, 'sql', None)
    nodes = list(getattr(column, 'nodes', ()))
    for i, node in enumerate(nodes):
        if node is datatype or (isinstance(node, SQL) and declared and node.sql == declared):
            nodes[i] = SQL(_strict_type(str(declared)))
            return NodeList(nodes)
    if not declared and len(nodes) >= 1:
        nodes.insert(1, SQL('ANY'))     # an untyped column (AnyField, BareField)
        return NodeList(nodes)
    return column


class DDLStatement(NodeList):
    """A DDL statement built by a SchemaManager ``_create_*`` / ``_drop_*`` method.

    It is a node (``database.execute(stmt)``, ``ctx.sql(stmt)``) that also knows its
    database, so ``Model._schema._create_table().query()`` gives ``(sql, params)`` as in
    peewee."""

    def __init__(self, nodes: Iterable, database: Any = None, **context_options: Any
                 ) -> None:
        super().__init__(nodes)
        self._database = database
        self._context_options = context_options

    def query(self) -> tuple[str, list]:
        if self._database is None:
            return Context().sql(self).query()
        return self._database.get_sql_context(**self._context_options).sql(self).query()

    def sql(self) -> tuple[str, list]:
        return self.query()


class SchemaManager:
    """``Model._schema``: creates and drops the model's table, indexes and sequences.

    Each ``create_x()`` / ``drop_x()`` runs the statement that ``_create_x()`` /
    ``_drop_x()`` builds (a :class:`DDLStatement`, ``.query()`` gives its SQL)."""

    def __init__(self, model: Any, database: Any = None, **context_options: Any) -> None:
        self.model = model
        self._database = database
        context_options.setdefault('scope', 1)
        self.context_options = context_options

    @property
    def database(self) -> Any:
        db = self._database or self.model._meta.database
        if db is None:
            raise ImproperlyConfigured(
                'Model %s has no database: set Meta.database or bind it with db.bind([...])'
                % self.model.__name__)
        return db

    @database.setter
    def database(self, value: Any) -> None:
        self._database = value

    def _create_context(self) -> Context:
        return self.database.get_sql_context(**self.context_options)

    def _execute(self, node: Any) -> Any:
        return self.database.execute(node)

    def _statement(self, parts: Iterable) -> DDLStatement:
        return DDLStatement(parts, self.database, **self.context_options)

    # -- tables --------------------------------------------------------------------------------
    def _create_table(self, safe: bool = True, **options: Any) -> DDLStatement:
        meta = self.model._meta
        dialect = self.database.dialect
        ctx = self._create_context()
        parts: list = [SQL('CREATE')]
        if options.pop('temporary', None) or meta.temporary:
            parts.append(SQL('TEMPORARY'))
        parts.append(SQL('TABLE'))
        if safe:
            parts.append(SQL('IF NOT EXISTS'))
        parts.append(meta.table_entity())

        columns = []
        constraints = []
        pk = meta.primary_key
        if meta.composite_key:
            pk_columns = [meta.fields[name].column_name for name in pk.field_names]
            constraints.append(NodeList((SQL('PRIMARY KEY'), EnclosedNodeList(
                [Entity(c) for c in pk_columns]))))
        strict = bool(meta.strict_tables) and dialect.name == 'sqlite'
        for field in meta.sorted_fields:
            _check_resolved(self.model, field)
            column = field.ddl(ctx)
            if strict:
                column = _strict_column(column, field.ddl_datatype(ctx))
            columns.append(column)
            if hasattr(field, 'foreign_key_constraint') and not field.deferred:
                constraints.append(field.foreign_key_constraint(ctx))
        if meta.constraints:
            constraints.extend(meta.constraints)
        parts.append(EnclosedNodeList(columns + constraints))

        table_options = dict(meta.options or {}, **options)
        sqlite_options = []
        if meta.strict_tables:
            sqlite_options.append('STRICT')
        if meta.without_rowid:
            sqlite_options.append('WITHOUT ROWID')
        if sqlite_options:
            if dialect.name != 'sqlite':
                raise dialect.not_supported(' and '.join(sqlite_options) + ' tables')
            parts.append(SQL(', '.join(sqlite_options)))
        settings = meta.table_settings or []
        if isinstance(settings, str):
            settings = [settings]
        # PostgreSQL wants INHERITS / PARTITION BY / USING before WITH (...) and the rest
        # (ON COMMIT, TABLESPACE) after it
        before = [s for s in settings if not table_options or
                  s.lstrip().upper().startswith(('INHERITS', 'PARTITION', 'USING'))]
        after = [s for s in settings if s not in before]
        parts.extend(SQL(s) for s in before)
        if table_options:
            if not dialect.table_storage_options:
                raise NotSupportedError(
                    '%s: table options %s are storage parameters written as CREATE TABLE '
                    '... WITH (name=value), which %s does not have. Set Meta.options (or '
                    'pass create_table() options) only for PostgreSQL; on SQLite use '
                    'Meta.without_rowid, Meta.strict_tables or Meta.table_settings'
                    % (self.model.__name__, ', '.join('%s=%r' % kv for kv in
                                                      table_options.items()),
                       dialect.display_name))
            # storage parameters are written as key=value pairs: WITH (fillfactor=70)
            opts = ', '.join('%s=%s' % (k, v) for k, v in table_options.items())
            parts.append(SQL('WITH (%s)' % opts))
        parts.extend(SQL(s) for s in after)
        return self._statement(parts)

    def create_table(self, safe: bool = True, **options: Any) -> None:
        self._execute(self._create_table(safe=safe, **options))

    def _create_table_as(self, table_name: str, query: Any, safe: bool = True, **meta: Any
                         ) -> DDLStatement:
        parts: list[Any] = [SQL('CREATE')]
        if meta.get('temporary'):
            parts.append(SQL('TEMPORARY'))
        parts.append(SQL('TABLE'))
        if safe:
            parts.append(SQL('IF NOT EXISTS'))
        target = Entity(*table_name) if isinstance(table_name, tuple) else Entity(table_name)
        parts.extend((target, SQL('AS'), query))
        return self._statement(parts)

    def create_table_as(self, table_name: str, query: Any, safe: bool = True, **meta: Any
                        ) -> None:
        self._execute(self._create_table_as(table_name, query, safe=safe, **meta))

    def _drop_table(self, safe: bool = True, **options: Any) -> DDLStatement:
        parts = [SQL('DROP TABLE')]
        if safe:
            parts.append(SQL('IF EXISTS'))
        parts.append(self.model._meta.table_entity())
        # SQLite has neither CASCADE nor RESTRICT on DROP TABLE: both are left out there
        # (with cascade, dependent tables keep keys that point nowhere)
        if self.database.dialect.name != 'sqlite':
            if options.get('cascade'):
                parts.append(SQL('CASCADE'))
            elif options.get('restrict'):
                parts.append(SQL('RESTRICT'))
        return self._statement(parts)

    def drop_table(self, safe: bool = True, **options: Any) -> None:
        options.pop('temporary', None)
        self._execute(self._drop_table(safe=safe, **options))

    def _truncate_table(self, restart_identity: bool = False, cascade: bool = False
                        ) -> DDLStatement:
        meta = self.model._meta
        if not self.database.dialect.truncate_table:
            # SQLite has no TRUNCATE: DELETE FROM empties the table (and its rowids restart
            # after the largest one left, i.e. from 1)
            return self._statement((SQL('DELETE FROM'), meta.table_entity()))
        parts = [SQL('TRUNCATE TABLE'), meta.table_entity()]
        if restart_identity:
            parts.append(SQL('RESTART IDENTITY'))
        if cascade:
            parts.append(SQL('CASCADE'))
        return self._statement(parts)

    def truncate_table(self, restart_identity: bool = False, cascade: bool = False) -> None:
        self._execute(self._truncate_table(restart_identity, cascade))

    # -- indexes --------------------------------------------------------------------------------
    def _create_indexes(self, safe: bool = True) -> list:
        return [self._create_index(index, safe) for index in fields_to_index(self.model._meta)]

    def _create_index(self, index: Any, safe: bool = True) -> DDLStatement:
        if isinstance(index, ModelIndex):
            index = index.safe(safe)
        return self._statement((index,))

    def create_indexes(self, safe: bool = True) -> None:
        for index in self._create_indexes(safe=safe):
            self._execute(index)

    def create_index(self, index: Any, safe: bool = True) -> None:
        self._execute(self._create_index(index, safe))

    def _drop_indexes(self, safe: bool = True) -> list:
        dialect = self.database.dialect
        return [self._drop_index(index.name_on(dialect), safe)
                for index in fields_to_index(self.model._meta)
                if isinstance(index, ModelIndex)]

    def _drop_index(self, name: str, safe: bool = True) -> DDLStatement:
        meta = self.model._meta
        return self._statement(self.database.dialect.drop_index_sql(
            Entity(meta.schema, name) if meta.schema else Entity(name),
            Entity(meta.schema, meta.table_name) if meta.schema else Entity(meta.table_name),
            safe))

    def drop_indexes(self, safe: bool = True) -> None:
        for statement in self._drop_indexes(safe=safe):
            self._execute(statement)

    def drop_index(self, name: str, safe: bool = True) -> None:
        self._execute(self._drop_index(name, safe))

    # -- sequences (PostgreSQL) -------------------------------------------------------------------
    def _sequence_fields(self) -> list:
        return [f for f in self.model._meta.sorted_fields if f.sequence]

    def _check_sequence(self, field: Any) -> None:
        if not self.database.dialect.sequences:
            raise self.database.dialect.not_supported('sequences')
        if not getattr(field, 'sequence', None):
            raise ValueError('%r has no sequence: declare it with %s(sequence="name")'
                             % (field, type(field).__name__))

    def _create_sequence(self, field: Any) -> DDLStatement:
        self._check_sequence(field)
        return self._statement((SQL('CREATE SEQUENCE IF NOT EXISTS'),
                                self._sequence_entity(field)))

    def create_sequence(self, field: Any) -> None:
        self._execute(self._create_sequence(field))

    def _drop_sequence(self, field: Any) -> DDLStatement:
        self._check_sequence(field)
        return self._statement((SQL('DROP SEQUENCE IF EXISTS'), self._sequence_entity(field)))

    def drop_sequence(self, field: Any) -> None:
        self._execute(self._drop_sequence(field))

    def _sequence_entity(self, field: Any) -> Entity:
        schema = self.model._meta.schema
        return Entity(schema, field.sequence) if schema else Entity(field.sequence)

    def create_sequences(self) -> None:
        if self.database.dialect.sequences:
            for field in self._sequence_fields():
                self.create_sequence(field)

    def drop_sequences(self) -> None:
        if self.database.dialect.sequences:
            for field in self._sequence_fields():
                self.drop_sequence(field)

    # -- foreign keys added after the fact (cycles) -----------------------------------------------
    def _create_foreign_key(self, field: Any) -> DDLStatement:
        if not hasattr(field, 'foreign_key_constraint'):
            raise TypeError('create_foreign_key() takes a ForeignKeyField of %s, got %r'
                            % (self.model.__name__, field))
        if field.model is not self.model:
            raise ValueError('%r belongs to %s, not %s: call %s._schema.create_foreign_key()'
                             % (field, field.model.__name__, self.model.__name__,
                                field.model.__name__))
        fk = field.foreign_key_constraint()
        if not field.constraint_name:
            name = self.database.dialect.fit_generated_name(
                fit_name(field.get_constraint_name()))
            fk = NodeList([SQL('CONSTRAINT'), Entity(name)] + fk.nodes)
        return self._statement((SQL('ALTER TABLE'), self.model._meta.table_entity(),
                                SQL('ADD'), fk))

    def create_foreign_key(self, field: Any) -> None:
        """Add the constraint of ``field`` to the existing table (for a key that could
        not be declared with the table, such as one side of a cycle)."""
        statement = self._create_foreign_key(field)
        dialect = self.database.dialect
        if dialect.name == 'sqlite':
            # refused here rather than by the engine's bare syntax error
            raise dialect.not_supported(
                'adding a foreign key to an existing table (ALTER TABLE ... ADD '
                'CONSTRAINT ... FOREIGN KEY: SQLite declares foreign keys only in CREATE '
                'TABLE)')
        self._execute(statement)

    # -- all together -------------------------------------------------------------------------
    def create_all(self, safe: bool = True, **table_options: Any) -> None:
        """The model's sequences (a column default may draw on one), table and indexes."""
        if self.database.dialect.sequences:
            for field in self._sequence_fields():
                self.create_sequence(field)
        self.create_table(safe=safe, **table_options)
        self.create_indexes(safe=safe)

    def drop_all(self, safe: bool = True, drop_sequences: bool = True, **options: Any) -> None:
        self.drop_table(safe, **options)
        if drop_sequences:
            self.drop_sequences()
