"""playhouse.shortcuts on every engine: model_to_dict / dict_to_model, multi-model unions,
insert_where, ReconnectMixin (a real dropped connection) and ThreadSafeDatabaseMetadata."""
from __future__ import annotations

import threading
import time

import pytest

from conftest import engine_driver, make_database, pg_connect_kwargs
from orm import (CharField, ForeignKeyField, IntegerField, InterfaceError, ManyToManyField,
                 Model, OperationalError, PostgresqlDatabase, SQL, SqliteDatabase, TextField,
                 fn)
from playhouse.shortcuts import (ReconnectMixin, ThreadSafeDatabaseMetadata, dict_to_model,
                                 insert_where, model_to_dict, resolve_multimodel_query,
                                 update_model_from_dict)


class User(Model):
    username = CharField()

    def name_upper(self):
        return self.username.upper()


class Tweet(Model):
    user = ForeignKeyField(User, backref='tweets')
    content = TextField()


class Reply(Model):
    tweet = ForeignKeyField(Tweet, backref='replies')
    body = TextField()


class NodeTag(Model):
    tag = TextField()


class Node(Model):
    name = TextField()
    tag = ForeignKeyField(NodeTag, null=True)
    parent = ForeignKeyField('self', null=True, backref='children')


class Student(Model):
    name = CharField()


class Course(Model):
    title = CharField()
    students = ManyToManyField(Student, backref='courses')


StudentCourse = Course.students.get_through_model()


class Cat(Model):
    name = CharField()
    lives = IntegerField(default=9)


class Dog(Model):
    name = CharField()
    lives = IntegerField(default=1)


MODELS = [User, Tweet, Reply, NodeTag, Node, Student, Course, StudentCourse, Cat, Dog]


@pytest.fixture
def models(db):
    db.bind(MODELS)
    db.create_tables(MODELS)
    yield db


@pytest.fixture
def data(models):
    with models.atomic():
        huey = User.create(username='huey')
        User.create(username='zaizee')
        t1 = Tweet.create(user=huey, content='meow')
        t2 = Tweet.create(user=huey, content='purr')
        Reply.create(tweet=t1, body='nice')
    return huey, t1, t2


# -- model_to_dict -----------------------------------------------------------------------
def test_model_to_dict_flat_and_recursive(data):
    huey, t1, _ = data
    tweet = Tweet.get_by_id(t1.id)      # read back: the related user loads lazily
    assert model_to_dict(User.get(User.username == 'huey')) == {'id': huey.id,
                                                                 'username': 'huey'}
    assert model_to_dict(tweet) == {'id': t1.id, 'content': 'meow',
                                    'user': {'id': huey.id, 'username': 'huey'}}
    assert model_to_dict(tweet, recurse=False) == {'id': t1.id, 'content': 'meow',
                                                   'user': huey.id}


def test_model_to_dict_backrefs(data):
    huey, t1, t2 = data
    user = User.get_by_id(huey.id)
    result = model_to_dict(user, backrefs=True)
    tweets = sorted(result.pop('tweets'), key=lambda t: t['id'])
    assert result == {'id': huey.id, 'username': 'huey'}
    # children do not repeat their parent; their own backrefs are followed
    assert tweets == [
        {'id': t1.id, 'content': 'meow', 'replies': [{'id': 1, 'body': 'nice'}]},
        {'id': t2.id, 'content': 'purr', 'replies': []}]
    zaizee = User.get(User.username == 'zaizee')
    assert model_to_dict(zaizee, backrefs=True) == {'id': zaizee.id, 'username': 'zaizee',
                                                    'tweets': []}


def test_model_to_dict_only_exclude_extra_attrs(data):
    huey, t1, _ = data
    tweet = Tweet.get_by_id(t1.id)
    assert model_to_dict(tweet, only=[Tweet.content]) == {'content': 'meow'}
    assert model_to_dict(tweet, only=[Tweet.content, Tweet.user, User.username]) == {
        'content': 'meow', 'user': {'username': 'huey'}}
    assert model_to_dict(tweet, exclude=[Tweet.id, User.id]) == {
        'content': 'meow', 'user': {'username': 'huey'}}
    user = User.get_by_id(huey.id)
    assert model_to_dict(user, extra_attrs=['name_upper']) == {
        'id': huey.id, 'username': 'huey', 'name_upper': 'HUEY'}
    # backref accessors may be excluded
    assert 'tweets' not in model_to_dict(user, backrefs=True, exclude=[User.tweets])


def test_model_to_dict_max_depth(data):
    huey, t1, _ = data
    reply = Reply.get()
    assert model_to_dict(reply, max_depth=0) == {'id': reply.id, 'body': 'nice',
                                                 'tweet': t1.id}
    assert model_to_dict(reply, max_depth=1) == {
        'id': reply.id, 'body': 'nice',
        'tweet': {'id': t1.id, 'content': 'meow', 'user': huey.id}}
    assert model_to_dict(reply)['tweet']['user'] == {'id': huey.id, 'username': 'huey'}


def test_model_to_dict_fields_from_query(data):
    huey, t1, _ = data
    query = (Tweet.select(Tweet.id, Tweet.content, fn.UPPER(User.username).alias('shout'))
             .join(User).where(Tweet.id == t1.id))
    tweet = query.get()
    assert model_to_dict(tweet, fields_from_query=query) == {
        'id': t1.id, 'content': 'meow', 'shout': 'HUEY'}


def test_model_to_dict_self_referential(models):
    # a foreign key is followed once per path: the cycle guard stops a self-reference
    # after one level, without hiding the other foreign keys of the related row
    tag = NodeTag.create(tag='t')
    root = Node.create(name='root', tag=tag)
    child = Node.create(name='child', tag=tag, parent=root)
    Node.create(name='leaf', tag=tag, parent=child)
    leaf = Node.get(Node.name == 'leaf')
    assert model_to_dict(leaf) == {
        'id': 3, 'name': 'leaf', 'tag': {'id': tag.id, 'tag': 't'},
        'parent': {'id': 2, 'name': 'child', 'tag': {'id': tag.id, 'tag': 't'}}}
    tree = model_to_dict(Node.get_by_id(root.id), backrefs=True, recurse=True,
                         exclude=[Node.tag])
    assert tree == {'id': 1, 'name': 'root', 'parent': None,
                    'children': [{'id': 2, 'name': 'child'}]}


def test_model_to_dict_manytomany(models):
    with models.atomic():
        alice, bob = Student.create(name='alice'), Student.create(name='bob')
        math = Course.create(title='math')
        art = Course.create(title='art')
        math.students.add([alice, bob])
        art.students.add(alice)
    course = Course.get(Course.title == 'math')
    result = model_to_dict(course, manytomany=True)
    result['students'].sort(key=lambda s: s['id'])
    assert result == {'id': math.id, 'title': 'math',
                      'students': [{'id': alice.id, 'name': 'alice'},
                                   {'id': bob.id, 'name': 'bob'}]}
    student = model_to_dict(Student.get_by_id(alice.id), manytomany=True)
    assert sorted(c['title'] for c in student['courses']) == ['art', 'math']
    assert 'students' not in student['courses'][0]
    assert model_to_dict(course) == {'id': math.id, 'title': 'math'}
    # with backrefs too, the through model's rows are not listed again as backrefs
    both = model_to_dict(course, manytomany=True, backrefs=True)
    assert sorted(both) == ['id', 'students', 'title']
    assert sorted(s['id'] for s in both['students']) == [alice.id, bob.id]


# -- dict_to_model / update_model_from_dict ---------------------------------------------
def test_dict_to_model_round_trip(data):
    huey, t1, _ = data
    as_dict = model_to_dict(Tweet.get_by_id(t1.id))
    tweet = dict_to_model(Tweet, as_dict)
    assert isinstance(tweet.user, User)
    assert (tweet.id, tweet.content, tweet.user.username) == (t1.id, 'meow', 'huey')
    # saving the rebuilt instance writes it back
    tweet.content = 'MEOW'
    tweet.save()
    assert Tweet.get_by_id(t1.id).content == 'MEOW'


def test_dict_to_model_backrefs_and_unknown(models):
    user = dict_to_model(User, {'username': 'mickey', 'tweets': [
        {'content': 'woof'}, {'content': 'bark'}]})
    assert [t.content for t in user.tweets] == ['woof', 'bark']
    assert all(t.user is user for t in user.tweets)
    user.save()
    for tweet in user.tweets:
        tweet.user = user
        tweet.save()
    assert [t.content for t in Tweet.select().where(Tweet.user == user).order_by(Tweet.id)] \
        == ['woof', 'bark']
    with pytest.raises(AttributeError, match='unknown'):
        dict_to_model(User, {'username': 'x', 'unknown': 1})
    relaxed = dict_to_model(User, {'username': 'x', 'unknown': 1}, ignore_unknown=True)
    assert relaxed.unknown == 1


def test_update_model_from_dict(data):
    huey, t1, _ = data
    tweet = Tweet.get_by_id(t1.id)
    update_model_from_dict(tweet, {'content': 'changed', 'user': {'username': 'HUEY'}})
    assert tweet.content == 'changed' and tweet.user.username == 'HUEY'
    tweet.save()
    tweet.user.save()
    assert Tweet.get_by_id(t1.id).content == 'changed'
    assert User.get_by_id(huey.id).username == 'HUEY'


# -- resolve_multimodel_query / insert_where --------------------------------------------
def test_resolve_multimodel_query(models):
    Cat.create(name='huey', lives=9)
    Cat.create(name='zaizee', lives=8)
    Dog.create(name='mickey', lives=1)
    query = (Cat.select(Cat.id, Cat.name, Cat.lives) |
             Dog.select(Dog.id, Dog.name, Dog.lives)).order_by(SQL('name'))
    rows = list(resolve_multimodel_query(query))
    assert [(type(r), r.name, r.lives) for r in rows] == [
        (Cat, 'huey', 9), (Dog, 'mickey', 1), (Cat, 'zaizee', 8)]
    assert not rows[0].is_dirty()
    # the instances are real: they can be saved back
    rows[1].lives = 2
    rows[1].save()
    assert Dog.get().lives == 2


def test_insert_where(models):
    huey = User.create(username='huey')
    recent = fn.EXISTS(Tweet.select().where((Tweet.user == huey) & (Tweet.content == 'x')))
    assert insert_where(Tweet, {'user': huey, 'content': 'x'}, ~recent).execute()
    insert_where(Tweet, {Tweet.user: huey, Tweet.content: 'x'}, ~recent).execute()
    assert Tweet.select().count() == 1
    insert_where(Cat, {'name': 'huey'}).execute()     # default filled in, no condition
    assert Cat.get().lives == 9
    with pytest.raises(ValueError, match='no field'):
        insert_where(Cat, {'nope': 1})


# -- ReconnectMixin ----------------------------------------------------------------------
class ReconnectingPg(ReconnectMixin, PostgresqlDatabase):
    pass


class ReconnectingSqlite(ReconnectMixin, SqliteDatabase):
    pass


def _terminate(db):
    """Kill ``db``'s server process from a second connection, as a DBA or a restart
    would."""
    import psycopg2
    pid = db.execute_sql('SELECT pg_backend_pid()').fetchone()[0]
    admin = psycopg2.connect(**pg_connect_kwargs())
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute('SELECT pg_terminate_backend(%s)', (pid,))
    finally:
        admin.close()
    for _ in range(50):           # wait until the server has really dropped it
        time.sleep(0.02)
        try:
            conn = psycopg2.connect(**pg_connect_kwargs())
        except psycopg2.Error:
            continue
        with conn.cursor() as cur:
            cur.execute('SELECT count(*) FROM pg_stat_activity WHERE pid = %s', (pid,))
            gone = cur.fetchone()[0] == 0
        conn.close()
        if gone:
            return pid
    return pid


@pytest.mark.engines('postgres')
def test_reconnect_postgres(engine, tmp_path):
    db = make_database(engine, tmp_path)
    driver = engine_driver(db)
    params = dict(db.connect_params, prefer_psycopg3=(driver == 'psycopg3'))
    rdb = ReconnectingPg(db.database, **params)
    plain = PostgresqlDatabase(db.database, **params)
    try:
        assert type(rdb.connection()).__module__.split('.')[0] == (
            'psycopg' if driver == 'psycopg3' else 'psycopg2')
        rdb.execute_sql('CREATE TABLE rc (x INT)')
        rdb.execute_sql('INSERT INTO rc VALUES (1)')
        old_pid = _terminate(rdb)
        # the next statement reconnects and runs
        assert rdb.execute_sql('SELECT count(*) FROM rc').fetchone()[0] == 1
        assert rdb.execute_sql('SELECT pg_backend_pid()').fetchone()[0] != old_pid
        # a statement that changes data is also retried once, exactly once
        _terminate(rdb)
        rdb.execute_sql('INSERT INTO rc VALUES (2)')
        assert rdb.execute_sql('SELECT count(*) FROM rc').fetchone()[0] == 2
        # without the mixin the error surfaces
        plain.connect()
        _terminate(plain)
        with pytest.raises((OperationalError, InterfaceError)):
            plain.execute_sql('SELECT 1')
    finally:
        plain.close() if not plain.is_closed() else None
        rdb.execute_sql('DROP TABLE IF EXISTS rc')
        rdb.close()


@pytest.mark.engines('postgres')
def test_reconnect_not_inside_transaction(engine, tmp_path):
    db = make_database(engine, tmp_path)
    driver = engine_driver(db)
    params = dict(db.connect_params, prefer_psycopg3=(driver == 'psycopg3'))
    rdb = ReconnectingPg(db.database, **params)
    try:
        rdb.execute_sql('CREATE TABLE rc2 (x INT)')
        with pytest.raises((OperationalError, InterfaceError)):
            with rdb.atomic():
                rdb.execute_sql('INSERT INTO rc2 VALUES (1)')
                _terminate(rdb)
                rdb.execute_sql('INSERT INTO rc2 VALUES (2)')
        # the transaction is lost as a whole; outside it the database reconnects
        assert rdb.execute_sql('SELECT count(*) FROM rc2').fetchone()[0] == 0
        # a transaction begun by hand is protected too
        rdb.begin()
        rdb.execute_sql('INSERT INTO rc2 VALUES (3)')
        _terminate(rdb)
        with pytest.raises((OperationalError, InterfaceError)):
            rdb.execute_sql('INSERT INTO rc2 VALUES (4)')
        assert rdb.execute_sql('SELECT count(*) FROM rc2').fetchone()[0] == 0
    finally:
        rdb.execute_sql('DROP TABLE IF EXISTS rc2')
        rdb.close()


@pytest.mark.engines('sqlite')
def test_reconnect_sqlite_closed_driver_connection(engine, tmp_path):
    if engine == 'sqlite-memory':
        pytest.skip('a new connection to :memory: is a new, empty database')
    base = make_database(engine, tmp_path)       # sqlite3 or apsw, on a file
    reconnecting = type('Reconnecting', (ReconnectMixin, type(base)), {})
    rdb = reconnecting(base.database, **base.connect_params)
    rdb.execute_sql('CREATE TABLE rc (x INT)')
    rdb.execute_sql('INSERT INTO rc VALUES (1)')
    rdb.connection().close()          # the driver connection goes away underneath
    assert rdb.execute_sql('SELECT count(*) FROM rc').fetchone()[0] == 1
    plain = make_database(engine, tmp_path)
    plain.connection().close()
    with pytest.raises(Exception, match='closed'):
        plain.execute_sql('SELECT 1')
    # errors that are not about the connection are not retried
    with pytest.raises(OperationalError, match='no such table'):
        rdb.execute_sql('SELECT * FROM missing')
    rdb.close()


# -- ThreadSafeDatabaseMetadata ------------------------------------------------------------
def test_thread_safe_metadata_per_thread_binding(tmp_path):
    primary = SqliteDatabase(str(tmp_path / 'primary.db'))
    replica = SqliteDatabase(str(tmp_path / 'replica.db'))

    class Base(Model):
        class Meta:
            database = primary
            model_metadata_class = ThreadSafeDatabaseMetadata

    class Item(Base):
        name = CharField()

    assert isinstance(Item._meta, ThreadSafeDatabaseMetadata)
    assert Item._meta.database is primary
    for database, name in ((primary, 'from-primary'), (replica, 'from-replica')):
        with Item.bind_ctx(database):
            Item.create_table()
            Item.create(name=name)
    assert Item._meta.database is primary

    seen = {}
    barrier = threading.Barrier(2)

    def worker(database, key):
        Item.bind(database)           # only this thread's binding changes
        barrier.wait()
        seen[key] = [i.name for i in Item.select()]
        barrier.wait()
        seen[key + '-db'] = Item._meta.database

    threads = [threading.Thread(target=worker, args=(primary, 'a')),
               threading.Thread(target=worker, args=(replica, 'b'))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen['a'] == ['from-primary'] and seen['a-db'] is primary
    assert seen['b'] == ['from-replica'] and seen['b-db'] is replica
    # the main thread still sees the default
    assert Item._meta.database is primary
    assert [i.name for i in Item.select()] == ['from-primary']
    primary.close()
    replica.close()
