"""The floor: the same SQL on the bare DB-API driver (sqlite3 / psycopg2).

No objects are built: rows stay tuples (dicts for the dict workload), joins and
prefetch are grouped by hand, and "compiling" a query is plain string formatting.
Connections run in autocommit mode with explicit BEGIN/COMMIT, like orm and peewee.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Optional

from .common import Engine, Impl, Params, compile_bounds

ITEM_COLS = ('id', 'collection_id', 'name', 'qty', 'price')
SELECT_ITEMS = 'SELECT id, collection_id, name, qty, price FROM item ORDER BY id'
JOIN_SQL = ('SELECT t1.id, t1.collection_id, t1.name, t1.qty, t1.price, t2.id, t2.name '
            'FROM item AS t1 INNER JOIN collection AS t2 ON (t1.collection_id = t2.id) '
            'ORDER BY t1.id')
COMPILE_COLS = ('t1.id', 't1.collection_id', 't1.name', 't1.qty', 't1.price', 't2.id',
                't2.name')
COMPILE_SQL = ('SELECT {cols} FROM item AS t1 INNER JOIN collection AS t2 '
               'ON (t1.collection_id = t2.id) '
               'WHERE (((t1.qty >= {p}) AND (t1.price < {p})) AND (t2.name != {p})) '
               'ORDER BY t1.id LIMIT {p}')


class RawImpl(Impl):
    name = 'raw'

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.conn: Any = None
        s = engine.sql
        self.q_insert = s('INSERT INTO item (collection_id, name, qty, price) '
                          'VALUES (?, ?, ?, ?)')
        if not engine.is_sqlite:
            self.q_insert += ' RETURNING id'
        self.q_get = s('SELECT id, collection_id, name, qty, price FROM item WHERE id = ?')
        self.q_update = s('UPDATE item SET qty = (qty + ?) WHERE ((id & ?) = ?)')
        self.q_delete = s('DELETE FROM item WHERE (qty >= ?)')
        self.q_prefetch_items = ('SELECT id, collection_id, name, qty, price FROM item '
                                 'WHERE collection_id IN (SELECT id FROM collection) '
                                 'ORDER BY id')

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        if self.engine.is_sqlite:
            self.conn = sqlite3.connect(':memory:', isolation_level=None)
        else:
            import psycopg2
            self.conn = psycopg2.connect(**self.engine.pg_options(self.name))
            self.conn.autocommit = True

    def close(self) -> None:
        self.conn.close()

    def execute_script(self, statements: list[str]) -> None:
        cur = self.conn.cursor()
        for stmt in statements:
            cur.execute(stmt)

    def load(self, statements: list) -> None:
        cur = self.conn.cursor()
        cur.execute('BEGIN')
        for sql, params in statements:
            cur.execute(sql, params)
        cur.execute('COMMIT')

    def fetchone(self, sql: str) -> tuple:
        cur = self.conn.cursor()
        cur.execute(sql)
        return cur.fetchone()

    def sqlite_connection(self) -> Optional[sqlite3.Connection]:
        return self.conn if self.engine.is_sqlite else None

    def recover(self) -> None:
        try:
            self.conn.cursor().execute('ROLLBACK')
        except Exception:
            pass

    def canonical(self, workload: str, value: Any) -> Any:
        if workload == 'compile':
            count, (sql, params) = value
            cur = self.conn.cursor()
            cur.execute(sql, params)
            rows = cur.fetchall()
            return count, len(rows), sum(r[0] for r in rows)
        return value

    # -- workloads ---------------------------------------------------------------
    def create(self, p: Params) -> Any:
        cur = self.conn.cursor()
        sql = self.q_insert
        total = 0
        cur.execute('BEGIN')
        if self.engine.is_sqlite:
            for row in p.create_rows:
                cur.execute(sql, row)
                total += cur.lastrowid
        else:
            for row in p.create_rows:
                cur.execute(sql, row)
                total += cur.fetchone()[0]
        cur.execute('COMMIT')
        return len(p.create_rows), total

    def insert_many(self, p: Params) -> Any:
        cur = self.conn.cursor()
        one = '(%s)' % ', '.join([self.engine.param] * 4)
        head = 'INSERT INTO item (collection_id, name, qty, price) VALUES '
        cur.execute('BEGIN')
        for batch in p.insert_batches:
            sql = head + ', '.join([one] * len(batch))
            params = [v for row in batch for v in row]
            cur.execute(sql, params)
        cur.execute('COMMIT')
        return None

    def _read_items(self, rows: list) -> tuple:
        n = qty = length = 0
        for r in rows:
            n += 1
            qty += r[3]
            length += len(r[2])
        return n, qty, length

    def select_models(self, p: Params) -> Any:
        cur = self.conn.cursor()
        cur.execute(SELECT_ITEMS)
        return self._read_items(cur.fetchall())

    select_tuples = select_models

    def select_dicts(self, p: Params) -> Any:
        cur = self.conn.cursor()
        cur.execute(SELECT_ITEMS)
        names = ITEM_COLS
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        n = qty = length = 0
        for d in rows:
            n += 1
            qty += d['qty']
            length += len(d['name'])
        return n, qty, length

    def join(self, p: Params) -> Any:
        cur = self.conn.cursor()
        cur.execute(JOIN_SQL)
        n = qty = cname = cids = 0
        for r in cur.fetchall():
            n += 1
            qty += r[3]
            cname += len(r[6])
            cids += r[5]
        return n, qty, cname, cids

    def prefetch(self, p: Params) -> Any:
        cur = self.conn.cursor()
        cur.execute('SELECT id, name FROM collection ORDER BY id')
        collections = cur.fetchall()
        cur.execute(self.q_prefetch_items)
        by_collection: dict = {}
        for r in cur.fetchall():
            by_collection.setdefault(r[1], []).append(r)
        n_items = qty = cids = 0
        for c in collections:
            for r in by_collection.get(c[0], ()):
                n_items += 1
                qty += r[3]
                cids += c[0]
        return len(collections), n_items, qty, cids

    def get_by_id(self, p: Params) -> Any:
        cur = self.conn.cursor()
        sql = self.q_get
        n = qty = ids = 0
        for pk in p.get_ids:
            cur.execute(sql, (pk,))
            r = cur.fetchone()
            n += 1
            qty += r[3]
            ids += r[0]
        return n, qty, ids

    def compile(self, p: Params) -> Any:
        # A floor, not a peer: the SQL text is a constant template, only formatted.
        template = COMPILE_SQL
        ph = self.engine.param
        last = None
        for i in range(p.compile_n):
            sql = template.format(cols=', '.join(COMPILE_COLS), p=ph)
            last = (sql, compile_bounds(i))
        return p.compile_n, last

    def update_delete(self, p: Params) -> Any:
        cur = self.conn.cursor()
        cur.execute('BEGIN')
        cur.execute(self.q_update, (1, 1, 0))
        updated = cur.rowcount
        cur.execute(self.q_delete, (90,))
        deleted = cur.rowcount
        cur.execute('COMMIT')
        return updated, deleted


def factory(engine: Engine) -> RawImpl:
    return RawImpl(engine)
