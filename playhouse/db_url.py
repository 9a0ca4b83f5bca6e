"""Database objects from URLs: ``connect('postgresql://user:pw@host:5432/app')``.

The URL's scheme picks the database class, its path the database (a file name for
SQLite), user, password, host and port become connection arguments, and the query
string adds more, with ``'true'`` / ``'false'`` turned into booleans, whole numbers into
``int``, decimals into ``float`` and ``'none'`` / ``'null'`` into ``None``::

    db = connect('sqlite:///app.db?timeout=10')            # relative file app.db
    db = connect('sqlite:////var/data/app.db')              # absolute path
    db = connect('sqlite:///:memory:')
    db = connect('postgresql+pool://app@db.internal/app?max_connections=8&sslmode=require')

Schemes: ``sqlite``, ``sqlite+pool``, ``sqliteext``, ``sqliteext+pool``, ``apsw``,
``postgres`` / ``postgresql`` (also with ``+pool``), ``postgresext`` / ``postgresqlext``
(also with ``+pool``), ``psycopg3`` (also with ``+pool``), ``cockroachdb`` / ``crdb``
(also with ``+pool``); :func:`register_database` adds more.  Classes of optional
modules (``apsw``, ``sqlite_ext``) are imported only when their scheme is used.
"""
from __future__ import annotations

import importlib
from typing import Any, Optional, Union
from urllib.parse import ParseResult, parse_qsl, unquote, urlparse

from orm import ImproperlyConfigured, PostgresqlDatabase, SqliteDatabase

__all__ = ['connect', 'parse', 'parseresult_to_dict', 'register_database', 'schemes',
           'DatabaseURLError', 'UnknownSchemeError']


class DatabaseURLError(ImproperlyConfigured, ValueError):
    """The database URL cannot be understood."""


class UnknownSchemeError(DatabaseURLError, RuntimeError):
    """The URL names a scheme no database class is registered for."""


#: scheme -> database class, or ``'module:ClassName'`` imported on first use
schemes: dict[str, Union[type, str]] = {
    'sqlite': SqliteDatabase,
    'sqlite+pool': 'playhouse.pool:PooledSqliteDatabase',
    'sqliteext': 'playhouse.sqlite_ext:SqliteExtDatabase',
    'sqliteext+pool': 'playhouse.pool:PooledSqliteExtDatabase',
    'apsw': 'playhouse.apsw_ext:APSWDatabase',
    'postgres': PostgresqlDatabase,
    'postgresql': PostgresqlDatabase,
    'postgres+pool': 'playhouse.pool:PooledPostgresqlDatabase',
    'postgresql+pool': 'playhouse.pool:PooledPostgresqlDatabase',
    'postgresext': 'playhouse.postgres_ext:PostgresqlExtDatabase',
    'postgresqlext': 'playhouse.postgres_ext:PostgresqlExtDatabase',
    'postgresext+pool': 'playhouse.postgres_ext:PooledPostgresqlExtDatabase',
    'postgresqlext+pool': 'playhouse.postgres_ext:PooledPostgresqlExtDatabase',
    'psycopg3': 'playhouse.postgres_ext:Psycopg3Database',
    'psycopg3+pool': 'playhouse.postgres_ext:PooledPsycopg3Database',
    'cockroachdb': 'playhouse.cockroachdb:CockroachDatabase',
    'crdb': 'playhouse.cockroachdb:CockroachDatabase',
    'cockroachdb+pool': 'playhouse.cockroachdb:PooledCockroachDatabase',
    'crdb+pool': 'playhouse.cockroachdb:PooledCockroachDatabase',
    'mysql': 'playhouse.db_url:_NoMySQL',
    'mysql+pool': 'playhouse.pool:PooledMySQLDatabase',
}


class _NoMySQL:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImproperlyConfigured('mysql:// URLs: orm does not support MySQL (only SQLite, '
                                   'PostgreSQL and CockroachDB).')


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


def _resolve(scheme: str) -> type:
    try:
        target = schemes[scheme]
    except KeyError:
        raise UnknownSchemeError(
            'Unknown database URL scheme %r; known schemes: %s. Use register_database() '
            'to add one.' % (scheme, ', '.join(sorted(schemes)))) from None
    if isinstance(target, str):
        module_name, _, attr = target.partition(':')
        try:
            module = importlib.import_module(module_name)
            target = getattr(module, attr)
        except (ImportError, AttributeError) as exc:
            raise ImproperlyConfigured(
                'The %r URL scheme needs %s.%s, which cannot be loaded: %s'
                % (scheme, module_name, attr, exc)) from exc
        schemes[scheme] = target
    return target  # type: ignore[return-value]


def _convert(value: str) -> Any:
    lowered = value.lower()
    if lowered == 'true':
        return True
    if lowered == 'false':
        return False
    if lowered in ('none', 'null'):
        return None
    if value.isdigit():
        return int(value)
    head, dot, tail = value.partition('.')
    if dot and head.isdigit() and tail.isdigit():
        return float(value)
    return value


def parseresult_to_dict(parsed: ParseResult, unquote_password: bool = False,
                        unquote_user: bool = False) -> dict:
    """Connection arguments from a URL already split by :func:`urllib.parse.urlparse`.

    Keys: ``database`` (always), ``user``, ``password``, ``host``, ``port`` (when given)
    and every query-string option.
    """
    path = parsed.path
    query = parsed.query
    if '?' in path and not query:       # scheme unknown to urlparse on some Pythons
        path, _, query = path.partition('?')
    database = path[1:] if path.startswith('/') else path
    params: dict = {'database': unquote(database)}
    try:
        port = parsed.port
    except ValueError as exc:
        raise DatabaseURLError('Invalid port in database URL: %s' % exc) from None
    if parsed.username:
        params['user'] = unquote(parsed.username) if unquote_user else parsed.username
    if parsed.password:
        params['password'] = (unquote(parsed.password) if unquote_password
                              else parsed.password)
    if parsed.hostname:
        params['host'] = parsed.hostname
    if port:
        params['port'] = port
    if 'sqlite' in parsed.scheme or parsed.scheme == 'apsw':
        if params.get('host'):
            raise DatabaseURLError(
                'SQLite URLs have no host: write sqlite:///relative/path.db or '
                'sqlite:////absolute/path.db (three or four slashes), got host %r'
                % params['host'])
        if not params['database']:
            params['database'] = ':memory:'
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise DatabaseURLError('Malformed query string in database URL: %s' % exc) from None
    for key, value in pairs:
        params[key] = _convert(value)
    return params


def _split(url: str) -> ParseResult:
    if not isinstance(url, str):
        raise DatabaseURLError('A database URL must be a string, got %r' % (url,))
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
    return db_class(database, **params)


def _database_for(url: str) -> Optional[type]:
    """The class ``url`` would use (for tools and tests)."""
    return _resolve(_split(url).scheme.lower())
