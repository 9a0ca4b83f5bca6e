"""AsyncCockroachDatabase.run_transaction(): async callbacks retried on serialization
conflicts, tested on PostgreSQL at SERIALIZABLE, where real 40001 errors happen."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip('greenlet')
pytest.importorskip('asyncpg')

from orm import IntegerField  # noqa: E402
from playhouse.cockroachdb import ExceededMaxAttempts, NestedTransactionError  # noqa: E402
from playhouse.pwasyncio import AsyncCockroachDatabase, AsyncModel  # noqa: E402

from conftest import pg_connect_kwargs, require_postgres  # noqa: E402


class Tally(AsyncModel):
    value = IntegerField(default=0)


def _db(**kwargs: Any) -> AsyncCockroachDatabase:
    require_postgres()
    params = pg_connect_kwargs()
    params.setdefault('port', 5432)
    params.setdefault('user', 'postgres')
    return AsyncCockroachDatabase(params.pop('database'), retry_base_delay=0.001,
                                  retry_max_delay=0.01, **params, **kwargs)


async def _setup(db: Any) -> None:
    Tally.bind(db)
    async with db:
        await db.adrop_tables([Tally])
        await db.acreate_tables([Tally])
        await Tally.acreate(id=1, value=0)


async def _teardown(db: Any) -> None:
    async with db:
        await db.adrop_tables([Tally])
    await db.close_pool()


def _contended(db: Any, tasks: int, max_attempts: int) -> tuple:
    """``tasks`` tasks each add 1 in a SERIALIZABLE run_transaction(); on their first
    attempt all of them read before any writes (a barrier), so all but one conflict."""
    async def main() -> tuple:
        await _setup(db)
        barrier = asyncio.Barrier(tasks)
        attempts: list = []

        async def add_one(txdb: Any) -> int:
            row = await Tally.aget_by_id(1)
            attempts.append(1)
            if len(attempts) <= tasks:            # the first attempts: all read first
                await barrier.wait()
            row.value += 1
            await row.asave()
            return row.value

        async def client() -> Any:
            async with db:
                try:
                    await db.run_transaction(add_one, max_attempts=max_attempts,
                                             isolation_level='SERIALIZABLE')
                except ExceededMaxAttempts as exc:
                    return exc
                return db.last_transaction_attempts

        results = await asyncio.gather(*(client() for _ in range(tasks)))
        total = await db.scalar(Tally.select(Tally.value))
        await _teardown(db)
        return results, total, len(attempts)

    return asyncio.run(main())


def test_conflicting_transactions_are_retried_and_nothing_is_lost() -> None:
    results, total, attempts = _contended(_db(pool_size=8), tasks=6, max_attempts=20)
    assert total == 6
    assert all(isinstance(n, int) for n in results)
    assert attempts > 6            # conflicts happened, and were run again
    assert max(results) >= 2


def test_exceeded_max_attempts_when_every_attempt_conflicts() -> None:
    results, total, _ = _contended(_db(pool_size=4), tasks=3, max_attempts=1)
    errors = [r for r in results if isinstance(r, ExceededMaxAttempts)]
    assert len(errors) == 2 and total == 1       # one commits, two give up
    assert errors[0].attempts == 1
    assert errors[0].last_error.pgcode == '40001'


def test_run_transaction_refuses_to_nest() -> None:
    db = _db()

    async def main() -> None:
        await _setup(db)
        async with db.atomic():
            with pytest.raises(NestedTransactionError):
                await db.run_transaction(lambda d: asyncio.sleep(0))
        await _teardown(db)

    asyncio.run(main())
