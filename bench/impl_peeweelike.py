"""Workloads written once against the peewee 3.17 API.

orm (``import orm as peewee``) and peewee itself run *the same code*, so their
figures compare the libraries and nothing else.
"""
from __future__ import annotations

import sqlite3
from types import ModuleType
from typing import Any, Optional

from .common import Engine, Impl, Params, compile_bounds


def build_models(pw: ModuleType, db: Any) -> tuple:
    class Base(pw.Model):
        class Meta:
            database = db

    class Collection(Base):
        name = pw.CharField(max_length=100)

        class Meta:
            table_name = 'collection'

    class Item(Base):
        collection = pw.ForeignKeyField(Collection, backref='items',
                                        column_name='collection_id')
        name = pw.CharField(max_length=100)
        qty = pw.IntegerField()
        price = pw.DoubleField()

        class Meta:
            table_name = 'item'

    return Collection, Item


class PeeweeLikeImpl(Impl):
    """An implementation over a peewee-compatible module (orm or peewee)."""

    def __init__(self, engine: Engine, module: ModuleType, name: str) -> None:
        super().__init__(engine)
        self.pw = module
        self.name = name
        self.db: Any = None
        self.Collection: Any = None
        self.Item: Any = None
        self.insert_batches: list = []

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        pw = self.pw
        if self.engine.is_sqlite:
            self.db = pw.SqliteDatabase(':memory:')
        else:
            params = self.engine.pg_options(self.name)
            dbname = params.pop('dbname', None) or params.pop('database')
            self.db = pw.PostgresqlDatabase(dbname, **params)
        self.db.connect()
        self.Collection, self.Item = build_models(pw, self.db)

    def close(self) -> None:
        self.db.close()

    def execute_script(self, statements: list[str]) -> None:
        for stmt in statements:
            self.db.execute_sql(stmt)

    def load(self, statements: list) -> None:
        with self.db.atomic():
            for sql, params in statements:
                self.db.execute_sql(sql, params)

    def fetchone(self, sql: str) -> tuple:
        return self.db.execute_sql(sql).fetchone()

    def sqlite_connection(self) -> Optional[sqlite3.Connection]:
        return self.db.connection() if self.engine.is_sqlite else None

    def recover(self) -> None:
        try:
            while self.db.transaction_depth():
                self.db.pop_transaction()
            self.db.rollback()
        except Exception:
            pass

    def before(self, workload: str, p: Params) -> None:
        if workload == 'insert_many':
            # the usual peewee shape: a list of dicts keyed by field name
            self.insert_batches = [
                [{'collection': c, 'name': n, 'qty': q, 'price': pr} for c, n, q, pr in b]
                for b in p.insert_batches]

    def canonical(self, workload: str, value: Any) -> Any:
        if workload == 'compile':
            count, query = value
            rows = list(query)
            return count, len(rows), sum(r.id for r in rows)
        return value

    # -- workloads ---------------------------------------------------------------
    def create(self, p: Params) -> Any:
        Item = self.Item
        total = 0
        with self.db.atomic():
            for cid, name, qty, price in p.create_rows:
                total += Item.create(collection=cid, name=name, qty=qty, price=price).id
        return len(p.create_rows), total

    def insert_many(self, p: Params) -> Any:
        Item = self.Item
        with self.db.atomic():
            for batch in self.insert_batches:
                Item.insert_many(batch).execute()
        return None

    def select_models(self, p: Params) -> Any:
        Item = self.Item
        n = qty = length = 0
        for obj in Item.select().order_by(Item.id):
            n += 1
            qty += obj.qty
            length += len(obj.name)
        return n, qty, length

    def select_tuples(self, p: Params) -> Any:
        Item = self.Item
        n = qty = length = 0
        for r in Item.select().order_by(Item.id).tuples():
            n += 1
            qty += r[3]
            length += len(r[2])
        return n, qty, length

    def select_dicts(self, p: Params) -> Any:
        Item = self.Item
        n = qty = length = 0
        for d in Item.select().order_by(Item.id).dicts():
            n += 1
            qty += d['qty']
            length += len(d['name'])
        return n, qty, length

    def join(self, p: Params) -> Any:
        Item, Collection = self.Item, self.Collection
        query = Item.select(Item, Collection).join(Collection).order_by(Item.id)
        n = qty = cname = cids = 0
        for item in query:
            n += 1
            qty += item.qty
            coll = item.collection          # already loaded by the join: no query
            cname += len(coll.name)
            cids += coll.id
        return n, qty, cname, cids

    def prefetch(self, p: Params) -> Any:
        Item, Collection = self.Item, self.Collection
        collections = self.pw.prefetch(Collection.select().order_by(Collection.id),
                                       Item.select().order_by(Item.id))
        n_coll = n_items = qty = cids = 0
        for coll in collections:
            n_coll += 1
            for item in coll.items:
                n_items += 1
                qty += item.qty
                cids += coll.id
        return n_coll, n_items, qty, cids

    def get_by_id(self, p: Params) -> Any:
        Item = self.Item
        n = qty = ids = 0
        for pk in p.get_ids:
            obj = Item.get_by_id(pk)
            n += 1
            qty += obj.qty
            ids += obj.id
        return n, qty, ids

    def compile(self, p: Params) -> Any:
        Item, Collection = self.Item, self.Collection
        query = None
        for i in range(p.compile_n):
            lo, hi, name, limit = compile_bounds(i)
            query = (Item.select(Item, Collection)
                     .join(Collection)
                     .where((Item.qty >= lo) & (Item.price < hi) & (Collection.name != name))
                     .order_by(Item.id)
                     .limit(limit))
            query.sql()
        return p.compile_n, query

    def update_delete(self, p: Params) -> Any:
        Item = self.Item
        with self.db.atomic():
            # "even ids" as a bitwise AND: in the peewee API ``%`` means LIKE, not modulo
            updated = Item.update(qty=Item.qty + 1).where(Item.id.bin_and(1) == 0).execute()
            deleted = Item.delete().where(Item.qty >= 90).execute()
        return updated, deleted
