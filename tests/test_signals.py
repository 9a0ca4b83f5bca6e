"""playhouse.signals on every engine: save/delete/init signals, sender filtering,
connect/disconnect by name, the decorator form, and rows read back from the engine."""
from __future__ import annotations

import pytest

import orm
from orm import CharField, ForeignKeyField, IntegerField, TextField
from playhouse import signals


class A(signals.Model):
    a = TextField(default='')


class B(signals.Model):
    b = TextField(default='')


class SubB(B):
    pass


class Child(signals.Model):
    parent = ForeignKeyField(A, backref='children')
    name = CharField()


class NoPK(signals.Model):
    val = IntegerField()

    class Meta:
        primary_key = False


MODELS = [A, B, SubB, Child, NoPK]
SIGNALS = [signals.pre_save, signals.post_save, signals.pre_delete, signals.post_delete,
           signals.pre_init]


@pytest.fixture(autouse=True)
def models(db):
    db.bind(MODELS)
    db.create_tables(MODELS)
    yield db
    for signal in SIGNALS:
        signal._flush()


def test_pre_and_post_save(db):
    state = []

    @signals.pre_save()
    def pre(sender, instance, created):
        # before the INSERT the row is not there yet
        state.append(('pre', sender, instance.id, created, A.select().count()))

    @signals.post_save()
    def post(sender, instance, created):
        state.append(('post', sender, instance.id, created, A.select().count()))

    a = A(a='x')
    assert a.save() == 1
    assert state == [('pre', A, None, True, 0), ('post', A, a.id, True, 1)]
    a.a = 'y'
    a.save()
    assert state[2:] == [('pre', A, a.id, False, 1), ('post', A, a.id, False, 1)]
    assert A.get_by_id(a.id).a == 'y'
    # create() saves with force_insert: created is True even with a key given
    A.create(id=100, a='z')
    assert state[-1] == ('post', A, 100, True, 2)


def test_pre_and_post_delete(db):
    state = []

    @signals.pre_delete()
    def pre(sender, instance):
        state.append(('pre', sender, instance.id, A.select().count()))

    @signals.post_delete()
    def post(sender, instance):
        state.append(('post', sender, instance.id, A.select().count()))

    a = A.create()
    assert a.delete_instance() == 1
    assert state == [('pre', A, a.id, 1), ('post', A, a.id, 0)]


def test_pre_init_on_construction_and_on_rows_read(db):
    A.create(a='a1')
    A.create(a='a2')
    state = []

    @signals.pre_init()
    def pre_init(sender, instance):
        state.append((sender, instance.a))

    A(a='new')
    assert state == [(A, 'new')]
    del state[:]
    assert [a.a for a in A.select().order_by(A.id)] == ['a1', 'a2']
    assert state == [(A, 'a1'), (A, 'a2')]
    del state[:]
    got = A.get(A.a == 'a2')
    assert state == [(A, 'a2')] and not got.is_dirty()
    del state[:]
    A.get_by_id(got.id)
    assert state == [(A, 'a2')]


def test_pre_init_on_joined_rows(db):
    parent = A.create(a='p')
    Child.create(parent=parent, name='c')
    state = []
    signals.pre_init.connect(lambda sender, instance: state.append(sender), name='track')
    rows = list(Child.select(Child, A).join(A))
    assert sorted(s.__name__ for s in state) == ['A', 'Child']
    child = rows[0]
    assert (child.name, child.parent.a) == ('c', 'p')
    assert not child.is_dirty() and not child.parent.is_dirty()


def test_sender_filter_and_subclasses(db):
    state = []

    @signals.post_save(sender=B)
    def post_save(sender, instance, created):
        state.append((sender, instance))

    a = A.create()
    b = B.create()
    sub = SubB.create()
    assert state == [(B, b), (SubB, sub)]
    assert a not in [i for _, i in state]


def test_connect_disconnect(db):
    state = []

    def handler(sender, instance, created):
        state.append(instance)

    signals.post_save.connect(handler, sender=A)
    a1 = A.create()
    assert state == [a1]
    # connected for a sender: disconnecting needs that sender
    with pytest.raises(ValueError):
        signals.post_save.disconnect(handler)
    signals.post_save.disconnect(handler, sender=A)
    A.create()
    assert state == [a1]

    signals.post_save.connect(handler, name='named')
    with pytest.raises(ValueError, match='already registered'):
        signals.post_save.connect(handler, name='named')
    a3 = A.create()
    assert state == [a1, a3]
    signals.post_save.disconnect(name='named')
    A.create()
    assert state == [a1, a3]
    with pytest.raises(ValueError):
        signals.post_save.disconnect(name='named')
    with pytest.raises(ValueError):
        signals.post_save.disconnect()


def test_one_function_for_several_senders_and_send_results(db):
    state = []

    @signals.post_save(sender=A)
    def post_save(sender, instance, created):
        state.append(sender)
        return 'seen'

    signals.post_save(sender=B)(post_save)
    A.create()
    B.create()
    assert state == [A, B]
    assert signals.post_save.send(A(), created=False) == [(post_save, 'seen')]


def test_bulk_queries_send_nothing(db):
    state = []
    for signal in (signals.pre_save, signals.post_save, signals.pre_delete,
                   signals.post_delete):
        signal.connect(lambda sender, instance, **kw: state.append(sender),
                       name='bulk')
    A.insert(a='x').execute()
    A.update(a='y').execute()
    A.delete().execute()
    assert state == []


def test_model_without_primary_key(db):
    count = [0]

    @signals.pre_save(sender=NoPK)
    @signals.post_save(sender=NoPK)
    def hook(sender, instance, created):
        assert created
        count[0] += 1

    NoPK.create(val=1)
    assert NoPK.get(NoPK.val == 1).val == 1
    assert count[0] == 2


class Plain(orm.Model):
    """Not a signals model: its own __init__ must run for rows read back as well."""
    name = CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = {'name_at_init': self.name}


def test_models_overriding_init_run_it_for_rows(db):
    db.bind([Plain])
    db.create_tables([Plain])
    Plain.create(name='huey')
    for instance in (Plain.get(), Plain.get_by_id(1), list(Plain.select())[0],
                     Plain.select().objects().get(), Plain.raw('SELECT * FROM plain').get()):
        assert instance.cache == {'name_at_init': 'huey'}
        assert not instance.is_dirty()
