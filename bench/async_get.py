"""``python -m bench async``: concurrent primary-key reads on PostgreSQL (issue 15).

50 concurrent clients each read 200 rows by primary key (10,000 reads in all), three ways:

* ``asyncpg`` -- the raw driver: ``fetchrow()`` on a connection from its pool;
* ``orm-async`` -- ``await Item.aget_by_id(pk)`` on ``AsyncPostgresqlDatabase``;
* ``orm-sync`` -- ``Item.get_by_id(pk)`` on ``PostgresqlDatabase`` from a pool of threads.

Every side has ``--pool`` connections (10): async clients wait for a free connection and
keep it for their 200 reads; the synchronous clients run on ``--pool`` threads, each
thread with its own connection.  Each read is checked (the row's name must match its
key).  A figure is the best wall-clock time of ``--rounds`` rounds, the sides taking
turns.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import random
import sys
import time
from typing import Any, Callable

DEFAULT_DSN = 'host=127.0.0.1 port=5432 user=postgres dbname=orm_bench'
ROWS = 1000


def _params(dsn: str) -> dict:
    params = dict(part.split('=', 1) for part in dsn.split())
    params['database'] = params.pop('dbname')
    if 'port' in params:
        params['port'] = int(params['port'])
    return params


def _ensure_database(params: dict) -> None:
    import orm
    admin = orm.PostgresqlDatabase('postgres', **{k: v for k, v in params.items()
                                                  if k != 'database'})
    try:
        found = admin.execute_sql('SELECT 1 FROM pg_database WHERE datname = %s',
                                  (params['database'],)).fetchone()
        if not found:
            admin.execute_sql('CREATE DATABASE "%s"' % params['database'])
    finally:
        admin.close()


def _plan(clients: int, per_client: int) -> list:
    rng = random.Random(15)
    return [[rng.randint(1, ROWS) for _ in range(per_client)] for _ in range(clients)]


def run_raw(params: dict, plan: list, pool_size: int) -> float:
    import asyncpg

    async def main() -> float:
        pool = await asyncpg.create_pool(min_size=pool_size, max_size=pool_size, **params)

        async def client(keys: list) -> None:
            async with pool.acquire() as conn:
                for key in keys:
                    row = await conn.fetchrow(
                        'SELECT id, name, qty FROM bench_async.item WHERE id = $1', key)
                    assert row['name'] == 'item%d' % key

        start = time.perf_counter()
        await asyncio.gather(*(client(keys) for keys in plan))
        elapsed = time.perf_counter() - start
        await pool.close()
        return elapsed

    return asyncio.run(main())


def _models(database: Any) -> Any:
    import orm

    class Item(orm.Model):
        name = orm.TextField()
        qty = orm.IntegerField()

        class Meta:
            schema = 'bench_async'
            table_name = 'item'

    Item.bind(database)
    return Item


def run_orm_async(params: dict, plan: list, pool_size: int) -> float:
    from playhouse.pwasyncio import AsyncPostgresqlDatabase, AsyncModel

    db = AsyncPostgresqlDatabase(params['database'], pool_size=pool_size,
                                 pool_min_size=pool_size,
                                 **{k: v for k, v in params.items() if k != 'database'})
    import orm

    class Item(AsyncModel):
        name = orm.TextField()
        qty = orm.IntegerField()

        class Meta:
            database = db
            schema = 'bench_async'
            table_name = 'item'

    async def main() -> float:
        async with db:                      # open the pool before timing
            pass

        async def client(keys: list) -> None:
            async with db:
                for key in keys:
                    item = await Item.aget_by_id(key)
                    assert item.name == 'item%d' % key

        start = time.perf_counter()
        await asyncio.gather(*(client(keys) for keys in plan))
        elapsed = time.perf_counter() - start
        await db.close_pool()
        return elapsed

    return asyncio.run(main())


def run_orm_sync(params: dict, plan: list, pool_size: int) -> float:
    import orm

    db = orm.PostgresqlDatabase(params['database'],
                                **{k: v for k, v in params.items() if k != 'database'})
    Item = _models(db)

    def client(keys: list) -> None:
        for key in keys:
            item = Item.get_by_id(key)
            assert item.name == 'item%d' % key

    with concurrent.futures.ThreadPoolExecutor(pool_size) as pool:
        list(pool.map(lambda _: db.connect(reuse_if_open=True), range(pool_size * 4)))
        start = time.perf_counter()
        list(pool.map(client, plan))
        elapsed = time.perf_counter() - start
        list(pool.map(lambda _: db.close(), range(pool_size * 4)))
    return elapsed


def setup(params: dict) -> None:
    import orm
    _ensure_database(params)
    db = orm.PostgresqlDatabase(params['database'],
                                **{k: v for k, v in params.items() if k != 'database'})
    db.execute_sql('DROP SCHEMA IF EXISTS bench_async CASCADE')
    db.execute_sql('CREATE SCHEMA bench_async')
    db.execute_sql('CREATE TABLE bench_async.item (id SERIAL PRIMARY KEY, name TEXT NOT NULL, '
                   'qty INTEGER NOT NULL)')
    db.execute_sql("INSERT INTO bench_async.item (name, qty) SELECT 'item' || g, g %% 97 "
                   "FROM generate_series(1, %s) AS g", (ROWS,))
    db.close()


SIDES: dict[str, Callable[[dict, list, int], float]] = {
    'asyncpg': run_raw, 'orm-async': run_orm_async, 'orm-sync': run_orm_sync}


def main(argv: list) -> int:
    ap = argparse.ArgumentParser(prog='python -m bench async', description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clients', type=int, default=50)
    ap.add_argument('--calls', type=int, default=200, help='reads per client')
    ap.add_argument('--pool', type=int, default=10, help='connections (threads for sync)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--pg-dsn', default=os.environ.get('BENCH_PG_DSN', DEFAULT_DSN))
    args = ap.parse_args(argv)
    params = _params(args.pg_dsn)
    setup(params)
    plan = _plan(args.clients, args.calls)
    best: dict = {}
    for _ in range(args.rounds):
        for name, side in SIDES.items():
            elapsed = side(params, plan, args.pool)
            best[name] = min(best.get(name, elapsed), elapsed)
    reads = args.clients * args.calls
    print('%d clients x %d reads by primary key, %d connections, best of %d rounds'
          % (args.clients, args.calls, args.pool, args.rounds))
    print('%-10s %9s %11s %9s' % ('side', 'seconds', 'reads/s', '/asyncpg'))
    for name, elapsed in best.items():
        print('%-10s %9.3f %11.0f %9.2f' % (name, elapsed, reads / elapsed,
                                            elapsed / best['asyncpg']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
