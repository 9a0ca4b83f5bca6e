"""playhouse.pwasyncio: async databases on SQLite (aiosqlite) and PostgreSQL (asyncpg).

Every test runs on both engines (real files, a real server) through ``adb``, a factory of
async databases, and drives its coroutine with ``asyncio.run()``.
"""
from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Callable

import pytest

pytest.importorskip('greenlet')
pytest.importorskip('aiosqlite')

from orm import (CharField, ForeignKeyField, IntegerField, IntegrityError,  # noqa: E402
                 InterfaceError, Model, OperationalError, SqliteDatabase, TextField, fn)
from playhouse.pwasyncio import (AsyncModel, AsyncPostgresqlDatabase,  # noqa: E402
                                 AsyncSqliteDatabase, MissingGreenletBridge, await_,
                                 greenlet_spawn)

from conftest import pg_connect_kwargs, require_postgres  # noqa: E402


class Author(AsyncModel):
    name = CharField(unique=True)
    score = IntegerField(default=0)


class Book(AsyncModel):
    author = ForeignKeyField(Author, backref='books')
    title = TextField()
    editor = ForeignKeyField(Author, null=True, backref='edited')


MODELS = [Author, Book]


def _make(engine: str, tmp_path: Any, **kwargs: Any) -> Any:
    if engine == 'sqlite':
        return AsyncSqliteDatabase(str(tmp_path / 'async.db'),
                                   pragmas={'foreign_keys': 1}, **kwargs)
    require_postgres()
    pytest.importorskip('asyncpg')
    params = pg_connect_kwargs()
    return AsyncPostgresqlDatabase(params.pop('database'), **params, **kwargs)


@pytest.fixture(params=['sqlite', 'postgres'])
def adb(request: Any, tmp_path: Any) -> Any:
    """``adb(coroutine_function)`` runs ``await coroutine_function(db)`` on a new async
    database whose tables (Author, Book) are freshly made; it returns the result."""
    def run(body: Callable[[Any], Any], **kwargs: Any) -> Any:
        db = _make(request.param, tmp_path, **kwargs)

        async def main() -> Any:
            db.bind(MODELS)
            async with db:
                await db.adrop_tables(MODELS)
                await db.acreate_tables(MODELS)
            try:
                return await body(db)
            finally:
                await db.aclose()
                async with db:
                    await db.adrop_tables(MODELS)
                await db.close_pool()
        return asyncio.run(main())
    run.engine = request.param  # type: ignore[attr-defined]
    return run


# -- the bridge ---------------------------------------------------------------------------

def test_greenlet_spawn_awaits_inside_sync_code() -> None:
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    def sync_code() -> int:
        return await_(double(3)) + await_(double(4))

    assert asyncio.run(greenlet_spawn(sync_code)) == 14


def test_greenlet_spawn_sees_context_variables_and_raises_through() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar('var', default='unset')

    async def fail() -> None:
        raise KeyError('inner')

    async def main() -> tuple:
        var.set('set')
        seen = await greenlet_spawn(var.get)
        with pytest.raises(KeyError):
            await greenlet_spawn(lambda: await_(fail()))
        return seen,

    assert asyncio.run(main()) == ('set',)


def test_await_outside_the_bridge_names_the_ways_in() -> None:
    async def nothing() -> None:
        pass

    coroutine = nothing()
    with pytest.raises(MissingGreenletBridge) as info:
        await_(coroutine)
    assert 'db.run' in str(info.value) and 'afetch' in str(info.value)
    assert coroutine.cr_frame is None          # closed: no "never awaited" warning


# -- queries ------------------------------------------------------------------------------

def test_model_methods_and_helpers(adb: Any) -> None:
    async def body(db: Any) -> None:
        huey = await Author.acreate(name='huey', score=3)
        await Author.acreate(name='mickey', score=5)
        assert (await Author.aget(Author.name == 'huey')).id == huey.id
        assert (await Author.aget_by_id(huey.id)).name == 'huey'
        assert await Author.aget_or_none(Author.name == 'nobody') is None
        with pytest.raises(Author.DoesNotExist):
            await Author.aget(name='nobody')
        obj, created = await Author.aget_or_create(name='huey')
        assert (obj.id, created) == (huey.id, False)

        huey.score = 10
        assert await huey.asave() == 1
        await Author.aset_by_id(huey.id, {'score': 11})
        assert await db.scalar(Author.select(fn.SUM(Author.score))) == 16
        assert await db.count(Author.select()) == 2
        assert await db.exists(Author.select().where(Author.score > 10))
        names = [a.name for a in await db.list(Author.select().order_by(Author.name))]
        assert names == ['huey', 'mickey']
        assert (await db.first(Author.select().order_by(Author.score))).name == 'mickey'
        got = await db.get(Author.select().where(Author.name == 'mickey'))
        assert got.score == 5

        # query.aexecute(): the result set is cached like execute()'s, writes run again
        query = Author.select().order_by(Author.name)
        rows = await query.aexecute()
        assert rows is await query.aexecute()
        assert [a.name for a in rows] == ['huey', 'mickey']
        bump = Author.update(score=Author.score + 1)
        assert await bump.aexecute() == 2
        assert await bump.aexecute() == 2
        pk = await Author.insert(name='zaizee').aexecute()
        assert (await Author.aget_by_id(pk)).name == 'zaizee'

        await Author.abulk_create([Author(name='b%d' % i) for i in range(3)], 2)
        assert await db.count(Author.select()) == 6
        assert await Author.adelete_by_id(pk) == 1
        assert await got.adelete_instance() == 1
        cursor = await db.aexecute_sql('SELECT COUNT(*) FROM author')
        assert cursor.fetchone()[0] == 4

    adb(body)


def test_afetch_and_lazy_foreign_keys(adb: Any) -> None:
    async def body(db: Any) -> None:
        author = await Author.acreate(name='huey')
        book_id = (await Book.acreate(author=author, title='t')).id
        book = await Book.aget_by_id(book_id)
        with pytest.raises(MissingGreenletBridge) as info:
            book.author                       # a query, outside the bridge
        assert str(info.value).startswith('Query outside the async bridge: SELECT')
        fetched = await book.afetch(Book.author)
        assert fetched.name == 'huey'
        assert book.author is fetched         # kept: plain access is free now
        assert await book.afetch('editor') is None
        with pytest.raises(ValueError):
            await book.afetch(Book.title)
        # the same via the bridge and a back-reference
        fresh = await Book.aget_by_id(book_id)
        assert await db.run(lambda: fresh.author.name) == 'huey'
        assert [b.title for b in await author.books.aexecute()] == ['t']

    adb(body)


def test_iterate_streams_and_releases_the_connection(adb: Any) -> None:
    async def body(db: Any) -> None:
        await db.run(lambda: Author.insert_many(
            [{'name': 'a%02d' % i, 'score': i} for i in range(25)]).execute())
        query = Author.select().order_by(Author.score)
        scores = [a.score async for a in db.iterate(query, buffer_size=4)]
        assert scores == list(range(25))
        async for _ in db.iterate(query):
            break
        # the abandoned stream ends and the connection serves the next statement
        assert await db.count(query) == 25
        names = [row['name'] async for row in db.iterate(query.dicts().limit(2))]
        assert names == ['a00', 'a01']

    adb(body)


# -- transactions -------------------------------------------------------------------------

def test_atomic_nests_as_savepoints(adb: Any) -> None:
    async def body(db: Any) -> list:
        async with db.atomic():
            await Author.acreate(name='outer')
            try:
                async with db.atomic():
                    await Author.acreate(name='inner')
                    raise ValueError('undo the savepoint only')
            except ValueError:
                pass
            async with db.atomic() as sp:
                await Author.acreate(name='rolled-back')
                await sp.arollback()
        with pytest.raises(ValueError):
            async with db.atomic():
                await Author.acreate(name='gone')
                raise ValueError('undo everything')

        def sync_transaction() -> None:
            with db.atomic():
                Author.create(name='sync')
        await db.run(sync_transaction)
        return [a.name for a in await db.list(Author.select().order_by(Author.name))]

    assert adb(body) == ['outer', 'sync']


def test_integrity_error_keeps_connection_usable(adb: Any) -> None:
    async def body(db: Any) -> int:
        await Author.acreate(name='x')
        with pytest.raises(IntegrityError):
            await Author.acreate(name='x')
        await Author.acreate(name='y')
        return await db.count(Author.select())

    assert adb(body) == 2


# -- connections per task -----------------------------------------------------------------

def test_each_task_has_its_own_connection_and_transaction(adb: Any) -> None:
    async def body(db: Any) -> tuple:
        seen: list = []

        async def child(name: str) -> None:
            seen.append(id(db._state._current()))
            await Author.acreate(name=name)

        class Abort(Exception):
            pass

        try:
            async with db.atomic():
                parent = id(db._state._current())
                # (children first: on SQLite they would wait for the parent's write lock)
                await asyncio.gather(child('c1'), child('c2'))
                await Author.acreate(name='parent')
                raise Abort()
        except Abort:
            pass
        names = sorted(a.name for a in await db.list(Author.select()))
        return parent in seen, len(set(seen)), names

    # the children ran outside the parent's transaction: their rows stay
    assert adb(body) == (False, 2, ['c1', 'c2'])


def test_task_ending_in_a_transaction_is_rolled_back(adb: Any) -> None:
    async def body(db: Any) -> list:
        async def abandon() -> None:
            await db.atomic().__aenter__()
            await Author.acreate(name='dirty')
            # the task ends: no commit, no rollback, no aclose()

        await asyncio.create_task(abandon())
        for _ in range(100):
            if not db._state._release_tasks:
                break
            await asyncio.sleep(0.01)
        await Author.acreate(name='clean')
        return [a.name for a in await db.list(Author.select())]

    assert adb(body) == ['clean']


def test_connection_context_and_close_rules(adb: Any) -> None:
    async def body(db: Any) -> None:
        await db.aclose()
        assert db.is_closed()
        async with db:
            assert not db.is_closed()
            async with db:
                pass
            assert not db.is_closed()        # the inner block did not open it
        assert db.is_closed()
        async with db.atomic():
            with pytest.raises(OperationalError):
                await db.aclose()
        await db.aclose()

    adb(body)


def test_a_small_pool_queues_tasks(adb: Any) -> None:
    async def body(db: Any) -> int:
        async def worker(i: int) -> None:
            async with db:
                await Author.acreate(name='w%d' % i)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(worker(i) for i in range(12)))
        return await db.count(Author.select())

    assert adb(body, pool_size=2) == 12


def test_async_methods_need_an_async_database() -> None:
    class Plain(AsyncModel):
        name = CharField()

        class Meta:
            database = SqliteDatabase(':memory:')

    class Unbound(AsyncModel):
        name = CharField()

    with pytest.raises(InterfaceError, match='Async database'):
        asyncio.run(Plain.acreate(name='x'))
    with pytest.raises(InterfaceError, match='not bound'):
        asyncio.run(Unbound.acreate(name='x'))
    with pytest.raises(InterfaceError, match='aexecute'):
        asyncio.run(Model.select().aexecute())
    with pytest.raises(AttributeError, match='SqliteDatabase'):
        asyncio.run(Plain.select().aexecute())


def test_db_model_base_and_sqlite_functions(tmp_path: Any) -> None:
    db = AsyncSqliteDatabase(str(tmp_path / 'f.db'))

    @db.func()
    def shout(text: str) -> str:
        return text.upper() + '!'

    class Note(db.Model):           # type: ignore[name-defined,misc]
        body = TextField()

    async def main() -> tuple:
        async with db:
            await db.acreate_tables([Note])
            await Note.acreate(body='hi')
            row = (await db.aexecute_sql('SELECT shout(body) FROM note')).fetchone()
        await db.close_pool()
        return issubclass(Note, AsyncModel), row[0]

    assert asyncio.run(main()) == (True, 'HI!')
