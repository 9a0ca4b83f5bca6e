"""Shared pieces of the benchmark: engine settings, schema, data, workload parameters
and the interface every implementation follows.

The schema is created from the same DDL text for every implementation (run through
that implementation's own connection), so all of them work on identical tables.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

# --------------------------------------------------------------------------- engines


@dataclass
class Engine:
    """Where a benchmark runs: ``sqlite`` (in memory) or ``postgres``."""

    name: str
    param: str                       # the driver's placeholder: '?' or '%s'
    pg: dict = field(default_factory=dict)   # psycopg2.connect keywords (postgres only)

    @property
    def is_sqlite(self) -> bool:
        return self.name == 'sqlite'

    def pg_options(self, impl_name: str) -> dict:
        """psycopg2 keywords for one implementation: each gets its own schema."""
        params = dict(self.pg)
        params['options'] = '-c search_path=%s' % pg_schema(impl_name)
        return params

    def sql(self, text: str) -> str:
        """Turn SQL written with '?' placeholders into the driver's style."""
        if self.param == '?':
            return text
        return text.replace('%', '%%').replace('?', '%s')


def pg_schema(impl_name: str) -> str:
    return 'bench_' + impl_name


# --------------------------------------------------------------------------- schema

_SQLITE_DDL = [
    'DROP TABLE IF EXISTS item',
    'DROP TABLE IF EXISTS collection',
    'CREATE TABLE collection (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL)',
    'CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, '
    'collection_id INTEGER NOT NULL REFERENCES collection (id), '
    'name VARCHAR(100) NOT NULL, qty INTEGER NOT NULL, price REAL NOT NULL)',
    'CREATE INDEX item_collection_id ON item (collection_id)',
]

_POSTGRES_DDL = [
    'DROP TABLE IF EXISTS item',
    'DROP TABLE IF EXISTS collection',
    'CREATE TABLE collection (id SERIAL NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL)',
    'CREATE TABLE item (id SERIAL NOT NULL PRIMARY KEY, '
    'collection_id INTEGER NOT NULL REFERENCES collection (id), '
    'name VARCHAR(100) NOT NULL, qty INTEGER NOT NULL, price DOUBLE PRECISION NOT NULL)',
    'CREATE INDEX item_collection_id ON item (collection_id)',
]


def ddl(engine: Engine) -> list[str]:
    return list(_SQLITE_DDL if engine.is_sqlite else _POSTGRES_DDL)


SEED_CHUNK = 100      # rows per seeding INSERT (stays under SQLite's old 999-variable cap)


def seed_statements(engine: 'Engine', target: str, rows: list) -> list:
    """Multi-row INSERTs for seeding (one round trip per chunk, not per row)."""
    out = []
    for k in range(0, len(rows), SEED_CHUNK):
        chunk = rows[k:k + SEED_CHUNK]
        one = '(%s)' % ', '.join([engine.param] * len(chunk[0]))
        sql = 'INSERT INTO %s VALUES %s' % (target, ', '.join([one] * len(chunk)))
        out.append((sql, [v for row in chunk for v in row]))
    return out

# After seeding explicit ids, PostgreSQL's sequences must move past them.
PG_FIX_SEQUENCES = [
    "SELECT setval(pg_get_serial_sequence('collection', 'id'), "
    "COALESCE((SELECT MAX(id) FROM collection), 0) + 1, false)",
    "SELECT setval(pg_get_serial_sequence('item', 'id'), "
    "COALESCE((SELECT MAX(id) FROM item), 0) + 1, false)",
]

# The checksum of the tables after a workload (run untimed, once per workload per impl).
STATE_SQL = ('SELECT COUNT(*), COALESCE(SUM(qty), 0), COALESCE(SUM(price), 0), '
             'COALESCE(SUM(collection_id), 0), COALESCE(SUM(LENGTH(name)), 0), '
             'COALESCE(MAX(id), 0), (SELECT COUNT(*) FROM collection) FROM item')


# --------------------------------------------------------------------------- data

def collection_row(cid: int) -> tuple:
    return (cid, 'collection-%03d' % cid)


def item_values(i: int, n_collections: int) -> tuple:
    """(collection_id, name, qty, price) of the i-th item (1-based).

    Prices are multiples of 0.25, exact in binary floating point, so sums compare
    exactly across engines and drivers.
    """
    return ((i - 1) % n_collections + 1, 'item-%05d' % i, i % 97, (i % 1000) * 0.25)


@dataclass
class Params:
    """Sizes of every workload (one instance for a full run, one for --quick)."""

    create_n: int              # 1. create(): rows, one statement each, one transaction
    insert_total: int          # 2. insert_many: rows in total ...
    insert_batch: int          #    ... and per statement
    n_collections: int         # 3-8, 10: seeded collections ...
    per_collection: int        #    ... times items per collection = rows read
    get_n: int                 # 8. get_by_id calls
    compile_n: int             # 9. queries built and compiled

    # derived data, built once (outside any timed region)
    create_rows: list = field(default_factory=list, repr=False)
    insert_batches: list = field(default_factory=list, repr=False)
    get_ids: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.create_rows = [item_values(i, 1) for i in range(1, self.create_n + 1)]
        rows = [item_values(i, 10) for i in range(1, self.insert_total + 1)]
        b = self.insert_batch
        self.insert_batches = [rows[k:k + b] for k in range(0, len(rows), b)]
        n = self.n_items
        step = 7 if n % 7 else 11           # coprime with n: distinct ids, scattered
        self.get_ids = [(k * step) % n + 1 for k in range(self.get_n)]
        assert len(set(self.get_ids)) == len(self.get_ids)

    @property
    def n_items(self) -> int:
        return self.n_collections * self.per_collection

    def summary(self) -> dict:
        return {k: getattr(self, k) for k in ('create_n', 'insert_total', 'insert_batch',
                                              'n_collections', 'per_collection', 'get_n',
                                              'compile_n')}


FULL = dict(create_n=1000, insert_total=10000, insert_batch=500, n_collections=100,
            per_collection=20, get_n=300, compile_n=300)
QUICK = dict(create_n=100, insert_total=1000, insert_batch=100, n_collections=20,
             per_collection=10, get_n=50, compile_n=50)


def seed_plan(workload: str, p: Params) -> tuple[list, list]:
    """(collection rows, item rows) a workload starts from."""
    if workload == 'create':
        return [collection_row(1)], []
    if workload == 'insert_many':
        return [collection_row(c) for c in range(1, 11)], []
    cols = [collection_row(c) for c in range(1, p.n_collections + 1)]
    items = [(i,) + item_values(i, p.n_collections) for i in range(1, p.n_items + 1)]
    return cols, items


# The 9th workload builds this query; its bounds depend on the loop counter.
def compile_bounds(i: int) -> tuple:
    """(min qty, max price, excluded collection name, limit) of the i-th query."""
    return (i % 90, 100.0 + i, 'zzz', 20)


# --------------------------------------------------------------------------- impls

class Impl:
    """One implementation of every workload.

    ``open``/``close`` bracket an engine; ``reset`` (untimed) recreates and seeds the
    tables; each workload method is the timed region and returns a value that must be
    equal across implementations (row counts, sums).
    """

    name = '?'
    WORKLOADS = ('create', 'insert_many', 'select_models', 'select_tuples', 'select_dicts',
                 'join', 'prefetch', 'get_by_id', 'compile', 'update_delete')

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- lifecycle (untimed) -----------------------------------------------------
    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def execute_script(self, statements: list[str]) -> None:
        """Run DDL / maintenance statements, committed."""
        raise NotImplementedError

    def load(self, statements: list) -> None:
        """Run [(sql, params), ...] in one transaction (sql in the driver's style)."""
        raise NotImplementedError

    def fetchone(self, sql: str) -> tuple:
        raise NotImplementedError

    def sqlite_connection(self) -> Optional[sqlite3.Connection]:
        """The underlying sqlite3 connection (to count statements), if any."""
        return None

    def reset(self, workload: str, p: Params) -> None:
        self.execute_script(ddl(self.engine))
        cols, items = seed_plan(workload, p)
        self.load(seed_statements(self.engine, 'collection (id, name)', cols)
                  + seed_statements(self.engine, 'item (id, collection_id, name, qty, price)',
                                    items))
        if not self.engine.is_sqlite:
            self.execute_script(PG_FIX_SEQUENCES)

    def before(self, workload: str, p: Params) -> None:
        """Hook run after reset, right before the timed region (untimed)."""

    def after(self, workload: str) -> None:
        """Hook run right after the timed region (untimed)."""

    def recover(self) -> None:
        """Bring the connection back to a usable state after an error."""

    def state(self) -> tuple:
        """Checksum of the tables, normalised across drivers."""
        return normalise(self.fetchone(STATE_SQL))

    def canonical(self, workload: str, value: Any) -> Any:
        """Turn a workload's return value into something comparable (untimed)."""
        return value


def normalise(row: Any) -> tuple:
    out = []
    for v in row:
        if isinstance(v, float):
            out.append(round(v, 6))
        elif v is None or isinstance(v, (int, str)):
            out.append(v)
        else:                                  # Decimal and friends
            f = float(v)
            out.append(int(f) if f.is_integer() else round(f, 6))
    return tuple(out)


ImplFactory = Callable[[Engine], Impl]
