"""Dialect base class: quoting, placeholders, feature flags and the compile entry point.

A dialect knows SQL, not models or drivers.  Each engine subclasses :class:`Dialect` and
changes flags or overrides small methods; query nodes ask the dialect wherever engines
differ.  ``dialect.compile(node)`` returns ``(sql, params)``.
"""
from __future__ import annotations

import copy
import datetime
import decimal
import hashlib
import uuid
from typing import Any, Callable

from .. import seam
from ..exceptions import DataError, NotSupportedError
from ..sql.context import Context
from ..sql.nodes import EXCLUDED, SQL, CommaNodeList, Entity, Node, NodeList, fn
from ..sql.queries import _assignments

__all__ = ['Dialect', 'GenericDialect', 'UnsupportedFeature', 'NaNParameter']


class UnsupportedFeature(NotSupportedError, ValueError):
    """A query asks for SQL its engine lacks (found while compiling, before anything
    runs).  A :class:`NotSupportedError`, and a ``ValueError`` as peewee raises for it."""


class Dialect:
    """Generic SQL; engine dialects override what differs."""

    name = 'generic'
    param = '?'
    quote_char = '"'
    quote_close: str | None = None        # where identifiers close with another character

    # -- feature flags -----------------------------------------------------------------
    for_engine = True                     # False: the stand-in of a query with no database
    limit_max: int | None = None          # LIMIT value meaning "no limit" (None: omit LIMIT)
    nulls_ordering = True                 # NULLS FIRST / LAST in ORDER BY
    for_update = False                    # SELECT ... FOR UPDATE is rendered
    for_update_ignored = False            # ... else left out (True) or refused (False)
    returning_clause = False              # INSERT/UPDATE/DELETE ... RETURNING
    returning_qualified = False           # RETURNING may use "table"."col"
    update_returning = True               # RETURNING on UPDATE too (not on MariaDB)
    derived_names_unique = False          # a derived table's columns need distinct names
    partial_indexes = True                # CREATE INDEX ... WHERE
    nulls_distinct_clause = True          # unique indexes take NULLS [NOT] DISTINCT
    insert_returns_pk = False             # inserts fetch the new key with RETURNING
    supports_distinct_on = False
    supports_lateral = False
    nested_arrays = True                  # ARRAY columns of arrays (INTEGER[][])
    compound_select_parentheses = False   # members of UNION etc. may be parenthesised
    subquery_alias_required = False       # every subquery in FROM needs an alias
    supports_update_from = False
    supports_update_limit = False
    supports_materialized_cte = False
    supports_writable_cte = False         # WITH x AS (INSERT/UPDATE/DELETE ... RETURNING)
    table_storage_options = False         # CREATE TABLE ... WITH (fillfactor=70)
    values_alias_columns = False          # (VALUES ...) AS v ("a", "b")
    upsert_select_needs_where = False     # INSERT ... SELECT ... ON CONFLICT parse quirk
    safe_create_index = True              # CREATE INDEX IF NOT EXISTS
    safe_drop_index = True                # DROP INDEX IF EXISTS
    index_schema_prefix = False           # CREATE INDEX "schema"."name" ON ...
    references_schema_prefix = True       # REFERENCES "schema"."table" (SQLite: bare name)
    json_decoded_by_driver = False        # json columns arrive parsed (psycopg2), not as text
    sequences = False
    truncate_table = False
    commit_select = False
    default_values_sql = 'DEFAULT VALUES'
    #: the longest identifier the engine keeps, in bytes of UTF-8 (PostgreSQL cuts a
    #: longer one there, so two long names can end up one); None: names are kept whole
    max_identifier_bytes: int | None = None

    #: operator spellings that differ from the generic ones
    operations: dict[str, str] = {}
    #: column type names by field type
    field_types: dict[str, str] = {
        'AUTO': 'INTEGER', 'BIGAUTO': 'BIGINT', 'BIGINT': 'BIGINT', 'BLOB': 'BLOB',
        'BOOL': 'SMALLINT', 'CHAR': 'CHAR', 'DATE': 'DATE', 'DATETIME': 'DATETIME',
        'DECIMAL': 'DECIMAL', 'DEFAULT': '', 'DOUBLE': 'REAL', 'FLOAT': 'REAL',
        'INT': 'INTEGER', 'SMALLINT': 'SMALLINT', 'TEXT': 'TEXT', 'TIME': 'TIME',
        'UUID': 'TEXT', 'UUIDB': 'BLOB', 'VARCHAR': 'VARCHAR',
    }

    adapt_param: Callable[[Any], Any] | None = None
    #: hook to rewrite an operator's right-hand side (None: no rewriting)
    rewrite_operand: Callable[[str, Any], Any] | None = None
    #: operators this engine writes as a function of both sides, ``{'||': 'CONCAT'}``
    #: (None: every operator is written infix)
    operator_functions: dict[str, str] | None = None

    def __init__(self, field_types: dict | None = None, operations: dict | None = None,
                 server_version: tuple | None = None) -> None:
        if field_types:
            self.field_types = dict(type(self).field_types, **field_types)
        if operations:
            self.operations = dict(type(self).operations, **operations)
        self.server_version = server_version
        self._quote_cache: dict[str, str] = {}

    def __repr__(self) -> str:
        return '<%s>' % type(self).__name__

    def quoted_with(self, quote: str) -> 'Dialect':
        """This dialect quoting identifiers between the two characters of ``quote``
        (``'``'`` or ``'[]'``; one character serves for both)."""
        if not isinstance(quote, str) or len(quote) not in (1, 2):
            raise ValueError('quote= takes the opening and closing characters, e.g. "``"')
        twin = copy.copy(self)
        twin.quote_char, twin.quote_close = quote[0], quote[-1]
        twin._quote_cache = {}
        return twin

    # -- compiling -----------------------------------------------------------------------
    def context(self, **options: Any) -> Context:
        return Context(self, **options)

    def compile(self, node: Any, **options: Any) -> tuple[str, list]:
        return Context(self, **options).sql(node).query()

    def not_supported(self, feature: str, value_error: bool = False) -> Exception:
        """The error for ``feature`` missing on this engine: a NotSupportedError, which
        is also a ValueError (``value_error``) where peewee raises one."""
        error = UnsupportedFeature if value_error else NotSupportedError
        return error('%s is not supported by %s' % (feature, self.display_name))

    @property
    def display_name(self) -> str:
        return {'sqlite': 'SQLite', 'postgres': 'PostgreSQL',
                'cockroach': 'CockroachDB'}.get(self.name, self.name)

    @staticmethod
    def standard_type_name(name: Any) -> Any:
        """A column type as introspection reports it, in the catalog's standard spelling
        (engines with names of their own override this)."""
        return name

    # -- identifiers and literals ----------------------------------------------------------
    def fit_generated_name(self, name: str) -> str:
        """A name orm makes up (of an index, a constraint, a sequence) as this engine gets
        it: unchanged when it fits ``max_identifier_bytes``; else its longest start that
        fits with room for ``_`` and 8 hex digits of a SHA-256 of the whole name, cut
        between characters, so that two long names stay two names."""
        limit = self.max_identifier_bytes
        if limit is None:
            return name
        encoded = name.encode('utf-8')
        if len(encoded) <= limit:
            return name
        digest = hashlib.sha256(encoded).hexdigest()[:8]
        head = encoded[:limit - len(digest) - 1].decode('utf-8', 'ignore')
        return '%s_%s' % (head, digest)

    def quote_identifier(self, name: str) -> str:
        try:
            return self._quote_cache[name]
        except KeyError:
            pass
        if not isinstance(name, str):
            raise TypeError('identifiers must be strings, got %r' % (name,))
        if '\x00' in name:
            raise ValueError('identifiers cannot contain NUL characters: %r' % (name,))
        opening = self.quote_char
        closing = self.quote_close or opening
        quoted = opening + self.escape_identifier(name.replace(closing, closing * 2)) + closing
        if len(self._quote_cache) < 4096:
            self._quote_cache[name] = quoted
        return quoted

    def escape_identifier(self, text: str) -> str:
        """Extra escaping the driver needs inside SQL text (e.g. ``%`` for psycopg2)."""
        return text

    def quote_path(self, path: tuple) -> str:
        return '.'.join(self.quote_identifier(part) for part in path)

    def render_operator(self, op: str) -> str:
        return self.operations.get(op, op)

    def cast_type(self, name: str) -> str:
        """The type ``CAST(x AS name)`` is written with (the name as given here)."""
        return name

    def literal_value(self, value: Any) -> str:
        """An SQL literal for ``value`` (used only where parameters are not allowed)."""
        if value is None:
            return 'NULL'
        if isinstance(value, bool):
            return self.boolean_literal(value)
        if isinstance(value, (int, float, decimal.Decimal)):
            return repr(value) if not isinstance(value, decimal.Decimal) else str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.bytes_literal(bytes(value))
        if isinstance(value, (datetime.date, datetime.time, uuid.UUID)):
            value = str(value)
        if not isinstance(value, str):
            value = str(value)
        if '\x00' in value:
            raise ValueError('string literals cannot contain NUL characters')
        return "'" + self.escape_identifier(value.replace("'", "''")) + "'"

    def boolean_literal(self, value: bool) -> str:
        return 'TRUE' if value else 'FALSE'

    # -- DDL and locking clauses that engines spell differently ----------------------------
    def drop_index_sql(self, index: Node, table: Node, safe: bool) -> list:
        """The parts of ``DROP INDEX [IF EXISTS] <index>``; ``table`` (the indexed
        table) is for engines that name it (``... ON <table>`` on MySQL)."""
        parts: list = [SQL('DROP INDEX')]
        if safe and self.safe_drop_index:
            parts.append(SQL('IF EXISTS'))
        parts.append(index)
        return parts

    def index_key(self, expression: Any, unique: bool) -> Any:
        """One key part of an index as this engine takes it (MySQL gives a text column
        a prefix length); ``expression`` is a field, a column or another node."""
        return expression

    def lock_sql(self, lock: str, of: list, modifier: str | None) -> str:
        """The row-lock clause: ``lock`` is ``'FOR UPDATE'``, ``'FOR SHARE'``, ...,
        ``of`` the quoted names of the tables locked (may be empty), ``modifier``
        ``'NOWAIT'``, ``'SKIP LOCKED'`` or ``None``."""
        words = [lock]
        if of:
            words.append('OF ' + ', '.join(of))
        if modifier:
            words.append(modifier)
        return ' '.join(words)

    def bytes_literal(self, value: bytes) -> str:
        return "X'%s'" % value.hex()

    # -- INSERT conflict handling ----------------------------------------------------------
    #: ON CONFLICT ON CONSTRAINT "name" (else conflict_constraint= is refused)
    conflict_constraint_supported = True
    #: a partial index's predicate (conflict_where=) is written with literals, as engines
    #: match it against the index's own text
    conflict_where_literals = False

    def insert_verb(self, on_conflict: Any) -> str:
        """``INSERT``, or ``INSERT OR REPLACE`` / ``INSERT OR IGNORE`` for the plain
        replace / ignore actions (ignoring a named conflict is written ON CONFLICT)."""
        if on_conflict is None or on_conflict.is_update():
            return 'INSERT'
        action = on_conflict._action
        if action == 'REPLACE':
            return 'INSERT OR REPLACE'
        if action == 'IGNORE' and not (on_conflict._conflict_target or
                                       on_conflict._conflict_constraint):
            return 'INSERT OR IGNORE'
        return 'INSERT'

    def conflict_statement(self, on_conflict: Any, query: Any) -> Node | None:
        return None

    def conflict_update(self, on_conflict: Any, query: Any) -> Node | None:
        """``SET a = EXCLUDED.a, b = <expr>`` for ON CONFLICT ... DO UPDATE: preserved
        columns take the value the row would have been inserted with."""
        settings = [NodeList((Entity(name), SQL('='), getattr(EXCLUDED, name)))
                    for name in map(_column_name, on_conflict._preserve)]
        for assignment in _assignments(query.table, on_conflict._update or {},
                                       'on_conflict(update=...)'):
            target, equals, value = assignment.nodes
            settings.append(NodeList((Entity(_column_name(target)), equals, value)))
        return CommaNodeList(settings)

    def _conflict_target(self, ctx: Context, on_conflict: Any) -> None:
        """What the conflict is on: `` ON CONSTRAINT "name"`` or `` ("a", "b") [WHERE ...]``."""
        constraint = on_conflict._conflict_constraint
        if constraint:
            ctx.literal(' ON CONSTRAINT ' + self.quote_identifier(constraint))
            return
        columns = on_conflict._conflict_target
        if not columns:
            return
        ctx.literal(' ')
        with ctx.scope_values():
            ctx.sql(NodeList(map(_identifier, columns), ', ', parens=True))
        predicate = on_conflict._conflict_where
        if predicate is not None:
            ctx.literal(' WHERE ')
            with ctx.scope_values(literal_values=self.conflict_where_literals):
                ctx.sql(predicate)

    def render_on_conflict(self, ctx: Context, on_conflict: Any, query: Any) -> None:
        """`` ON CONFLICT ... DO NOTHING | DO UPDATE SET ...`` after an INSERT (nothing
        where ``insert_verb()`` already said what to do)."""
        targeted = bool(on_conflict._conflict_target or on_conflict._conflict_constraint)
        if on_conflict._conflict_constraint and not self.conflict_constraint_supported:
            raise self.not_supported('on_conflict(conflict_constraint=...) (name the columns '
                                     'with conflict_target=[...] instead)', value_error=True)
        if on_conflict.is_update():
            if not targeted:
                raise ValueError(
                    'on_conflict(update=... / preserve=...) on %s needs conflict_target='
                    '[columns] naming the unique index the conflict is on'
                    % self.display_name)
            ctx.literal(' ON CONFLICT')
            self._conflict_target(ctx, on_conflict)
            ctx.literal(' DO UPDATE SET ').sql(self.conflict_update(on_conflict, query))
            if on_conflict._where is not None:
                ctx.literal(' WHERE ').sql(on_conflict._where)
            return
        action = on_conflict._action
        if action == 'UPDATE':
            raise ValueError('on_conflict("update") needs update= or preserve=')
        if action is None:
            if targeted or on_conflict._where is not None:
                raise ValueError('on_conflict() names a conflict but not what to do about '
                                 'it: give action="ignore", update= or preserve=')
            return
        if self.insert_verb(on_conflict) != 'INSERT':
            return          # INSERT OR REPLACE / INSERT OR IGNORE said it all
        ctx.literal(' ON CONFLICT')
        self._conflict_target(ctx, on_conflict)
        ctx.literal(' DO NOTHING')


def _identifier(column: Any) -> Any:
    """A column given by name (a string) as a quoted identifier; nodes as they are."""
    return Entity(column) if isinstance(column, str) else column


def _column_name(column: Any) -> str:
    """The column name of a name, a field (``column_name``) or a Column."""
    if isinstance(column, str):
        return column
    return getattr(column, 'column_name', None) or column.name


class NaNParameter(float):
    """A NaN written to a float column, as a number field hands it on: still a float
    (PostgreSQL stores it as NaN), marked with its column so that an engine that cannot
    keep it refuses it by name.  SQLite binds NaN as NULL, so it would read back as
    ``None``, or fail on a ``NOT NULL`` column with a misleading ``IntegrityError``."""

    __slots__ = ('column',)
    column: Any

    def __new__(cls, column: Any) -> 'NaNParameter':
        self = super().__new__(cls, 'nan')
        self.column = column
        return self


def _refuse_nan(value: NaNParameter) -> Any:
    raise DataError('%s: SQLite cannot store NaN (it keeps NULL in its place, so the '
                    'value would read back as None); store None, or another value, '
                    'instead' % (value.column,))


def _adapt_for_sqlite(value: Any) -> Any:
    adapter = _SQLITE_ADAPTERS.get(type(value))
    return adapter(value) if adapter is not None else value


_SQLITE_ADAPTERS: dict[type, Callable] = {
    decimal.Decimal: str,
    uuid.UUID: lambda u: u.hex,
    datetime.datetime: lambda d: d.isoformat(' '),
    datetime.date: lambda d: d.isoformat(),
    datetime.time: lambda t: t.isoformat(),
    bytearray: bytes,
    memoryview: bytes,
    NaNParameter: _refuse_nan,
}


# -- date helpers: engines spell these differently ---------------------------------------
_DATE_PARTS = ('year', 'month', 'day', 'hour', 'minute', 'second', 'week', 'dow', 'doy',
               'quarter', 'epoch')


def check_date_part(part: str) -> str:
    if not isinstance(part, str) or part.lower() not in _DATE_PARTS:
        raise ValueError('unknown date part %r; use one of %s' % (part, ', '.join(_DATE_PARTS)))
    return part.lower()


def _extract_date(self: Any, date_part: str, date_field: Any) -> Node:
    return fn.date_part(check_date_part(date_part), date_field)


def _truncate_date(self: Any, date_part: str, date_field: Any) -> Node:
    return fn.date_trunc(check_date_part(date_part), date_field)


def _random(self: Any) -> Node:
    return fn.random()


def _date_helpers(cls: type) -> type:
    """Give ``cls`` the default date helpers (``date_part`` / ``date_trunc`` functions)
    and ``random()``, where it does not define its own."""
    for name, func in (('extract_date', _extract_date), ('truncate_date', _truncate_date),
                       ('random', _random)):
        if name not in cls.__dict__:
            setattr(cls, name, func)
    return cls


_date_helpers(Dialect)


class GenericDialect(Dialect):
    """Standard SQL with every clause written as given: what a query compiles with when
    it is bound to no database (``query.sql()``, ``str(query)``, ``Context()``).  An
    engine's own dialect is the one that refuses what its engine lacks."""

    for_engine = False
    returning_clause = True
    returning_qualified = True
    supports_distinct_on = True
    supports_lateral = True
    supports_update_from = True
    supports_update_limit = True
    supports_materialized_cte = True
    supports_writable_cte = True
    values_alias_columns = True


# what Context() compiles with when it is given no dialect
seam.register('default_dialect', GenericDialect)
