"""PostgreSQL driver adapters: what :class:`~orm.PostgresqlDatabase` needs from a driver.

``PostgresqlDatabase`` speaks to the server through one of two DB-API drivers,
``psycopg2`` and ``psycopg`` (version 3).  Everything that differs between them --
how to connect, read the transaction status and the server version, open a
server-side cursor, wrap JSON values, register ``hstore`` -- lives in an adapter
object here, so the database class holds no driver-specific code.

Choosing the driver (``PostgresqlDatabase(..., prefer_psycopg3=False)``):

* psycopg2 when it is installed, else psycopg 3;
* ``prefer_psycopg3=True``: psycopg 3 when it is installed, else psycopg2.

The classes are chosen through the database's ``psycopg2_adapter`` and
``psycopg3_adapter`` attributes, so a subclass can plug in its own adapter.
"""
from __future__ import annotations

import decimal
import enum
import importlib
import importlib.util
import select
import sys
import uuid
from typing import Any, Optional

from .exceptions import ImproperlyConfigured

__all__ = ['PostgresAdapter', 'Psycopg2Adapter', 'Psycopg3Adapter', 'choose_adapter',
           'isolation_level_sql', 'TRANSACTION_IDLE', 'TRANSACTION_ACTIVE',
           'TRANSACTION_INTRANS', 'TRANSACTION_INERROR', 'TRANSACTION_UNKNOWN']

#: Transaction status of a connection (the same numbers in psycopg2 and psycopg 3).
TRANSACTION_IDLE = 0
TRANSACTION_ACTIVE = 1
TRANSACTION_INTRANS = 2
TRANSACTION_INERROR = 3
TRANSACTION_UNKNOWN = 4

#: The SQL isolation levels; a ``psycopg2.extensions.ISOLATION_LEVEL_*`` constant ``n``
#: (1 to 4) names the ``n``-th of them, 0 is the server default.
_LEVELS_BY_PSYCOPG2_NUMBER = ('READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE',
                              'READ UNCOMMITTED')


def isolation_level_sql(level: Any) -> Optional[str]:
    """Normalise an isolation level to its SQL name; ``None`` means the server default.

    Accepts a ``psycopg2.extensions.ISOLATION_LEVEL_*`` constant, a
    ``psycopg.IsolationLevel`` member or a name such as ``'serializable'`` or
    ``'REPEATABLE_READ'``.
    """
    if level is None:
        return None
    if isinstance(level, enum.Enum):            # psycopg.IsolationLevel.SERIALIZABLE
        level = level.name
    elif isinstance(level, int):                # 0: ISOLATION_LEVEL_DEFAULT/_AUTOCOMMIT
        if not 0 <= level <= len(_LEVELS_BY_PSYCOPG2_NUMBER):
            raise ValueError('Unknown isolation level constant: %r' % level)
        return _LEVELS_BY_PSYCOPG2_NUMBER[level - 1] if level else None
    name = ' '.join(str(level).replace('_', ' ').upper().split())
    if name not in _LEVELS_BY_PSYCOPG2_NUMBER:
        raise ValueError('Unknown isolation level %r: use one of %s' % (
            level, ', '.join(sorted(_LEVELS_BY_PSYCOPG2_NUMBER))))
    return name


def _is_dsn(database: str) -> bool:
    return '=' in database or database.startswith(('postgres://', 'postgresql://'))


class PostgresAdapter:
    """Base of the driver adapters.  Subclasses name their ``driver`` module."""

    #: import name of the driver module
    driver = ''
    #: what to ``pip install`` to get it
    package = ''
    #: CASE expressions assigning JSON need an explicit cast (untyped otherwise)
    cast_json_case = True

    def __init__(self) -> None:
        self._module: Any = None

    def __repr__(self) -> str:
        return '<%s>' % type(self).__name__

    @classmethod
    def available(cls) -> bool:
        """Whether the driver can be imported."""
        if cls.driver in sys.modules:
            return sys.modules[cls.driver] is not None
        try:
            return importlib.util.find_spec(cls.driver) is not None
        except (ImportError, ValueError):
            return False

    @property
    def module(self) -> Any:
        """The driver module (imported on first use)."""
        if self._module is None:
            try:
                module = importlib.import_module(self.driver)
            except ImportError:
                module = None
            if module is None:
                raise ImproperlyConfigured(
                    'PostgresqlDatabase needs a PostgreSQL driver: pip install '
                    '"orm[postgres]" (or pip install %s). psycopg2 and psycopg 3 are both '
                    'supported.' % self.package) from None
            self._module = module
        return self._module

    # -- connections -------------------------------------------------------------------
    def connect(self, database: str, **params: Any) -> Any:
        """A new driver connection in autocommit mode."""
        raise NotImplementedError

    def setup_connection(self, conn: Any, register_unicode: bool = True,
                         encoding: Optional[str] = None) -> None:
        """Per-connection setup run right after :meth:`connect`."""

    def server_version(self, conn: Any) -> int:
        """The server's version as an integer (``150004``)."""
        raise NotImplementedError

    def transaction_status(self, conn: Any) -> int:
        """One of the ``TRANSACTION_*`` constants of this module."""
        raise NotImplementedError

    def is_closed(self, conn: Any) -> bool:
        """Whether ``conn`` was closed (by the program, or by the driver on a lost link)."""
        return bool(conn.closed)

    def is_broken(self, conn: Any) -> bool:
        """Whether ``conn`` is closed or its link to the server is known to be lost
        (transaction status ``UNKNOWN``)."""
        return self.is_closed(conn) or self.transaction_status(conn) == TRANSACTION_UNKNOWN

    def link_lost(self, conn: Any) -> bool:
        """Whether an idle connection (no statement running) has lost its server.

        Cheap: the driver's own state, then a look at the socket without waiting.  An
        idle connection has nothing to read unless the server sent something unasked:
        a notification, or the goodbye of a terminated backend (a FATAL message, then
        end of file).  Only then is a ``SELECT 1`` round trip made to tell which.
        """
        try:
            if self.is_broken(conn):
                return True
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except Exception:
            return True
        return bool(readable) and not self.answers(conn)

    def answers(self, conn: Any) -> bool:
        """Whether ``conn`` answers a ``SELECT 1`` round trip (outside a transaction)."""
        try:
            cursor = conn.cursor()
            try:
                cursor.execute('SELECT 1')
                cursor.fetchall()
            finally:
                cursor.close()
        except Exception:
            return False
        return True

    def cursor(self, conn: Any) -> Any:
        return conn.cursor()

    def server_side_cursor(self, conn: Any, name: Optional[str] = None) -> Any:
        """A named (server-side) cursor.

        ``WITH HOLD``: orm's connections run in autocommit mode with explicit
        ``BEGIN``/``COMMIT``, and a held cursor also works outside a transaction.
        """
        return conn.cursor(name=name or 'orm_ssc_%s' % uuid.uuid4().hex, withhold=True)

    # -- values ------------------------------------------------------------------------
    @property
    def json_type(self) -> type:
        """The driver's wrapper marking a value to be sent as ``json``."""
        raise NotImplementedError

    @property
    def jsonb_type(self) -> type:
        """The driver's wrapper marking a value to be sent as ``jsonb``."""
        return self.json_type

    def register_hstore(self, conn: Any) -> None:
        """Make ``hstore`` values arrive as dicts on ``conn``."""
        raise NotImplementedError

    def register_uuid(self, conn: Any) -> None:
        """Make ``uuid`` values (and arrays of them) arrive as :class:`uuid.UUID` on
        ``conn`` (psycopg 3 does so already)."""


class Psycopg2Adapter(PostgresAdapter):
    """The ``psycopg2`` driver."""

    driver = 'psycopg2'
    package = 'psycopg2-binary'

    def connect(self, database: str, **params: Any) -> Any:
        psycopg2 = self.module
        if _is_dsn(database):
            conn = psycopg2.connect(database, **params)
        else:
            conn = psycopg2.connect(database=database, **params)
        conn.autocommit = True
        return conn

    def setup_connection(self, conn: Any, register_unicode: bool = True,
                         encoding: Optional[str] = None) -> None:
        _send_decimal_infinity_as_infinity()
        if register_unicode:
            extensions = importlib.import_module('psycopg2.extensions')
            extensions.register_type(extensions.UNICODE, conn)
            extensions.register_type(extensions.UNICODEARRAY, conn)
        if encoding:
            conn.set_client_encoding(encoding)

    def server_version(self, conn: Any) -> int:
        return conn.server_version

    def transaction_status(self, conn: Any) -> int:
        return conn.get_transaction_status()

    @property
    def json_type(self) -> type:
        return importlib.import_module('psycopg2.extras').Json

    def register_uuid(self, conn: Any) -> None:
        importlib.import_module('psycopg2.extras').register_uuid(conn_or_curs=conn)

    def register_hstore(self, conn: Any) -> None:
        try:
            importlib.import_module('psycopg2.extras').register_hstore(conn, globally=False)
        except self.module.ProgrammingError as exc:
            if 'hstore type not found' not in str(exc):
                raise
            raise ImproperlyConfigured('the hstore extension is not installed in this '
                                       'database: run CREATE EXTENSION hstore') from exc


def _send_decimal_infinity_as_infinity() -> None:
    """Make psycopg2 send ``Decimal('Infinity')`` and ``Decimal('-Infinity')`` as
    ``'Infinity'::numeric`` / ``'-Infinity'::numeric``.

    psycopg2's own adapter sends every non-finite ``Decimal`` as ``'NaN'``, so an
    infinite value was stored as NaN without a word.  Sent as what it is, a column
    with a precision refuses it (``DataError``: numeric field overflow) and a plain
    ``NUMERIC`` column keeps it, as with psycopg 3.  ``Decimal('NaN')`` is still sent
    as ``'NaN'``: PostgreSQL's ``NUMERIC`` has a NaN and keeps it.

    psycopg2 keeps its adapters process-wide; ours replaces only psycopg2's built-in
    ``Decimal`` adapter (one an application registered itself is left alone).
    """
    extensions = importlib.import_module('psycopg2.extensions')
    key = (decimal.Decimal, extensions.ISQLQuote)
    builtin = extensions.adapters.get(key)
    if builtin is None or builtin is not getattr(sys.modules.get('psycopg2._psycopg'),
                                                 'Decimal', None):
        return                  # ours already, or one the application chose
    _builtin_decimal_adapter.append(builtin)
    _infinity_sql.update({1: extensions.AsIs("'Infinity'::numeric"),
                          -1: extensions.AsIs("'-Infinity'::numeric")})
    extensions.register_adapter(decimal.Decimal, _adapt_decimal)


#: psycopg2's own Decimal adapter, once ours took its place
_builtin_decimal_adapter: list = []
#: sign -> the SQL of an infinite Decimal (filled in with psycopg2's AsIs)
_infinity_sql: dict = {}


def _adapt_decimal(value: decimal.Decimal) -> Any:
    if value.is_infinite():
        return _infinity_sql[-1 if value.is_signed() else 1]
    return _builtin_decimal_adapter[0](value)


class Psycopg3Adapter(PostgresAdapter):
    """The ``psycopg`` (version 3) driver.

    Parameters are bound on the client (:class:`psycopg.ClientCursor`), as psycopg2
    does: a statement behaves the same on both drivers (``SELECT %s`` with a string,
    for example, needs no cast).  Set ``cursor_factory`` to ``None`` on a subclass to
    bind on the server instead.
    """

    driver = 'psycopg'
    package = 'psycopg[binary]'

    @property
    def cursor_factory(self) -> Any:
        return self.module.ClientCursor

    def connect(self, database: str, **params: Any) -> Any:
        psycopg = self.module
        params.setdefault('autocommit', True)
        factory = self.cursor_factory
        if factory is not None:
            params.setdefault('cursor_factory', factory)
        if _is_dsn(database):
            conn = psycopg.connect(database, **params)
        else:
            if 'database' in params:        # psycopg2 spelling
                params.setdefault('dbname', params.pop('database'))
            conn = psycopg.connect(dbname=database, **params)
        conn.autocommit = True
        return conn

    def setup_connection(self, conn: Any, register_unicode: bool = True,
                         encoding: Optional[str] = None) -> None:
        # psycopg 3 always decodes text; the encoding is a session setting
        if encoding:
            cursor = conn.cursor()
            try:
                cursor.execute('SELECT set_config(%s, %s, false)',
                               ('client_encoding', encoding))
            finally:
                cursor.close()

    def server_version(self, conn: Any) -> int:
        return conn.info.server_version

    def transaction_status(self, conn: Any) -> int:
        return int(conn.info.transaction_status)

    @property
    def json_type(self) -> type:
        return importlib.import_module('psycopg.types.json').Json

    @property
    def jsonb_type(self) -> type:
        return importlib.import_module('psycopg.types.json').Jsonb

    def register_hstore(self, conn: Any) -> None:
        self.module                 # ImproperlyConfigured when psycopg is not installed
        types = importlib.import_module('psycopg.types')
        hstore = importlib.import_module('psycopg.types.hstore')
        info = types.TypeInfo.fetch(conn, 'hstore')
        if info is None:
            raise ImproperlyConfigured('the hstore extension is not installed in this '
                                       'database: run CREATE EXTENSION hstore')
        hstore.register_hstore(info, conn)


def choose_adapter(psycopg2_adapter: type[PostgresAdapter],
                   psycopg3_adapter: type[PostgresAdapter],
                   prefer_psycopg3: bool = False) -> PostgresAdapter:
    """An instance of the adapter to use: psycopg2 first unless ``prefer_psycopg3``,
    falling back to the other driver when the preferred one is not installed."""
    order = ((psycopg3_adapter, psycopg2_adapter) if prefer_psycopg3
             else (psycopg2_adapter, psycopg3_adapter))
    for adapter_class in order:
        if adapter_class.available():
            return adapter_class()
    # neither installed: the preferred adapter explains what to install when used
    return order[0]()
