"""What libraries written for peewee (huey, peewee_migrate, flask-peewee, wtf-peewee,
peewee-async) need from orm: one test per cause found when their own suites were run with
orm standing in for peewee (issue 18), each on the engines it concerns.

The libraries themselves are not installed here; docs/libraries.rst says what runs.
"""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import uuid

import pytest

import orm
from conftest import engine_name
from orm import (DJANGO_MAP, PREFETCH_TYPE, SQL, CharField, DateTimeField, DoesNotExist,
                 ForeignKeyField, Index, IntegerField, Load, Model, MySQLDatabase,
                 OperationalError, ProgrammingError, Table, TextField, UnconvertibleValue,
                 UUIDField, __exception_wrapper__)
from playhouse import migrate as pw_migrate
from playhouse.migrations import Runner, template
from playhouse.reflection import Column, Introspector
from playhouse.schema_diff import SchemaDiff, diff_models

#: the engines a test runs on when MySQL is concerned too
EVERY_ENGINE = pytest.mark.engines('sqlite', 'postgres', 'mysql')


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (install_as_peewee() changes the process)."""
    done = subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Owner(Model):
    name = CharField()


class Pet(Model):
    owner = ForeignKeyField(Owner, backref='pets', on_delete='CASCADE')
    name = CharField()
    age = IntegerField(null=True)


class Toy(Model):
    pet = ForeignKeyField(Pet, null=True, backref='toys')
    label = TextField()


class Chew(Model):
    toy = ForeignKeyField(Toy, backref='chews')


# -- 1. MySQLDatabase ---------------------------------------------------------------------
def test_peewee_names_the_mysql_database_class():
    out = run_python('''
        import orm
        orm.install_as_peewee()
        from peewee import MySQLDatabase, PostgresqlDatabase, SqliteDatabase
        print(MySQLDatabase is orm.MySQLDatabase)
        print(isinstance(SqliteDatabase(':memory:'), MySQLDatabase))
    ''')
    assert out.split() == ['True', 'False']


@EVERY_ENGINE
def test_a_library_tells_mysql_apart_with_isinstance(db):
    # huey's SQL storage picks its statements this way
    assert isinstance(db, MySQLDatabase) == (engine_name(db) == 'mysql')
    assert db.execute_sql('SELECT 1').fetchone()[0] == 1


# -- 2. extension modules re-export the core names -----------------------------------------
@pytest.mark.parametrize('module', ['playhouse.migrate', 'playhouse.sqlite_ext',
                                    'playhouse.postgres_ext', 'playhouse.cockroachdb'])
def test_extension_modules_give_every_core_name(module):
    mod = importlib.import_module(module)
    # (a module may define its own class under a core name, e.g. sqlite_ext's JSONField)
    assert [name for name in orm.__all__ if not hasattr(mod, name)] == []
    # what peewee_migrate imports from playhouse.migrate
    assert mod.MySQLDatabase is MySQLDatabase and mod.Context is orm.Context


# -- 3. @operation methods written as peewee's are ----------------------------------------
@EVERY_ENGINE
def test_an_operation_may_return_a_context_or_its_parents_operation(setup):
    db = setup(Owner, Pet)
    base = type(pw_migrate.SchemaMigrator.from_database(db))
    dropped = []

    class Custom(base):
        @pw_migrate.operation
        def name_index(self, table, column):
            # as peewee's own migrator methods are written: a context holding one node
            return self.make_context().sql(
                Index('pet_name_custom', Table(table), [SQL(column)]))

        @pw_migrate.operation
        def drop_index(self, table, index_name):
            # an override that hands back its parent's operation (no endless recursion)
            dropped.append(index_name)
            return super().drop_index(table, index_name)

    migrator = Custom(db)
    op = migrator.name_index('pet', 'name')
    assert op.fn.__name__ == 'name_index'         # what tools log
    pw_migrate.migrate(op)
    assert 'pet_name_custom' in [ix.name for ix in db.get_indexes('pet')]
    pw_migrate.migrate(migrator.drop_index('pet', 'pet_name_custom'))
    assert dropped == ['pet_name_custom']
    assert 'pet_name_custom' not in [ix.name for ix in db.get_indexes('pet')]


# -- 4. filter() lookups ----------------------------------------------------------------
def test_django_map_has_the_documented_lookups():
    assert sorted(DJANGO_MAP) == sorted([
        'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'is', 'is_not', 'is_null',
        'like', 'ilike', 'regexp', 'iregexp', 'contains', 'startswith', 'endswith',
        'between'])


@EVERY_ENGINE
def test_each_lookup_filters_on_the_engine(setup):
    setup(Owner, Pet)
    ann = Owner.create(name='ann')
    for name, age in (('rex', 1), ('Rover', 2), ('50%off', 3), ('tom', 4), ('ziggy', None)):
        Pet.create(owner=ann, name=name, age=age)

    def names(**lookup):
        return sorted(p.name for p in Pet.filter(**lookup))

    assert names(age__between=(2, 4)) == ['50%off', 'Rover', 'tom']
    assert names(age__not_in=[1, 2]) == ['50%off', 'tom']
    assert names(age__in=[1, 4]) == ['rex', 'tom']
    assert names(age__eq=3) == ['50%off'] and names(age__ne=3) == ['Rover', 'rex', 'tom']
    assert names(age__lt=2) == ['rex'] and names(age__lte=2) == ['Rover', 'rex']
    assert names(age__gt=3) == ['tom'] and names(age__gte=3) == ['50%off', 'tom']
    assert names(age__is=None) == ['ziggy'] and names(age__is_null=True) == ['ziggy']
    assert len(names(age__is_not=None)) == 4 and len(names(age__is_null=False)) == 4
    # (like is GLOB on SQLite, as in peewee, so the wildcard differs per engine)
    assert names(name__like='tom') == ['tom']
    assert names(name__ilike='r%') == ['Rover', 'rex']
    assert names(name__regexp='^t') == ['tom']
    assert names(name__iregexp='^R') == ['Rover', 'rex']
    assert names(name__contains='%') == ['50%off']            # the wildcard is escaped
    assert names(name__startswith='ro') == ['Rover']
    assert names(name__endswith='GY') == ['ziggy']
    assert names(owner__name='ann', age__gte=4) == ['tom']


def test_an_unknown_lookup_is_an_error_that_names_it(db):
    db.bind([Owner, Pet])
    with pytest.raises(AttributeError, match="'within' is not a lookup"):
        Pet.filter(age__within=(1, 2))
    with pytest.raises(AttributeError, match="Pet has no field 'colour'"):
        Pet.filter(colour='red')


# -- 5. a lookup by a value the key cannot hold ------------------------------------------
class Token(Model):
    key = UUIDField(primary_key=True)


@EVERY_ENGINE
def test_a_key_of_the_wrong_type_finds_no_row(setup):
    setup(Owner, Token)
    ann = Owner.create(name='ann')
    Token.create(key=uuid.uuid4())
    lookups = [lambda: Owner.get(Owner.id == 'not-a-key'), lambda: Owner.get_by_id('x'),
               lambda: Owner['x'], lambda: Owner.select().where(Owner.id == 'x').get(),
               lambda: Owner.get(id='x'), lambda: Token.get_by_id('not-a-uuid')]
    for lookup in lookups:
        with pytest.raises(DoesNotExist) as caught:
            lookup()
        # it is the model's own DoesNotExist, and still the ValueError it was before
        assert isinstance(caught.value, (Owner.DoesNotExist, Token.DoesNotExist))
        assert isinstance(caught.value, UnconvertibleValue)
        assert isinstance(caught.value, ValueError)
    assert Owner.get_or_none(Owner.id == 'x') is None
    assert 'x' not in Owner and ann.id in Owner
    assert Owner.get_by_id(ann.id).name == 'ann'
    # outside a single-row lookup the value is still refused as it was
    with pytest.raises(UnconvertibleValue):
        list(Owner.select().where(Owner.id == 'x'))


# -- 6. playhouse.migrations as peewee documents it ---------------------------------------
@pytest.mark.engines('sqlite', 'postgres')
def test_migrations_runner_follows_the_documented_api(db, tmp_path, capsys):
    class Note(Model):
        body = TextField()

    db.bind([Note])
    diff = diff_models(db, [Note])
    assert isinstance(diff, SchemaDiff) and diff.create_tables == [Note]
    assert SchemaDiff([], [], [], [], []).create_tables == []      # five lists
    runner = Runner(db, directory=str(tmp_path / 'migrations'))
    runner.create('add note', body=template(diff))
    (entry,) = runner.status()
    assert (entry.idx, entry.name, entry.applied) == (1, '0001_add_note', None)
    assert runner.up() == ['0001_add_note']
    assert 'note' in db.get_tables() and runner.status()[0].applied is not None
    assert runner.down() == ['0001_add_note'] and 'note' not in db.get_tables()
    assert runner.fake() == ['0001_add_note'] and 'note' not in db.get_tables()
    assert capsys.readouterr().out == ''


# -- 7. RETURNING in an insert's SQL on PostgreSQL ------------------------------------------
@pytest.mark.engines('postgres')
def test_insert_sql_returns_the_new_key_on_postgres(setup):
    db = setup(Owner)
    sql, params = Owner.insert(name='a').sql()
    assert sql.endswith(' RETURNING "owner"."id"')
    # run by hand, as libraries that execute the SQL themselves do
    new_id = db.execute_sql(sql, params).fetchone()[0]
    assert Owner.get_by_id(new_id).name == 'a'
    sql, params = Owner.insert_many([{'name': 'b'}, {'name': 'c'}]).sql()
    ids = [row[0] for row in db.execute_sql(sql, params).fetchall()]
    assert [Owner.get_by_id(i).name for i in ids] == ['b', 'c']


# -- 8. reflection's Column.get_field() ----------------------------------------------------
@pytest.mark.engines('sqlite', 'postgres')
def test_reflected_foreign_key_declaration(setup):
    db = setup(Owner, Pet)
    columns = Introspector.from_database(db).introspect().columns['pet']
    assert columns['owner_id'].get_field() == (
        "owner = ForeignKeyField(column_name='owner_id', field='id', model=Owner, "
        "on_delete='CASCADE')")


def test_string_extra_parameters_are_source_text():
    # tools subclassing Column (peewee_migrate) hand in parameters already as source
    column = Column('title', CharField, 'varchar', False,
                    extra_parameters={'max_length': 40, 'formats': "['%Y']",
                                      'on_delete': "'CASCADE'"})
    assert column.get_field() == \
        "title = CharField(formats=['%Y'], max_length=40, on_delete='CASCADE')"


# -- 9. formats, dependencies(), PREFETCH_TYPE.MATERIALIZE -----------------------------------
def test_datetime_formats_is_a_list():
    assert isinstance(DateTimeField().formats, list)
    assert DateTimeField().formats == DateTimeField().formats


@EVERY_ENGINE
def test_dependencies_can_stop_at_nullable_children(setup):
    setup(Owner, Pet, Toy, Chew)
    ann = Owner.create(name='ann')
    rex = Pet.create(owner=ann, name='rex')
    ball = Toy.create(pet=rex, label='ball')
    Chew.create(toy=ball)

    def reached(**kwargs):
        return sorted(fk.model.__name__ for _, fk in ann.dependencies(**kwargs))

    assert reached() == ['Chew', 'Pet', 'Toy']
    assert reached(exclude_null_children=True) == ['Pet', 'Toy']
    assert reached(search_nullable=False) == ['Pet']
    # each condition selects the rows that depend on ann
    counts = {fk.model.__name__: fk.model.select().where(cond).count()
              for cond, fk in ann.dependencies()}
    assert counts == {'Pet': 1, 'Toy': 1, 'Chew': 1}


@EVERY_ENGINE
def test_load_with_materialize_strategy(setup):
    setup(Owner, Pet)
    for name in ('ann', 'bob'):
        owner = Owner.create(name=name)
        for n in range(2):
            Pet.create(owner=owner, name='%s%d' % (name, n))
    owners = Owner.select().order_by(Owner.name).with_related(
        Load(Owner.pets, strategy=PREFETCH_TYPE.MATERIALIZE))
    assert [(o.name, sorted(p.name for p in o.pets)) for o in owners] == \
        [('ann', ['ann0', 'ann1']), ('bob', ['bob0', 'bob1'])]


# -- 10. __exception_wrapper__ ---------------------------------------------------------------
@EVERY_ENGINE
def test_exception_wrapper_translates_driver_errors(db):
    cursor = db.cursor()
    # a driver's cursor used directly, as async libraries do
    with pytest.raises((OperationalError, ProgrammingError)) as caught:
        with __exception_wrapper__:
            cursor.execute('SELECT * FROM no_such_table')
    assert caught.value.orig is not None
    assert __exception_wrapper__ is orm.exceptions.__exception_wrapper__

