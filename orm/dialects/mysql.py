"""MySQL / MariaDB dialect: backticks, ``%s`` placeholders, ``ON DUPLICATE KEY UPDATE``.

What differs from the generic SQL:

* identifiers are quoted with backticks, parameters are ``%s`` (so a literal ``%`` in
  the SQL text is written ``%%``, as for psycopg2), and string literals escape
  backslashes (MySQL reads ``\\`` in a literal as an escape);
* upserts: ``INSERT IGNORE``, ``REPLACE INTO`` and ``ON DUPLICATE KEY UPDATE``, where a
  preserved column takes ``VALUES(col)`` (``VALUE(col)`` on MariaDB 10.3.3+); MySQL picks
  the conflicting unique index itself, so a conflict target is not written;
* an OFFSET without a LIMIT is written with the largest LIMIT MySQL accepts;
* ``RETURNING`` on INSERT and DELETE only on MariaDB 10.5 and later (the server version
  decides, see :meth:`MySQLDialect.set_server_version`);
* ``REGEXP`` / ``LIKE`` are case-insensitive under the default collations: the
  case-sensitive operators (``%``, ``regexp()``) compare with ``BINARY``;
* text is concatenated with ``CONCAT(a, b)`` (``||`` is a logical OR in MySQL's
  default ``sql_mode``);
* ``DROP INDEX name ON table``; a TEXT or BLOB column in an index gets a prefix
  length (:attr:`MySQLDialect.text_key_length`); ``FOR SHARE`` is ``LOCK IN SHARE
  MODE`` on MariaDB, which has no ``FOR UPDATE OF`` (refused);
* booleans are ``BOOL`` (``TINYINT(1)``), date-times ``DATETIME(6)`` (microseconds
  kept), JSON columns ``JSON`` read through ``JSON_EXTRACT``.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from ..sql.context import Context
from ..sql.nodes import (SQL, Cast, CommaNodeList, Entity, Expression, Function,
                         NamespaceAttribute, Node, NodeList, fn)
from ..sql.queries import _assignments
from .base import Dialect, _column_name, check_date_part

__all__ = ['MySQLDialect', 'parse_mysql_version']

#: the largest LIMIT MySQL accepts: "no limit" before an OFFSET
MYSQL_NO_LIMIT = 18446744073709551615

#: CAST target types MySQL spells its own way (see MySQLDialect.cast_type)
_CAST_TYPES = {'TEXT': 'CHAR', 'VARCHAR': 'CHAR', 'CHARACTER VARYING': 'CHAR',
               'INTEGER': 'SIGNED', 'INT': 'SIGNED', 'BIGINT': 'SIGNED', 'SMALLINT': 'SIGNED',
               'REAL': 'DOUBLE', 'FLOAT': 'DOUBLE', 'DOUBLE PRECISION': 'DOUBLE'}

_DATE_FORMATS = {'year': '%Y-01-01', 'month': '%Y-%m-01', 'day': '%Y-%m-%d',
                 'hour': '%Y-%m-%d %H:00:00', 'minute': '%Y-%m-%d %H:%i:00',
                 'second': '%Y-%m-%d %H:%i:%S'}


def parse_mysql_version(text: str) -> tuple:
    """``(10, 11, 6)`` from a server version string such as ``'10.11.6-MariaDB-0+deb12u1'``
    or ``'8.0.36'``; missing parts are 0.  MariaDB's handshake announces itself as
    ``'5.5.5-10.11.6-MariaDB'``: the ``5.5.5-`` prefix is skipped."""
    numbers: list[int] = []
    if text and text.startswith('5.5.5-') and 'mariadb' in text.lower():
        text = text[len('5.5.5-'):]
    for part in (text or '').split('-', 1)[0].split('.')[:3]:
        digits = ''.join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    while len(numbers) < 3:
        numbers.append(0)
    return tuple(numbers)


class MySQLDialect(Dialect):
    name = 'mysql'
    param = '%s'
    quote_char = '`'
    limit_max = MYSQL_NO_LIMIT
    nulls_ordering = False
    for_update = True
    returning_clause = False          # turned on for MariaDB 10.5+ by the server version
    returning_qualified = False
    update_returning = False          # MariaDB's RETURNING is on INSERT and DELETE only
    derived_names_unique = True       # count() renames a second "id" in its derived table
    partial_indexes = False
    nulls_distinct_clause = False     # NULLs in a unique index are always distinct
    insert_returns_pk = False         # new keys come from the driver's lastrowid
    subquery_alias_required = True
    compound_select_parentheses = True
    supports_update_limit = True
    safe_create_index = True          # MariaDB; plain MySQL refuses IF NOT EXISTS here
    safe_drop_index = False
    truncate_table = True
    sequences = False
    commit_select = False
    default_values_sql = '() VALUES ()'
    conflict_constraint_supported = False

    #: whether the server is MariaDB (``None`` until known: taken from the version)
    mariadb: bool | None = None
    #: the prefix length (characters; bytes for BLOB) a TEXT or BLOB key part gets:
    #: 191 characters of utf8mb4 fit in 767 bytes, the smallest key limit InnoDB has
    text_key_length = 191

    operator_functions = {'||': 'CONCAT'}
    operations = {'LIKE': 'LIKE BINARY', 'ILIKE': 'LIKE', 'REGEXP': 'REGEXP BINARY',
                  'IREGEXP': 'REGEXP', '%': '%%', '#': '^', 'XOR': 'XOR'}
    field_types = dict(Dialect.field_types, AUTO='INTEGER AUTO_INCREMENT',
                       BIGAUTO='BIGINT AUTO_INCREMENT', BOOL='BOOL', DECIMAL='NUMERIC',
                       DOUBLE='DOUBLE PRECISION', FLOAT='FLOAT', DATETIME='DATETIME(6)',
                       TIME='TIME(6)', UUID='VARCHAR(40)', UUIDB='VARBINARY(16)',
                       BLOB='BLOB', TEXT='TEXT', JSON='JSON')

    @property
    def display_name(self) -> str:
        return 'MariaDB' if self.mariadb else 'MySQL'

    def set_server_version(self, version: tuple | None, mariadb: bool | None = None) -> None:
        """Adopt the server's version: MariaDB (major version 10 and later) 10.5+ has
        ``RETURNING`` on INSERT and DELETE."""
        self.server_version = version
        if mariadb is None and version:
            mariadb = version[0] >= 10
        self.mariadb = mariadb
        self.returning_clause = bool(mariadb and version and tuple(version) >= (10, 5))
        self.safe_create_index = bool(mariadb) or not version
        self.safe_drop_index = bool(mariadb)

    def _at_least(self, mariadb: tuple, mysql: tuple) -> bool:
        """Whether the server is at least ``mariadb`` (on MariaDB) or ``mysql`` (on
        MySQL); an unknown version is taken to be recent."""
        version = self.server_version
        if not version:
            return True
        return tuple(version) >= (mariadb if self.mariadb else mysql)

    # -- DDL -----------------------------------------------------------------------------
    def drop_index_sql(self, index: Node, table: Node, safe: bool) -> list:
        """``DROP INDEX [IF EXISTS] name ON table``: an index belongs to its table
        (``IF EXISTS`` is MariaDB's; MySQL has none)."""
        parts: list = [SQL('DROP INDEX')]
        if safe and self.safe_drop_index:
            parts.append(SQL('IF EXISTS'))
        if isinstance(index, Entity):
            index = Entity(index._path[-1])
        parts.extend((index, SQL('ON'), table))
        return parts

    def index_key(self, expression: Any, unique: bool) -> Any:
        """A TEXT or BLOB column is indexed on its first :attr:`text_key_length`
        characters (bytes for BLOB): MySQL refuses such a key without a length.  A
        UNIQUE key on MariaDB keeps the whole column (MariaDB enforces it through a
        hidden hash), so that uniqueness covers the whole value there."""
        field_type = getattr(expression, 'field_type', None)
        if not isinstance(field_type, str) or not hasattr(expression, 'column_name'):
            return expression
        spelled = str(self.field_types.get(field_type, field_type)).upper()
        if not spelled.endswith(('TEXT', 'BLOB')):
            return expression
        if unique and self.mariadb:
            return expression
        return NodeList((expression, SQL('(%d)' % self.text_key_length)), glue='')

    # -- row locks -------------------------------------------------------------------------
    def lock_sql(self, lock: str, of: list, modifier: str | None) -> str:
        """MySQL 8 and MariaDB lock rows with ``FOR UPDATE`` and share them with ``FOR
        SHARE`` (MySQL 8) or ``LOCK IN SHARE MODE`` (MariaDB, MySQL 5.7).  ``OF <tables>``
        is MySQL 8's; ``NOWAIT`` needs MariaDB 10.3 / MySQL 8, ``SKIP LOCKED``
        MariaDB 10.6 / MySQL 8.  PostgreSQL's key-level locks have no MySQL form."""
        if lock not in ('FOR UPDATE', 'FOR SHARE'):
            raise self.not_supported('SELECT ... %s (use FOR UPDATE or FOR SHARE)' % lock,
                                     value_error=True)
        # MySQL 8 (MariaDB has neither FOR SHARE nor OF)
        modern = not self.mariadb and self._at_least((0, 0, 0), (8, 0, 0))
        if of and not modern:
            raise self.not_supported('SELECT ... %s OF <tables> (only MySQL 8 names the '
                                     'tables to lock; lock them all without of=)' % lock,
                                     value_error=True)
        if modifier == 'NOWAIT' and not self._at_least((10, 3, 0), (8, 0, 0)):
            raise self.not_supported('NOWAIT (MariaDB 10.3+, MySQL 8+)', value_error=True)
        if modifier == 'SKIP LOCKED' and not self._at_least((10, 6, 0), (8, 0, 0)):
            raise self.not_supported('SKIP LOCKED (MariaDB 10.6+, MySQL 8+)',
                                     value_error=True)
        if lock == 'FOR SHARE' and not modern:
            lock = 'LOCK IN SHARE MODE'
        return super().lock_sql(lock, of, modifier)

    # -- identifiers and literals ----------------------------------------------------------
    def escape_identifier(self, text: str) -> str:
        return text.replace('%', '%%')

    def literal_value(self, value: Any) -> str:
        if isinstance(value, str):
            value = value.replace('\\', '\\\\')
        return super().literal_value(value)

    def boolean_literal(self, value: bool) -> str:
        return '1' if value else '0'

    def cast_type(self, name: str) -> str:
        """MySQL casts to a few types of its own: text is ``CHAR`` (``VARCHAR(n)`` is
        ``CHAR(n)``), integers ``SIGNED``, floating point ``DOUBLE``; other names (DATE,
        DATETIME, DECIMAL(p, s), JSON ...) are written as given."""
        match = re.match(r'\s*([A-Za-z ]+?)\s*(\(.*\))?\s*$', name)
        if match is None:
            return name
        base = ' '.join(match.group(1).upper().split())
        spelled = _CAST_TYPES.get(base)
        if spelled is None:
            return name
        if spelled == 'CHAR':
            return spelled + (match.group(2) or '')
        return spelled

    # -- upserts -----------------------------------------------------------------------------
    def insert_verb(self, on_conflict: Any) -> str:
        if on_conflict is None or on_conflict.is_update():
            return 'INSERT'
        action = on_conflict._action
        if action == 'REPLACE':
            return 'REPLACE'
        if action == 'IGNORE':
            return 'INSERT IGNORE'
        return 'INSERT'

    def _inserted_value(self, column: str) -> Node:
        """The value a row would have been inserted with, for ON DUPLICATE KEY UPDATE."""
        version = self.server_version
        spelled = 'VALUE' if self.mariadb is not False and version and \
            tuple(version) >= (10, 3, 3) else 'VALUES'
        return NodeList((SQL(spelled + '('), Entity(column), SQL(')')), glue='')

    def _rewrite_excluded(self, node: Any) -> Any:
        """``EXCLUDED.col`` (PostgreSQL's and SQLite's spelling) as ``VALUES(col)``."""
        if isinstance(node, NamespaceAttribute) and \
                getattr(node._namespace, '_name', None) == 'EXCLUDED':
            return self._inserted_value(node._attribute)
        twin: Any = copy.copy(node)
        if isinstance(node, Expression):
            twin.lhs = self._rewrite_excluded(node.lhs)
            twin.rhs = self._rewrite_excluded(node.rhs)
        elif isinstance(node, Function):
            twin.arguments = tuple(map(self._rewrite_excluded, node.arguments))
        elif isinstance(node, NodeList):
            twin.nodes = [self._rewrite_excluded(part) for part in node.nodes]
        else:
            return node
        return twin

    def conflict_update(self, on_conflict: Any, query: Any) -> Node | None:
        settings = [NodeList((Entity(name), SQL('='), self._inserted_value(name)))
                    for name in map(_column_name, on_conflict._preserve)]
        for assignment in _assignments(query.table, on_conflict._update or {},
                                       'on_conflict(update=...)'):
            target, equals, value = assignment.nodes
            settings.append(NodeList((Entity(_column_name(target)), equals,
                                      self._rewrite_excluded(value))))
        return CommaNodeList(settings)

    def render_on_conflict(self, ctx: Context, on_conflict: Any, query: Any) -> None:
        if on_conflict._conflict_constraint:
            raise self.not_supported('on_conflict(conflict_constraint=...)', value_error=True)
        if on_conflict._where is not None or on_conflict._conflict_where is not None:
            raise self.not_supported('on_conflict(where=...)', value_error=True)
        if on_conflict.is_update():
            # MySQL finds the conflicting unique index itself: a conflict_target is
            # accepted (for code shared with other engines) and not written
            ctx.literal(' ON DUPLICATE KEY UPDATE ').sql(self.conflict_update(on_conflict,
                                                                              query))
            return
        if on_conflict._action == 'UPDATE':
            raise ValueError('on_conflict("update") needs update= or preserve=')
        if on_conflict._action is None and on_conflict._conflict_target:
            raise ValueError('on_conflict() names a conflict but not what to do about it: '
                             'give action="ignore", update= or preserve=')

    # -- functions ---------------------------------------------------------------------------
    def extract_date(self, date_part: str, date_field: Any) -> Node:
        part = check_date_part(date_part)
        if part == 'dow':
            return fn.DAYOFWEEK(date_field) - 1
        if part == 'doy':
            return fn.DAYOFYEAR(date_field)
        if part == 'epoch':
            return fn.UNIX_TIMESTAMP(date_field)
        return fn.EXTRACT(NodeList((SQL(part.upper()), SQL('FROM'), date_field)))

    def truncate_date(self, date_part: str, date_field: Any) -> Node:
        part = check_date_part(date_part)
        if part not in _DATE_FORMATS:
            raise ValueError('%s cannot truncate dates to %r' % (self.display_name, part))
        # DATE_FORMAT gives text, which compares with a datetime as text would
        # ('2024-05-06' != '2024-05-06 00:00:00'): cast it back to a DATETIME so that
        # WHERE and GROUP BY see a date-time, as on the other engines
        text = fn.DATE_FORMAT(date_field, SQL("'%s'" % _DATE_FORMATS[part].replace('%', '%%')))
        return Cast(text, 'DATETIME')

    def random(self) -> Node:
        return fn.rand()

    def to_timestamp(self, date_field: Any) -> Any:
        return fn.UNIX_TIMESTAMP(date_field)

    def from_timestamp(self, date_field: Any) -> Any:
        return fn.FROM_UNIXTIME(date_field)
