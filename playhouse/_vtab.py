"""Table-valued functions (eponymous virtual tables) implemented in Python.

:class:`playhouse.sqlite_ext.TableFunction` subclasses are registered on a connection
through one of two back ends:

* an ``apsw`` connection: APSW's own virtual-table API (``create_module``);
* a standard-library ``sqlite3`` connection: the SQLite C API called through
  :mod:`ctypes` (``sqlite3_create_module_v2``), because the ``sqlite3`` module exposes
  no virtual-table API.  This needs the shared ``libsqlite3`` the ``_sqlite3`` module is
  linked against (Linux, Windows); elsewhere :class:`NotSupportedError` says so.

Both back ends share the query-planning logic: every entry of ``TableFunction.params``
is a HIDDEN column, ``fn(a, b)`` in a FROM clause constrains those columns with ``=``,
and the constrained values reach ``initialize(**params)``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sqlite3
import sys
import threading
from typing import Any, Optional

from orm import NotSupportedError

__all__ = ['register', 'declaration']

SQLITE_OK = 0
SQLITE_ERROR = 1
SQLITE_INDEX_CONSTRAINT_EQ = 2


def _column_name(spec: str) -> str:
    return str(spec).split()[0]


def declaration(klass: type) -> str:
    """``CREATE TABLE x(col..., param HIDDEN...)`` declared for ``klass``."""
    def quote(name: str) -> str:
        return '"%s"' % name.replace('"', '""')
    parts = []
    for spec in klass.columns:
        words = str(spec).split(None, 1)
        parts.append(quote(words[0]) + (' ' + words[1] if len(words) > 1 else ''))
    parts.extend('%s HIDDEN' % quote(_column_name(p)) for p in klass.params or ())
    return 'CREATE TABLE x(%s)' % ', '.join(parts)


def best_index(klass: type, constraints: list) -> tuple:
    """Plan a scan from ``[(column, op, usable), ...]``.

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

    def __init__(self, klass: type) -> None:
        self.klass = klass
        self.instance: Any = None
        self.idx = 0
        self.row: tuple = ()
        self.eof = True
        self.values: dict = {}

    def filter(self, idx_num: int, args: Any) -> None:
        params = [_column_name(p) for p in self.klass.params or ()]
        names = [name for i, name in enumerate(params) if idx_num & (1 << i)]
        self.values = dict(zip(names, args or ()))
        self.instance = self.klass()
        self.instance.initialize(**self.values)
        self.idx = 0
        self._fetch()

    def _fetch(self) -> None:
        try:
            row = self.instance.iterate(self.idx)
        except StopIteration:
            self.eof = True
            self.row = ()
            return
        if not isinstance(row, (tuple, list)):
            row = (row,)
        self.row = tuple(row)
        self.eof = False

    def next(self) -> None:
        self.idx += 1
        self._fetch()

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


def register(conn: Any, klass: type, name: Optional[str] = None) -> None:
    """Register table function ``klass`` on a ``sqlite3`` or ``apsw`` connection."""
    name = name or klass.name or klass.__name__.lower()
    if not klass.columns:
        raise ValueError('%s must declare columns = [...]' % klass.__name__)
    if type(conn).__module__.split('.')[0] == 'apsw':
        _register_apsw(conn, klass, name)
    elif isinstance(conn, sqlite3.Connection):
        _Sqlite3Modules.get().register(conn, klass, name)
    else:
        raise NotSupportedError('Cannot register table functions on %r' % (conn,))


# -- APSW -------------------------------------------------------------------------------------
class _ApswCursor(_Scan):
    __slots__ = ()

    def Filter(self, indexnum: int, indexname: Any, constraintargs: Any) -> None:
        self.filter(indexnum, constraintargs)

    def Eof(self) -> bool:
        return self.eof

    def Next(self) -> None:
        self.next()

    def Column(self, number: int) -> Any:
        return _sqlite_value(self.column(number))

    def Rowid(self) -> int:
        return self.idx

    def Close(self) -> None:
        self.instance = None


class _ApswTable:
    def __init__(self, klass: type) -> None:
        self.klass = klass

    def BestIndex(self, constraints: Any, orderbys: Any) -> Any:
        argv, idx_num, cost = best_index(
            self.klass, [(column, op, True) for column, op in constraints])
        return (argv, idx_num, None, False, cost)

    def Open(self) -> _ApswCursor:
        return _ApswCursor(self.klass)

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class _ApswModule:
    def __init__(self, klass: type) -> None:
        self.klass = klass

    def Connect(self, connection: Any, modulename: str, databasename: str, tablename: str,
                *args: Any) -> tuple:
        return declaration(self.klass), _ApswTable(self.klass)

    Create = Connect


def _register_apsw(conn: Any, klass: type, name: str) -> None:
    conn.create_module(name, _ApswModule(klass), eponymous_only=True)


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
_XFILTER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_int, ctypes.POINTER(ctypes.c_void_p))
_XCOLUMN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_XROWID = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64))


class _Module(ctypes.Structure):
    _fields_ = [('iVersion', ctypes.c_int),
                ('xCreate', ctypes.c_void_p),
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


class _Sqlite3Modules:
    """The ctypes bindings and the modules registered through them (one per class)."""

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
            raise NotSupportedError('Table functions on the sqlite3 module need CPython; '
                                    'use playhouse.apsw_ext.APSWDatabase instead.')
        path = _find_library()
        if path is None:
            raise NotSupportedError(
                'Table functions need the SQLite virtual-table API, which the sqlite3 '
                'module does not expose and whose shared library could not be found on '
                'this platform; use playhouse.apsw_ext.APSWDatabase instead.')
        lib = ctypes.CDLL(path)
        lib.sqlite3_libversion_number.restype = ctypes.c_int
        if lib.sqlite3_libversion_number() != _version_number(sqlite3.sqlite_version_info):
            raise NotSupportedError('%s is not the SQLite library of the sqlite3 module; '
                                    'use playhouse.apsw_ext.APSWDatabase for table '
                                    'functions.' % path)
        self.lib = lib
        self._declare(lib)
        self.modules: dict = {}       # class -> _Module (kept alive for the process)
        self.vtabs: dict = {}         # address -> (_Vtab, class)
        self.cursors: dict = {}       # address -> (_VtabCursor, _Scan)

    @staticmethod
    def _declare(lib: Any) -> None:
        vp, ci, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        signatures = {
            'sqlite3_create_module_v2': (ci, [vp, cp, ctypes.POINTER(_Module), vp, vp]),
            'sqlite3_declare_vtab': (ci, [vp, cp]),
            'sqlite3_value_type': (ci, [vp]),
            'sqlite3_value_int64': (ctypes.c_int64, [vp]),
            'sqlite3_value_double': (ctypes.c_double, [vp]),
            'sqlite3_value_text': (vp, [vp]),
            'sqlite3_value_blob': (vp, [vp]),
            'sqlite3_value_bytes': (ci, [vp]),
            'sqlite3_result_null': (None, [vp]),
            'sqlite3_result_int64': (None, [vp, ctypes.c_int64]),
            'sqlite3_result_double': (None, [vp, ctypes.c_double]),
            'sqlite3_result_text': (None, [vp, cp, ci, vp]),
            'sqlite3_result_blob': (None, [vp, cp, ci, vp]),
            'sqlite3_result_error': (None, [vp, cp, ci]),
            'sqlite3_mprintf': (vp, None),
            'sqlite3_db_filename': (cp, [vp, cp]),
        }
        for name, (restype, argtypes) in signatures.items():
            func = getattr(lib, name)
            func.restype = restype
            if argtypes is not None:
                func.argtypes = argtypes

    # -- registration --------------------------------------------------------------------------
    def register(self, conn: sqlite3.Connection, klass: type, name: str) -> None:
        db = _connection_handle(conn)
        module = self.modules.get(klass)
        if module is None:
            module = self.modules[klass] = self._make_module(klass)
            # SQLite keeps pointers to the module and its callbacks until the last
            # connection using it closes -- possibly while the interpreter is tearing
            # down: make them immortal so they are never freed under SQLite's feet
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(module))
        rc = self.lib.sqlite3_create_module_v2(db, name.encode('utf-8'), ctypes.byref(module),
                                               None, None)
        if rc != SQLITE_OK:
            raise sqlite3.OperationalError('could not register table function %r (error %d)'
                                           % (name, rc))

    def _error(self, vtab_address: Optional[int], exc: BaseException) -> int:
        entry = self.vtabs.get(vtab_address) if vtab_address else None
        if entry is not None:
            message = ('%s: %s' % (type(exc).__name__, exc)).encode('utf-8', 'replace')
            entry[0].zErrMsg = self.lib.sqlite3_mprintf(b'%s', ctypes.c_char_p(message))
        return SQLITE_ERROR

    def _make_module(self, klass: type) -> _Module:
        lib = self.lib
        vtabs, cursors = self.vtabs, self.cursors
        decl = declaration(klass).encode('utf-8')

        def x_connect(db: int, aux: int, argc: int, argv: Any, pp_vtab: Any, pz_err: Any
                      ) -> int:
            try:
                rc = lib.sqlite3_declare_vtab(db, decl)
                if rc != SQLITE_OK:
                    return rc
                vtab = _Vtab()
                address = ctypes.addressof(vtab)
                vtabs[address] = (vtab, klass)
                pp_vtab[0] = address
                return SQLITE_OK
            except BaseException:   # never let an exception cross into C
                return SQLITE_ERROR

        def x_best_index(p_vtab: int, info_p: Any) -> int:
            try:
                info = info_p.contents
                constraints = [(c.iColumn, c.op, bool(c.usable))
                               for c in info.aConstraint[:info.nConstraint]]
                argv, idx_num, cost = best_index(klass, constraints)
                for i, position in enumerate(argv):
                    if position is not None:
                        usage = info.aConstraintUsage[i]
                        usage.argvIndex = position + 1
                        usage.omit = 1
                info.idxNum = idx_num
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
                cursors[address] = (cursor, _Scan(klass))
                pp_cursor[0] = address
                return SQLITE_OK
            except BaseException as exc:
                return self._error(p_vtab, exc)

        def x_close(p_cursor: int, ok: int = SQLITE_OK) -> int:
            try:
                cursors.pop(p_cursor, None)
            except BaseException:   # interpreter shutdown
                pass
            return ok

        def x_filter(p_cursor: int, idx_num: int, idx_str: int, argc: int, argv: Any) -> int:
            cursor, scan = cursors[p_cursor]
            try:
                args = [self._value(argv[i]) for i in range(argc)]
                scan.filter(idx_num, args)
                return SQLITE_OK
            except BaseException as exc:
                scan.eof = True
                return self._error(cursor.pVtab, exc)

        def x_next(p_cursor: int) -> int:
            cursor, scan = cursors[p_cursor]
            try:
                scan.next()
                return SQLITE_OK
            except BaseException as exc:
                scan.eof = True
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
            p_rowid[0] = cursors[p_cursor][1].idx
            return SQLITE_OK

        module = _Module()
        module.iVersion = 1
        module.xCreate = None     # eponymous-only: usable as name(args) without CREATE
        module.xConnect = _XCONNECT(x_connect)
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


def _version_number(info: tuple) -> int:
    major, minor, patch = (tuple(info) + (0, 0, 0))[:3]
    return major * 1000000 + minor * 1000 + patch


def _connection_handle(conn: sqlite3.Connection) -> int:
    """The ``sqlite3 *`` of a ``sqlite3.Connection`` (the first field after the header)."""
    try:
        conn.total_changes   # raises ProgrammingError on a closed connection
    except sqlite3.ProgrammingError:
        raise NotSupportedError('Cannot register a table function on a closed connection.')
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not handle:
        raise NotSupportedError('The sqlite3 connection has no database handle.')
    return handle
