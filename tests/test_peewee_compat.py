"""peewee compatibility audit: application-style checks of peewee's documented behaviour.

Each test is a small piece of application code written against peewee's documented API
(querying, relationships, models, query builder and the "query examples" pages) and run
on every engine through the ``db`` fixture; results are read back from the engine.
SQL text is asserted only where peewee's documentation shows the statement.
"""
from __future__ import annotations

import types

import pytest

from conftest import engine_driver, engine_name
from helpers import count_queries
import orm as peewee
from orm import (DQ, JOIN, SQL, Case, Cast, CharField, CompositeKey, DeferredForeignKey,
                 DoesNotExist, ForeignKeyField, IntegerField, IntegrityError, Model,
                 TextField, Tuple, Value, Window, fn, prefetch)


class Person(Model):
    name = CharField(unique=True)
    age = IntegerField(null=True)


class Pet(Model):
    owner = ForeignKeyField(Person, backref='pets', on_delete='CASCADE')
    name = CharField()
    kind = CharField(default='cat')


class Vet(Model):
    name = CharField()


class Visit(Model):
    pet = ForeignKeyField(Pet, backref='visits')
    vet = ForeignKeyField(Vet, null=True, backref='visits')
    note = TextField(default='')


class Node(Model):
    name = CharField()
    parent = ForeignKeyField('self', null=True, backref='children')


class Setting(Model):
    key = CharField(unique=True)
    value = IntegerField(default=0)
    note = CharField(null=True)


class Archive(Model):
    name = CharField()


class Membership(Model):
    group = CharField()
    member = CharField()
    role = CharField(default='user')

    class Meta:
        primary_key = CompositeKey('group', 'member')


class Score(Model):
    person = ForeignKeyField(Person, primary_key=True)
    points = IntegerField(default=0)


MODELS = [Person, Pet, Vet, Visit, Node, Setting, Archive, Membership, Score]


@pytest.fixture
def app(db):
    db.bind(MODELS)
    with db.atomic():
        db.create_tables(MODELS)
        ann = Person.create(name='ann', age=30)
        bob = Person.create(name='bob', age=20)
        cid = Person.create(name='cid', age=None)
        tom = Pet.create(owner=ann, name='tom')
        rex = Pet.create(owner=ann, name='rex', kind='dog')
        fifi = Pet.create(owner=bob, name='fifi')
        dr = Vet.create(name='dr who')
        Visit.create(pet=tom, vet=dr, note='checkup')
        Visit.create(pet=tom, vet=None, note='walk-in')
        Visit.create(pet=fifi, vet=dr, note='shots')
        root = Node.create(name='root')
        a = Node.create(name='a', parent=root)
        Node.create(name='b', parent=root)
        Node.create(name='a1', parent=a)
    return types.SimpleNamespace(db=db, ann=ann, bob=bob, cid=cid, tom=tom, rex=rex,
                                 fifi=fifi, dr=dr, root=root)


def names(rows):
    return sorted(r.name for r in rows)


# ---------------------------------------------------------------------------------------
# Model class API (models.rst, api.rst "Model")
# ---------------------------------------------------------------------------------------

def test_get_helpers(app):
    assert Person.get(Person.name == 'ann', Person.age == 30).id == app.ann.id
    assert Person.get(name='bob').age == 20                  # keyword filters
    assert Person.get_or_none(Person.name == 'nobody') is None
    assert Person.get_or_none(name='cid').id == app.cid.id
    assert Person.get_by_id(app.ann.id).name == 'ann'
    assert Person[app.bob.id].name == 'bob'
    with pytest.raises(Person.DoesNotExist):
        Person.get_by_id(12345)
    with pytest.raises(DoesNotExist):              # the per-model class is a subclass
        Person[12345]
    assert issubclass(Person.DoesNotExist, DoesNotExist)
    with pytest.raises(Person.DoesNotExist):
        Person.select().where(Person.name == 'nobody').get()
    assert Person.select().where(Person.name == 'nobody').get_or_none() is None
    # set_by_id / delete_by_id
    assert Person.set_by_id(app.cid.id, {'age': 7}) == 1
    assert Person[app.cid.id].age == 7
    assert Person.delete_by_id(app.cid.id) == 1
    assert Person.get_or_none(name='cid') is None


def test_get_or_create(app):
    person, created = Person.get_or_create(name='dan', defaults={'age': 5})
    assert created and person.id is not None and person.age == 5
    again, created = Person.get_or_create(name='dan', defaults={'age': 99})
    assert not created and again.id == person.id and again.age == 5
    # a row that cannot be created still raises (the lookup found nothing)
    with pytest.raises(IntegrityError):
        Setting.get_or_create(note='no key')
    # the INSERT runs in its own savepoint: the surrounding transaction stays usable
    with app.db.atomic():
        with pytest.raises(IntegrityError):
            Person.get_or_create(name='ann', age=99)      # lookup misses, name is taken
        assert Person.select().count() == 4
        assert Person.get_or_create(name='eve', defaults={'age': 3})[0].age == 3


def test_create_save_and_force_insert(app):
    person = Person(name='eve')
    assert person.save() == 1 and person.id is not None
    person.age = 3
    assert person.save() == 1
    assert Person[person.id].age == 3
    # an instance with an explicit primary key updates unless force_insert=True
    assert Person(id=person.id, name='eve2').save() == 1
    assert Person[person.id].name == 'eve2'
    assert Person(id=500, name='frank').save() == 0          # UPDATE matched no row
    assert Person(id=500, name='frank').save(force_insert=True) == 1
    assert Person[500].name == 'frank'


def test_dirty_fields_and_save_only(app):
    pet = Pet.get(Pet.name == 'tom')
    assert not pet.is_dirty() and pet.dirty_fields == []
    pet.name = 'tommy'
    pet.kind = 'lion'
    assert pet.is_dirty()
    assert sorted(f.name for f in pet.dirty_fields) == ['kind', 'name']
    assert pet.save(only=[Pet.name]) == 1        # only the name is written
    stored = Pet[pet.id]
    assert (stored.name, stored.kind) == ('tommy', 'cat')
    pet.save()
    assert not pet.is_dirty()
    assert Pet[pet.id].kind == 'lion'


def test_only_save_dirty_writes_changed_columns(app):
    class Profile(Model):
        handle = CharField()
        bio = TextField(default='')

        class Meta:
            database = app.db
            only_save_dirty = True

    app.db.create_tables([Profile])
    Profile.create(handle='h', bio='old')
    profile = Profile.get()
    Profile.update(bio='changed elsewhere').execute()
    profile.handle = 'h2'
    with count_queries() as counter:
        assert profile.save() == 1
    assert counter.count == 1
    assert '"bio"' not in counter.sql[0]          # the untouched column is not written
    stored = Profile.get()
    assert (stored.handle, stored.bio) == ('h2', 'changed elsewhere')
    assert profile.save() is False                # nothing dirty: no query at all


def test_equality_hashing_repr(app):
    ann2 = Person.get(Person.name == 'ann')
    assert ann2 == app.ann and ann2 is not app.ann
    assert hash(ann2) == hash(app.ann)
    assert len({ann2, app.ann, app.bob}) == 2
    assert app.ann != app.bob
    assert Person(name='x') != Person(name='x')               # unsaved: no identity
    assert Pet(id=app.ann.id) != app.ann                      # another model, same key
    assert repr(Person) == '<Model: Person>'
    assert repr(app.ann) == '<Person: %s>' % app.ann.id
    assert str(app.ann) == str(app.ann.id)


def test_instance_delete_is_refused_but_delete_instance_works(app):
    with pytest.raises(Exception):
        app.rex.delete()                  # the class-level DELETE, refused on an instance
    assert Pet.select().count() == 3
    assert app.rex.delete_instance() == 1
    assert Pet.select().count() == 2


def test_query_to_string_and_str(app):
    query = Person.select(Person.name).where((Person.name == "o'x") & (Person.age > 3))
    text = peewee.query_to_string(query)
    assert str(query) == text
    text = text.replace('`', '"')           # MySQL quotes names with backticks
    assert text.startswith('SELECT "t1"."name" FROM "person" AS "t1" WHERE ')
    assert "'o''x'" in text and '3' in text


# ---------------------------------------------------------------------------------------
# Retrieving rows (querying.rst: row types, first/peek/scalar/count/exists, iterator)
# ---------------------------------------------------------------------------------------

def test_row_types(app):
    query = Person.select(Person.name, Person.age).order_by(Person.id).limit(2)
    assert list(query.dicts()) == [{'name': 'ann', 'age': 30}, {'name': 'bob', 'age': 20}]
    assert list(query.tuples()) == [('ann', 30), ('bob', 20)]
    rows = list(query.namedtuples())
    assert (rows[0].name, rows[1].age) == ('ann', 20)
    objs = list(query.objects())
    assert isinstance(objs[0], Person) and objs[0].name == 'ann'
    built = list(query.objects(lambda **kw: sorted(kw)))
    assert built[0] == ['age', 'name']
    # the row-type methods return new queries: the original still yields models
    assert isinstance(query[0], Person)


def test_row_types_on_joins(app):
    query = (Pet.select(Pet.name, Person.name.alias('owner_name')).join(Person)
             .order_by(Pet.name))
    assert list(query.tuples()) == [('fifi', 'bob'), ('rex', 'ann'), ('tom', 'ann')]
    assert list(query.dicts())[0] == {'name': 'fifi', 'owner_name': 'bob'}
    # objects(): every column flat on the one object
    assert [(p.name, p.owner_name) for p in query.objects()][0] == ('fifi', 'bob')
    # models: a joined model's field lands on the related instance
    query = Pet.select(Pet.name, Person.name).join(Person).order_by(Pet.name)
    assert [(p.name, p.owner.name) for p in query][0] == ('fifi', 'bob')
    # an expression over joined columns stays on the row's own model
    query = (Pet.select(Pet.name, fn.UPPER(Person.name).alias('loud')).join(Person)
             .order_by(Pet.name))
    assert [(p.name, p.loud) for p in query][0] == ('fifi', 'BOB')


def test_aliased_joined_field_lands_on_related_instance(app):
    query = (Pet.select(Pet.name, Person.name.alias('owner_name')).join(Person)
             .where(Pet.name == 'fifi'))
    pet = query.get()
    assert pet.owner.owner_name == 'bob'


def test_dicts_duplicate_column_names_keep_the_first(app):
    # the first column keeps the name; a repeat gets a numbered suffix (peewee 4)
    row = (Pet.select(Pet, Person).join(Person).where(Pet.name == 'tom').dicts().get())
    assert row['id'] == app.tom.id and row['name'] == 'tom' and row['age'] == 30
    assert row['id_2'] == app.tom.owner_id


def test_first_applies_limit_and_reuses_its_result(app):
    # first(n) puts LIMIT n on the query itself and keeps what it read, so asking
    # again with the same n answers from those rows instead of querying again
    query = Person.select().order_by(Person.id)
    with count_queries() as counter:
        assert query.first().name == 'ann'
        assert query.first().name == 'ann'
        assert [p.name for p in query.first(n=2)] == ['ann', 'bob']
        assert query.first(n=2)[1].name == 'bob'
    assert counter.count == 2
    assert 'LIMIT' in counter.sql[0]
    assert Person.select().where(Person.id < 0).first() is None


def test_peek_scalar_count_exists_get(app):
    query = Person.select().order_by(Person.id)
    with count_queries() as counter:
        assert query.peek().name == 'ann'
        assert [p.name for p in query.peek(n=2)] == ['ann', 'bob']
    assert counter.count == 1                              # peek reuses the result
    assert Person.select(fn.MAX(Person.age)).scalar() == 30
    assert Person.select(fn.MIN(Person.age), fn.MAX(Person.age)).scalar(as_tuple=True) \
        == (20, 30)
    assert Person.select(fn.MAX(Person.age)).where(Person.id < 0).scalar() is None
    assert Person.select().count() == 3
    assert Person.select().order_by(Person.id).limit(2).count() == 2
    assert Pet.select(Pet.owner).distinct().count() == 2
    assert Pet.select(Pet.owner, fn.COUNT(Pet.id)).group_by(Pet.owner).count() == 2
    assert Person.select().where(Person.age.is_null()).exists()
    assert not Person.select().where(Person.age > 100).exists()
    assert Person.select().order_by(Person.age.desc(nulls='LAST')).get().name == 'ann'


def test_result_caching_iterator_and_indexing(app):
    query = Person.select().order_by(Person.id)
    with count_queries() as counter:
        first = [p.name for p in query]
        second = [p.name for p in query]
        assert len(query) == 3
        assert query[1].name == 'bob'
        assert [p.name for p in query[1:3]] == ['bob', 'cid']
    assert first == second == ['ann', 'bob', 'cid']
    assert counter.count == 1
    # iterator(): one pass, rows not cached
    fresh = Person.select().order_by(Person.id)
    assert [p.name for p in fresh.iterator()] == ['ann', 'bob', 'cid']
    assert Person.select().order_by(Person.id).tuples()[2] == (app.cid.id, 'cid', None)


# ---------------------------------------------------------------------------------------
# Filtering (querying.rst, query_operators)
# ---------------------------------------------------------------------------------------

def test_filter_django_lookups_and_dq(app):
    assert names(Pet.filter(owner__name='ann')) == ['rex', 'tom']
    assert names(Pet.filter(owner__name='ann', kind='dog')) == ['rex']
    assert names(Person.filter(age__gt=25)) == ['ann']
    assert names(Person.filter(age__lte=20)) == ['bob']
    assert names(Person.filter(name__in=['bob', 'cid'])) == ['bob', 'cid']
    assert names(Person.filter(age__is=None)) == ['cid']
    assert names(Person.filter(name__ne='ann')) == ['bob', 'cid']
    assert names(Person.filter(name__ilike='A%')) == ['ann']
    assert names(Person.filter(DQ(age__lt=25) | DQ(name='cid'))) == ['bob', 'cid']
    assert names(Person.filter(~DQ(name='ann'))) == ['bob', 'cid']
    # across a backref, and chained
    assert names(Person.filter(pets__kind='dog')) == ['ann']
    assert names(Pet.select().filter(kind='cat').filter(owner__age__gt=25)) == ['tom']


def test_expression_operators(app):
    def q(expr):
        return names(Person.select().where(expr))
    assert q(Person.name << ['ann', 'bob']) == ['ann', 'bob']
    assert q(Person.age >> None) == ['cid']
    assert q(Person.name.in_(['cid'])) == ['cid']
    assert q(Person.name.not_in(['cid'])) == ['ann', 'bob']
    assert q(Person.name.in_([])) == []
    assert q(Person.age.between(19, 21)) == ['bob']
    assert q(Person.name.startswith('a')) == ['ann']
    assert q(Person.name.endswith('b')) == ['bob']
    assert q(Person.name.contains('i')) == ['cid']
    assert q(Person.age.is_null(False) & ~(Person.age == 30)) == ['bob']
    assert q((Person.age > 25) | (Person.name == 'cid')) == ['ann', 'cid']
    assert q(Person.name.startswith('a_')) == []        # LIKE wildcards are escaped


def test_model_instances_as_values(app):
    # a model instance compared with a column stands for its primary key
    assert names(Pet.select().where(Pet.owner == app.ann)) == ['rex', 'tom']
    assert names(Pet.select().where(Pet.owner.in_([app.ann, app.bob]))) == \
        ['fifi', 'rex', 'tom']
    assert names(Person.select().where(Person.id == app.bob)) == ['bob']
    assert names(Person.select().where(Person.id.in_([app.ann, app.cid]))) == ['ann', 'cid']
    assert Pet.select().where(Pet.owner == app.bob.id).get().name == 'fifi'
    with pytest.raises(ValueError):          # a plain wrong value still says what is wrong
        Person.select().where(Person.id == 'not a number').sql()


def test_where_orwhere_paginate_order(app):
    query = (Person.select().where(Person.age > 25).orwhere(Person.name == 'cid')
             .order_by(Person.name))
    assert [p.name for p in query] == ['ann', 'cid']
    query = Person.select().where(Person.age > 10).where(Person.name != 'ann')
    assert [p.name for p in query] == ['bob']
    query = Person.select().order_by(Person.name).paginate(2, 2)
    assert [p.name for p in query] == ['cid']
    query = Person.select().order_by(Person.age.desc(nulls='LAST'), Person.name)
    assert [p.name for p in query] == ['ann', 'bob', 'cid']
    query = Person.select().order_by(Person.age.asc(nulls='FIRST'))
    assert [p.name for p in query] == ['cid', 'bob', 'ann']


# ---------------------------------------------------------------------------------------
# Joins (relationships.rst)
# ---------------------------------------------------------------------------------------

def test_join_on_and_attr(app):
    query = (Pet.select(Pet, Person).join(Person, on=(Pet.owner == Person.id), attr='human')
             .order_by(Pet.name))
    with count_queries() as counter:
        assert [(p.name, p.human.name) for p in query] == [
            ('fifi', 'bob'), ('rex', 'ann'), ('tom', 'ann')]
    assert counter.count == 1


def test_join_switch_and_join_from(app):
    # visits with their pet and the pet's owner, plus the vet (back to Visit via switch)
    query = (Visit.select(Visit, Pet, Person, Vet)
             .join(Pet).join(Person)
             .switch(Visit).join(Vet, JOIN.LEFT_OUTER)
             .order_by(Visit.id))
    with count_queries() as counter:
        rows = [(v.note, v.pet.name, v.pet.owner.name, v.vet.name if v.vet else None)
                for v in query]
    assert counter.count == 1
    assert rows == [('checkup', 'tom', 'ann', 'dr who'), ('walk-in', 'tom', 'ann', None),
                    ('shots', 'fifi', 'bob', 'dr who')]
    same = (Visit.select(Visit, Pet, Vet)
            .join_from(Visit, Pet).join_from(Visit, Vet, JOIN.LEFT_OUTER)
            .order_by(Visit.id))
    assert [(v.pet.name, v.vet.name if v.vet else None) for v in same] == [
        ('tom', 'dr who'), ('tom', None), ('fifi', 'dr who')]


def test_left_outer_join_and_aggregate(app):
    query = (Person.select(Person.name, fn.COUNT(Pet.id).alias('pet_count'))
             .join(Pet, JOIN.LEFT_OUTER).group_by(Person.name)
             .order_by(SQL('pet_count').desc(), Person.name))
    assert [(p.name, p.pet_count) for p in query] == [('ann', 2), ('bob', 1), ('cid', 0)]
    query = (Person.select(Person, fn.COUNT(Pet.id).alias('n'))
             .join(Pet, JOIN.LEFT_OUTER).group_by(Person)
             .having(fn.COUNT(Pet.id) == 0))
    assert [p.name for p in query] == ['cid']


def test_self_join_with_model_alias(app):
    Parent = Node.alias()
    query = (Node.select(Node.name, Parent.name.alias('parent_name'))
             .join(Parent, JOIN.LEFT_OUTER, on=(Node.parent == Parent.id))
             .order_by(Node.name))
    assert list(query.tuples()) == [('a', 'root'), ('a1', 'a'), ('b', 'root'),
                                    ('root', None)]
    query = (Node.select(Node, Parent).join(Parent, on=(Node.parent == Parent.id),
                                            attr='up').order_by(Node.name))
    assert [(n.name, n.up.name) for n in query] == [('a', 'root'), ('a1', 'a'),
                                                    ('b', 'root')]
    grandchildren = (Node.select().join(Parent, on=(Node.parent == Parent.id))
                     .where(Parent.parent.is_null(False)))
    assert names(grandchildren) == ['a1']


def test_cross_join(app):
    # (count() reads the query as a derived table: on MySQL, which refuses two columns of
    # one name there, the second name is aliased apart)
    query = Person.select(Person.name, Vet.name).join(Vet, JOIN.CROSS)
    assert query.count() == 3
    assert sorted(query.tuples()) == [('ann', 'dr who'), ('bob', 'dr who'),
                                      ('cid', 'dr who')]


def test_lazy_foreign_keys_backrefs_and_prefetch(app):
    pet = Pet.get(Pet.name == 'tom')
    with count_queries() as counter:
        assert pet.owner_id == app.ann.id          # no query: the column value
    assert counter.count == 0
    with count_queries() as counter:
        assert pet.owner.name == 'ann'
        assert pet.owner.name == 'ann'             # cached on the instance
    assert counter.count == 1
    assert names(app.ann.pets) == ['rex', 'tom']
    assert app.ann.pets.where(Pet.kind == 'dog').count() == 1
    assert names(app.root.children) == ['a', 'b']
    with count_queries() as counter:
        people = prefetch(Person.select().order_by(Person.name),
                          Pet.select().order_by(Pet.name))
        got = [(p.name, [x.name for x in p.pets]) for p in people]
    assert counter.count == 2
    assert got == [('ann', ['rex', 'tom']), ('bob', ['fifi']), ('cid', [])]


# ---------------------------------------------------------------------------------------
# Subqueries, CTEs, window functions, compound queries (querying.rst, query examples)
# ---------------------------------------------------------------------------------------

def test_subquery_in_where_selects_the_primary_key(app):
    # querying.rst: a model query used with .in_() stands for its primary key
    a_people = Person.select().where(fn.LOWER(fn.SUBSTR(Person.name, 1, 1)) == 'a')
    query = Pet.select().where(Pet.owner.in_(a_people))
    assert names(query) == ['rex', 'tom']
    sql = query.sql()[0].replace('`', '"')
    assert 'IN (SELECT "t2"."id" FROM "person" AS "t2" WHERE' in sql
    # EXISTS over a model query with its default selection: one column, as in peewee
    query = Person.select().where(fn.EXISTS(Pet.select().where(Pet.owner == Person.id)))
    assert names(query) == ['ann', 'bob']
    assert 'EXISTS(SELECT "t2"."id" FROM "pet" AS "t2"' in query.sql()[0].replace('`', '"')
    assert names(Person.select().where(~fn.EXISTS(
        Pet.select().where(Pet.owner == Person.id)))) == ['cid']


def test_correlated_and_from_subqueries(app):
    PetAlias = Pet.alias()
    latest = (PetAlias.select(fn.MAX(PetAlias.id)).where(PetAlias.owner == Pet.owner))
    assert names(Pet.select().where(Pet.id == latest)) == ['fifi', 'rex']
    counts = (Pet.select(Pet.owner, fn.COUNT(Pet.id).alias('n'))
              .group_by(Pet.owner).alias('pc'))
    query = (Person.select(Person.name, counts.c.n)
             .join(counts, on=(counts.c.owner_id == Person.id)).order_by(Person.name))
    assert list(query.tuples()) == [('ann', 2), ('bob', 1)]
    scalar = (Pet.select(fn.COUNT(Pet.id)).where(Pet.owner == Person.id))
    query = Person.select(Person.name, scalar.alias('n')).order_by(Person.name)
    assert [(p.name, p.n) for p in query] == [('ann', 2), ('bob', 1), ('cid', 0)]


def test_cte_on_models(app):
    totals = (Pet.select(Pet.owner, fn.COUNT(Pet.id).alias('n')).group_by(Pet.owner)
              .cte('totals'))
    query = (Person.select(Person.name, totals.c.n)
             .join(totals, on=(Person.id == totals.c.owner_id))
             .with_cte(totals).order_by(Person.name))
    assert list(query.tuples()) == [('ann', 2), ('bob', 1)]


def test_recursive_cte_tree(app):
    base = (Node.select(Node.id, Node.name, Value(0).alias('depth'))
            .where(Node.parent.is_null())
            .cte('tree', recursive=True, columns=('id', 'name', 'depth')))
    recursive = (Node.select(Node.id, Node.name, base.c.depth + 1)
                 .join(base, on=(Node.parent == base.c.id)))
    cte = base.union_all(recursive)
    query = cte.select_from(cte.c.name, cte.c.depth).order_by(cte.c.depth, cte.c.name)
    assert list(query.tuples()) == [('root', 0), ('a', 1), ('b', 1), ('a1', 2)]


def test_window_functions(app):
    query = (Pet.select(Pet.name, fn.COUNT(Pet.id).over(partition_by=[Pet.owner])
                        .alias('siblings'))
             .order_by(Pet.name))
    assert list(query.tuples()) == [('fifi', 1), ('rex', 2), ('tom', 2)]
    query = (Person.select(Person.name, fn.RANK().over(
        order_by=[Person.age.desc(nulls='LAST')]).alias('r')).order_by(Person.name))
    assert [(p.name, p.r) for p in query] == [('ann', 1), ('bob', 2), ('cid', 3)]
    window = Window(order_by=[Pet.id])
    query = (Pet.select(Pet.name, fn.SUM(Pet.id).over(window).alias('running'))
             .window(window).order_by(Pet.id))
    ids = [p.id for p in Pet.select(Pet.id).order_by(Pet.id)]
    assert [r.running for r in query] == [ids[0], ids[0] + ids[1], sum(ids)]
    frame = (Pet.select(fn.COUNT(Pet.id).over(order_by=[Pet.id], start=Window.preceding(1),
                                              end=Window.CURRENT_ROW).alias('c'))
             .order_by(Pet.id))
    assert [r.c for r in frame] == [1, 2, 2]


def test_compound_selects_of_models(app):
    young = Person.select(Person.name).where(Person.age < 25)
    old = Person.select(Person.name).where(Person.age > 25)
    query = (young | old).order_by(SQL('1'))
    assert [p.name for p in query] == ['ann', 'bob']
    assert query.count() == 2
    assert sorted(r[0] for r in (young + young).tuples()) == ['bob', 'bob']
    everyone = Person.select(Person.name)
    assert sorted(r[0] for r in (everyone - young).tuples()) == ['ann', 'cid']
    assert [r[0] for r in (everyone & old).tuples()] == ['ann']


def test_distinct_group_by_having(app):
    kinds = Pet.select(Pet.kind).distinct().order_by(Pet.kind)
    assert [p.kind for p in kinds] == ['cat', 'dog']
    query = (Pet.select(Pet.kind, fn.COUNT(Pet.id).alias('n')).group_by(Pet.kind)
             .having(fn.COUNT(Pet.id) > 1))
    assert [(r.kind, r.n) for r in query] == [('cat', 2)]


def test_case_cast_tuple_and_functions_in_select(app):
    band = Case(None, [(Person.age.is_null(), 'unknown'), (Person.age > 25, 'old')], 'young')
    query = Person.select(Person.name, band.alias('band')).order_by(Person.name)
    assert list(query.tuples()) == [('ann', 'old'), ('bob', 'young'), ('cid', 'unknown')]
    query = Person.select(fn.COALESCE(Person.age, 0).alias('a')).order_by(Person.id)
    assert [p.a for p in query] == [30, 20, 0]
    query = Person.select(fn.LOWER(Person.name).alias('l'), (Person.age * 2).alias('d'))
    assert list(query.order_by(Person.id).dicts())[0] == {'l': 'ann', 'd': 60}


def test_cast_comparison_binds_value_of_the_cast_type(app):
    # a value compared with CAST(col AS TEXT) is text: it must not go through the
    # integer column's converter (peewee binds '30' here, not 30)
    query = Person.select(Person.name).where(Person.age.cast('TEXT') == '30')
    assert query.sql()[1] == ['30']
    assert [p.name for p in query] == ['ann']
    query = Person.select(Person.name).where(Cast(Person.age, 'TEXT') == '20')
    assert [p.name for p in query] == ['bob']


def test_tuple_row_value_comparison(app):
    query = Person.select(Person.name).where(Tuple(Person.name, Person.age) == ('ann', 30))
    sql, params = query.sql()
    sql = sql.replace('`', '"')
    assert '("t1"."name", "t1"."age") = (' in sql and params == ['ann', 30]
    assert [p.name for p in query] == ['ann']
    query = Person.select(Person.name).where(
        Tuple(Person.name, Person.age).in_([('ann', 30), ('bob', 20)]))
    assert names(query) == ['ann', 'bob']
    with pytest.raises(ValueError):
        Person.select().where(Tuple(Person.name, Person.age) == ('ann',)).sql()


# ---------------------------------------------------------------------------------------
# Writing (querying.rst "Creating/Updating/Deleting records", upserts, bulk)
# ---------------------------------------------------------------------------------------

def test_atomic_updates_with_expressions(app):
    assert Person.update(age=Person.age + 1).where(Person.age.is_null(False)).execute() == 2
    assert sorted(Person.select(Person.name, Person.age).tuples()) == [
        ('ann', 31), ('bob', 21), ('cid', None)]
    Person.update({Person.age: Case(None, [(Person.age > 25, 100)], Person.age)}).execute()
    assert Person.get(name='ann').age == 100 and Person.get(name='bob').age == 21
    Pet.update(name=fn.UPPER(Pet.name)).where(
        Pet.owner.in_(Person.select(Person.id).where(Person.name == 'ann'))).execute()
    assert names(Pet.select()) == ['REX', 'TOM', 'fifi']
    Person.update(age=SQL('1 + 1')).where(Person.name == 'cid').execute()
    assert Person.get(name='cid').age == 2
    Visit.delete().execute()
    deleted = Pet.delete().where(
        Pet.owner == Person.select(Person.id).where(Person.name == 'bob')).execute()
    assert deleted == 1


def test_insert_variants_and_return_values(app):
    new_id = Person.insert(name='dan', age=1).execute()
    assert Person[new_id].name == 'dan'
    Person.insert_many([{'name': 'e1'}, {'name': 'e2', 'age': 2}]).execute()
    Person.insert_many([('f1', 1), ('f2', 2)], fields=[Person.name, Person.age]).execute()
    assert Person.select().where(Person.name.startswith('e') | Person.name.startswith('f')) \
        .count() == 4
    # api.rst insert_from: "Generates an INSERT INTO ... SELECT"; as_rowcount() asks for
    # the number of rows on every engine
    count = (Archive.insert_from(Person.select(Person.name).where(Person.age.is_null()),
                                 fields=[Archive.name]).as_rowcount().execute())
    assert count == 2
    assert names(Archive.select()) == ['cid', 'e1']


def test_insert_many_of_nothing_is_a_no_op(app):
    # peewee: executing insert_many() with no rows returns None and runs no statement,
    # so batch code need not guard against an empty batch
    with count_queries() as counter:
        assert Person.insert_many([]).execute() is None
        assert Person.insert_many(row for row in ()).execute() is None
        assert Person.bulk_create([]) is None
    assert counter.count == 0
    assert Person.select().count() == 3


@pytest.mark.engines('postgres', 'sqlite')
def test_insert_returning_gives_model_instances(app):
    # querying.rst (RETURNING): "By default the cursor will return Model instances"
    cursor = Person.insert(name='gus', age=4).returning(Person).execute()
    gus = cursor[0]
    assert isinstance(gus, Person) and gus.name == 'gus' and gus.id is not None
    cursor = Person.insert(name='hal').returning(Person.id, Person.name).execute()
    row = list(cursor)[0]
    assert isinstance(row, Person) and row.name == 'hal'
    query = (Person.insert_many([{'name': 'i1'}, {'name': 'i2'}])
             .returning(Person.id, Person.name).dicts())
    assert sorted(r['name'] for r in query.execute()) == ['i1', 'i2']
    query = Person.insert_many([{'name': 'j1'}, {'name': 'j2'}]).returning(Person)
    assert sorted(p.name for p in query) == ['j1', 'j2']     # iterating runs it


@pytest.mark.engines('postgres', 'sqlite')
def test_update_and_delete_returning(app):
    query = (Person.update(age=Person.age + 1).where(Person.age.is_null(False))
             .returning(Person.name, Person.age))
    assert sorted((p.name, p.age) for p in query.execute()) == [('ann', 31), ('bob', 21)]
    query = Pet.delete().where(Pet.kind == 'dog').returning(Pet.name).tuples()
    assert list(query.execute()) == [('rex',)]


def test_upsert_on_conflict(app):
    Setting.insert(key='a', value=1).execute()
    (Setting.insert(key='a', value=5, note='n')
     .on_conflict(conflict_target=[Setting.key], preserve=[Setting.note],
                  update={Setting.value: Setting.value + 10})
     .execute())
    assert Setting.select(Setting.key, Setting.value, Setting.note).tuples().get() == \
        ('a', 11, 'n')
    # a WHERE on the update: the row is left alone when it does not hold (MySQL's
    # ON DUPLICATE KEY UPDATE has no WHERE: refused there)
    query = (Setting.insert(key='a', value=1)
             .on_conflict(conflict_target=[Setting.key], update={Setting.value: 0},
                          where=(Setting.value > 100)))
    if engine_name(app.db) == 'mysql':
        with pytest.raises(peewee.NotSupportedError):
            query.execute()
    else:
        query.execute()
    assert Setting.get(key='a').value == 11
    (Setting.insert_many([{'key': 'a', 'value': 7}, {'key': 'b', 'value': 8}])
     .on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute())
    assert sorted(Setting.select(Setting.key, Setting.value).tuples()) == [('a', 7),
                                                                          ('b', 8)]
    Setting.insert(key='a', value=0).on_conflict_ignore().execute()
    assert Setting.get(key='a').value == 7


@pytest.mark.engines('sqlite')
def test_replace_and_replace_many(app):
    Setting.insert_many([{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}]).execute()
    Setting.replace(key='a', value=10).execute()
    Setting.replace_many([{'key': 'b', 'value': 20}, {'key': 'c', 'value': 30}]).execute()
    assert sorted(Setting.select(Setting.key, Setting.value).tuples()) == [
        ('a', 10), ('b', 20), ('c', 30)]
    Setting.insert(key='c', value=0).on_conflict_replace().execute()
    assert Setting.get(key='c').value == 0


def test_bulk_create_and_bulk_update_in_batches(app):
    people = [Person(name='p%d' % i, age=i) for i in range(5)]
    with app.db.atomic():
        Person.bulk_create(people, batch_size=2)
    stored = list(Person.select().where(Person.name.startswith('p')).order_by(Person.id))
    assert [p.name for p in stored] == ['p0', 'p1', 'p2', 'p3', 'p4']
    for person in stored:
        person.age *= 10
    # MySQL counts the rows changed: p0's age stays 0
    changed = 4 if engine_name(app.db) == 'mysql' else 5
    with count_queries() as counter:
        assert Person.bulk_update(stored, fields=['age'], batch_size=2) == changed
    assert counter.count >= 3                   # three batches (+ a savepoint or two)
    assert [p.age for p in Person.select().where(Person.name.startswith('p'))
            .order_by(Person.id)] == [0, 10, 20, 30, 40]


def test_raw_queries(app):
    table = app.db.quote_identifier(Person._meta.table_name)
    param = app.db.param
    query = Person.raw('SELECT id, name FROM %s WHERE age > %s ORDER BY id'
                       % (table, param), 10)
    assert [(p.id, p.name) for p in query] == [(app.ann.id, 'ann'), (app.bob.id, 'bob')]
    assert list(query.dicts())[1] == {'id': app.bob.id, 'name': 'bob'}
    assert list(query.tuples())[0] == (app.ann.id, 'ann')
    assert Person.raw('SELECT * FROM %s WHERE name = %s' % (table, param), 'cid') \
        .get().id == app.cid.id


# ---------------------------------------------------------------------------------------
# Relationships and deletes (relationships.rst, models.rst)
# ---------------------------------------------------------------------------------------

def test_delete_instance_recursive(app):
    # Visit.pet is NOT NULL: its rows go; Visit.vet is nullable: those rows are
    # re-pointed to NULL unless delete_nullable=True
    app.tom.delete_instance(recursive=True)
    assert names(Pet.select()) == ['fifi', 'rex']
    assert [v.note for v in Visit.select()] == ['shots']
    app.dr.delete_instance(recursive=True)
    assert Visit.get().vet_id is None
    vet = Vet.create(name='v2')
    Visit.create(pet=app.fifi, vet=vet, note='x')
    vet.delete_instance(recursive=True, delete_nullable=True)
    assert [v.note for v in Visit.select()] == ['shots']


def test_on_delete_cascade(app):
    if engine_name(app.db) == 'sqlite':
        app.db.execute_sql('PRAGMA foreign_keys = 1')
    Visit.delete().execute()
    Person.delete().where(Person.name == 'ann').execute()
    assert names(Pet.select()) == ['fifi']


def test_deferred_foreign_key(db):
    class Author(Model):
        name = CharField()
        favorite_book = DeferredForeignKey('Book', null=True, deferrable=None)

        class Meta:
            database = db

    class Book(Model):
        title = CharField()
        author = ForeignKeyField(Author, backref='books')

        class Meta:
            database = db

    assert Author.favorite_book.rel_model is Book
    db.create_tables([Author, Book])
    author = Author.create(name='a')
    book = Book.create(title='t', author=author)
    author.favorite_book = book
    author.save()
    fetched = Author.get()
    assert fetched.favorite_book.title == 't'
    assert fetched.favorite_book_id == book.id
    assert [b.title for b in fetched.books] == ['t']
    db.drop_tables([Author, Book])


def test_composite_key_crud(app):
    Membership.create(group='g', member='ann', role='admin')
    Membership.create(group='g', member='bob')
    Membership.insert(group='h', member='ann').execute()
    member = Membership.get((Membership.group == 'g') & (Membership.member == 'ann'))
    assert member.role == 'admin'
    assert Membership.get_by_id(('g', 'bob')).role == 'user'
    assert member == Membership.get(group='g', member='ann')
    member.role = 'owner'
    assert member.save() == 1
    assert Membership.get_by_id(('g', 'ann')).role == 'owner'
    assert member.delete_instance() == 1
    assert Membership.select().count() == 2
    assert Membership.select().where(Membership._meta.primary_key == ('g', 'bob')).exists()


def test_foreign_key_as_primary_key(app):
    Score.create(person=app.ann, points=5)
    assert Score.get_by_id(app.ann.id).points == 5
    score = Score.get(Score.person == app.ann)
    score.points = 7
    assert score.save() == 1
    assert Score[app.ann.id].points == 7
    assert Score(person=app.bob, points=1).save(force_insert=True) == 1
    assert Score.select().count() == 2
    assert Score.get(Score.person == app.bob).person.name == 'bob'


# ---------------------------------------------------------------------------------------
# Meta options and schema (models.rst "Model options", "Indexes and constraints")
# ---------------------------------------------------------------------------------------

def test_meta_inheritance_table_names_and_options(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class UserProfile(Base):
        name = CharField()

    class Legacy(Model):
        class Meta:
            database = db

    class CamelCase(Legacy):
        pass

    class Pair(Base):
        x = IntegerField()
        y = IntegerField()

        class Meta:
            table_name = 'pairs'
            indexes = ((('x', 'y'), True),)
            constraints = [SQL('CHECK (x > 0)')]

    class ChildPair(Pair):
        z = IntegerField(null=True)

    class NoKey(Base):
        v = IntegerField()

        class Meta:
            primary_key = False

    assert UserProfile._meta.table_name == 'user_profile'
    assert CamelCase._meta.table_name == 'camelcase'         # legacy naming
    assert UserProfile._meta.database is db
    assert Pair._meta.table_name == 'pairs'
    assert ChildPair._meta.table_name == 'child_pair'        # table_name not inherited
    assert ChildPair._meta.indexes == Pair._meta.indexes     # indexes inherited
    assert [f.name for f in ChildPair._meta.sorted_fields] == ['id', 'x', 'y', 'z']
    assert NoKey._meta.primary_key is False
    db.create_tables([UserProfile, Pair, ChildPair, NoKey])
    assert {'user_profile', 'pairs', 'child_pair', 'no_key'} <= set(db.get_tables())
    unique = [i for i in db.get_indexes('child_pair') if i.unique and i.columns != ['id']]
    assert [sorted(i.columns) for i in unique] == [['x', 'y']]
    with pytest.raises(IntegrityError):
        with db.atomic():
            ChildPair.create(x=0, y=1)                       # CHECK inherited
    ChildPair.create(x=1, y=1)
    with pytest.raises(IntegrityError):
        with db.atomic():
            ChildPair.create(x=1, y=1)
    NoKey.insert_many([(1,), (2,)], fields=[NoKey.v]).execute()
    assert sorted(n.v for n in NoKey.select()) == [1, 2]


def test_model_index_and_add_index(db):
    class Item(Model):
        code = CharField()
        qty = IntegerField()

        class Meta:
            database = db

    Item.add_index(Item.code, Item.qty, unique=True)
    partial = engine_name(db) != 'mysql'          # MySQL has no partial indexes
    if partial:
        Item.add_index(Item.index(Item.qty, name='item_positive_qty').where(SQL('qty > 0')))
    db.create_tables([Item])
    indexes = {i.name: i for i in db.get_indexes('item')}
    assert indexes['item_code_qty'].unique
    assert sorted(indexes['item_code_qty'].columns) == ['code', 'qty']
    assert ('item_positive_qty' in indexes) is partial
    Item.create(code='a', qty=1)
    with pytest.raises(IntegrityError):
        with db.atomic():
            Item.create(code='a', qty=1)


@pytest.mark.engines('sqlite')
def test_without_rowid(db):
    class Word(Model):
        word = TextField(primary_key=True)

        class Meta:
            database = db
            without_rowid = True

    db.create_tables([Word])
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'word'").fetchone()[0]
    assert sql.rstrip().endswith('WITHOUT ROWID')
    Word.create(word='x')
    assert Word.get_by_id('x').word == 'x'


# ---------------------------------------------------------------------------------------
# PostgreSQL only (api.rst: for_update, DISTINCT ON, LATERAL)
# ---------------------------------------------------------------------------------------

@pytest.mark.engines('postgres')
def test_for_update_variants(app):
    with app.db.atomic():
        query = Person.select().where(Person.name == 'ann').for_update()
        assert query.sql()[0].endswith('FOR UPDATE')
        assert query.get().name == 'ann'
        nowait = Person.select().where(Person.name == 'bob').for_update(nowait=True)
        assert nowait.sql()[0].endswith('FOR UPDATE NOWAIT')
        assert nowait.get().name == 'bob'
        share = Person.select().for_update('FOR SHARE')
        assert share.sql()[0].endswith('FOR SHARE')
        assert share.count() == 3


@pytest.mark.engines('postgres')
def test_distinct_on_and_lateral_join(app):
    query = (Pet.select(Pet.owner, Pet.name).distinct(Pet.owner)
             .order_by(Pet.owner, Pet.name))
    assert [(p.owner_id, p.name) for p in query] == [(app.ann.id, 'rex'),
                                                     (app.bob.id, 'fifi')]
    first_pet = (Pet.select(Pet.name).where(Pet.owner == Person.id).order_by(Pet.name)
                 .limit(1)).alias('fp')
    query = (Person.select(Person.name, first_pet.c.name.alias('pet'))
             .join(first_pet, JOIN.LEFT_LATERAL, on=SQL('true')).order_by(Person.name))
    assert list(query.tuples()) == [('ann', 'rex'), ('bob', 'fifi'), ('cid', None)]


@pytest.mark.engines('postgres')
def test_update_from(app):
    Score.create(person=app.ann, points=70)
    query = (Person.update(age=Score.points).from_(Score)
             .where(Score.person == Person.id))
    assert query.execute() == 1
    assert Person.get(name='ann').age == 70


# ---------------------------------------------------------------------------------------
# A makerspace: makers (one may sponsor another), machines and reservations, on every
# engine. The queries cover the topics of peewee's "query examples" page -- filters and
# CASE, joins and self-joins, subqueries in each position, aggregates and windows, a
# recursive CTE, and statements that change data -- on a schema of our own.
# ---------------------------------------------------------------------------------------

def _rate() -> peewee.DecimalField:
    return peewee.DecimalField(max_digits=8, decimal_places=2)


class Maker(Model):
    given = CharField()
    family = CharField()
    sponsor = ForeignKeyField('self', null=True, backref='sponsored')
    joined = peewee.DateField()
    visitor = peewee.BooleanField(default=False)


class Machine(Model):
    label = CharField(max_length=40)
    price = IntegerField()         # what the machine cost
    hourly = _rate()               # what a member pays per hour
    visitor_hourly = _rate()       # what a day visitor pays

    class Meta:
        indexes = ((('label',), True),)


class Reservation(Model):
    machine = ForeignKeyField(Machine, backref='reservations')
    maker = ForeignKeyField(Maker, backref='reservations')
    begins = peewee.DateTimeField()
    hours = IntegerField()


SPACE_MODELS = [Maker, Machine, Reservation]


@pytest.fixture
def space(db):
    import datetime
    from decimal import Decimal
    db.bind(SPACE_MODELS)
    with db.atomic():
        db.create_tables(SPACE_MODELS)
        makers = {}
        for given, family, sponsor, joined, visitor in [
                ('Guest', 'Pass', None, '2023-01-01', True),
                ('Wren', 'Okafor', None, '2023-01-10', False),
                ('Jonas', 'Berg', 'Wren', '2023-02-14', False),
                ('Lia', 'Moreau', 'Jonas', '2023-03-01', False),
                ('Pavel', 'Novak', None, '2023-03-20', False)]:
            makers[given] = Maker.create(
                given=given, family=family, sponsor=makers.get(sponsor), visitor=visitor,
                joined=datetime.date.fromisoformat(joined))
        machines = {}
        for label, hourly, visitor_hourly, price in [
                ('Laser Cutter', 8, 24, 14000), ('CNC Router', 10, 30, 22000),
                ('Resin Printer', 0, Decimal('7.5'), 3000), ('Band Saw', 2, 6, 1200)]:
            machines[label] = Machine.create(label=label, hourly=hourly,
                                             visitor_hourly=visitor_hourly, price=price)
        Reservation.insert_many(
            [(machines[m], makers[who], datetime.datetime.fromisoformat(at), hours)
             for m, who, at, hours in [
                 ('Laser Cutter', 'Guest', '2023-05-06 10:00', 3),
                 ('CNC Router', 'Guest', '2023-05-06 14:00', 2),
                 ('Laser Cutter', 'Jonas', '2023-05-13 09:00', 4),
                 ('Resin Printer', 'Jonas', '2023-05-06 09:00', 2),
                 ('Resin Printer', 'Wren', '2023-04-29 18:00', 1),
                 ('Band Saw', 'Lia', '2023-05-13 11:00', 5),
                 ('Laser Cutter', 'Wren', '2023-05-20 08:00', 2)]],
            fields=[Reservation.machine, Reservation.maker, Reservation.begins,
                    Reservation.hours]).execute()
    return db


def _charge():
    """What a reservation costs: visitors pay the visitor rate."""
    return Case(Maker.visitor, ((True, Reservation.hours * Machine.visitor_hourly),),
                Reservation.hours * Machine.hourly)


def _full_name(model=None):
    model = model or Maker
    return model.given + ' ' + model.family


def test_space_filters_and_scalars(space):
    import datetime
    from decimal import Decimal
    query = Machine.select(Machine.label).where(Machine.label.contains('PRINT'))
    assert [m.label for m in query] == ['Resin Printer']
    assert Machine.select().where(Machine.label ** '%c%').count() == 2
    assert [m.label for m in Machine.select().where(Machine.id.in_([2, 7]))] == ['CNC Router']
    size = Case(None, [(Machine.price > 10000, 'major')], 'minor')
    query = Machine.select(Machine.label, size.alias('size')).order_by(Machine.id)
    assert [m.size for m in query] == ['major', 'major', 'minor', 'minor']
    query = (Maker.select(Maker.id, Maker.family)
             .where(Maker.joined >= datetime.date(2023, 3, 1)).order_by(Maker.id))
    assert [m.family for m in query] == ['Moreau', 'Novak']
    query = (Reservation.select(Reservation.hours).distinct()
             .order_by(Reservation.hours.desc()).limit(3))
    assert [r.hours for r in query] == [5, 4, 3]
    names = Maker.select(Maker.family) | Machine.select(Machine.label)
    assert len(list(names.tuples())) == 9
    assert Maker.select(fn.MAX(Maker.joined)).scalar() == datetime.date(2023, 3, 20)
    Latest = Maker.alias()
    newest = Maker.select(Maker.given, Maker.family).where(
        Maker.joined == Latest.select(fn.MAX(Latest.joined)))
    assert [(m.given, m.family) for m in newest] == [('Pavel', 'Novak')]
    free = Machine.select(Machine.hourly).where(Machine.label == 'Resin Printer')
    assert free.scalar() == Decimal('0')


def test_space_joins_and_subqueries(space):
    from decimal import Decimal
    query = (Reservation.select(Reservation.begins).join(Maker)
             .where((Maker.given == 'Jonas') & (Maker.family == 'Berg')))
    assert len(list(query)) == 2
    query = (Reservation.select(Reservation.begins, Machine.label).join(Machine)
             .where(Machine.price > 10000)
             .order_by(Reservation.begins))
    assert [r.machine.label for r in query] == ['Laser Cutter', 'CNC Router',
                                                'Laser Cutter', 'Laser Cutter']
    Other = Maker.alias()
    sponsors = (Maker.select(Maker.given)
                .join(Other, on=(Other.sponsor == Maker.id))
                .order_by(Maker.given))
    assert [m.given for m in sponsors] == ['Jonas', 'Wren']
    query = (Maker.select(Maker.given, Other.given)
             .join(Other, JOIN.LEFT_OUTER, on=(Maker.sponsor == Other.id))
             .order_by(Maker.id))
    assert [(m.given, m.sponsor.given if m.sponsor else None) for m in query] == [
        ('Guest', None), ('Wren', None), ('Jonas', 'Wren'), ('Lia', 'Jonas'),
        ('Pavel', None)]
    full = _full_name()
    query = (Maker.select(full.alias('maker'), Machine.label.alias('machine'))
             .join(Reservation).join(Machine)
             .where(Machine.price > 10000)
             .order_by(full, Machine.label)
             .distinct())
    assert list(query.tuples()) == [
        ('Guest Pass', 'CNC Router'), ('Guest Pass', 'Laser Cutter'),
        ('Jonas Berg', 'Laser Cutter'), ('Wren Okafor', 'Laser Cutter')]
    charge = _charge()
    query = (Maker.select(full.alias('maker'), Machine.label.alias('machine'),
                          charge.alias('charge'))
             .join(Reservation).join(Machine)
             .where(charge > 50)
             .order_by(SQL('charge').desc()))
    assert [(r.maker, r.machine, r.charge) for r in query.namedtuples()] == [
        ('Guest Pass', 'Laser Cutter', Decimal('72')), ('Guest Pass', 'CNC Router',
                                                        Decimal('60'))]
    sponsor_name = Other.select(_full_name(Other)).where(Maker.sponsor == Other.id)
    query = (Maker.select(full.alias('maker'), sponsor_name.alias('sponsor_name'))
             .order_by(full))
    assert dict(query.tuples())['Lia Moreau'] == 'Jonas Berg'
    charges = (Maker.select(full.alias('maker'), Machine.label.alias('machine'),
                            charge.alias('charge'))
               .join(Reservation).join(Machine))
    query = (Maker.select(charges.c.maker, charges.c.machine, charges.c.charge)
             .from_(charges)
             .where(charges.c.charge > 50)
             .order_by(SQL('charge').desc()))
    assert [r['machine'] for r in query.dicts()] == ['Laser Cutter', 'CNC Router']


def test_space_aggregates_and_windows(space):
    from decimal import Decimal
    assert Machine.select(fn.COUNT(Machine.id)).scalar() == 4
    query = (Maker.select(Maker.sponsor, fn.COUNT(Maker.id))
             .where(Maker.sponsor.is_null(False))
             .group_by(Maker.sponsor).order_by(Maker.sponsor))
    assert list(query.tuples()) == [(2, 1), (3, 1)]
    assert Reservation.select(fn.COUNT(Reservation.maker.distinct())).scalar() == 4
    assert Reservation.select(Reservation.maker).distinct().count() == 4
    hours = fn.SUM(Reservation.hours)
    query = (Reservation.select(Reservation.machine, hours)
             .group_by(Reservation.machine).having(hours > 4)
             .order_by(Reservation.machine))
    assert list(query.tuples()) == [(1, 9), (4, 5)]
    rate = Case(None, ((Maker.visitor, Machine.visitor_hourly),), Machine.hourly)
    revenue = fn.SUM(Reservation.hours * rate)
    query = (Machine.select(Machine.label, revenue.alias('revenue'))
             .join(Reservation).join(Maker)
             .group_by(Machine.label)
             .having(revenue < 100)
             .order_by(SQL('revenue')))
    assert [(m.label, Decimal(m.revenue)) for m in query] == [
        ('Resin Printer', 0), ('Band Saw', 10), ('CNC Router', 60)]
    busiest = (Reservation.select(Reservation.machine, hours)
               .group_by(Reservation.machine).order_by(hours.desc()).limit(1))
    assert busiest.scalar(as_tuple=True) == (1, 9)
    query = (Maker.select(fn.row_number().over(order_by=[Maker.joined]), Maker.given)
             .order_by(Maker.joined))
    assert [row[0] for row in query.tuples()] == [1, 2, 3, 4, 5]
    place = fn.rank().over(order_by=[hours.desc()])
    ranked = (Reservation.select(Reservation.machine, hours.alias('total'),
                                 place.alias('place'))
              .group_by(Reservation.machine))
    query = (peewee.Select(columns=[ranked.c.machine_id, ranked.c.total]).from_(ranked)
             .where(ranked.c.place == 1).bind(space))
    assert list(query.tuples()) == [(1, 9)]
    halves = (Machine.select(Machine.label,
                             fn.NTILE(2).over(order_by=[revenue.desc()]).alias('half'))
              .join(Reservation).join(Maker)
              .group_by(Machine.label))
    busy = Case(halves.c.half, [(1, 'busy')], 'quiet')
    query = (peewee.Select(columns=[halves.c.label, busy]).from_(halves)
             .order_by(halves.c.half, halves.c.label).bind(space))
    assert list(query.tuples()) == [('CNC Router', 'busy'), ('Laser Cutter', 'busy'),
                                    ('Band Saw', 'quiet'), ('Resin Printer', 'quiet')]


def test_space_recursive_sponsor_chain(space):
    Up = Maker.alias()
    chain_table = peewee.Table('chain')
    first = Maker.select(Maker.sponsor).where(Maker.given == 'Lia')
    further = (chain_table.select(Up.sponsor)
               .join(Up, on=(Up.id == chain_table.c.link)))
    chain = (first + further).cte('chain', recursive=True, columns=['link'])
    query = (peewee.Select(columns=[chain.c.link, Maker.given])
             .from_(chain)
             .join(Maker, on=(chain.c.link == Maker.id))
             .with_cte(chain)
             .order_by(Maker.joined)
             .bind(space))
    assert list(query.tuples()) == [(2, 'Wren'), (3, 'Jonas')]


def test_space_changing_data(space):
    from decimal import Decimal
    Machine.insert(id=10, label='Kiln', hourly=4, visitor_hourly=12, price=5000).execute()
    next_id = Machine.select(fn.MAX(Machine.id) + 1)
    row = peewee.Select(columns=(next_id, 'Kiln 2', 4, 12, 5000))
    Machine.insert_from(row, [Machine.id, Machine.label, Machine.hourly,
                              Machine.visitor_hourly, Machine.price]).execute()
    assert list(Machine.select(Machine.id, Machine.label)
                .where(Machine.id > 5).order_by(Machine.id).tuples()) == \
        [(10, 'Kiln'), (11, 'Kiln 2')]
    # the router's rates become one and a half times the laser's
    member = Machine.select(Machine.hourly * Decimal('1.5')).where(Machine.id == 1)
    visitor = Machine.select(Machine.visitor_hourly * Decimal('1.5')).where(Machine.id == 1)
    Machine.update(hourly=member, visitor_hourly=visitor).where(Machine.id == 2).execute()
    router = Machine.get_by_id(2)
    assert (router.hourly, router.visitor_hourly) == (Decimal('12'), Decimal('36'))
    # UPDATE ... FROM a CTE: the saw costs half of what the laser costs
    halved = (Machine.select(Machine.hourly / 2, Machine.visitor_hourly / 2)
              .where(Machine.label == 'Laser Cutter')
              .cte('halved', columns=('h', 'v')))
    query = (Machine.update(hourly=SQL('halved.h'), visitor_hourly=SQL('halved.v'))
             .with_cte(halved).from_(halved)
             .where(Machine.label == 'Band Saw'))
    if engine_name(space) == 'mysql':     # MySQL has no UPDATE ... FROM
        with pytest.raises(peewee.NotSupportedError):
            query.execute()
    else:
        changed = query.execute()
        # sqlite3 gives no row count for a statement that begins with WITH (peewee then
        # returns -1 as well); the other drivers report the one row
        assert changed == (-1 if engine_driver(space) == 'sqlite3' else 1)
        saw = Machine.get(Machine.label == 'Band Saw')
        assert (saw.hourly, saw.visitor_hourly) == (Decimal('4'), Decimal('12'))
    booked = Reservation.select().where(Reservation.maker == Maker.id)
    assert Maker.delete().where(~fn.EXISTS(booked)).execute() == 1      # Pavel
    assert Reservation.delete().execute() == 7


@pytest.mark.engines('postgres')
def test_space_postgres_date_functions(space):
    import datetime
    query = (Reservation.select(Reservation.begins).join(Machine)
             .where((fn.date_trunc('day', Reservation.begins) == datetime.date(2023, 5, 13))
                    & (Machine.price > 10000)))
    assert [r.begins for r in query] == [datetime.datetime(2023, 5, 13, 9)]
    month = fn.date_part('month', Reservation.begins)
    query = (Reservation.select(Reservation.machine, month.alias('month'),
                                fn.SUM(Reservation.hours))
             .where(fn.date_part('year', Reservation.begins) == 2023)
             .group_by(fn.ROLLUP(Reservation.machine, month))
             .order_by(Reservation.machine, month))
    rows = list(query.tuples())
    assert rows[-1] == (None, None, 19)
    assert (3, None, 3) in rows and (3, 4, 1) in rows
    query = (Maker.select(fn.COUNT(Maker.id).over(), Maker.given)
             .order_by(Maker.joined))
    assert {row[0] for row in query.tuples()} == {5}
