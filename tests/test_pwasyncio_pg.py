"""playhouse.pwasyncio under stress and faults, on a real PostgreSQL server (and SQLite
where the fault exists there too): cancellation inside transactions, many concurrent
read-modify-write tasks, connections killed by the server."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip('greenlet')
pytest.importorskip('aiosqlite')

from orm import IntegerField, OperationalError, PostgresqlDatabase  # noqa: E402
from playhouse.pwasyncio import (AsyncModel, AsyncPostgresqlDatabase,  # noqa: E402
                                 AsyncSqliteDatabase)

from conftest import pg_connect_kwargs, require_postgres  # noqa: E402


class Counter(AsyncModel):
    value = IntegerField(default=0)


def _async_pg(**kwargs: Any) -> AsyncPostgresqlDatabase:
    require_postgres()
    pytest.importorskip('asyncpg')
    params = pg_connect_kwargs()
    return AsyncPostgresqlDatabase(params.pop('database'), **params, **kwargs)


def _sync_pg() -> PostgresqlDatabase:
    params = pg_connect_kwargs()
    return PostgresqlDatabase(params.pop('database'), **params)


def _make(engine: str, tmp_path: Any, **kwargs: Any) -> Any:
    if engine == 'sqlite':
        return AsyncSqliteDatabase(str(tmp_path / 'r.db'), **kwargs)
    return _async_pg(**kwargs)


async def _fresh_counter(db: Any) -> None:
    Counter.bind(db)
    async with db:
        await db.adrop_tables([Counter])
        await db.acreate_tables([Counter])
        await Counter.acreate(id=1, value=0)


def _pool_is_idle(db: Any) -> bool:
    pool = db._pool
    if isinstance(db, AsyncPostgresqlDatabase):
        return pool.out == 0 and pool.pool.get_idle_size() == pool.pool.get_size()
    return pool._count == len(pool._idle)


async def _drop(db: Any) -> None:
    async with db:
        await db.adrop_tables([Counter])
    await db.close_pool()


@pytest.mark.parametrize('engine', ['sqlite', 'postgres'])
def test_cancelled_task_rolls_back_and_returns_its_connection(engine: str,
                                                               tmp_path: Any) -> None:
    db = _make(engine, tmp_path, pool_size=2)

    async def main() -> tuple:
        await _fresh_counter(db)
        written = asyncio.Event()

        async def writer() -> None:
            async with db.atomic():
                await Counter.update(value=99).aexecute()
                written.set()
                await asyncio.Event().wait()         # never set: waits to be cancelled

        task = asyncio.create_task(writer())
        await written.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)                       # the task's done-callback runs
        await asyncio.gather(*db._state._release_tasks)
        value = await db.scalar(Counter.select(Counter.value))
        await db.aclose()
        idle = _pool_is_idle(db)
        await _drop(db)
        return value, idle

    assert asyncio.run(main()) == (0, True)


def test_cancel_during_a_running_statement_rolls_back() -> None:
    db = _async_pg(pool_size=2)
    watcher = _sync_pg()

    async def main() -> tuple:
        await _fresh_counter(db)
        pids: list = []

        async def writer() -> None:
            async with db.atomic():
                await Counter.update(value=7).aexecute()
                pids.append((await db.aexecute_sql('SELECT pg_backend_pid()')).fetchone()[0])
                await db.aexecute_sql('SELECT pg_sleep(30)')

        task = asyncio.create_task(writer())
        for _ in range(500):                          # until the server runs pg_sleep
            await asyncio.sleep(0.01)
            if pids and watcher.execute_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND "
                    "query LIKE 'SELECT pg_sleep%%' AND state = 'active'",
                    (pids[0],)).fetchone()[0]:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        await asyncio.gather(*db._state._release_tasks)
        value = await db.scalar(Counter.select(Counter.value))
        await db.aclose()
        idle = _pool_is_idle(db)
        state = watcher.execute_sql('SELECT state FROM pg_stat_activity WHERE pid = %s',
                                    (pids[0],)).fetchone()
        await _drop(db)
        return value, idle, state

    try:
        value, idle, state = asyncio.run(main())
    finally:
        watcher.close()
    assert (value, idle) == (0, True)
    assert state is None or state[0] == 'idle'        # not left idle in transaction


def test_200_concurrent_read_modify_write_increments() -> None:
    db = _async_pg(pool_size=10)

    async def main() -> tuple:
        await _fresh_counter(db)

        async def locked_increment() -> None:
            async with db:
                async with db.atomic():
                    row = await db.get(Counter.select().where(Counter.id == 1).for_update())
                    row.value += 1
                    await row.asave()

        async def atomic_increment() -> None:
            await Counter.update(value=Counter.value + 1).aexecute()

        await asyncio.gather(*(locked_increment() for _ in range(200)))
        after_locked = await db.scalar(Counter.select(Counter.value))
        await asyncio.gather(*(atomic_increment() for _ in range(200)))
        # atomic_increment() tasks never closed: their connections went back when
        # each task ended
        await asyncio.gather(*db._state._release_tasks)
        total = await db.scalar(Counter.select(Counter.value))
        await db.aclose()
        idle = _pool_is_idle(db) and not db._state._orphaned_conns
        await _drop(db)
        return after_locked, total, idle

    assert asyncio.run(main()) == (200, 400, True)


def test_killed_server_connection_raises_clearly_and_the_next_task_reconnects() -> None:
    db = _async_pg(pool_size=2)
    killer = _sync_pg()

    async def main() -> tuple:
        await _fresh_counter(db)

        async def victim() -> str:
            async with db:
                with pytest.raises(OperationalError) as info:
                    async with db.atomic():
                        await Counter.update(value=5).aexecute()
                        pid = (await db.aexecute_sql('SELECT pg_backend_pid()')).fetchone()[0]
                        killer.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
                        await Counter.update(value=6).aexecute()
                return str(info.value)

        async def victim_outside_a_transaction() -> int:
            async with db:
                pid = (await db.aexecute_sql('SELECT pg_backend_pid()')).fetchone()[0]
                killer.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
                await asyncio.sleep(0.05)
                # the dead connection is noticed and replaced before the statement
                return await db.scalar(Counter.select(Counter.value))  # type: ignore

        message = await asyncio.create_task(victim())
        after = await asyncio.create_task(
            db.scalar(Counter.select(Counter.value)))   # a new task: reconnects
        again = await asyncio.create_task(victim_outside_a_transaction())
        await _drop(db)
        return message, after, again

    try:
        message, after, again = asyncio.run(main())
    finally:
        killer.close()
    assert 'connection' in message.lower()
    assert (after, again) == (0, 0)
