"""Model classes: Meta options, inheritance, and the class and instance API."""
from __future__ import annotations

import inspect
import os

import pytest

import orm
from conftest import MYSQL_DB, engine_name
from orm import (DQ, SQL, AutoField, BooleanField, CharField, Check, CompositeKey,
                 DateTimeField, DoesNotExist, ForeignKeyField, IntegerField, Model, ModelBase,
                 TextField, fn)


class User(Model):
    username = CharField(unique=True)
    age = IntegerField(default=0)
    count = IntegerField(default=0)
    active = BooleanField(default=True)


class Tweet(Model):
    user = ForeignKeyField(User, backref='tweets')
    content = TextField()
    likes = IntegerField(default=0)


class Comment(Model):
    tweet = ForeignKeyField(Tweet, null=True, backref='comments')
    text = TextField()


ALL = (User, Tweet, Comment)


@pytest.fixture
def blog(setup):
    db = setup(*ALL)
    alice = User.create(username='alice', age=30)
    bob = User.create(username='bob', age=20)
    carol = User.create(username='Carol', age=40)
    t1 = Tweet.create(user=alice, content='hello', likes=3)
    t2 = Tweet.create(user=alice, content='world', likes=0)
    t3 = Tweet.create(user=bob, content='bob here', likes=7)
    Comment.create(tweet=t1, text='c1')
    Comment.create(tweet=t1, text='c2')
    Comment.create(tweet=t3, text='c3')
    return db, (alice, bob, carol), (t1, t2, t3)


def names(query):
    return sorted(u.username for u in query)


# =========================================================================================
# Meta options
# =========================================================================================

def test_meta_database(db):
    class Thing(Model):
        name = TextField()

        class Meta:
            database = db

    assert Thing._meta.database is db
    Thing.create_table()
    Thing.create(name='x')
    assert [t.name for t in Thing.select()] == ['x']
    assert Thing.table_exists()


def test_model_without_database_says_how_to_fix():
    class Lonely(Model):
        name = TextField()

    with pytest.raises((orm.InterfaceError, orm.ImproperlyConfigured), match='bind'):
        Lonely.create(name='x')


def test_meta_table_names(setup, db):
    class UserProfile(Model):
        name = TextField()

    class SnakeProfile(Model):
        name = TextField()

        class Meta:
            legacy_table_names = False

    class HTTPRequestLog(Model):
        class Meta:
            legacy_table_names = False

    class Named(Model):
        class Meta:
            table_name = 'custom_name'

    def prefixed(model_class):
        return 'tbl_' + model_class.__name__.lower()

    class WithFunction(Model):
        class Meta:
            table_function = prefixed

    assert UserProfile._meta.table_name == 'userprofile'
    assert SnakeProfile._meta.table_name == 'snake_profile'
    assert HTTPRequestLog._meta.table_name == 'http_request_log'
    assert Named._meta.table_name == 'custom_name'
    assert WithFunction._meta.table_name == 'tbl_withfunction'
    setup(UserProfile, SnakeProfile, Named, WithFunction)
    assert {'userprofile', 'snake_profile', 'custom_name', 'tbl_withfunction'} <= \
        set(db.get_tables())
    Named.create()
    assert Named.select().count() == 1


def test_meta_table_function_is_inherited():
    def upper(model_class):
        return model_class.__name__.upper()

    class Base(Model):
        class Meta:
            table_function = upper

    class Child(Base):
        pass

    assert Child._meta.table_name == 'CHILD'


def test_meta_schema(db, tmp_path):
    # a schema is a database on SQLite (attached) and on MySQL, where the server is
    # shared: MySQL's is named after this session's test database
    other = MYSQL_DB + '_other' if engine_name(db) == 'mysql' else 'other'
    if engine_name(db) == 'sqlite':
        db.attach(str(tmp_path / 'other.db'), 'other')
    else:
        db.execute_sql('DROP SCHEMA IF EXISTS %s' % db.quote_identifier(other))
        db.execute_sql('CREATE SCHEMA %s' % db.quote_identifier(other))
    try:
        class InSchema(Model):
            name = TextField(index=True)

            class Meta:
                database = db
                schema = other

        class Ref(Model):
            target = ForeignKeyField(InSchema)

            class Meta:
                database = db
                schema = other

        db.create_tables([InSchema, Ref])
        assert db.get_tables(schema=other) == ['inschema', 'ref']
        assert 'inschema' not in db.get_tables()
        assert InSchema.table_exists()
        obj = InSchema.create(name='x')
        Ref.create(target=obj)
        assert InSchema.get(InSchema.name == 'x').id == obj.id
        assert Ref.select().join(InSchema).where(InSchema.name == 'x').count() == 1
        assert [f.dest_table for f in db.get_foreign_keys('ref', schema=other)] == \
            ['inschema']
        assert [i.columns for i in db.get_indexes('inschema', schema=other)
                if not i.unique] == [['name']]
        InSchema._schema.drop_indexes()
        assert [i for i in db.get_indexes('inschema', schema=other) if not i.unique] == []
        Ref.truncate_table()
        assert Ref.select().count() == 0
        db.drop_tables([InSchema, Ref])
        assert db.get_tables(schema=other) == []
    finally:
        if engine_name(db) != 'sqlite':
            cascade = '' if engine_name(db) == 'mysql' else ' CASCADE'
            db.execute_sql('DROP SCHEMA IF EXISTS %s%s' % (db.quote_identifier(other), cascade))


def test_meta_indexes(setup, db):
    class Pair(Model):
        a = IntegerField()
        b = IntegerField()
        c = IntegerField(default=0)

        class Meta:
            indexes = (
                (('a', 'b'), True),
                (('c',), False),
            )

    setup(Pair)
    by_cols = {tuple(i.columns): i.unique for i in db.get_indexes('pair')}
    assert by_cols[('a', 'b')] is True
    assert by_cols[('c',)] is False
    Pair.create(a=1, b=1)
    Pair.create(a=1, b=2)
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Pair.create(a=1, b=1)


def test_meta_constraints(setup, db):
    class Span(Model):
        lo = IntegerField()
        hi = IntegerField()

        class Meta:
            constraints = [SQL('UNIQUE (lo, hi)'), Check('lo < hi')]

    setup(Span)
    Span.create(lo=1, hi=2)
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Span.create(lo=1, hi=2)
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Span.create(lo=5, hi=2)
    assert Span.select().count() == 1


class Membership(Model):
    group = CharField()
    member = IntegerField()
    role = TextField(default='user')

    class Meta:
        primary_key = CompositeKey('group', 'member')


def test_composite_key(setup, db):
    setup(Membership)
    meta = Membership._meta
    assert meta.composite_key and 'id' not in meta.fields
    assert [f.name for f in meta.get_primary_keys()] == ['group', 'member']
    assert sorted(db.get_primary_keys('membership')) == ['group', 'member']

    m = Membership.create(group='a', member=1)
    Membership.create(group='a', member=2, role='admin')
    Membership.create(group='b', member=1)
    assert m._pk == ('a', 1) and m.get_id() == ('a', 1)
    assert Membership.get_by_id(('a', 2)).role == 'admin'
    assert Membership[('b', 1)].group == 'b'
    assert ('b', 1) in Membership and ('b', 9) not in Membership
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Membership.create(group='a', member=1)

    # save() of a loaded row updates it
    got = Membership.get_by_id(('a', 1))
    got.role = 'owner'
    assert got.save() == 1
    assert Membership.get_by_id(('a', 1)).role == 'owner'
    assert Membership.select().count() == 3
    # equality by the whole key
    assert got == Membership.get_by_id(('a', 1))
    assert got != Membership.get_by_id(('a', 2))
    assert got.delete_instance() == 1
    assert Membership.select().count() == 2
    assert Membership.get_or_none(Membership.member == 1).group == 'b'


def test_no_primary_key(setup, db):
    class Log(Model):
        message = TextField()
        level = IntegerField(default=0)

        class Meta:
            primary_key = False

    setup(Log)
    assert Log._meta.primary_key is False
    assert [c.name for c in db.get_columns('log')] == ['message', 'level']
    assert db.get_primary_keys('log') == []
    entry = Log(message='one')
    entry.save()
    Log.create(message='two', level=2)
    Log.insert_many([{'message': 'three'}]).execute()
    assert sorted(l.message for l in Log.select()) == ['one', 'three', 'two']
    assert Log.get(Log.level == 2).message == 'two'
    with pytest.raises(ValueError, match='primary key'):
        entry.delete_instance()
    with pytest.raises(ValueError, match='primary key'):
        Log.get_by_id(1)
    assert repr(entry) == '<Log: n/a>'
    assert Log.delete().where(Log.level == 0).execute() == 2


def test_only_save_dirty(setup):
    class Doc(Model):
        title = TextField()
        body = TextField(default='')

        class Meta:
            only_save_dirty = True

    setup(Doc)
    d = Doc.create(title='t', body='b')
    stale = Doc.get_by_id(d.id)
    Doc.update(body='changed elsewhere').where(Doc.id == d.id).execute()
    stale.title = 'new title'
    assert stale.dirty_fields == [Doc.title]
    stale.save()
    got = Doc.get_by_id(d.id)
    assert (got.title, got.body) == ('new title', 'changed elsewhere')
    # nothing dirty: nothing to do
    assert got.save() is False


def test_depends_on_orders_creation(db):
    class Target(Model):
        class Meta:
            database = db

    class Source(Model):
        target_ref = IntegerField()

        class Meta:
            database = db
            depends_on = [Target]
            # a reference the model layer does not know about: only depends_on orders it
            constraints = [SQL('FOREIGN KEY (target_ref) REFERENCES target (id)')]

    # without depends_on the names would put Source first
    assert orm.sort_models([Source, Target]) == [Target, Source]
    db.create_tables([Source, Target])
    assert {'source', 'target'} <= set(db.get_tables())
    assert [fk.dest_table for fk in db.get_foreign_keys('source')] == ['target']
    db.drop_tables([Source, Target])    # dependants first
    assert db.get_tables() == []


def test_depends_on_and_without_rowid_are_not_inherited():
    class Target(Model):
        pass

    class Base(Model):
        key = CharField(primary_key=True)

        class Meta:
            depends_on = [Target]
            without_rowid = True
            only_save_dirty = True
            legacy_table_names = False

    class ChildModel(Base):
        pass

    assert not ChildModel._meta.depends_on
    assert not ChildModel._meta.without_rowid
    assert ChildModel._meta.only_save_dirty
    assert ChildModel._meta.table_name == 'child_model'


@pytest.mark.engines('postgres')
def test_meta_options_postgres(db):
    class Tuned(Model):
        name = TextField()

        class Meta:
            database = db
            options = {'fillfactor': 70}

    Tuned.create_table()
    (reloptions,) = db.execute_sql(
        "SELECT reloptions FROM pg_class WHERE relname = 'tuned'").fetchone()
    assert reloptions == ['fillfactor=70']
    Tuned.create(name='x')
    assert Tuned.select().count() == 1


def test_meta_temporary(db):
    class Scratch(Model):
        value = IntegerField()

        class Meta:
            database = db
            temporary = True

    Scratch.create_table()
    Scratch.insert_many([(1,), (2,)], fields=[Scratch.value]).execute()
    assert Scratch.select(fn.SUM(Scratch.value)).scalar() == 3
    if engine_name(db) == 'sqlite':
        assert db.execute_sql("SELECT name FROM sqlite_temp_master WHERE type = 'table'"
                              ).fetchall() == [('scratch',)]
        assert 'scratch' not in db.get_tables()
    elif engine_name(db) == 'mysql':   # a temporary table is in no catalog: only SHOW
        assert 'scratch' not in db.get_tables()
        assert 'TEMPORARY' in db.execute_sql('SHOW CREATE TABLE scratch').fetchone()[1]
    else:
        assert db.execute_sql("SELECT relpersistence FROM pg_class WHERE relname = 'scratch'"
                              ).fetchone() == ('t',)
    Scratch.drop_table()


def test_meta_without_rowid(db):
    class KV(Model):
        key = CharField(primary_key=True)
        value = TextField()

        class Meta:
            database = db
            without_rowid = True

    if engine_name(db) != 'sqlite':
        with pytest.raises(orm.NotSupportedError, match='WITHOUT ROWID'):
            KV.create_table()
        return
    KV.create_table()
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'kv'").fetchone()[0]
    assert sql.rstrip().upper().endswith('WITHOUT ROWID')
    KV.create(key='a', value='1')
    assert KV.get_by_id('a').value == '1'
    with pytest.raises(orm.OperationalError):
        db.execute_sql('SELECT rowid FROM kv')


def test_meta_strict_tables(db):
    class Strict(Model):
        n = IntegerField()
        t = TextField()

        class Meta:
            database = db
            strict_tables = True

    if engine_name(db) != 'sqlite':
        with pytest.raises(orm.NotSupportedError, match='STRICT'):
            Strict.create_table()
        return
    Strict.create_table()
    Strict.create(n=1, t='x')
    with pytest.raises(orm.IntegrityError):
        db.execute_sql("INSERT INTO strict (n, t) VALUES ('not a number', 'x')")
    assert Strict.select().count() == 1


# =========================================================================================
# Inheritance
# =========================================================================================

class Base(Model):
    name = CharField()
    created = IntegerField(default=1)

    class Meta:
        only_save_dirty = True
        legacy_table_names = False
        indexes = ((('name',), False),)


class DerivedThing(Base):
    extra = TextField(null=True)


class Overrides(Base):
    name = TextField(default='over')


def test_meta_inheritance():
    meta = DerivedThing._meta
    assert meta.only_save_dirty
    assert meta.table_name == 'derived_thing'     # table_name itself is not inherited
    assert meta.legacy_table_names is False
    assert meta.indexes == Base._meta.indexes


def test_field_inheritance(setup):
    assert DerivedThing._meta.sorted_field_names == ['id', 'name', 'created', 'extra']
    # each subclass gets its own field objects, bound to it
    assert DerivedThing.name is not Base.name
    assert DerivedThing.name.model is DerivedThing and Base.name.model is Base
    assert DerivedThing._meta.primary_key.model is DerivedThing
    assert 'extra' not in Base._meta.fields
    assert isinstance(Overrides.name, TextField) and Overrides.name.default == 'over'
    assert isinstance(Base.name, CharField)

    setup(Base, DerivedThing, Overrides)
    d = DerivedThing.create(name='d', extra='e')
    got = DerivedThing.get_by_id(d.id)
    assert (got.name, got.created, got.extra) == ('d', 1, 'e')
    assert Base.select().count() == 0
    assert Overrides.create().name == 'over'


def test_inherited_custom_primary_key():
    class Keyed(Model):
        code = CharField(primary_key=True)

    class SubKeyed(Keyed):
        value = IntegerField()

    assert SubKeyed._meta.primary_key.name == 'code'
    assert SubKeyed._meta.primary_key is not Keyed._meta.primary_key
    assert 'id' not in SubKeyed._meta.fields


def test_does_not_exist_per_model(blog):
    assert issubclass(User.DoesNotExist, DoesNotExist)
    assert issubclass(DerivedThing.DoesNotExist, Base.DoesNotExist)
    assert User.DoesNotExist is not Tweet.DoesNotExist
    assert not issubclass(Tweet.DoesNotExist, User.DoesNotExist)
    with pytest.raises(User.DoesNotExist):
        User.get(User.username == 'nobody')
    with pytest.raises(DoesNotExist):
        User.get_by_id(9999)
    try:
        Tweet.get_by_id(9999)
    except User.DoesNotExist:   # pragma: no cover
        pytest.fail('Tweet.DoesNotExist was caught as User.DoesNotExist')
    except Tweet.DoesNotExist as exc:
        assert 'Tweet' in str(exc)


def test_typing_support():
    # not a dataclass_transform (type checkers would reject peewee-style constructors);
    # tests/test_typing.py runs mypy on model code
    assert not hasattr(ModelBase, '__dataclass_transform__')
    package_dir = os.path.dirname(inspect.getfile(orm))
    assert os.path.isfile(os.path.join(package_dir, 'py.typed'))


# =========================================================================================
# Class API
# =========================================================================================

def test_create_and_get(blog):
    db, (alice, bob, carol), _ = blog
    assert alice.id is not None and alice.age == 30
    assert User.get(User.username == 'bob').id == bob.id
    assert User.get(username='bob').id == bob.id
    assert User.get(User.age > 25, User.age < 35).username == 'alice'
    assert User.get(alice.id).username == 'alice'
    assert User.get_by_id(carol.id).username == 'Carol'
    assert User.get_or_none(User.username == 'nobody') is None
    assert User.get_or_none(username='bob').id == bob.id
    with pytest.raises(User.DoesNotExist):
        User.get(999)


def test_get_or_create(setup):
    setup(User)
    user, created = User.get_or_create(username='dave', defaults={'age': 55})
    assert created and user.age == 55 and user.id is not None
    again, created = User.get_or_create(username='dave', defaults={'age': 1})
    assert not created and again.id == user.id and again.age == 55
    assert User.select().count() == 1


def test_set_and_delete_by_id(blog):
    db, (alice, bob, carol), _ = blog
    assert User.set_by_id(bob.id, {'age': 21}) == 1
    assert User.get_by_id(bob.id).age == 21
    new_id = User.set_by_id(None, {'username': 'eve'})
    assert User.get_by_id(new_id).username == 'eve'
    assert User.delete_by_id(new_id) == 1
    assert User.get_or_none(User.id == new_id) is None


def test_class_item_protocol(blog):
    db, (alice, bob, carol), _ = blog
    assert User[alice.id].username == 'alice'
    with pytest.raises(User.DoesNotExist):
        User[9999]
    assert alice.id in User and 9999 not in User
    assert len(User) == 3
    User[bob.id] = {'age': 99}
    assert User[bob.id].age == 99
    del User[carol.id]
    assert len(User) == 2
    assert sorted(u.username for u in User) == ['alice', 'bob']


def test_insert(setup):
    setup(User)
    new_id = User.insert(username='a', age=5).execute()
    assert User.get_by_id(new_id).age == 5
    new_id = User.insert({User.username: 'b', 'age': 6}).execute()
    got = User.get_by_id(new_id)
    assert (got.username, got.age, got.count, got.active) == ('b', 6, 0, True)
    with pytest.raises(ValueError, match="has no field 'nope'"):
        User.insert({'nope': 1})


def test_insert_many(setup):
    setup(User)
    User.insert_many([{'username': 'a', 'age': 1}, {'username': 'b', 'age': 2}]).execute()
    User.insert_many([('c', 3), ('d', 4)], fields=[User.username, User.age]).execute()
    User.insert_many([('e', 5)], fields=['username', 'age']).execute()
    rows = list(User.select(User.username, User.age, User.count, User.active)
                .order_by(User.username).tuples())
    assert rows == [('a', 1, 0, True), ('b', 2, 0, True), ('c', 3, 0, True),
                    ('d', 4, 0, True), ('e', 5, 0, True)]
    # rows may name different fields: the others get their defaults (or NULL)
    User.insert_many([{'username': 'f'}, {'username': 'g', 'age': 7}]).execute()
    User.insert_many([('h',)], fields=[User.username, User.age]).execute()
    rows = list(User.select(User.username, User.age).where(User.username >= 'f')
                .order_by(User.username).tuples())
    assert rows == [('f', 0), ('g', 7), ('h', 0)]
    with pytest.raises(ValueError, match='leaves out username'):
        User.insert_many([{'username': 'x'}, {'age': 2}]).execute()
    with pytest.raises(ValueError, match='username has no default'):
        User.insert_many([(1,)], fields=[User.age, User.username]).execute()
    with pytest.raises(ValueError, match='values for'):
        User.insert_many([('x', 1, 2, 3, 4, 5)], fields=[User.username, User.age]).execute()
    assert User.select().count() == 8


def test_insert_from(blog):
    db, users, _ = blog

    class Archive(Model):
        name = CharField()
        years = IntegerField()

    db.bind([Archive])
    db.create_tables([Archive])
    query = User.select(User.username, User.age).where(User.age >= 30)
    n = Archive.insert_from(query, [Archive.name, Archive.years]).execute()
    assert sorted((a.name, a.years) for a in Archive.select()) == [('Carol', 40),
                                                                   ('alice', 30)]
    Archive.insert_from(User.select(User.username, User.age).where(User.age < 30),
                        ['name', 'years']).execute()
    assert Archive.select().count() == 3
    del n


def test_replace(setup, db):
    setup(User)
    alice = User.create(username='alice', age=1)
    if engine_name(db) == 'postgres':
        with pytest.raises(orm.NotSupportedError, match='REPLACE'):
            User.replace(username='alice', age=2).execute()
        with pytest.raises(orm.NotSupportedError, match='REPLACE'):
            User.replace_many([{'username': 'alice', 'age': 2}]).execute()
        return
    User.replace(id=alice.id, username='alice', age=2).execute()
    assert User.get(User.username == 'alice').age == 2
    # a conflict on the unique username replaces the whole row
    User.replace(username='alice', age=3).execute()
    assert User.select().count() == 1 and User.get(username='alice').age == 3
    User.replace_many([{'username': 'alice', 'age': 4}, {'username': 'bob', 'age': 5}]
                      ).execute()
    assert sorted((u.username, u.age) for u in User.select()) == [('alice', 4), ('bob', 5)]


def test_update(blog):
    db, (alice, bob, carol), _ = blog
    assert User.update(count=User.count + 1).execute() == 3
    assert User.update(count=User.count + 1).where(User.age > 25).execute() == 2
    assert {u.username: u.count for u in User.select()} == {'alice': 2, 'bob': 1,
                                                            'Carol': 2}
    assert User.update({User.age: User.age * 2}).where(User.id == bob.id).execute() == 1
    assert User.get_by_id(bob.id).age == 40
    assert User.update(age=0).where(User.username == 'nobody').execute() == 0
    with pytest.raises(ValueError):
        User.update(age='old').execute()


def test_delete(blog):
    db, (alice, bob, carol), _ = blog
    Comment.delete().execute()
    assert Tweet.delete().where(Tweet.likes == 0).execute() == 1
    assert Tweet.select().count() == 2
    assert Tweet.delete().execute() == 2


def test_delete_on_instance_is_refused(blog):
    db, (alice, bob, carol), _ = blog
    with pytest.raises(AttributeError, match='delete_instance'):
        alice.delete()
    assert User.select().count() == 3


def test_raw(blog):
    db, (alice, bob, carol), _ = blog
    user = db.quote_identifier('user')
    sql = 'SELECT * FROM %s WHERE age > %s ORDER BY age' % (user, db.param)
    rows = list(User.raw(sql, 25))
    assert [u.username for u in rows] == ['alice', 'Carol']
    assert isinstance(rows[0], User) and rows[0].id == alice.id
    assert User.raw('SELECT username, age * 2 AS %s FROM %s WHERE id = %s'
                    % (db.quote_identifier('double'), user, db.param), bob.id
                    ).get().double == 40
    with pytest.raises(User.DoesNotExist):
        User.raw('SELECT * FROM %s WHERE id = %s' % (user, db.param), 999).get()
    dicts = list(User.raw('SELECT username FROM %s ORDER BY id' % user).dicts())
    assert dicts[0] == {'username': 'alice'}


def test_noop(blog):
    db, _, _ = blog
    query = User.noop()
    assert list(query) == []
    assert list(User.noop().dicts()) == []


def test_bulk_create(setup, db):
    setup(User, Tweet)
    users = [User(username='u%d' % i, age=i) for i in range(5)]
    User.bulk_create(users)
    if not db.dialect.returning_clause:      # SQLite before 3.35: keys are not read back
        pytest.skip('no RETURNING on this SQLite (%s)' % (db.server_version,))
    assert [u.id for u in users] == [u.id for u in User.select().order_by(User.id)]
    assert all(u.id is not None for u in users)
    assert not any(u.is_dirty() for u in users)
    more = [User(username='v%d' % i) for i in range(7)]
    User.bulk_create(more, batch_size=3)
    assert User.select().count() == 12
    assert sorted(u.id for u in more) == [u.id for u in
                                          User.select().where(User.username.startswith('v'))
                                          .order_by(User.id)]
    # unsaved related objects are referenced by their keys
    tweets = [Tweet(user=users[0], content='a'), Tweet(user=users[1], content='b')]
    Tweet.bulk_create(tweets)
    assert [t.user.username for t in Tweet.select().order_by(Tweet.id)] == ['u0', 'u1']
    User.bulk_create([])
    with pytest.raises(ValueError, match='batch_size'):
        User.bulk_create([User(username='z')], batch_size=0)


def test_bulk_update(blog):
    db, (alice, bob, carol), _ = blog
    alice.age, bob.age, carol.age = 1, 2, 3
    alice.count = 10
    assert User.bulk_update([alice, bob, carol], fields=[User.age]) == 3
    assert {u.username: (u.age, u.count) for u in User.select()} == {
        'alice': (1, 0), 'bob': (2, 0), 'Carol': (3, 0)}
    # MySQL counts the rows an UPDATE changed: only alice's count differs
    changed = 1 if engine_name(db) == 'mysql' else 3
    assert User.bulk_update([alice, bob, carol], fields=['count'], batch_size=2) == changed
    assert User.get_by_id(alice.id).count == 10
    with pytest.raises(ValueError, match='never saved'):
        User.bulk_update([User(username='x')], fields=['age'])


# =========================================================================================
# Instance API
# =========================================================================================

def test_save_insert_then_update(setup):
    setup(User)
    u = User(username='a')
    assert u.id is None
    assert u.save() == 1
    assert u.id is not None
    u.age = 7
    assert u.save() == 1
    assert User.get_by_id(u.id).age == 7
    assert User.select().count() == 1


def test_save_force_insert(setup):
    setup(User)
    u = User(id=42, username='forced')
    u.save(force_insert=True)
    assert User.get_by_id(42).username == 'forced'
    # without force_insert an instance with a key is an UPDATE (which finds no row)
    ghost = User(id=77, username='ghost')
    assert ghost.save() == 0
    assert User.get_or_none(User.id == 77) is None


def test_save_only(setup):
    setup(User)
    u = User.create(username='a', age=1)
    u.age = 2
    u.username = 'changed'
    u.save(only=[User.age])
    got = User.get_by_id(u.id)
    assert (got.username, got.age) == ('a', 2)
    u.save(only=['username'])
    assert User.get_by_id(u.id).username == 'changed'


def test_dirty_tracking(setup):
    setup(User)
    u = User(username='a')
    assert u.is_dirty()
    assert set(f.name for f in u.dirty_fields) >= {'username', 'age'}
    u.save()
    assert not u.is_dirty() and u.dirty_fields == []
    u.age = 5
    assert u.is_dirty() and u.dirty_fields == [User.age]
    u.save()
    assert not u.is_dirty()
    loaded = User.get_by_id(u.id)
    assert not loaded.is_dirty()
    loaded.username = 'b'
    assert loaded.dirty_fields == [User.username]


def test_delete_instance(blog):
    db, (alice, bob, carol), (t1, t2, t3) = blog
    assert carol.delete_instance() == 1
    assert User.get_or_none(User.id == carol.id) is None
    # tweets reference bob: a plain delete would break them
    assert t2.delete_instance() == 1
    assert Tweet.select().count() == 2


def test_delete_instance_recursive(blog):
    db, (alice, bob, carol), (t1, t2, t3) = blog
    alice.delete_instance(recursive=True)
    assert User.get_or_none(User.id == alice.id) is None
    assert [t.id for t in Tweet.select()] == [t3.id]
    # comments of alice's tweets have a nullable key: they are kept, unlinked
    assert sorted((c.text, c.tweet_id) for c in Comment.select()) == [
        ('c1', None), ('c2', None), ('c3', t3.id)]


def test_delete_instance_recursive_delete_nullable(blog):
    db, (alice, bob, carol), (t1, t2, t3) = blog
    alice.delete_instance(recursive=True, delete_nullable=True)
    assert [c.text for c in Comment.select()] == ['c3']
    assert [t.id for t in Tweet.select()] == [t3.id]
    assert User.select().count() == 2


def test_equality_and_hashing(blog):
    db, (alice, bob, carol), _ = blog
    a1 = User.get_by_id(alice.id)
    a2 = User.get(User.username == 'alice')
    assert a1 == a2 and a1 is not a2
    assert hash(a1) == hash(a2)
    assert a1 != User.get_by_id(bob.id)
    assert len({a1, a2, User.get_by_id(bob.id)}) == 2
    # unsaved instances are equal only to themselves
    assert User(username='x') != User(username='x')
    # a different model with the same key is different
    t = Tweet.get_by_id(alice.id)
    assert t.id == a1.id and t != a1


def test_repr_and_str(blog):
    db, (alice, bob, carol), _ = blog
    assert repr(alice) == '<User: %d>' % alice.id
    assert str(alice) == str(alice.id)
    assert repr(User(username='x')) == '<User: None>'
    assert repr(User) == '<Model: User>'


# =========================================================================================
# filter() and DQ
# =========================================================================================

def test_filter_lookups(blog, db):
    db, (alice, bob, carol), _ = blog
    assert names(User.filter(username='alice')) == ['alice']
    assert names(User.filter(username__eq='bob')) == ['bob']
    assert names(User.filter(username__ne='bob')) == ['Carol', 'alice']
    assert names(User.filter(age__lt=30)) == ['bob']
    assert names(User.filter(age__lte=30)) == ['alice', 'bob']
    assert names(User.filter(age__gt=30)) == ['Carol']
    assert names(User.filter(age__gte=30)) == ['Carol', 'alice']
    assert names(User.filter(age__in=[20, 40])) == ['Carol', 'bob']
    assert names(User.filter(age__gte=20, age__lt=40)) == ['alice', 'bob']
    # LIKE is case-sensitive (SQLite spells it GLOB, with * as the wildcard)
    pattern = 'C*' if engine_name(db) == 'sqlite' else 'C%'
    assert names(User.filter(username__like=pattern)) == ['Carol']
    assert names(User.filter(username__ilike='c%')) == ['Carol']
    assert names(User.filter(username__regexp='^[ab]')) == ['alice', 'bob']


def test_filter_is_null(setup):
    setup(User, Tweet, Comment)
    u = User.create(username='u')
    t = Tweet.create(user=u, content='t')
    Comment.create(tweet=None, text='orphan')
    Comment.create(tweet=t, text='linked')
    assert [c.text for c in Comment.filter(tweet__is=None)] == ['orphan']
    assert [c.text for c in Comment.filter(tweet=None)] == ['orphan']
    assert [c.text for c in Comment.filter(tweet=t)] == ['linked']


def test_filter_across_foreign_keys(blog):
    db, (alice, bob, carol), (t1, t2, t3) = blog
    assert sorted(t.content for t in Tweet.filter(user__username='alice')) == \
        ['hello', 'world']
    assert [t.content for t in Tweet.filter(user__age__gt=25, likes__gt=0)] == ['hello']
    assert sorted(c.text for c in Comment.filter(tweet__user__username='bob')) == ['c3']
    assert sorted(c.text for c in Comment.filter(tweet__user__age__lt=35)) == \
        ['c1', 'c2', 'c3']
    # backrefs: users with a tweet matching the lookup
    assert names(User.filter(tweets__content='hello')) == ['alice']
    assert names(User.filter(tweets__likes__gt=5)) == ['bob']
    assert names(User.filter(tweets__comments__text='c3')) == ['bob']
    assert sorted(t.content for t in Tweet.filter(comments__text__in=['c1', 'c3'])) == \
        ['bob here', 'hello']
    # a foreign key as the last piece compares keys: no join needed
    assert sorted(c.text for c in Comment.filter(tweet__user=bob)) == ['c3']
    assert [c.text for c in Comment.filter(tweet__user__username=None)] == []
    # filter() chains onto an existing query
    q = Tweet.select().where(Tweet.likes < 5).filter(user__username='alice')
    assert sorted(t.content for t in q) == ['hello', 'world']


def test_filter_with_dq(blog):
    db, (alice, bob, carol), _ = blog
    assert names(User.filter(DQ(username='alice') | DQ(username='bob'))) == ['alice', 'bob']
    assert names(User.filter(DQ(age__gt=25) & DQ(age__lt=35))) == ['alice']
    assert names(User.filter(~DQ(username='alice'))) == ['Carol', 'bob']
    assert names(User.filter(~(DQ(age=20) | DQ(age=40)))) == ['alice']
    assert names(User.filter(DQ(age__lt=25) | DQ(age__gt=35), active=True)) == \
        ['Carol', 'bob']
    assert names(User.filter((DQ(age=20) | DQ(age=30)) & (DQ(active=True) |
                                                          DQ(username='x')))) == \
        ['alice', 'bob']
    assert names(User.filter(~DQ(age=20) & ~(DQ(age=30) | DQ(username='x')))) == ['Carol']
    tweets = Tweet.filter(DQ(user__username='bob') | DQ(likes__gt=2))
    assert sorted(t.content for t in tweets) == ['bob here', 'hello']


def test_filter_unknown_field_says_which(blog):
    with pytest.raises(AttributeError, match='nickname'):
        User.filter(nickname='x')
