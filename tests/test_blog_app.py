"""A neighbourhood seed-swap board, written against peewee's documented API only.

Gardeners list things to give away (seeds, seedlings, tools), file each listing
under a plant in a taxonomy tree, put labels on them, and vouch for the
gardeners they trust. The application code imports ``orm`` under the name
``peewee`` and uses only what peewee 3.17 documents: that is what "peewee
applications run unchanged" means. It runs on SQLite and PostgreSQL (where
foreign keys are enforced, so the order of deletes matters).
"""
from __future__ import annotations

import datetime

import pytest

import orm as peewee

from helpers import count_queries

JOIN, SQL, Value, fn = peewee.JOIN, peewee.SQL, peewee.Value, peewee.fn


# ---------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------

class SwapModel(peewee.Model):
    pass


class Gardener(SwapModel):
    nickname = peewee.CharField(unique=True)
    email = peewee.CharField()
    signed_up = peewee.DateTimeField(default=datetime.datetime.now)

    # Both directions of the trust network are one correlated EXISTS over Trust.
    def _network(self, own_end, far_end):
        link = Trust.select(Trust.id).where((own_end == self.id) & (far_end == Gardener.id))
        return Gardener.select().where(fn.EXISTS(link)).order_by(Gardener.nickname)

    def trusted(self):
        """The gardeners this one vouches for."""
        return self._network(Trust.truster, Trust.trusted)

    def trusted_by(self):
        """The gardeners who vouch for this one."""
        return self._network(Trust.trusted, Trust.truster)

    def trusts(self, other):
        return Trust.get_or_none(truster=self, trusted=other) is not None

    def vouch_for(self, other):
        """Record the trust; False when it was already recorded (the unique index)."""
        try:
            with self._meta.database.atomic():
                Trust.create(truster=self, trusted=other)
        except peewee.IntegrityError:
            return False
        return True

    def withdraw(self, other):
        query = Trust.delete().where(Trust.truster == self, Trust.trusted == other)
        return query.execute()

    def board(self):
        """Open listings of the gardeners this one trusts, latest first, givers joined."""
        return (Listing.select(Listing, Gardener)
                .join(Gardener)
                .join(Trust, on=(Trust.trusted == Gardener.id))
                .where((Trust.truster == self.id) & Listing.is_open)
                .order_by(Listing.listed_at.desc(), Listing.id.desc()))


class Trust(SwapModel):
    truster = peewee.ForeignKeyField(Gardener, backref='vouches')
    trusted = peewee.ForeignKeyField(Gardener, backref='vouched_by')

    class Meta:
        indexes = (
            (('truster', 'trusted'), True),       # one vouch per pair
        )


class Taxon(SwapModel):
    name = peewee.CharField()
    parent = peewee.ForeignKeyField('self', null=True, backref='children')


class Label(SwapModel):
    name = peewee.CharField(unique=True)


class Listing(SwapModel):
    gardener = peewee.ForeignKeyField(Gardener, backref='listings')
    taxon = peewee.ForeignKeyField(Taxon, null=True, backref='listings')
    title = peewee.TextField()
    listed_at = peewee.DateTimeField()
    is_open = peewee.BooleanField(default=True)
    labels = peewee.ManyToManyField(Label, backref='listings')


ListingLabel = Listing.labels.get_through_model()

MODELS = [Gardener, Trust, Taxon, Label, Listing, ListingLabel]
OPENING = datetime.datetime(2024, 4, 20, 8, 0)

TAXA = [('vegetables', None), ('roots', 'vegetables'), ('carrots', 'roots'),
        ('beets', 'roots'), ('leaves', 'vegetables'), ('herbs', None), ('mint', 'herbs')]

LISTINGS = [    # (gardener, title, minute, taxon, labels, open)
    ('basil', 'purple carrot seed', 1, 'carrots', ['heirloom', 'easy'], True),
    ('rowan', 'rainbow chard', 2, 'leaves', ['organic'], True),
    ('basil', 'beet seedlings', 3, 'beets', [], True),
    ('fern', 'a spare trowel', 4, None, [], True),
    ('rowan', 'kale starts', 5, 'leaves', ['organic', 'heirloom'], True),
    ('basil', 'seed potatoes', 6, 'roots', ['organic'], False),
    ('rowan', 'mint runners', 7, 'mint', ['easy'], True),
    ('basil', 'carrot thinnings', 8, 'carrots', ['heirloom'], True),
    ('sage', 'compost, free', 9, None, [], True),
]


def list_item(gardener, title, minute, taxon=None, labels=(), is_open=True):
    listing = Listing.create(gardener=gardener, title=title, taxon=taxon,
                             listed_at=OPENING + datetime.timedelta(minutes=minute),
                             is_open=is_open)
    if labels:
        listing.labels.add(list(Label.select().where(Label.name.in_(labels))))
    return listing


@pytest.fixture
def board(db):
    db.bind(MODELS)
    # (the tables first: MySQL commits at each CREATE TABLE, ending any transaction)
    db.create_tables(MODELS)
    with db.atomic():     # a single commit keeps seeding quick on every engine
        people = {}
        for nick in ('fern', 'basil', 'rowan', 'sage'):
            people[nick] = Gardener.create(nickname=nick, email=nick + '@allotment.test')
        for who, whom in [('fern', 'basil'), ('fern', 'rowan'), ('basil', 'rowan'),
                          ('rowan', 'fern'), ('sage', 'fern'), ('sage', 'rowan')]:
            assert people[who].vouch_for(people[whom])
        taxa = {}
        for name, parent in TAXA:
            taxa[name] = Taxon.create(name=name, parent=taxa.get(parent))
        Label.insert_many([{'name': n} for n in ('heirloom', 'organic', 'easy')]).execute()
        for nick, title, minute, taxon, labels, is_open in LISTINGS:
            list_item(people[nick], title, minute, taxa.get(taxon), labels, is_open)
        return people


def titles(listings):
    return [item.title for item in listings]


# ---------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------

def test_trust_network(board):
    fern = board['fern']
    assert [g.nickname for g in fern.trusted()] == ['basil', 'rowan']
    assert [g.nickname for g in fern.trusted_by()] == ['rowan', 'sage']
    assert fern.trusts(board['basil']) and not board['basil'].trusts(fern)
    # the unique index refuses a second vouch, and the connection stays usable
    assert fern.vouch_for(board['rowan']) is False
    with pytest.raises(peewee.IntegrityError):
        with fern._meta.database.atomic():
            Trust.create(truster=fern, trusted=board['basil'])
    assert Trust.select().count() == 6
    assert fern.withdraw(board['basil']) == 1
    assert fern.withdraw(board['basil']) == 0
    assert [g.nickname for g in fern.trusted()] == ['rowan']
    assert [g.nickname for g in board['basil'].trusted_by()] == []


def test_board_pages(board):
    page_query = board['fern'].board()
    assert page_query.count() == 6
    pages = []
    with count_queries() as counter:
        for number in (1, 2, 3):
            pages.append([(item.gardener.nickname, item.title)
                          for item in page_query.paginate(number, 4)])
    assert counter.count == 3                     # the givers arrive with the join
    assert pages == [
        [('basil', 'carrot thinnings'), ('rowan', 'mint runners'),
         ('rowan', 'kale starts'), ('basil', 'beet seedlings')],
        [('rowan', 'rainbow chard'), ('basil', 'purple carrot seed')],
        []]
    # basil's closed listing never shows, though fern trusts basil
    assert 'seed potatoes' not in titles(board['fern'].board())
    assert titles(board['rowan'].board()) == ['a spare trowel']
    assert len(board['sage'].board()) == 4
    # the latest open listing anywhere, and one gardener's own open listings
    latest = (Listing.select().where(Listing.is_open)
              .order_by(Listing.listed_at.desc()).get())
    assert (latest.title, latest.gardener.nickname) == ('compost, free', 'sage')
    own = board['basil'].listings.where(Listing.is_open).order_by(Listing.listed_at)
    assert titles(own) == ['purple carrot seed', 'beet seedlings', 'carrot thinnings']


def test_reputation_with_group_by(board):
    vouches = fn.COUNT(Trust.id)
    query = (Gardener.select(Gardener, vouches.alias('vouches'))
             .join(Trust, JOIN.LEFT_OUTER, on=Trust.trusted)
             .group_by(Gardener)
             .order_by(vouches.desc(), Gardener.nickname))
    assert [(g.nickname, g.vouches) for g in query] == [
        ('rowan', 3), ('fern', 2), ('basil', 1), ('sage', 0)]
    # the most generous gardeners by open listings, filtered with HAVING
    n = fn.COUNT(Listing.id)
    query = (Gardener.select(Gardener.nickname, n.alias('n'))
             .join(Listing)
             .where(Listing.is_open == True)  # noqa: E712 (an SQL expression)
             .group_by(Gardener.nickname)
             .having(n > 1)
             .order_by(Gardener.nickname)
             .tuples())
    assert list(query) == [('basil', 3), ('rowan', 3)]


def test_labels_many_to_many(board):
    heirloom = Label.get(Label.name == 'heirloom')
    assert sorted(titles(heirloom.listings)) == [
        'carrot thinnings', 'kale starts', 'purple carrot seed']
    # reaching the other side through the through model
    query = (Listing.select().join(ListingLabel).join(Label)
             .where(Label.name == 'easy').order_by(Listing.listed_at))
    assert titles(query) == ['purple carrot seed', 'mint runners']
    uses = fn.COUNT(ListingLabel.id)
    tally = (Label.select(Label.name, uses.alias('uses'))
             .join(ListingLabel, JOIN.LEFT_OUTER)
             .group_by(Label.name)
             .order_by(uses.desc(), Label.name))
    assert [(label.name, label.uses) for label in tally] == [
        ('heirloom', 3), ('organic', 3), ('easy', 2)]
    # relabelling one listing
    beets = Listing.get(Listing.title == 'beet seedlings')
    beets.labels = Label.select().where(Label.name.in_(['organic', 'easy']))
    assert sorted(label.name for label in beets.labels) == ['easy', 'organic']
    beets.labels.remove(Label.get(Label.name == 'organic'))
    assert [label.name for label in beets.labels] == ['easy']
    # one gardener's listings with their labels: three queries, however many listings
    with count_queries() as counter:
        rows = peewee.prefetch(
            Listing.select().where(Listing.gardener == board['rowan'])
            .order_by(Listing.listed_at),
            ListingLabel.select(), Label.select())
        shown = [(item.title, sorted(label.name for label in item.labels)) for item in rows]
    assert counter.count == 3
    assert shown == [('rainbow chard', ['organic']), ('kale starts', ['heirloom', 'organic']),
                     ('mint runners', ['easy'])]


def test_taxonomy_tree(board):
    Up = Taxon.alias()
    query = (Taxon.select(Taxon, Up)
             .join(Up, JOIN.LEFT_OUTER, on=(Taxon.parent == Up.id))
             .order_by(Taxon.name))
    with count_queries() as counter:
        pairs = [(t.name, t.parent.name if t.parent else None) for t in query]
    assert counter.count == 1
    assert pairs == [('beets', 'roots'), ('carrots', 'roots'), ('herbs', None),
                     ('leaves', 'vegetables'), ('mint', 'herbs'), ('roots', 'vegetables'),
                     ('vegetables', None)]
    vegetables = Taxon.get(Taxon.name == 'vegetables')
    assert sorted(t.name for t in vegetables.children) == ['leaves', 'roots']
    tops = Taxon.select().where(Taxon.parent.is_null()).order_by(Taxon.name)
    assert [t.name for t in tops] == ['herbs', 'vegetables']

    # every taxon with its trail from the top, by a recursive common table expression
    Top = Taxon.alias()
    start = (Top.select(Top.id, Top.name, Top.name.cast('TEXT').alias('trail'),
                        Value(0).alias('depth'))
             .where(Top.parent.is_null())
             .cte('walk', recursive=True))
    Below = Taxon.alias()
    further = (Below.select(Below.id, Below.name,
                            start.c.trail.concat(' > ').concat(Below.name),
                            start.c.depth + 1)
               .join(start, on=(Below.parent == start.c.id)))
    walk = start.union_all(further)
    query = walk.select_from(walk.c.trail, walk.c.depth).order_by(walk.c.trail)
    assert [(row['trail'], row['depth']) for row in query.dicts()] == [
        ('herbs', 0), ('herbs > mint', 1), ('vegetables', 0),
        ('vegetables > leaves', 1), ('vegetables > roots', 1),
        ('vegetables > roots > beets', 2), ('vegetables > roots > carrots', 2)]
    # selected from a CTE over a model query, rows are instances of that model
    deepest = list(walk.select_from(walk.c.name, walk.c.depth)
                   .where(walk.c.depth == 2).order_by(walk.c.name))
    assert all(type(t) is Taxon for t in deepest)
    assert [(t.name, t.depth) for t in deepest] == [('beets', 2), ('carrots', 2)]

    # listings anywhere under "vegetables": the subtree's ids from the same kind of CTE
    seed = Taxon.select(Taxon.id).where(Taxon.id == vegetables.id).cte('sub', recursive=True)
    Kid = Taxon.alias()
    subtree = seed.union_all(Kid.select(Kid.id).join(seed, on=(Kid.parent == seed.c.id)))
    ids = subtree.select_from(subtree.c.id)
    assert Listing.select().where(Listing.taxon.in_(ids)).count() == 6


def test_create_edit_delete(board):
    ivy = Gardener.create(nickname='ivy', email='ivy@allotment.test')
    assert ivy.id is not None and ivy.signed_up is not None
    again, created = Gardener.get_or_create(nickname='ivy', defaults={'email': 'other'})
    assert not created and again.id == ivy.id and again.email == 'ivy@allotment.test'
    listing = list_item(ivy, 'runner beans', 12, labels=['easy'])
    # edit through the instance ...
    listing.title = 'runner bean seed'
    assert listing.is_dirty() and listing.save() == 1
    assert Listing.get_by_id(listing.id).title == 'runner bean seed'
    # ... and with an UPDATE query
    closed = Listing.update(is_open=False).where(Listing.gardener == ivy).execute()
    assert closed == 1 and not Listing.get_by_id(listing.id).is_open
    # deleting one listing: its label links have to go first
    listing.labels.clear()
    assert listing.delete_instance() == 1
    assert not Listing.select().where(Listing.id == listing.id).exists()


def test_recursive_delete_of_a_gardener(board):
    basil = board['basil']
    assert basil.listings.count() == 4
    others = Listing.select().where(Listing.gardener != basil).count()
    basil.delete_instance(recursive=True)
    assert not Gardener.select().where(Gardener.nickname == 'basil').exists()
    assert Listing.select().where(Listing.gardener == basil.id).count() == 0
    assert Listing.select().count() == others
    # trust in both directions went with basil
    assert Trust.select().where((Trust.truster == basil.id) |
                                (Trust.trusted == basil.id)).count() == 0
    assert [g.nickname for g in board['fern'].trusted()] == ['rowan']
    # so did the label links of basil's listings; the labels themselves stay
    assert titles(Label.get(Label.name == 'heirloom').listings) == ['kale starts']
    assert Label.select().count() == 3
    assert ListingLabel.select().count() == 4


def test_recursive_delete_in_the_taxonomy(board):
    # a leaf, with delete_nullable: its listings are deleted too
    mint = Taxon.get(Taxon.name == 'mint')
    mint.delete_instance(recursive=True, delete_nullable=True)
    assert not Listing.select().where(Listing.title == 'mint runners').exists()
    assert list(Taxon.get(Taxon.name == 'herbs').children) == []
    assert ListingLabel.select().count() == 7
    # an inner node without delete_nullable: the rows below are kept and their
    # nullable foreign keys set to NULL
    Taxon.get(Taxon.name == 'roots').delete_instance(recursive=True)
    assert not Taxon.select().where(Taxon.name == 'roots').exists()
    loose = Taxon.select().where(Taxon.parent.is_null()).order_by(Taxon.name)
    assert [t.name for t in loose] == ['beets', 'carrots', 'herbs', 'vegetables']
    potatoes = Listing.get(Listing.title == 'seed potatoes')
    assert potatoes.taxon is None
    # a row that was only unlinked keeps what depends on it
    assert [label.name for label in potatoes.labels] == ['organic']
    assert ListingLabel.select().count() == 7


def test_transactions_roll_back(board, db):
    before = (Gardener.select().count(), Listing.select().count())

    class Declined(Exception):
        pass

    with pytest.raises(Declined):
        with db.atomic():
            oak = Gardener.create(nickname='oak', email='oak@allotment.test')
            list_item(oak, 'acorns', 20, labels=['easy'])
            oak.vouch_for(board['fern'])
            raise Declined('changed my mind')
    assert (Gardener.select().count(), Listing.select().count()) == before
    assert Gardener.get_or_none(Gardener.nickname == 'oak') is None
    assert board['fern'].trusted_by().count() == 2

    # the inner block fails and returns to its savepoint; the outer block commits
    with db.atomic():
        ivy = Gardener.create(nickname='ivy', email='ivy@allotment.test')
        try:
            with db.atomic():
                list_item(ivy, 'inner', 21)
                Gardener.create(nickname='fern', email='twin@allotment.test')   # unique
        except peewee.IntegrityError:
            pass
        list_item(ivy, 'outer', 22)
    assert titles(Listing.select().where(Listing.gardener == ivy)) == ['outer']

    # atomic() decorating a function
    @db.atomic()
    def join_board(nick):
        newcomer = Gardener.create(nickname=nick, email=nick + '@allotment.test')
        newcomer.vouch_for(board['fern'])
        if nick == 'nettle':
            raise ValueError('not today')
        return newcomer

    join_board('hazel')
    with pytest.raises(ValueError):
        join_board('nettle')
    assert [g.nickname for g in board['fern'].trusted_by()] == ['hazel', 'rowan', 'sage']


def test_profile_pages_with_prefetch(board):
    with count_queries() as counter:
        gardeners = peewee.prefetch(
            Gardener.select().order_by(Gardener.nickname),
            Listing.select().where(Listing.is_open).order_by(Listing.listed_at),
            ListingLabel.select(), Label.select())
        pages = {g.nickname: [(item.title, sorted(label.name for label in item.labels))
                              for item in g.listings]
                 for g in gardeners}
    assert counter.count == 4
    assert pages['basil'] == [('purple carrot seed', ['easy', 'heirloom']),
                              ('beet seedlings', []), ('carrot thinnings', ['heirloom'])]
    assert pages['sage'] == [('compost, free', [])]
    assert len(pages['rowan']) == 3 and pages['fern'] == [('a spare trowel', [])]


def test_search_and_dates(board):
    found = (Listing.select().where(Listing.title.contains('CARROT'))
             .order_by(Listing.listed_at))
    assert titles(found) == ['purple carrot seed', 'carrot thinnings']
    assert titles(Listing.select().where(Listing.title.endswith('seed'))
                  .order_by(Listing.id)) == ['purple carrot seed']
    span = (Listing.select()
            .where(Listing.listed_at.between(OPENING + datetime.timedelta(minutes=2),
                                             OPENING + datetime.timedelta(minutes=4)))
            .order_by(Listing.listed_at))
    assert titles(span) == ['rainbow chard', 'beet seedlings', 'a spare trowel']
    newest = Listing.select(fn.MAX(Listing.listed_at)).scalar()
    assert newest == OPENING + datetime.timedelta(minutes=9)
    assert Listing.select().where(SQL('1 = 1')).count() == 9
