"""playhouse.test_utils: count_queries and assert_query_count, on every engine."""
from __future__ import annotations

import logging
import threading

import pytest

from orm import CharField, ForeignKeyField, Model, prefetch
from playhouse.test_utils import assert_query_count, count_queries


def make_models(db):
    class Base(Model):
        class Meta:
            database = db

    class User(Base):
        username = CharField()

    class Tweet(Base):
        user = ForeignKeyField(User, backref='tweets')
        content = CharField()

    db.create_tables([User, Tweet])
    for name in ('huey', 'mickey'):
        user = User.create(username=name)
        for i in range(3):
            Tweet.create(user=user, content='%s %d' % (name, i))
    return User, Tweet


def test_count_is_live_inside_the_block(db):
    User, _ = make_models(db)
    with count_queries() as counter:
        assert counter.count == 0
        User.get(User.username == 'huey')
        assert counter.count == 1
        list(User.select())
        assert counter.count == 2
    assert counter.count == 2
    with count_queries():
        list(User.select())
    assert counter.count == 2          # a finished counter stays as it was


def test_count_queries(db):
    User, Tweet = make_models(db)
    with count_queries() as counter:
        users = list(User.select().order_by(User.username))
        for user in users:
            list(user.tweets)
    assert counter.count == 3
    queries = counter.get_queries()
    assert len(queries) == 3 and all(isinstance(sql, str) for sql, _ in queries)
    assert users[0].id in list(queries[1][1])     # (sql, params) tuples
    with count_queries() as counter:
        users = prefetch(User.select(), Tweet.select())
        assert sum(len(u.tweets) for u in users) == 6
    assert counter.count == 2


def test_only_select(db):
    User, Tweet = make_models(db)
    with count_queries(only_select=True) as counter:
        User.create(username='zaizee')
        assert User.select().count() == 3
        User.update(username='z').where(User.username == 'zaizee').execute()
    assert counter.count == 1
    with count_queries() as counter:
        User.create(username='beanie')
    assert counter.count >= 1 and 'INSERT' in counter.get_queries()[0][0].upper()


def test_nothing_outside_the_block(db):
    User, _ = make_models(db)
    with count_queries() as counter:
        pass
    list(User.select())
    assert counter.count == 0 and counter.get_queries() == []


def test_assert_query_count_context_manager(db):
    User, Tweet = make_models(db)
    with assert_query_count(1):
        list(User.select())
    with pytest.raises(AssertionError, match='2 queries executed, 1 expected') as info:
        with assert_query_count(1):
            list(User.select())
            list(Tweet.select())
    assert 'SELECT' in str(info.value)
    with assert_query_count(0):
        pass
    # an exception raised inside the block is not masked by the count check
    with pytest.raises(KeyError):
        with assert_query_count(5):
            raise KeyError('x')


def test_assert_query_count_decorator(db):
    User, Tweet = make_models(db)

    @assert_query_count(2)
    def two_queries(name):
        user = User.get(User.username == name)
        return [t.content for t in user.tweets]

    assert two_queries('huey') == ['huey 0', 'huey 1', 'huey 2']
    assert two_queries('mickey')[0] == 'mickey 0'    # the decorator can be reused

    @assert_query_count(1, only_select=True)
    def one_select():
        User.create(username='new')
        return User.select().count()

    assert one_select() == 3

    @assert_query_count(0)
    def wrong():
        list(User.select())

    with pytest.raises(AssertionError, match='1 query executed, 0 expected'):
        wrong()
    assert wrong.__name__ == 'wrong'


def test_logger_level_restored(db):
    logger = logging.getLogger('orm')
    before = logger.level
    with count_queries():
        assert logger.isEnabledFor(logging.DEBUG)
    assert logger.level == before


def test_current_thread_only(db, make_db):
    User, _ = make_models(db)
    other_db = make_db()
    barrier = threading.Barrier(2)

    def other_thread():
        barrier.wait()
        other_db.execute_sql('SELECT 1')
        barrier.wait()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with count_queries(current_thread=True) as mine, count_queries() as everyone:
        barrier.wait()
        barrier.wait()
        list(User.select())
    thread.join()
    other_db.close()
    assert mine.count == 1 and everyone.count == 2


def test_queries_also_read_like_peewees_log_records(db):
    User, _ = make_models(db)
    with count_queries(only_select=True) as counter:
        User.get(User.username == 'mickey')
        User.update(username='MICKEY').where(User.username == 'mickey').execute()
    [query] = counter.get_queries()
    sql, params = query                                  # an (sql, params) tuple ...
    assert query.msg == (sql, params)                    # ... with peewee's record.msg
    assert query.sql == sql and query.params == params and 'mickey' in list(params)
    assert query.msg[0].startswith('SELECT ') and query.levelname == 'DEBUG'
    assert query.name == 'orm' and query.thread == threading.get_ident()
    assert query.getMessage() == str((sql, params))
    with pytest.raises(AttributeError):
        query.no_such_attribute
