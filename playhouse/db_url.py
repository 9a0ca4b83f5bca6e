"""Database objects from URLs: ``connect('postgresql://user:pw@host:5432/app')``.

The URL's scheme picks the database class, its path the database (a file name for
SQLite), user, password, host and port become connection arguments, and the query
string adds more, with ``'true'`` / ``'false'`` turned into booleans, whole numbers into
``int``, decimals into ``float`` and ``'none'`` / ``'null'`` into ``None``::

    db = connect('sqlite:///app.db?timeout=10')            # relative file app.db
    db = connect('sqlite:////var/data/app.db')              # absolute path
    db = connect('sqlite:///:memory:')
    db = connect('postgresql+pool://app@db.internal/app?max_connections=8&sslmode=require')

Schemes: ``sqlite``, ``sqliteext``, ``apsw``, ``postgres`` / ``postgresql``,
``postgresext`` / ``postgresqlext``, ``psycopg3``, ``cockroachdb`` / ``crdb``, ``mysql``
/ ``mariadb``, ``mysqlconnector``, ``mariadbconnector`` and ``cysqlite``; each but
``apsw`` also with ``+pool`` for the pooled class. ``sqlcipher`` / ``sqlcipherext`` take
``?passphrase=...``. The ``cysqlite`` and ``sqlcipher`` classes are imported when such
a URL is first used, since their drivers are optional. :func:`register_database` adds
more.
"""
from __future__ import annotations

import importlib
import re
from typing import Any, Optional, Tuple
from urllib.parse import ParseResult, parse_qsl, unquote, urlparse

from orm import ImproperlyConfigured, MySQLDatabase, PostgresqlDatabase, SqliteDatabase

from playhouse.apsw_ext import APSWDatabase
from playhouse.cockroachdb import CockroachDatabase, PooledCockroachDatabase
from playhouse.mysql_ext import (MariaDBConnectorDatabase, MySQLConnectorDatabase,
                                 PooledMariaDBConnectorDatabase, PooledMySQLConnectorDatabase)
from playhouse.pool import (PooledMySQLDatabase, PooledPostgresqlDatabase,
                            PooledSqliteDatabase, PooledSqliteExtDatabase)
from playhouse.postgres_ext import (PooledPostgresqlExtDatabase, PooledPsycopg3Database,
                                    PostgresqlExtDatabase, Psycopg3Database)
from playhouse.sqlite_ext import SqliteExtDatabase

__all__ = ['connect', 'parse', 'parseresult_to_dict', 'register_database', 'schemes',
           'DatabaseURLError', 'UnknownSchemeError']


class DatabaseURLError(ImproperlyConfigured, ValueError):
    """The database URL cannot be understood."""


class UnknownSchemeError(DatabaseURLError, RuntimeError):
    """The URL names a scheme no database class is registered for."""


# (scheme names, database class, pooled class or None)
_FAMILIES: tuple = (
    (('sqlite',), SqliteDatabase, PooledSqliteDatabase),
    (('sqliteext',), SqliteExtDatabase, PooledSqliteExtDatabase),
    (('apsw',), APSWDatabase, None),
    (('postgres', 'postgresql'), PostgresqlDatabase, PooledPostgresqlDatabase),
    (('postgresext', 'postgresqlext'), PostgresqlExtDatabase, PooledPostgresqlExtDatabase),
    (('psycopg3',), Psycopg3Database, PooledPsycopg3Database),
    (('cockroachdb', 'crdb'), CockroachDatabase, PooledCockroachDatabase),
    (('mysql', 'mariadb'), MySQLDatabase, PooledMySQLDatabase),
    (('mysqlconnector',), MySQLConnectorDatabase, PooledMySQLConnectorDatabase),
    (('mariadbconnector',), MariaDBConnectorDatabase, PooledMariaDBConnectorDatabase),
)

#: scheme -> database class (``name+pool`` for the pooled one)
schemes: dict = {}
for _names, _plain, _pooled in _FAMILIES:
    for _name in _names:
        schemes[_name] = _plain
        if _pooled is not None:
            schemes[_name + '+pool'] = _pooled
del _names, _plain, _pooled, _name


def register_database(db_class: type, *names: str) -> None:
    """Use ``db_class`` for URLs whose scheme is one of ``names``.

    ``register_database(MyDatabase, 'mydb', 'mydb+pool')``
    """
    if not isinstance(db_class, type):
        raise TypeError('register_database() needs a database class, got %r' % (db_class,))
    if not names:
        raise ValueError('register_database() needs at least one scheme name')
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError('scheme names must be non-empty strings, got %r' % (name,))
        schemes[name.lower()] = db_class


#: schemes whose database class lives in a module that needs an optional package: the
#: module is imported when such a URL is first used (scheme -> (module, class name))
_OPTIONAL_SCHEMES = {
    'cysqlite': ('playhouse.cysqlite_ext', 'CySqliteDatabase'),
    'cysqlite+pool': ('playhouse.cysqlite_ext', 'PooledCySqliteDatabase'),
    'sqlcipher': ('playhouse.sqlcipher_ext', 'SqlCipherDatabase'),
    'sqlcipherext': ('playhouse.sqlcipher_ext', 'SqlCipherExtDatabase'),
}


def _optional_class(scheme: str) -> Optional[type]:
    where = _OPTIONAL_SCHEMES.get(scheme)
    if where is None:
        return None
    try:
        module = importlib.import_module(where[0])
    except ImportError as exc:
        raise DatabaseURLError('a %s:// URL needs %s, which cannot be imported: %s'
                               % (scheme, where[0], exc)) from exc
    db_class: type = getattr(module, where[1])
    schemes[scheme] = db_class
    return db_class


def _resolve(scheme: str) -> type:
    db_class = schemes.get(scheme) or _optional_class(scheme)
    if db_class is None:
        raise UnknownSchemeError(
            'Unknown database URL scheme %r; known schemes: %s. Use register_database() '
            'to add one.' % (scheme, ', '.join(sorted(set(schemes) | set(_OPTIONAL_SCHEMES)))))
    return db_class


_WORDS = {'true': True, 'false': False, 'none': None, 'null': None}
_INTEGER = re.compile(r'[0-9]+\Z')            # ASCII digits only: '²' or '٣' stay text
_DECIMAL = re.compile(r'[0-9]+\.[0-9]+\Z')


_SIGNED_NUMBER = re.compile(r'-?[0-9]+(\.[0-9]+)?\Z')

#: options whose value must be a number (or none/null), or a boolean: checked as the URL
#: is read, so a bad value is reported with the option's name instead of failing later
#: in the driver with a message that names neither
_NUMBER_OPTIONS = frozenset(('timeout', 'connect_timeout', 'max_connections',
                             'stale_timeout', 'cached_statements', 'port'))
_BOOLEAN_OPTIONS = frozenset(('autoconnect', 'autorollback', 'thread_safe',
                              'check_same_thread', 'uri', 'prefer_psycopg3',
                              'register_unicode', 'server_side_cursors'))


def _convert(value: str) -> Any:
    lowered = value.lower()
    if lowered in _WORDS:
        return _WORDS[lowered]
    if _INTEGER.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value


def _option(name: str, value: str) -> Any:
    """The value of option ``name`` as its database class takes it (numbers are read
    from ASCII digits only)."""
    converted = _convert(value)
    if name in _NUMBER_OPTIONS and isinstance(converted, str):
        if not _SIGNED_NUMBER.match(value):
            raise DatabaseURLError('database URL option %r must be a number written in '
                                   'ASCII digits (or none), not %r' % (name, value))
        converted = float(value) if '.' in value else int(value)
    elif name in _BOOLEAN_OPTIONS and converted not in (True, False):   # 1 and 0 too
        raise DatabaseURLError('database URL option %r must be true or false, not %r'
                               % (name, value))
    return converted


def _is_sqlite(scheme: str) -> bool:
    return scheme == 'apsw' or 'sqlite' in scheme or scheme.startswith('sqlcipher')


def parseresult_to_dict(parsed: ParseResult, unquote_password: bool = False,
                        unquote_user: bool = False) -> dict:
    """Connection arguments from a URL already split by :func:`urllib.parse.urlparse`.

    Keys: ``database`` (always), ``user``, ``password``, ``host``, ``port`` (when given)
    and every query-string option.
    """
    path, query = parsed.path, parsed.query
    if not query and '?' in path:       # some Pythons leave the query of a new scheme
        path, _, query = path.partition('?')
    try:
        port = parsed.port
    except ValueError as exc:
        raise DatabaseURLError('Invalid port in database URL: %s' % exc) from None
    out: dict = {'database': unquote(path[1:] if path.startswith('/') else path)}
    # MySQL drivers (MySQLdb, PyMySQL) name the password ``passwd``
    password_key = 'passwd' if parsed.scheme == 'mysql' else 'password'
    given: Tuple[Tuple[str, Any, bool], ...] = (
        ('user', parsed.username, unquote_user),
        (password_key, parsed.password, unquote_password),
        ('host', parsed.hostname, False), ('port', port, False))
    for key, value, decode in given:
        if value:
            out[key] = unquote(value) if decode else value
    if _is_sqlite(parsed.scheme):
        if 'host' in out:
            raise DatabaseURLError(
                'a SQLite URL names a file, not a host (got host %r): sqlite:///app.db '
                'for a relative path, sqlite:////srv/app.db for an absolute one'
                % out['host'])
        out['database'] = out['database'] or ':memory:'
    try:
        options = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise DatabaseURLError('cannot read the options of a database URL: %s' % exc) \
            from None
    out.update((key, _option(key, value)) for key, value in options)
    return out


def _split(url: str) -> ParseResult:
    if not isinstance(url, str):
        raise DatabaseURLError('expected the database URL as a str, not %r' % (url,))
    url = url.strip()
    parsed = urlparse(url)
    if not parsed.scheme or '://' not in url:
        raise DatabaseURLError(
            'Malformed database URL %r: expected scheme://[user[:password]@][host[:port]]'
            '/database[?option=value...], e.g. sqlite:///app.db or '
            'postgresql://user@localhost/app' % (url,))
    return parsed


def parse(url: str, unquote_password: bool = False, unquote_user: bool = False) -> dict:
    """The connection arguments a URL stands for (see :func:`parseresult_to_dict`)."""
    return parseresult_to_dict(_split(url), unquote_password, unquote_user)


def connect(url: str, unquote_password: bool = False, unquote_user: bool = False,
            **connect_params: Any) -> Any:
    """A database object (not yet connected) for ``url``.

    Keyword arguments are added to (and override) what the URL says.  Passwords holding
    URL-reserved characters may be percent-encoded: pass ``unquote_password=True``.

    :raises DatabaseURLError: for a malformed URL.
    :raises UnknownSchemeError: for a scheme no class is registered for.
    """
    parsed = _split(url)
    params = parseresult_to_dict(parsed, unquote_password, unquote_user)
    db_class = _resolve(parsed.scheme.lower())
    params.update(connect_params)
    database = params.pop('database')
    if not database:
        host = parsed.hostname or 'app'
        raise DatabaseURLError(
            'The database URL %r has no database name: put it after the host and a '
            'slash (%s://user@localhost/%s), or write %s:///%s for a server on this '
            'machine; a name right after "//" is read as the host'
            % (url, parsed.scheme, host, parsed.scheme, host))
    return db_class(database, **params)


def _database_for(url: str) -> Optional[type]:
    """The class ``url`` would use (for tools and tests)."""
    return _resolve(_split(url).scheme.lower())
