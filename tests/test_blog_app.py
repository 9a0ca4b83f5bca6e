"""A small blog / microblog application written against peewee's documented API only.

The application code below imports ``orm`` under the name ``peewee`` and uses nothing
but what peewee 3.17 documents: this is what "peewee applications run unchanged" means.
It runs on SQLite and PostgreSQL (foreign keys enforced there, so delete order matters).
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

class BaseModel(peewee.Model):
    pass


class User(BaseModel):
    username = peewee.CharField(unique=True)
    email = peewee.CharField()
    join_date = peewee.DateTimeField(default=datetime.datetime.now)

    def following(self):
        return (User.select()
                .join(Relationship, on=Relationship.to_user)
                .where(Relationship.from_user == self)
                .order_by(User.username))

    def followers(self):
        return (User.select()
                .join(Relationship, on=Relationship.from_user)
                .where(Relationship.to_user == self)
                .order_by(User.username))

    def is_following(self, user):
        return (Relationship.select()
                .where((Relationship.from_user == self) & (Relationship.to_user == user))
                .exists())

    def follow(self, user):
        """Follow ``user``; False when already following (the unique index says so)."""
        try:
            with self._meta.database.atomic():
                Relationship.create(from_user=self, to_user=user)
        except peewee.IntegrityError:
            return False
        return True

    def unfollow(self, user):
        return (Relationship.delete()
                .where((Relationship.from_user == self) & (Relationship.to_user == user))
                .execute())

    def timeline(self):
        """Tweets of the users this one follows, newest first, authors joined."""
        return (Tweet.select(Tweet, User)
                .join(User)
                .where(Tweet.user.in_(self.following()) & Tweet.is_published)
                .order_by(Tweet.pub_date.desc(), Tweet.id.desc()))


class Relationship(BaseModel):
    from_user = peewee.ForeignKeyField(User, backref='relationships')
    to_user = peewee.ForeignKeyField(User, backref='related_to')

    class Meta:
        indexes = (
            (('from_user', 'to_user'), True),     # follow someone only once
        )


class Category(BaseModel):
    name = peewee.CharField()
    parent = peewee.ForeignKeyField('self', null=True, backref='children')


class Tag(BaseModel):
    name = peewee.CharField(unique=True)


class Tweet(BaseModel):
    user = peewee.ForeignKeyField(User, backref='tweets')
    category = peewee.ForeignKeyField(Category, null=True, backref='tweets')
    message = peewee.TextField()
    pub_date = peewee.DateTimeField()
    is_published = peewee.BooleanField(default=True)
    tags = peewee.ManyToManyField(Tag, backref='tweets')


TweetTag = Tweet.tags.get_through_model()

MODELS = [User, Relationship, Category, Tag, Tweet, TweetTag]
START = datetime.datetime(2024, 3, 1, 9, 0)


def post(user, message, minutes, category=None, tags=(), published=True):
    tweet = Tweet.create(user=user, message=message, category=category,
                         pub_date=START + datetime.timedelta(minutes=minutes),
                         is_published=published)
    if tags:
        tweet.tags.add([Tag.get(Tag.name == name) for name in tags])
    return tweet


@pytest.fixture
def app(db):
    db.bind(MODELS)
    with db.atomic():     # one commit: seeding stays fast on every engine
        db.create_tables(MODELS)
        users = {name: User.create(username=name, email='%s@example.com' % name)
                 for name in ('alice', 'bob', 'carol', 'dave')}
        for a, b in [('alice', 'bob'), ('alice', 'carol'), ('bob', 'alice'),
                     ('dave', 'alice'), ('dave', 'bob'), ('dave', 'carol')]:
            assert users[a].follow(users[b])
        programming = Category.create(name='programming')
        python = Category.create(name='python', parent=programming)
        Category.create(name='sql', parent=programming)
        Category.create(name='asyncio', parent=python)
        life = Category.create(name='life')
        for name in ('orm', 'db', 'fun'):
            Tag.create(name=name)
        u = users
        post(u['bob'], 'bob writes an orm', 1, python, ['orm', 'fun'])
        post(u['carol'], 'carol likes sql', 2, programming, ['db'])
        post(u['bob'], 'bob had lunch', 3, life)
        post(u['alice'], 'alice says hi', 4)
        post(u['carol'], 'carol tunes indexes', 5, programming, ['db', 'orm'])
        post(u['bob'], 'a draft by bob', 6, published=False)
        post(u['carol'], 'carol goes hiking', 7, life, ['fun'])
        post(u['bob'], 'bob ships the orm', 8, python, ['orm'])
        post(u['dave'], 'dave lurks', 9)
        return users


def messages(tweets):
    return [t.message for t in tweets]


# ---------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------

def test_following_and_followers(app):
    alice = app['alice']
    assert [u.username for u in alice.following()] == ['bob', 'carol']
    assert [u.username for u in alice.followers()] == ['bob', 'dave']
    assert alice.is_following(app['bob'])
    assert not app['carol'].is_following(alice)
    # the unique index: following twice is refused, and the database stays usable
    assert alice.follow(app['bob']) is False
    with pytest.raises(peewee.IntegrityError):
        with alice._meta.database.atomic():
            Relationship.create(from_user=alice, to_user=app['carol'])
    assert Relationship.select().count() == 6
    assert alice.unfollow(app['bob']) == 1
    assert [u.username for u in alice.following()] == ['carol']


def test_timeline_with_pagination(app):
    timeline = app['alice'].timeline()
    assert timeline.count() == 6
    pages = []
    with count_queries() as counter:
        for page in (1, 2, 3):
            pages.append([(t.user.username, t.message)
                          for t in timeline.paginate(page, 4)])
    assert counter.count == 3                     # the authors come with the join
    assert pages == [
        [('bob', 'bob ships the orm'), ('carol', 'carol goes hiking'),
         ('carol', 'carol tunes indexes'), ('bob', 'bob had lunch')],
        [('carol', 'carol likes sql'), ('bob', 'bob writes an orm')],
        []]
    # dave follows everyone but himself; bob's draft is not published
    assert 'a draft by bob' not in messages(app['dave'].timeline())
    assert len(app['dave'].timeline()) == 7
    assert list(app['carol'].timeline()) == []
    # the newest tweet on the public page, with a user's own tweets
    newest = Tweet.select().where(Tweet.is_published).order_by(Tweet.pub_date.desc()).get()
    assert (newest.message, newest.user.username) == ('dave lurks', 'dave')
    assert messages(app['bob'].tweets.where(Tweet.is_published)
                    .order_by(Tweet.pub_date)) == [
        'bob writes an orm', 'bob had lunch', 'bob ships the orm']


def test_follower_counts_group_by(app):
    followers = fn.COUNT(Relationship.id)
    query = (User.select(User, followers.alias('n_followers'))
             .join(Relationship, JOIN.LEFT_OUTER, on=Relationship.to_user)
             .group_by(User)
             .order_by(followers.desc(), User.username))
    assert [(u.username, u.n_followers) for u in query] == [
        ('alice', 2), ('bob', 2), ('carol', 2), ('dave', 0)]
    # the busiest authors, by published tweets, with HAVING
    n = fn.COUNT(Tweet.id)
    query = (User.select(User.username, n.alias('n'))
             .join(Tweet)
             .where(Tweet.is_published == True)  # noqa: E712 (an SQL expression)
             .group_by(User.username)
             .having(n >= 2)
             .order_by(n.desc(), User.username)
             .tuples())
    assert list(query) == [('bob', 3), ('carol', 3)]


def test_tags_many_to_many(app):
    orm_tag = Tag.get(Tag.name == 'orm')
    assert sorted(messages(orm_tag.tweets)) == [
        'bob ships the orm', 'bob writes an orm', 'carol tunes indexes']
    # querying through the relation table
    query = (Tweet.select().join(TweetTag).join(Tag)
             .where(Tag.name == 'fun').order_by(Tweet.pub_date))
    assert messages(query) == ['bob writes an orm', 'carol goes hiking']
    # a tag cloud
    n = fn.COUNT(TweetTag.id)
    cloud = (Tag.select(Tag.name, n.alias('uses')).join(TweetTag, JOIN.LEFT_OUTER)
             .group_by(Tag.name).order_by(n.desc(), Tag.name))
    assert [(t.name, t.uses) for t in cloud] == [('orm', 3), ('db', 2), ('fun', 2)]
    # retagging a tweet
    tweet = Tweet.get(Tweet.message == 'bob had lunch')
    tweet.tags = Tag.select().where(Tag.name.in_(['fun', 'db']))
    assert sorted(t.name for t in tweet.tags) == ['db', 'fun']
    tweet.tags.remove(Tag.get(Tag.name == 'db'))
    assert [t.name for t in tweet.tags] == ['fun']
    # a page of tweets with their tags: three queries, however many tweets
    with count_queries() as counter:
        tweets = peewee.prefetch(
            Tweet.select().where(Tweet.user == app['carol']).order_by(Tweet.pub_date),
            TweetTag.select(), Tag.select())
        shown = [(t.message, sorted(tag.name for tag in t.tags)) for t in tweets]
    assert counter.count == 3
    assert shown == [('carol likes sql', ['db']), ('carol tunes indexes', ['db', 'orm']),
                     ('carol goes hiking', ['fun'])]


def test_category_tree(app):
    Parent = Category.alias()
    query = (Category.select(Category, Parent)
             .join(Parent, JOIN.LEFT_OUTER, on=(Category.parent == Parent.id))
             .order_by(Category.name))
    with count_queries() as counter:
        listing = [(c.name, c.parent.name if c.parent else None) for c in query]
    assert counter.count == 1
    assert listing == [('asyncio', 'python'), ('life', None), ('programming', None),
                       ('python', 'programming'), ('sql', 'programming')]
    programming = Category.get(Category.name == 'programming')
    assert sorted(c.name for c in programming.children) == ['python', 'sql']
    roots = Category.select().where(Category.parent.is_null()).order_by(Category.name)
    assert [c.name for c in roots] == ['life', 'programming']

    # the whole tree with paths, by a recursive common table expression
    Base = Category.alias()
    base = (Base.select(Base.id, Base.name, Value(1).alias('level'),
                        Base.name.cast('TEXT').alias('path'))
            .where(Base.parent.is_null())
            .cte('tree', recursive=True))
    Step = Category.alias()
    step = (Step.select(Step.id, Step.name, (base.c.level + 1).alias('level'),
                        base.c.path.concat('/').concat(Step.name).alias('path'))
            .join(base, on=(Step.parent == base.c.id)))
    tree = base.union_all(step)
    query = tree.select_from(tree.c.path, tree.c.level).order_by(tree.c.path)
    assert [(r['path'], r['level']) for r in query.dicts()] == [
        ('life', 1), ('programming', 1), ('programming/python', 2),
        ('programming/python/asyncio', 3), ('programming/sql', 2)]
    # by default the rows of a CTE over a model query are instances of that model
    nodes = list(tree.select_from(tree.c.name, tree.c.level).order_by(tree.c.path))
    assert all(type(c) is Category for c in nodes)
    assert [(c.name, c.level) for c in nodes][-2:] == [('asyncio', 3), ('sql', 2)]

    # tweets per category, children included, for the programming subtree
    ids = [c.id for c in Category.select().where(
        (Category.name == 'programming') | (Category.parent == programming))]
    assert Tweet.select().where(Tweet.category.in_(ids)).count() == 4


def test_create_edit_delete(app):
    erin = User.create(username='erin', email='erin@example.com')
    assert erin.id is not None and erin.join_date is not None
    user, created = User.get_or_create(username='erin', defaults={'email': 'x'})
    assert not created and user.id == erin.id
    tweet = post(erin, 'first!', 10, tags=['fun'])
    # edit through the instance ...
    tweet.message = 'first post, edited'
    assert tweet.is_dirty() and tweet.save() == 1
    assert Tweet.get_by_id(tweet.id).message == 'first post, edited'
    # ... and with an UPDATE query
    n = (Tweet.update(is_published=False)
         .where(Tweet.user == erin).execute())
    assert n == 1 and not Tweet.get_by_id(tweet.id).is_published
    # delete one tweet: its tag rows must go first
    tweet.tags.clear()
    assert tweet.delete_instance() == 1
    assert not Tweet.select().where(Tweet.id == tweet.id).exists()


def test_recursive_delete_of_a_user(app):
    bob = app['bob']
    assert bob.tweets.count() == 4
    other_tweets = Tweet.select().where(Tweet.user != bob).count()
    bob.delete_instance(recursive=True)
    assert User.select().where(User.username == 'bob').count() == 0
    assert Tweet.select().where(Tweet.user == bob.id).count() == 0
    assert Tweet.select().count() == other_tweets
    # both directions of the follow relation went with him
    assert Relationship.select().where((Relationship.from_user == bob.id) |
                                       (Relationship.to_user == bob.id)).count() == 0
    assert [u.username for u in app['alice'].following()] == ['carol']
    # and the tag rows of his tweets; the tags themselves stay
    orm_tag = Tag.get(Tag.name == 'orm')
    assert messages(orm_tag.tweets) == ['carol tunes indexes']
    assert TweetTag.select().count() == 4


def test_recursive_delete_in_the_category_tree(app):
    # deleting a leaf with delete_nullable: its tweets go too
    python = Category.get(Category.name == 'python')
    asyncio = Category.get(Category.name == 'asyncio')
    Tweet.update(category=asyncio).where(Tweet.message == 'bob ships the orm').execute()
    asyncio.delete_instance(recursive=True, delete_nullable=True)
    assert not Tweet.select().where(Tweet.message == 'bob ships the orm').exists()
    assert [c.name for c in python.children] == []
    # deleting an inner node without delete_nullable: children and tweets are kept,
    # their nullable foreign keys are cleared
    programming = Category.get(Category.name == 'programming')
    programming.delete_instance(recursive=True)
    assert not Category.select().where(Category.name == 'programming').exists()
    orphans = Category.select().where(Category.parent.is_null()).order_by(Category.name)
    assert [c.name for c in orphans] == ['life', 'python', 'sql']
    carol_sql = Tweet.get(Tweet.message == 'carol likes sql')
    assert carol_sql.category is None
    # rows that were only unlinked keep their own dependents (the tweet keeps its tags)
    assert [t.name for t in carol_sql.tags] == ['db']
    assert TweetTag.select().count() == 7 - 1          # the asyncio tweet took its tag


def test_transaction_rolls_back_on_error(app, db):
    before = (User.select().count(), Tweet.select().count())

    class Oops(Exception):
        pass

    with pytest.raises(Oops):
        with db.atomic():
            frank = User.create(username='frank', email='frank@example.com')
            post(frank, 'hello from frank', 20, tags=['fun'])
            frank.follow(app['alice'])
            raise Oops('payment failed')
    assert (User.select().count(), Tweet.select().count()) == before
    assert not User.select().where(User.username == 'frank').exists()
    assert app['alice'].followers().count() == 2

    # a failing nested block rolls back to its savepoint; the outer work commits
    with db.atomic():
        gina = User.create(username='gina', email='gina@example.com')
        try:
            with db.atomic():
                post(gina, 'nested', 21)
                User.create(username='alice', email='dup@example.com')   # unique!
        except peewee.IntegrityError:
            pass
        post(gina, 'outer', 22)
    assert messages(Tweet.select().where(Tweet.user == gina)) == ['outer']

    # atomic() as a decorator
    @db.atomic()
    def sign_up(name):
        user = User.create(username=name, email='%s@example.com' % name)
        user.follow(app['alice'])
        if name == 'mallory':
            raise ValueError('no thanks')
        return user

    sign_up('henry')
    with pytest.raises(ValueError):
        sign_up('mallory')
    assert [u.username for u in app['alice'].followers()] == ['bob', 'dave', 'henry']


def test_user_profile_page_with_prefetch(app):
    with count_queries() as counter:
        users = peewee.prefetch(
            User.select().order_by(User.username),
            Tweet.select().where(Tweet.is_published).order_by(Tweet.pub_date),
            TweetTag.select(), Tag.select())
        page = {u.username: [(t.message, sorted(g.name for g in t.tags)) for t in u.tweets]
                for u in users}
    assert counter.count == 4
    assert page['bob'] == [('bob writes an orm', ['fun', 'orm']), ('bob had lunch', []),
                           ('bob ships the orm', ['orm'])]
    assert page['dave'] == [('dave lurks', [])]
    assert len(page['carol']) == 3


def test_search_and_dates(app):
    found = (Tweet.select().where(Tweet.message.contains('ORM'))
             .order_by(Tweet.pub_date))
    assert messages(found) == ['bob writes an orm', 'bob ships the orm']
    assert messages(Tweet.select().where(Tweet.message.startswith('carol'))
                    .order_by(Tweet.id)) == [
        'carol likes sql', 'carol tunes indexes', 'carol goes hiking']
    window = (Tweet.select()
              .where(Tweet.pub_date.between(START + datetime.timedelta(minutes=2),
                                            START + datetime.timedelta(minutes=4)))
              .order_by(Tweet.pub_date))
    assert messages(window) == ['carol likes sql', 'bob had lunch', 'alice says hi']
    latest = Tweet.select(fn.MAX(Tweet.pub_date)).scalar()
    assert latest == START + datetime.timedelta(minutes=9)
    assert Tweet.select().where(SQL('1 = 1')).count() == 9
