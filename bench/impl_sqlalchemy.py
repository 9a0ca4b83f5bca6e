"""SQLAlchemy 2 ORM: declarative models and a Session, used the idiomatic 2.0 way.

Choices worth knowing when reading the figures:

- A fresh ``Session`` per workload run (created untimed), so the identity map
  never serves a row from a previous run.
- create(): ``session.add(obj); session.flush()`` per row, so every INSERT runs
  one at a time and the object gets its id, as ``Model.create()`` does.
- insert_many: ``session.execute(insert(Item), list_of_dicts)`` per batch (the
  2.0 "ORM bulk INSERT" path).
- join: ``contains_eager`` on the same INNER JOIN; prefetch: ``selectinload``.
- compile: ``stmt.compile(dialect=...)`` and ``str()``; this bypasses the
  compiled-statement cache SQLAlchemy uses when it *executes* a statement.
- dicts: ``Result.mappings()`` (read-only dict-like rows).
"""
from __future__ import annotations

import sqlite3
from typing import Any, Optional

from .common import Engine, Impl, Params, compile_bounds

try:
    import sqlalchemy
    from sqlalchemy import delete, insert, select, update
    from sqlalchemy.orm import Session, contains_eager, selectinload
except ImportError:                    # reported as "not importable, skipped"
    sqlalchemy = None


def available() -> bool:
    return sqlalchemy is not None and int(sqlalchemy.__version__.split('.')[0]) >= 2


_MODELS: Optional[tuple] = None


def models() -> tuple:
    """Declare the mapped classes once (mapping does not depend on the engine)."""
    global _MODELS
    if _MODELS is None:
        from sqlalchemy import Double, ForeignKey, Integer, String
        from sqlalchemy.orm import DeclarativeBase, mapped_column, relationship

        # Un-annotated declarative style (this module uses postponed annotations).
        class Base(DeclarativeBase):
            pass

        class Collection(Base):
            __tablename__ = 'collection'
            id = mapped_column(Integer, primary_key=True)
            name = mapped_column(String(100), nullable=False)
            items = relationship('Item', back_populates='collection')

        class Item(Base):
            __tablename__ = 'item'
            id = mapped_column(Integer, primary_key=True)
            collection_id = mapped_column(ForeignKey('collection.id'), nullable=False)
            name = mapped_column(String(100), nullable=False)
            qty = mapped_column(Integer, nullable=False)
            price = mapped_column(Double, nullable=False)
            collection = relationship(Collection, back_populates='items')

        _MODELS = (Collection, Item)
    return _MODELS


class SQLAlchemyImpl(Impl):
    name = 'sqlalchemy'

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.sa_engine: Any = None
        self.session: Any = None
        self.Collection, self.Item = models()
        self.insert_batches: list = []

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import URL
        from sqlalchemy.pool import StaticPool
        if self.engine.is_sqlite:
            # one shared in-memory database for the whole engine
            self.sa_engine = create_engine('sqlite://', poolclass=StaticPool)
        else:
            params = self.engine.pg_options(self.name)
            url = URL.create('postgresql+psycopg2',
                             username=params.pop('user', None),
                             password=params.pop('password', None),
                             host=params.pop('host', None),
                             port=int(params.pop('port')) if 'port' in params else None,
                             database=params.pop('dbname', None) or params.pop('database'))
            self.sa_engine = create_engine(url, connect_args=params)
        self.dialect = self.sa_engine.dialect

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        self.sa_engine.dispose()

    def execute_script(self, statements: list[str]) -> None:
        with self.sa_engine.begin() as conn:
            for stmt in statements:
                conn.exec_driver_sql(stmt)

    def load(self, statements: list) -> None:
        with self.sa_engine.begin() as conn:
            for sql, params in statements:
                conn.exec_driver_sql(sql, tuple(params))

    def fetchone(self, sql: str) -> tuple:
        with self.sa_engine.connect() as conn:
            return tuple(conn.exec_driver_sql(sql).fetchone())

    def sqlite_connection(self) -> Optional[sqlite3.Connection]:
        if not self.engine.is_sqlite:
            return None
        raw = self.sa_engine.raw_connection()   # StaticPool: always the same one
        try:
            return raw.driver_connection
        finally:
            raw.close()

    def before(self, workload: str, p: Params) -> None:
        self.session = Session(self.sa_engine)
        if workload == 'insert_many':
            self.insert_batches = [
                [{'collection_id': c, 'name': n, 'qty': q, 'price': pr}
                 for c, n, q, pr in b] for b in p.insert_batches]

    def after(self, workload: str) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def recover(self) -> None:
        self.after('')

    def canonical(self, workload: str, value: Any) -> Any:
        if workload == 'compile':
            count, stmt = value
            with Session(self.sa_engine) as s:
                rows = s.execute(stmt).all()
            return count, len(rows), sum(r[0].id for r in rows)
        return value

    # -- workloads ---------------------------------------------------------------
    def create(self, p: Params) -> Any:
        Item = self.Item
        s = self.session
        total = 0
        with s.begin():
            for cid, name, qty, price in p.create_rows:
                obj = Item(collection_id=cid, name=name, qty=qty, price=price)
                s.add(obj)
                s.flush()
                total += obj.id
        return len(p.create_rows), total

    def insert_many(self, p: Params) -> Any:
        s = self.session
        stmt = insert(self.Item)
        with s.begin():
            for batch in self.insert_batches:
                s.execute(stmt, batch)
        return None

    def select_models(self, p: Params) -> Any:
        Item = self.Item
        n = qty = length = 0
        for obj in self.session.scalars(select(Item).order_by(Item.id)):
            n += 1
            qty += obj.qty
            length += len(obj.name)
        return n, qty, length

    def select_tuples(self, p: Params) -> Any:
        Item = self.Item
        stmt = select(Item.id, Item.collection_id, Item.name, Item.qty,
                      Item.price).order_by(Item.id)
        n = qty = length = 0
        for r in self.session.execute(stmt).tuples():
            n += 1
            qty += r[3]
            length += len(r[2])
        return n, qty, length

    def select_dicts(self, p: Params) -> Any:
        Item = self.Item
        stmt = select(Item.id, Item.collection_id, Item.name, Item.qty,
                      Item.price).order_by(Item.id)
        n = qty = length = 0
        for d in self.session.execute(stmt).mappings():
            n += 1
            qty += d['qty']
            length += len(d['name'])
        return n, qty, length

    def join(self, p: Params) -> Any:
        Item = self.Item
        stmt = (select(Item).join(Item.collection)
                .options(contains_eager(Item.collection)).order_by(Item.id))
        n = qty = cname = cids = 0
        for item in self.session.scalars(stmt):
            n += 1
            qty += item.qty
            coll = item.collection
            cname += len(coll.name)
            cids += coll.id
        return n, qty, cname, cids

    def prefetch(self, p: Params) -> Any:
        Collection = self.Collection
        stmt = (select(Collection).order_by(Collection.id)
                .options(selectinload(Collection.items)))
        n_coll = n_items = qty = cids = 0
        for coll in self.session.scalars(stmt):
            n_coll += 1
            for item in coll.items:
                n_items += 1
                qty += item.qty
                cids += coll.id
        return n_coll, n_items, qty, cids

    def get_by_id(self, p: Params) -> Any:
        Item = self.Item
        get = self.session.get
        n = qty = ids = 0
        for pk in p.get_ids:
            obj = get(Item, pk)
            n += 1
            qty += obj.qty
            ids += obj.id
        return n, qty, ids

    def compile(self, p: Params) -> Any:
        Item, Collection = self.Item, self.Collection
        dialect = self.dialect
        stmt = None
        for i in range(p.compile_n):
            lo, hi, name, limit = compile_bounds(i)
            stmt = (select(Item, Collection)
                    .join(Item.collection)
                    .where(Item.qty >= lo, Item.price < hi, Collection.name != name)
                    .order_by(Item.id)
                    .limit(limit))
            compiled = stmt.compile(dialect=dialect)
            str(compiled)
            compiled.params
        return p.compile_n, stmt

    def update_delete(self, p: Params) -> Any:
        Item = self.Item
        s = self.session
        with s.begin():
            updated = s.execute(update(Item).where(Item.id.op('&')(1) == 0)
                                .values(qty=Item.qty + 1)).rowcount
            deleted = s.execute(delete(Item).where(Item.qty >= 90)).rowcount
        return updated, deleted


def factory(engine: Engine) -> SQLAlchemyImpl:
    return SQLAlchemyImpl(engine)
