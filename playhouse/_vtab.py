"""Virtual tables implemented in Python, on ``sqlite3`` and on ``apsw`` connections.

Two kinds of module are built on this layer:

* :class:`playhouse.sqlite_ext.TableFunction` subclasses -- eponymous-only virtual
  tables used as table-valued functions (``SELECT * FROM series(1, 10)``);
* general modules such as the ``transitive_closure`` implementation in
  :mod:`playhouse._sqlite_closure`, used with ``CREATE VIRTUAL TABLE t USING m(args)``.

A *module* is any object with

* ``eponymous_only`` -- ``True`` when the module cannot back ``CREATE VIRTUAL TABLE``;
* ``connect(runner, args)`` -- returns a *table*; ``args`` are the strings given in
  ``USING m(arg, ...)`` and ``runner.rows(sql, params)`` queries the same connection.

A *table* has ``declaration`` (the ``CREATE TABLE x(...)`` SQLite is told),
``best_index(constraints)`` and ``open()`` (returns a *cursor* with
``filter(idx_num, idx_str, args)``, ``eof``, ``next()``, ``column(i)``, ``rowid()``).
``best_index`` receives ``[(column, op, usable), ...]`` and returns
``(usage, idx_num, idx_str, cost)``, ``usage[i]`` being ``None`` (constraint ``i`` is
not used) or ``(position, omit)``: its value is passed to ``filter`` at 0-based
``position``, and ``omit`` tells SQLite it need not check the constraint again.

Two back ends run modules:

* an ``apsw`` connection: APSW's own virtual-table API (``create_module``);
* a standard-library ``sqlite3`` connection: the SQLite C API called through
  :mod:`ctypes` (``sqlite3_create_module_v2``), because the ``sqlite3`` module exposes
  no virtual-table API.  This needs the shared ``libsqlite3`` the ``_sqlite3`` module is
  linked against (Linux, Windows); elsewhere :class:`NotSupportedError` says so.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sqlite3
import sys
import threading
import traceback
from typing import Any, Optional

from orm import NotSupportedError

__all__ = ['register', 'register_module', 'declaration']

SQLITE_OK = 0
SQLITE_ERROR = 1
SQLITE_ROW = 100
SQLITE_DONE = 101
SQLITE_INDEX_CONSTRAINT_EQ = 2
SQLITE_INDEX_CONSTRAINT_GT = 4
SQLITE_INDEX_CONSTRAINT_LE = 8
SQLITE_INDEX_CONSTRAINT_LT = 16
SQLITE_INDEX_CONSTRAINT_GE = 32


def _column_name(spec: str) -> str:
    return str(spec).split()[0]


def declaration(klass: Any) -> str:
    """``CREATE TABLE x(col..., param HIDDEN...)`` declared for ``klass``."""
    def quote(name: str) -> str:
        return '"%s"' % name.replace('"', '""')
    parts = []
    for spec in klass.columns:
        words = str(spec).split(None, 1)
        parts.append(quote(words[0]) + (' ' + words[1] if len(words) > 1 else ''))
    parts.extend('%s HIDDEN' % quote(_column_name(p)) for p in klass.params or ())
    return 'CREATE TABLE x(%s)' % ', '.join(parts)


def best_index(klass: Any, constraints: list) -> tuple:
    """Plan a table-function scan from ``[(column, op, usable), ...]``.

    Returns ``(argv, idx_num, cost)``: ``argv[i]`` is the 0-based position at which the
    value of constraint ``i`` is passed to ``filter`` (``None``: not used); ``idx_num`` is
    a bitmask of the params given.
    """
    ncols = len(klass.columns)
    nparams = len(klass.params or ())
    chosen: dict = {}
    unusable = False
    for i, (column, op, usable) in enumerate(constraints):
        param = column - ncols
        if param < 0 or param >= nparams or op != SQLITE_INDEX_CONSTRAINT_EQ:
            continue
        if not usable:
            unusable = True
        elif param not in chosen:
            chosen[param] = i
    argv: list = [None] * len(constraints)
    idx_num = 0
    for position, param in enumerate(sorted(chosen)):
        argv[chosen[param]] = position
        idx_num |= 1 << param
    cost = 1e6 / (10 ** len(chosen))
    if unusable:
        cost += 1e12   # a plan that cannot feed a given argument: avoid it
    return argv, idx_num, cost


class _Scan:
    """One scan of a table function: the Python side of a virtual-table cursor."""

    __slots__ = ('klass', 'instance', 'idx', 'row', 'eof', 'values')

    def __init__(self, klass: Any) -> None:
        self.klass = klass
        self.instance: Any = None
        self.idx = 0
        self.row: tuple = ()
        self.eof = True
        self.values: dict = {}

    def filter(self, idx_num: int, idx_str: Optional[str], args: Any) -> None:
        params = [_column_name(p) for p in self.klass.params or ()]
        names = [name for i, name in enumerate(params) if idx_num & (1 << i)]
        self.values = dict(zip(names, args or ()))
        self.idx = 0
        try:
            self.instance = self.klass()
            self.instance.initialize(**self.values)
        except Exception:
            self._report()
            raise
        self._fetch()

    def _report(self) -> None:
        if getattr(self.klass, 'print_tracebacks', False):
            traceback.print_exc()

    def _fetch(self) -> None:
        try:
            row = self.instance.iterate(self.idx)
        except StopIteration:
            self.eof = True
            self.row = ()
            return
        except Exception:
            self._report()
            raise
        if not isinstance(row, (tuple, list)):
            row = (row,)
        self.row = tuple(row)
        self.eof = False

    def next(self) -> None:
        self.idx += 1
        self._fetch()

    def rowid(self) -> int:
        return self.idx

    def close(self) -> None:
        self.instance = None

    def column(self, i: int) -> Any:
        ncols = len(self.klass.columns)
        if i < 0:
            return self.idx
        if i < ncols:
            return self.row[i] if i < len(self.row) else None
        params = self.klass.params or ()
        if i - ncols < len(params):
            return self.values.get(_column_name(params[i - ncols]))
        return None


class _FunctionTable:
    """The table of a table function (the same for every connection)."""

    def __init__(self, klass: Any) -> None:
        self.klass = klass
        self.declaration = declaration(klass)

    def best_index(self, constraints: list) -> tuple:
        argv, idx_num, cost = best_index(self.klass, constraints)
        usage = [None if position is None else (position, True) for position in argv]
        return usage, idx_num, None, cost

    def open(self) -> _Scan:
        return _Scan(self.klass)


class FunctionModule:
    """A module serving one :class:`~playhouse.sqlite_ext.TableFunction` class."""

    eponymous_only = True

    def __init__(self, klass: Any) -> None:
        self.klass = klass
        self.table = _FunctionTable(klass)

    def connect(self, runner: Any, args: tuple) -> _FunctionTable:
        return self.table


def register(conn: Any, klass: Any, name: Optional[str] = None) -> None:
    """Register table function ``klass`` on a ``sqlite3`` or ``apsw`` connection."""
    name = name or klass.name or klass.__name__.lower()
    if not klass.columns:
        raise ValueError('%s must declare columns = [...]' % klass.__name__)
    module = _function_modules.get(klass)
    if module is None or module.table.declaration != declaration(klass):
        module = _function_modules[klass] = FunctionModule(klass)
    register_module(conn, name, module)


_function_modules: dict = {}


def register_module(conn: Any, name: str, module: Any) -> None:
    """Register virtual-table ``module`` as ``name`` on a ``sqlite3``/``apsw`` connection.

    A module registered under a name already in use replaces the previous one.
    """
    if type(conn).__module__.split('.')[0] == 'apsw':
        conn.create_module(name, _ApswModule(module),
                           eponymous_only=bool(module.eponymous_only))
    elif isinstance(conn, sqlite3.Connection):
        _Sqlite3Modules.get().register(conn, module, name)
    else:
        raise NotSupportedError('Cannot register virtual tables on %r' % (conn,))


# -- APSW -------------------------------------------------------------------------------------
class _ApswRunner:
    __slots__ = ('connection',)

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def rows(self, sql: str, params: tuple = ()) -> list:
        return list(self.connection.execute(sql, params))


def _as_sql_error(exc: BaseException) -> BaseException:
    """An exception raised by Python module code, as the SQLite error APSW reports.

    On ``sqlite3`` such an error reaches the caller as ``OperationalError('Type: msg')``;
    on APSW the same ``apsw.SQLError`` (wrapped by the database as OperationalError).
    """
    import apsw
    if isinstance(exc, apsw.Error):
        return exc
    return apsw.SQLError('%s: %s' % (type(exc).__name__, exc))


class _ApswCursor:
    __slots__ = ('cursor',)

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def Filter(self, indexnum: int, indexname: Any, constraintargs: Any) -> None:
        try:
            self.cursor.filter(indexnum, indexname, tuple(constraintargs or ()))
        except Exception as exc:
            _stop(self.cursor)
            raise _as_sql_error(exc) from exc

    def Eof(self) -> bool:
        return bool(self.cursor.eof)

    def Next(self) -> None:
        try:
            self.cursor.next()
        except Exception as exc:
            _stop(self.cursor)
            raise _as_sql_error(exc) from exc

    def Column(self, number: int) -> Any:
        try:
            if number < 0:
                return self.cursor.rowid()
            return _sqlite_value(self.cursor.column(number))
        except Exception as exc:
            raise _as_sql_error(exc) from exc

    def Rowid(self) -> int:
        return self.cursor.rowid()

    def Close(self) -> None:
        close = getattr(self.cursor, 'close', None)
        if close is not None:
            close()


class _ApswTable:
    def __init__(self, table: Any) -> None:
        self.table = table

    def BestIndex(self, constraints: Any, orderbys: Any) -> Any:
        usage, idx_num, idx_str, cost = self.table.best_index(
            [(column, op, True) for column, op in constraints])
        return (list(usage), idx_num, idx_str, False, cost)

    def Open(self) -> _ApswCursor:
        return _ApswCursor(self.table.open())

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class _ApswModule:
    def __init__(self, module: Any) -> None:
        self.module = module

    def Connect(self, connection: Any, modulename: str, databasename: str, tablename: str,
                *args: Any) -> tuple:
        try:
            table = self.module.connect(_ApswRunner(connection), tuple(args))
        except Exception as exc:
            raise _as_sql_error(exc) from exc
        return table.declaration, _ApswTable(table)

    Create = Connect


def _sqlite_value(value: Any) -> Any:
    """A value SQLite can store (other types are converted to text)."""
    if value is None or isinstance(value, (int, float, str, bytes)):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value)


# -- sqlite3 through ctypes -----------------------------------------------------------------------
class _Vtab(ctypes.Structure):
    _fields_ = [('pModule', ctypes.c_void_p), ('nRef', ctypes.c_int),
                ('zErrMsg', ctypes.c_void_p)]


class _VtabCursor(ctypes.Structure):
    _fields_ = [('pVtab', ctypes.c_void_p)]


class _IndexConstraint(ctypes.Structure):
    _fields_ = [('iColumn', ctypes.c_int), ('op', ctypes.c_ubyte),
                ('usable', ctypes.c_ubyte), ('iTermOffset', ctypes.c_int)]


class _IndexOrderBy(ctypes.Structure):
    _fields_ = [('iColumn', ctypes.c_int), ('desc', ctypes.c_ubyte)]


class _IndexConstraintUsage(ctypes.Structure):
    _fields_ = [('argvIndex', ctypes.c_int), ('omit', ctypes.c_ubyte)]


class _IndexInfo(ctypes.Structure):
    _fields_ = [('nConstraint', ctypes.c_int),
                ('aConstraint', ctypes.POINTER(_IndexConstraint)),
                ('nOrderBy', ctypes.c_int),
                ('aOrderBy', ctypes.POINTER(_IndexOrderBy)),
                ('aConstraintUsage', ctypes.POINTER(_IndexConstraintUsage)),
                ('idxNum', ctypes.c_int),
                ('idxStr', ctypes.c_void_p),
                ('needToFreeIdxStr', ctypes.c_int),
                ('orderByConsumed', ctypes.c_int),
                ('estimatedCost', ctypes.c_double),
                ('estimatedRows', ctypes.c_int64)]


_XCONNECT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                             ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_void_p),
                             ctypes.POINTER(ctypes.c_void_p))
_XBESTINDEX = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_IndexInfo))
_XVTAB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_XOPEN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
_XCURSOR = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_XFILTER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                            ctypes.c_int, ctypes.POINTER(ctypes.c_void_p))
_XCOLUMN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_XROWID = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64))


class _Module(ctypes.Structure):
    _fields_ = [('iVersion', ctypes.c_int),
                ('xCreate', _XCONNECT),
                ('xConnect', _XCONNECT),
                ('xBestIndex', _XBESTINDEX),
                ('xDisconnect', _XVTAB),
                ('xDestroy', _XVTAB),
                ('xOpen', _XOPEN),
                ('xClose', _XCURSOR),
                ('xFilter', _XFILTER),
                ('xNext', _XCURSOR),
                ('xEof', _XCURSOR),
                ('xColumn', _XCOLUMN),
                ('xRowid', _XROWID),
                ('xUpdate', ctypes.c_void_p),
                ('xBegin', ctypes.c_void_p),
                ('xSync', ctypes.c_void_p),
                ('xCommit', ctypes.c_void_p),
                ('xRollback', ctypes.c_void_p),
                ('xFindFunction', ctypes.c_void_p),
                ('xRename', ctypes.c_void_p)]


_SQLITE_TRANSIENT = ctypes.c_void_p(-1)


def _find_library() -> Optional[str]:
    """Path of the libsqlite3 the ``_sqlite3`` module is linked against, if shared."""
    import _sqlite3  # noqa: F401  (make sure it is loaded, with its libsqlite3)
    if sys.platform.startswith('linux'):
        try:
            with open('/proc/self/maps') as maps:
                for line in maps:
                    path = line.split(None, 5)[-1].strip()
                    if os.path.basename(path).startswith('libsqlite3.so'):
                        return path
        except OSError:
            return None
        return None
    if sys.platform == 'win32':
        return 'sqlite3.dll'   # the DLL _sqlite3.pyd loaded: found by name
    return None


class _RawRunner:
    """Runs a query on the ``sqlite3 *`` handle a virtual table was connected with."""

    __slots__ = ('owner', 'db')

    def __init__(self, owner: '_Sqlite3Modules', db: int) -> None:
        self.owner = owner
        self.db = db

    def rows(self, sql: str, params: tuple = ()) -> list:
        lib = self.owner.lib
        stmt = ctypes.c_void_p()
        data = sql.encode('utf-8')
        rc = lib.sqlite3_prepare_v2(self.db, data, len(data), ctypes.byref(stmt), None)
        if rc != SQLITE_OK:
            raise sqlite3.OperationalError(self._message())
        try:
            for i, value in enumerate(params, 1):
                self._bind(stmt, i, value)
            rows: list = []
            ncols = lib.sqlite3_column_count(stmt)
            while True:
                rc = lib.sqlite3_step(stmt)
                if rc == SQLITE_DONE:
                    return rows
                if rc != SQLITE_ROW:
                    raise sqlite3.OperationalError(self._message())
                rows.append(tuple(self.owner._column(stmt, i) for i in range(ncols)))
        finally:
            lib.sqlite3_finalize(stmt)

    def _message(self) -> str:
        message = self.owner.lib.sqlite3_errmsg(self.db)
        return message.decode('utf-8', 'replace') if message else 'SQLite error'

    def _bind(self, stmt: Any, i: int, value: Any) -> None:
        lib = self.owner.lib
        value = _sqlite_value(value)
        if value is None:
            lib.sqlite3_bind_null(stmt, i)
        elif isinstance(value, int) and -(1 << 63) <= value < (1 << 63):
            lib.sqlite3_bind_int64(stmt, i, value)
        elif isinstance(value, float):
            lib.sqlite3_bind_double(stmt, i, value)
        elif isinstance(value, bytes):
            lib.sqlite3_bind_blob(stmt, i, value, len(value), _SQLITE_TRANSIENT)
        else:
            data = str(value).encode('utf-8')
            lib.sqlite3_bind_text(stmt, i, data, len(data), _SQLITE_TRANSIENT)


class _Sqlite3Modules:
    """The ctypes bindings and the modules registered through them."""

    _instance: Optional['_Sqlite3Modules'] = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> '_Sqlite3Modules':
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self) -> None:
        if sys.implementation.name != 'cpython':
            raise NotSupportedError('Virtual tables on the sqlite3 module need CPython; '
                                    'use playhouse.apsw_ext.APSWDatabase instead.')
        path = _find_library()
        if path is None:
            raise NotSupportedError(
                'Virtual tables need the SQLite virtual-table API, which the sqlite3 '
                'module does not expose and whose shared library could not be found on '
                'this platform; use playhouse.apsw_ext.APSWDatabase instead.')
        lib = ctypes.CDLL(path)
        lib.sqlite3_libversion_number.restype = ctypes.c_int
        if lib.sqlite3_libversion_number() != _version_number(sqlite3.sqlite_version_info):
            raise NotSupportedError('%s is not the SQLite library of the sqlite3 module; '
                                    'use playhouse.apsw_ext.APSWDatabase for virtual '
                                    'tables.' % path)
        self.lib = lib
        self._declare(lib)
        self.modules: dict = {}       # id(module) -> (module, _Module), kept alive
        self.vtabs: dict = {}         # address -> (_Vtab, table)
        self.cursors: dict = {}       # address -> (_VtabCursor, cursor)

    @staticmethod
    def _declare(lib: Any) -> None:
        vp, ci, cp, i64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int64
        signatures = {
            'sqlite3_create_module_v2': (ci, [vp, cp, ctypes.POINTER(_Module), vp, vp]),
            'sqlite3_declare_vtab': (ci, [vp, cp]),
            'sqlite3_value_type': (ci, [vp]),
            'sqlite3_value_int64': (i64, [vp]),
            'sqlite3_value_double': (ctypes.c_double, [vp]),
            'sqlite3_value_text': (vp, [vp]),
            'sqlite3_value_blob': (vp, [vp]),
            'sqlite3_value_bytes': (ci, [vp]),
            'sqlite3_result_null': (None, [vp]),
            'sqlite3_result_int64': (None, [vp, i64]),
            'sqlite3_result_double': (None, [vp, ctypes.c_double]),
            'sqlite3_result_text': (None, [vp, cp, ci, vp]),
            'sqlite3_result_blob': (None, [vp, cp, ci, vp]),
            'sqlite3_result_error': (None, [vp, cp, ci]),
            'sqlite3_mprintf': (vp, None),
            'sqlite3_db_filename': (cp, [vp, cp]),
            'sqlite3_prepare_v2': (ci, [vp, cp, ci, ctypes.POINTER(vp), vp]),
            'sqlite3_bind_null': (ci, [vp, ci]),
            'sqlite3_bind_int64': (ci, [vp, ci, i64]),
            'sqlite3_bind_double': (ci, [vp, ci, ctypes.c_double]),
            'sqlite3_bind_text': (ci, [vp, ci, cp, ci, vp]),
            'sqlite3_bind_blob': (ci, [vp, ci, cp, ci, vp]),
            'sqlite3_step': (ci, [vp]),
            'sqlite3_column_count': (ci, [vp]),
            'sqlite3_column_type': (ci, [vp, ci]),
            'sqlite3_column_int64': (i64, [vp, ci]),
            'sqlite3_column_double': (ctypes.c_double, [vp, ci]),
            'sqlite3_column_text': (vp, [vp, ci]),
            'sqlite3_column_blob': (vp, [vp, ci]),
            'sqlite3_column_bytes': (ci, [vp, ci]),
            'sqlite3_finalize': (ci, [vp]),
            'sqlite3_errmsg': (cp, [vp]),
        }
        for name, (restype, argtypes) in signatures.items():
            func = getattr(lib, name)
            func.restype = restype
            if argtypes is not None:
                func.argtypes = argtypes

    # -- registration --------------------------------------------------------------------------
    def register(self, conn: sqlite3.Connection, module: Any, name: str) -> None:
        db = _connection_handle(conn)
        entry = self.modules.get(id(module))
        if entry is None or entry[0] is not module:
            entry = self.modules[id(module)] = (module, self._make_module(module))
            # SQLite keeps pointers to the module and its callbacks until the last
            # connection using it closes -- possibly while the interpreter is tearing
            # down: make them immortal so they are never freed under SQLite's feet
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(entry))
        rc = self.lib.sqlite3_create_module_v2(db, name.encode('utf-8'),
                                               ctypes.byref(entry[1]), None, None)
        if rc != SQLITE_OK:
            raise sqlite3.OperationalError('could not register virtual table module %r '
                                           '(error %d)' % (name, rc))

    def _error(self, vtab_address: Optional[int], exc: BaseException) -> int:
        entry = self.vtabs.get(vtab_address) if vtab_address else None
        if entry is not None:
            entry[0].zErrMsg = self._mprintf(exc)
        return SQLITE_ERROR

    def _mprintf(self, exc: BaseException) -> int:
        message = ('%s: %s' % (type(exc).__name__, exc)).encode('utf-8', 'replace')
        return self.lib.sqlite3_mprintf(b'%s', ctypes.c_char_p(message))

    def _make_module(self, pymodule: Any) -> _Module:
        lib = self.lib
        vtabs, cursors = self.vtabs, self.cursors

        def x_connect(db: int, aux: int, argc: int, argv: Any, pp_vtab: Any, pz_err: Any
                      ) -> int:
            try:
                args = tuple(argv[i].decode('utf-8', 'replace') for i in range(3, argc))
                table = pymodule.connect(_RawRunner(self, db), args)
                rc = lib.sqlite3_declare_vtab(db, table.declaration.encode('utf-8'))
                if rc != SQLITE_OK:
                    return rc
                vtab = _Vtab()
                address = ctypes.addressof(vtab)
                vtabs[address] = (vtab, table)
                pp_vtab[0] = address
                return SQLITE_OK
            except BaseException as exc:   # never let an exception cross into C
                try:
                    pz_err[0] = self._mprintf(exc)
                except BaseException:
                    pass
                return SQLITE_ERROR

        def x_best_index(p_vtab: int, info_p: Any) -> int:
            try:
                info = info_p.contents
                table = vtabs[p_vtab][1]
                constraints = [(c.iColumn, c.op, bool(c.usable))
                               for c in info.aConstraint[:info.nConstraint]]
                usage, idx_num, idx_str, cost = table.best_index(constraints)
                for i, use in enumerate(usage):
                    if use is not None:
                        out = info.aConstraintUsage[i]
                        out.argvIndex = use[0] + 1
                        out.omit = 1 if use[1] else 0
                info.idxNum = idx_num
                if idx_str is not None:
                    info.idxStr = lib.sqlite3_mprintf(
                        b'%s', ctypes.c_char_p(str(idx_str).encode('utf-8')))
                    info.needToFreeIdxStr = 1
                info.estimatedCost = cost
                return SQLITE_OK
            except BaseException as exc:
                return self._error(p_vtab, exc)

        def x_disconnect(p_vtab: int, ok: int = SQLITE_OK) -> int:
            try:
                vtabs.pop(p_vtab, None)
            except BaseException:   # interpreter shutdown
                pass
            return ok

        def x_open(p_vtab: int, pp_cursor: Any) -> int:
            try:
                cursor = _VtabCursor()
                address = ctypes.addressof(cursor)
                cursors[address] = (cursor, vtabs[p_vtab][1].open())
                pp_cursor[0] = address
                return SQLITE_OK
            except BaseException as exc:
                return self._error(p_vtab, exc)

        def x_close(p_cursor: int, ok: int = SQLITE_OK) -> int:
            try:
                entry = cursors.pop(p_cursor, None)
                close = getattr(entry[1], 'close', None) if entry else None
                if close is not None:
                    close()
            except BaseException:   # interpreter shutdown
                pass
            return ok

        def x_filter(p_cursor: int, idx_num: int, idx_str: Optional[bytes], argc: int,
                     argv: Any) -> int:
            cursor, scan = cursors[p_cursor]
            try:
                args = tuple(self._value(argv[i]) for i in range(argc))
                text = idx_str.decode('utf-8') if idx_str is not None else None
                scan.filter(idx_num, text, args)
                return SQLITE_OK
            except BaseException as exc:
                _stop(scan)
                return self._error(cursor.pVtab, exc)

        def x_next(p_cursor: int) -> int:
            cursor, scan = cursors[p_cursor]
            try:
                scan.next()
                return SQLITE_OK
            except BaseException as exc:
                _stop(scan)
                return self._error(cursor.pVtab, exc)

        def x_eof(p_cursor: int) -> int:
            entry = cursors.get(p_cursor)
            return 1 if entry is None or entry[1].eof else 0

        def x_column(p_cursor: int, context: int, i: int) -> int:
            cursor, scan = cursors[p_cursor]
            try:
                self._result(context, scan.column(i))
                return SQLITE_OK
            except BaseException as exc:
                return self._error(cursor.pVtab, exc)

        def x_rowid(p_cursor: int, p_rowid: Any) -> int:
            try:
                p_rowid[0] = cursors[p_cursor][1].rowid()
                return SQLITE_OK
            except BaseException:
                return SQLITE_ERROR

        module = _Module()
        module.iVersion = 1
        connect = _XCONNECT(x_connect)
        # xCreate NULL: eponymous-only, usable as name(args) but not in CREATE VIRTUAL
        # TABLE; the same function for both: eponymous and creatable
        module.xCreate = _XCONNECT() if pymodule.eponymous_only else connect
        module.xConnect = connect
        module.xBestIndex = _XBESTINDEX(x_best_index)
        module.xDisconnect = _XVTAB(x_disconnect)
        module.xDestroy = _XVTAB(x_disconnect)
        module.xOpen = _XOPEN(x_open)
        module.xClose = _XCURSOR(x_close)
        module.xFilter = _XFILTER(x_filter)
        module.xNext = _XCURSOR(x_next)
        module.xEof = _XCURSOR(x_eof)
        module.xColumn = _XCOLUMN(x_column)
        module.xRowid = _XROWID(x_rowid)
        # the structure holds raw pointers: keep the Python callback objects alive with it
        module._callbacks = (connect, module.xBestIndex, module.xDisconnect,  # type: ignore
                             module.xDestroy, module.xOpen, module.xClose, module.xFilter,
                             module.xNext, module.xEof, module.xColumn, module.xRowid)
        return module

    # -- values --------------------------------------------------------------------------------
    def _value(self, value: int) -> Any:
        lib = self.lib
        kind = lib.sqlite3_value_type(value)
        if kind == 1:
            return lib.sqlite3_value_int64(value)
        if kind == 2:
            return lib.sqlite3_value_double(value)
        if kind == 3:
            text = lib.sqlite3_value_text(value)
            size = lib.sqlite3_value_bytes(value)
            return ctypes.string_at(text, size).decode('utf-8', 'replace') if text else ''
        if kind == 4:
            blob = lib.sqlite3_value_blob(value)
            size = lib.sqlite3_value_bytes(value)
            return ctypes.string_at(blob, size) if blob else b''
        return None

    def _column(self, stmt: Any, i: int) -> Any:
        lib = self.lib
        kind = lib.sqlite3_column_type(stmt, i)
        if kind == 1:
            return lib.sqlite3_column_int64(stmt, i)
        if kind == 2:
            return lib.sqlite3_column_double(stmt, i)
        if kind == 3:
            text = lib.sqlite3_column_text(stmt, i)
            size = lib.sqlite3_column_bytes(stmt, i)
            return ctypes.string_at(text, size).decode('utf-8', 'replace') if text else ''
        if kind == 4:
            blob = lib.sqlite3_column_blob(stmt, i)
            size = lib.sqlite3_column_bytes(stmt, i)
            return ctypes.string_at(blob, size) if blob else b''
        return None

    def _result(self, context: int, value: Any) -> None:
        lib = self.lib
        value = _sqlite_value(value)
        if value is None:
            lib.sqlite3_result_null(context)
        elif isinstance(value, int):
            if -(1 << 63) <= value < (1 << 63):
                lib.sqlite3_result_int64(context, value)
            else:
                data = str(value).encode('ascii')
                lib.sqlite3_result_text(context, data, len(data), _SQLITE_TRANSIENT)
        elif isinstance(value, float):
            lib.sqlite3_result_double(context, value)
        elif isinstance(value, str):
            data = value.encode('utf-8')
            lib.sqlite3_result_text(context, data, len(data), _SQLITE_TRANSIENT)
        else:
            lib.sqlite3_result_blob(context, value, len(value), _SQLITE_TRANSIENT)


def _stop(scan: Any) -> None:
    """End a scan whose filter/next failed (SQLite may still ask for eof)."""
    try:
        scan.eof = True
    except BaseException:
        pass


def _version_number(info: tuple) -> int:
    major, minor, patch = (tuple(info) + (0, 0, 0))[:3]
    return major * 1000000 + minor * 1000 + patch


def _connection_handle(conn: sqlite3.Connection) -> int:
    """The ``sqlite3 *`` of a ``sqlite3.Connection`` (the first field after the header)."""
    try:
        conn.total_changes   # raises ProgrammingError on a closed connection
    except sqlite3.ProgrammingError:
        raise NotSupportedError('Cannot register a virtual table on a closed connection.')
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not handle:
        raise NotSupportedError('The sqlite3 connection has no database handle.')
    return handle
