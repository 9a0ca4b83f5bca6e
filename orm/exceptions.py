"""One exception hierarchy for every engine.

Driver exceptions (``sqlite3``, ``psycopg2``, ``apsw`` ...) are translated into
the classes below by :class:`ExceptionWrapper`; the driver's exception stays
reachable as ``exc.orig`` and as ``exc.__cause__``.  PostgreSQL errors also
carry their SQLSTATE as ``exc.pgcode`` / ``exc.sqlstate`` (``'40001'`` for a
serialization failure, ``'23505'`` for a unique violation, ...).
"""
from __future__ import annotations

from types import TracebackType
from typing import Optional, Type

__all__ = [
    'PeeweeException',
    'ImproperlyConfigured',
    'DatabaseError',
    'DataError',
    'IntegrityError',
    'InterfaceError',
    'InternalError',
    'NotSupportedError',
    'OperationalError',
    'OutcomeUnknownError',
    'ProgrammingError',
    'DoesNotExist',
    'UnconvertibleValue',
    'ExceptionWrapper',
    'EXCEPTIONS',
    '__exception_wrapper__',
]


class PeeweeException(Exception):
    """Base class of every exception raised by orm.

    Attributes filled in when the error came from a database driver:

    * ``orig`` -- the driver's exception instance (``None`` otherwise);
    * ``pgcode`` / ``sqlstate`` -- the five-character SQLSTATE (PostgreSQL and
      compatible servers), ``None`` when unknown;
    * ``sqlite_errorcode`` / ``sqlite_errorname`` -- SQLite's extended result
      code and its name, when the driver exposes them.
    """

    orig: Optional[BaseException] = None
    pgcode: Optional[str] = None
    pgerror: Optional[str] = None
    sqlite_errorcode: Optional[int] = None
    sqlite_errorname: Optional[str] = None

    @property
    def sqlstate(self) -> Optional[str]:
        """The SQLSTATE of the failed statement (alias of ``pgcode``)."""
        return self.pgcode


class ImproperlyConfigured(PeeweeException):
    """A setting or a required package is missing or wrong."""


class DatabaseError(PeeweeException):
    """Base class of errors reported by the database engine."""


class DataError(DatabaseError):
    """A value could not be processed (out of range, bad format ...)."""


class IntegrityError(DatabaseError):
    """A constraint was violated (unique, not null, foreign key, check)."""


class InterfaceError(PeeweeException):
    """The database interface was misused (closed or uninitialised database)."""


class InternalError(DatabaseError):
    """The engine hit an internal error."""


class NotSupportedError(DatabaseError):
    """The requested feature is not supported by this engine."""


class OperationalError(DatabaseError):
    """An error in the engine's operation (locked, unknown table, bad SQL on SQLite ...)."""


class ProgrammingError(DatabaseError):
    """A programming error reported by the engine (syntax error, wrong table ...)."""


class OutcomeUnknownError(OperationalError):
    """The connection was lost after a statement was sent and before its answer came
    back: the server may or may not have run it (and, for a ``COMMIT``, may or may not
    have committed).  Raised by ``playhouse.shortcuts.ReconnectMixin`` instead of
    sending the statement again; ``orig`` is the driver's error.  Find out by reading
    the data back, or make the write idempotent (see the reliability page).
    """

    @classmethod
    def replacing(cls, exc: BaseException, explanation: str) -> 'OutcomeUnknownError':
        """The error to raise in place of ``exc``, the driver's lost-connection error:
        ``explanation`` followed by the first line of ``exc`` in parentheses, with its
        ``orig`` and ``pgcode``."""
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        error = cls('%s (%s)' % (explanation, first_line))
        error.orig = getattr(exc, 'orig', None) or exc
        error.pgcode = getattr(exc, 'pgcode', None)
        return error


class DoesNotExist(Exception):
    """A query that had to return one row returned none."""


class UnconvertibleValue(ValueError):
    """A field was given a value it cannot turn into its column's type (``'abc'`` for an
    integer).  ``get()`` and ``get_by_id()`` raise it as one that is also the model's
    ``DoesNotExist``: no row can hold such a value, so the lookup finds nothing."""


#: orm's counterparts of the DB-API (PEP 249) exception classes: a driver exception
#: whose class, or one of its bases, has the same name becomes the orm class.
_DBAPI_COUNTERPARTS: tuple = (DatabaseError, DataError, IntegrityError, InterfaceError,
                              InternalError, NotSupportedError, OperationalError,
                              ProgrammingError)

#: Driver classes named outside PEP 249, and what each one means.
_DRIVER_SPECIFIC: dict[Type[PeeweeException], tuple] = {
    IntegrityError: ('ConstraintError',     # apsw
                     'MismatchError'),      # apsw: datatype mismatch
    DataError: ('TooBigError', 'RangeError'),                           # apsw
    OperationalError: ('SQLError', 'BusyError', 'LockedError', 'CantOpenError',
                       'ReadOnlyError', 'SchemaChangeError',            # apsw
                       'TransactionRollbackError'),                     # psycopg2 40001, 40P01
    InterfaceError: ('ConnectionClosedError', 'CursorClosedError'),     # apsw
}

#: Name of a driver exception class (or of one of its bases) -> orm's class.
EXCEPTIONS: dict[str, Type[PeeweeException]] = {
    name: ours for ours, names in _DRIVER_SPECIFIC.items() for name in names}
EXCEPTIONS.update((ours.__name__, ours) for ours in _DBAPI_COUNTERPARTS)

_OURS = frozenset(_DBAPI_COUNTERPARTS + (PeeweeException, ImproperlyConfigured))


def translate(exc: BaseException,
              mapping: Optional[dict[str, Type[PeeweeException]]] = None,
              ) -> Optional[PeeweeException]:
    """Return orm's equivalent of a driver exception, or ``None``.

    The exception's class and its bases are looked up by name, the most
    specific first, so ``psycopg2.errors.UniqueViolation`` (a subclass of
    ``psycopg2.IntegrityError``) becomes :class:`IntegrityError`.
    """
    if isinstance(exc, PeeweeException):
        return None
    if mapping is None:
        mapping = EXCEPTIONS
    exc_type = type(exc)
    if exc_type.__module__ == 'builtins':
        return None
    for klass in exc_type.__mro__:
        if klass in _OURS or klass.__module__ == 'builtins':
            continue
        ours = mapping.get(klass.__name__)
        if ours is not None:
            break
    else:
        return None
    new = ours(*exc.args)
    new.orig = exc
    pgcode = getattr(exc, 'pgcode', None)
    if pgcode is None:
        pgcode = getattr(exc, 'sqlstate', None)  # psycopg 3
    if pgcode is not None:
        new.pgcode = pgcode
        new.pgerror = getattr(exc, 'pgerror', None)
    code = getattr(exc, 'sqlite_errorcode', None)
    if code is not None:
        new.sqlite_errorcode = code
        new.sqlite_errorname = getattr(exc, 'sqlite_errorname', None)
    return new


class ExceptionWrapper:
    """Context manager re-raising driver exceptions as orm's own.

    ``raise Ours(*exc.args) from exc``: the driver's exception stays reachable
    through ``__cause__`` and ``orig``.  Exceptions that are not database
    errors pass through untouched.
    """

    __slots__ = ('exceptions',)

    def __init__(self, exceptions: Optional[dict[str, Type[PeeweeException]]] = None) -> None:
        self.exceptions = exceptions if exceptions is not None else EXCEPTIONS

    def __enter__(self) -> 'ExceptionWrapper':
        return self

    def __exit__(self, exc_type: Optional[type], exc_value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> Optional[bool]:
        if exc_value is None:
            return None
        new = translate(exc_value, self.exceptions)
        if new is None:
            return None
        raise new.with_traceback(traceback) from exc_value


__exception_wrapper__ = ExceptionWrapper()
