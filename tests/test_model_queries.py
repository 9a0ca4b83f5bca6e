"""Model queries on real engines: joins rebuilt into object graphs, and every row type."""
from __future__ import annotations

import datetime
import types

import pytest

from conftest import engine_name
from helpers import count_queries
from orm import (JOIN, CharField, DateTimeField, DoesNotExist, ForeignKeyField,
                 IntegerField, Model, ModelSelect, TextField, fn)
from orm.exceptions import NotSupportedError


class User(Model):
    username = CharField(unique=True)


class Tweet(Model):
    user = ForeignKeyField(User, backref='tweets')
    content = TextField()
    likes = IntegerField(default=0)
    timestamp = DateTimeField()


class Favorite(Model):
    user = ForeignKeyField(User, backref='favorites')
    tweet = ForeignKeyField(Tweet, backref='favorites')


class Category(Model):
    name = CharField()
    parent = ForeignKeyField('self', null=True, backref='children')


class Message(Model):
    sender = ForeignKeyField(User, backref='sent')
    receiver = ForeignKeyField(User, backref='received')
    body = TextField()


class Note(Model):
    """No foreign key to anything."""
    text = TextField()


MODELS = [User, Tweet, Favorite, Category, Message, Note]
T0 = datetime.datetime(2024, 1, 1, 12, 0, 0)


@pytest.fixture
def data(db):
    db.bind(MODELS)
    with db.atomic():     # one commit: seeding stays fast on every engine
        db.create_tables(MODELS)
        huey = User.create(username='huey')
        mickey = User.create(username='mickey')
        zaizee = User.create(username='zaizee')          # no tweets
        tweets = {}
        for n, (user, content, likes) in enumerate([
                (huey, 'meow', 3), (huey, 'hiss', 0), (huey, 'purr', 7),
                (mickey, 'woof', 5), (mickey, 'bark', 1)]):
            tweets[content] = Tweet.create(user=user, content=content, likes=likes,
                                           timestamp=T0 + datetime.timedelta(minutes=n))
        Favorite.create(user=mickey, tweet=tweets['meow'])
        Favorite.create(user=zaizee, tweet=tweets['woof'])
        Favorite.create(user=huey, tweet=tweets['bark'])
        animals = Category.create(name='animals')
        cats = Category.create(name='cats', parent=animals)
        Category.create(name='dogs', parent=animals)
        Category.create(name='siamese', parent=cats)
        Message.create(sender=huey, receiver=mickey, body='hi mickey')
        Message.create(sender=mickey, receiver=zaizee, body='hi zaizee')
        Note.create(text='huey')
        Note.create(text='nobody')
        return types.SimpleNamespace(db=db, huey=huey, mickey=mickey, zaizee=zaizee,
                                     tweets=tweets, animals=animals, cats=cats)


# ---------------------------------------------------------------------------------------
# Joins
# ---------------------------------------------------------------------------------------

def test_join_foreign_key_detected_tweet_to_user(data):
    query = (Tweet.select(Tweet, User).join(User).where(User.username == 'huey')
             .order_by(Tweet.id))
    with count_queries() as counter:
        tweets = list(query)
        assert [(t.content, t.user.username) for t in tweets] == [
            ('meow', 'huey'), ('hiss', 'huey'), ('purr', 'huey')]
        assert all(isinstance(t.user, User) for t in tweets)
        assert tweets[0].user.id == data.huey.id
    assert counter.count == 1


def test_join_foreign_key_detected_user_to_tweet(data):
    query = (User.select(User, Tweet).join(Tweet).where(Tweet.likes >= 3)
             .order_by(Tweet.content))
    rows = [(u.username, u.tweet.content) for u in query]
    assert rows == [('huey', 'meow'), ('huey', 'purr'), ('mickey', 'woof')]
    # filtering on the joined model only (the selection stays User's)
    users = User.select().join(Tweet).where(Tweet.content == 'bark')
    assert [u.username for u in users] == ['mickey']


def test_join_with_explicit_on(data):
    query = (Tweet.select(Tweet, User).join(User, on=(Tweet.user == User.id))
             .where(Tweet.content == 'woof'))
    tweet = query.get()
    assert tweet.user.username == 'mickey'
    # an ON between models with no foreign key: the joined row lands on the model name
    query = (User.select(User, Note).join(Note, on=(Note.text == User.username)))
    users = list(query)
    assert [(u.username, u.note.text) for u in users] == [('huey', 'huey')]


def test_join_with_attr(data):
    query = (Tweet.select(Tweet, User).join(User, attr='author')
             .where(Tweet.content == 'purr'))
    with count_queries() as counter:
        tweet = query.get()
        assert tweet.author.username == 'huey'
        assert tweet.user_id == data.huey.id
    assert counter.count == 1


def test_inner_and_left_outer_join(data):
    inner = (User.select(User.username).join(Tweet).distinct()
             .order_by(User.username).tuples())
    assert list(inner) == [('huey',), ('mickey',)]
    query = (User.select(User, Tweet).join(Tweet, JOIN.LEFT_OUTER)
             .order_by(User.username, Tweet.id))
    rows = list(query)
    assert [u.username for u in rows] == ['huey'] * 3 + ['mickey'] * 2 + ['zaizee']
    assert rows[-1].tweet is None
    assert rows[0].tweet.content == 'meow'
    # the method form
    query = User.select(User, Tweet).left_outer_join(Tweet).where(User.username == 'zaizee')
    assert query.get().tweet is None


def test_left_outer_join_to_foreign_key_without_match(data):
    Parent = Category.alias()
    query = (Category.select(Category, Parent)
             .join(Parent, JOIN.LEFT_OUTER, on=(Category.parent == Parent.id))
             .where(Category.name == 'animals'))
    with count_queries() as counter:
        root = query.get()
        assert root.parent is None
    assert counter.count == 1


def test_right_outer_join(data):
    query = (Tweet.select(Tweet.content, User.username)
             .join(User, JOIN.RIGHT_OUTER).tuples())
    rows = sorted(query, key=lambda r: (r[1], r[0] or ''))
    assert rows == [('hiss', 'huey'), ('meow', 'huey'), ('purr', 'huey'),
                    ('bark', 'mickey'), ('woof', 'mickey'), (None, 'zaizee')]
    # as model instances: the tweet side is empty, its user is there
    query = (Tweet.select(Tweet, User).join(User, JOIN.RIGHT_OUTER)
             .where(User.username == 'zaizee'))
    (tweet,) = list(query)
    assert tweet.id is None and tweet.content is None
    assert tweet.user.username == 'zaizee'


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_full_outer_join(data):
    for join_type in (JOIN.FULL, JOIN.FULL_OUTER):
        query = (User.select(User.username, Note.text)
                 .join(Note, join_type, on=(Note.text == User.username)).tuples())
        rows = sorted(query, key=lambda r: (r[0] or '~', r[1] or ''))
        assert rows == [('huey', 'huey'), ('mickey', None), ('zaizee', None),
                        (None, 'nobody')]


def test_cross_join(data):
    query = (User.select(User.username, Note.text).join(Note, JOIN.CROSS)
             .order_by(User.username, Note.text).tuples())
    rows = list(query)
    assert len(rows) == 3 * 2
    assert rows[:2] == [('huey', 'huey'), ('huey', 'nobody')]
    with pytest.raises(ValueError):
        User.select().join(Note, JOIN.CROSS, on=(Note.text == User.username))


def _latest_tweet_subquery():
    return (Tweet.select(Tweet.content)
            .where(Tweet.user == User.id)
            .order_by(Tweet.timestamp.desc())
            .limit(1)
            .alias('latest'))


@pytest.mark.engines('postgres')
def test_lateral_joins_on_postgres(data):
    latest = _latest_tweet_subquery()
    query = (User.select(User.username, latest.c.content)
             .join(latest, JOIN.LEFT_LATERAL)
             .order_by(User.username).tuples())
    assert list(query) == [('huey', 'purr'), ('mickey', 'bark'), ('zaizee', None)]
    latest = _latest_tweet_subquery()
    query = (User.select(User.username, latest.c.content)
             .join(latest, JOIN.LATERAL)
             .order_by(User.username).tuples())
    assert list(query) == [('huey', 'purr'), ('mickey', 'bark')]
    # the subquery marked lateral() and joined with on=True
    latest = _latest_tweet_subquery().lateral()
    query = (User.select(User.username, latest.c.content)
             .join(latest, on=True).order_by(User.username).dicts())
    assert list(query) == [{'username': 'huey', 'content': 'purr'},
                           {'username': 'mickey', 'content': 'bark'}]
    # on= left out: a lateral() subquery joins ON TRUE, and rows carry it as .tweet
    latest = _latest_tweet_subquery().lateral()
    query = User.select(User, latest.c.content).join(latest).order_by(User.username)
    assert query.sql()[0].endswith(' ON %s ORDER BY "t1"."username"')
    assert [(u.username, u.tweet.content) for u in query] == [('huey', 'purr'),
                                                              ('mickey', 'bark')]


@pytest.mark.engines('sqlite')
def test_lateral_join_on_sqlite_is_a_clear_error(data):
    latest = _latest_tweet_subquery()
    query = User.select(User.username, latest.c.content).join(latest, JOIN.LEFT_LATERAL)
    with pytest.raises(NotSupportedError, match='LATERAL'):
        list(query)


def test_switch_changes_the_join_context(data):
    query = (Favorite.select(Favorite, User, Tweet)
             .join(User).switch(Favorite).join(Tweet)
             .order_by(Favorite.id))
    with count_queries() as counter:
        rows = [(f.user.username, f.tweet.content) for f in query]
    assert rows == [('mickey', 'meow'), ('zaizee', 'woof'), ('huey', 'bark')]
    assert counter.count == 1
    # without switch() the second join starts from User (User -> Tweet is a backref)
    query = (Favorite.select(Favorite.id).join(User).join(Tweet)
             .where(Tweet.content == 'woof'))
    assert [f.id for f in query] == [1]     # mickey wrote 'woof' and favorited 'meow'


def test_join_from(data):
    query = (Favorite.select(Favorite, User, Tweet)
             .join_from(Favorite, User)
             .join_from(Favorite, Tweet)
             .where(Tweet.content == 'bark'))
    with count_queries() as counter:
        fav = query.get()
        assert (fav.user.username, fav.tweet.content) == ('huey', 'bark')
    assert counter.count == 1
    # a three-level chain: favorite -> tweet -> tweet's author
    Author = User.alias('author')
    query = (Favorite.select(Favorite, Tweet, Author)
             .join(Tweet).join(Author, on=(Tweet.user == Author.id))
             .order_by(Favorite.id))
    with count_queries() as counter:
        rows = [(f.tweet.content, f.tweet.user.username) for f in query]
    assert rows == [('meow', 'huey'), ('woof', 'mickey'), ('bark', 'mickey')]
    assert counter.count == 1


def test_self_join_with_alias(data):
    Parent = Category.alias()
    query = (Category.select(Category, Parent)
             .join(Parent, on=(Category.parent == Parent.id))
             .order_by(Category.name))
    with count_queries() as counter:
        rows = [(c.name, c.parent.name) for c in query]
    assert rows == [('cats', 'animals'), ('dogs', 'animals'), ('siamese', 'cats')]
    assert counter.count == 1
    query = (Category.select(Category.name, Parent.name.alias('parent_name'))
             .join(Parent, JOIN.LEFT_OUTER, on=(Category.parent == Parent.id))
             .order_by(Category.name).tuples())
    assert list(query) == [('animals', None), ('cats', 'animals'), ('dogs', 'animals'),
                           ('siamese', 'cats')]
    # children of one parent through the backref side of the alias
    Child = Category.alias('child')
    query = (Category.select(Category.name, fn.COUNT(Child.id).alias('n'))
             .join(Child, JOIN.LEFT_OUTER, on=(Child.parent == Category.id))
             .group_by(Category.name).order_by(Category.name).tuples())
    assert list(query) == [('animals', 2), ('cats', 1), ('dogs', 0), ('siamese', 0)]
    # a query rooted at the alias, joining the children under an attribute of our choice
    Top = Category.alias('top')
    query = (Top.select(Top, Category)
             .join(Category, on=(Category.parent == Top.id), attr='child')
             .where(Top.name == 'animals').order_by(Category.name))
    with count_queries() as counter:
        rows = [(type(t).__name__, t.name, t.child.name) for t in query]
    assert rows == [('Category', 'animals', 'cats'), ('Category', 'animals', 'dogs')]
    assert counter.count == 1


def test_multiple_foreign_keys_to_one_model_need_on(data):
    with pytest.raises(ValueError, match='(?i)more than one foreign key'):
        Message.select().join(User)
    query = Message.select(Message, User).join(User, on=Message.sender).order_by(Message.id)
    assert [(m.body, m.sender.username) for m in query] == [
        ('hi mickey', 'huey'), ('hi zaizee', 'mickey')]
    query = (Message.select(Message, User).join(User, on=(Message.receiver == User.id))
             .order_by(Message.id))
    assert [m.receiver.username for m in query] == ['mickey', 'zaizee']
    # both ends at once, with two aliases
    Sender, Receiver = User.alias('sender'), User.alias('receiver')
    query = (Message.select(Message, Sender, Receiver)
             .join(Sender, on=(Message.sender == Sender.id))
             .switch(Message)
             .join(Receiver, on=(Message.receiver == Receiver.id))
             .order_by(Message.id))
    with count_queries() as counter:
        rows = [(m.sender.username, m.receiver.username) for m in query]
    assert rows == [('huey', 'mickey'), ('mickey', 'zaizee')]
    assert counter.count == 1


def test_join_without_foreign_key_is_a_clear_error(data):
    with pytest.raises(ValueError) as excinfo:
        User.select().join(Note)
    message = str(excinfo.value)
    assert 'User' in message and 'Note' in message and 'foreign key' in message


def test_select_from_subquery(data):
    counts = (Tweet.select(Tweet.user, fn.COUNT(Tweet.id).alias('n'))
              .group_by(Tweet.user))
    query = counts.select_from(counts.c.user_id, counts.c.n).order_by(counts.c.n.desc())
    assert list(query.tuples()) == [(data.huey.id, 3), (data.mickey.id, 2)]
    assert list(query.dicts())[0] == {'user_id': data.huey.id, 'n': 3}
    # a model query over an aliased subquery in FROM
    sub = Tweet.select(Tweet.id, Tweet.likes).where(Tweet.likes > 2).alias('popular')
    query = (Tweet.select(Tweet.content).join(sub, on=(Tweet.id == sub.c.id))
             .order_by(Tweet.content).tuples())
    assert list(query) == [('meow',), ('purr',), ('woof',)]
    # columns of a joined model subquery arrive on an instance of that model
    best = (Tweet.select(Tweet.user, fn.MAX(Tweet.likes).alias('top'))
            .group_by(Tweet.user).alias('best'))
    query = (User.select(User, best.c.top).join(best, on=(User.id == best.c.user_id))
             .order_by(User.username))
    rows = [(u.username, type(u.tweet).__name__, u.tweet.top) for u in query]
    assert rows == [('huey', 'Tweet', 7), ('mickey', 'Tweet', 5)]


def test_in_subquery_of_a_default_model_select(data):
    # a default selection used as a subquery stands for the primary key
    users = User.select().where(User.username.in_(['huey', 'zaizee']))
    tweets = Tweet.select().where(Tweet.user.in_(users)).order_by(Tweet.id)
    assert [t.content for t in tweets] == ['meow', 'hiss', 'purr']
    tweets = Tweet.select().where(Tweet.user << User.select().join(Favorite)
                                  .where(Favorite.tweet == data.tweets['meow']))
    assert [t.content for t in tweets] == ['woof', 'bark']


def test_joined_graph_needs_no_extra_queries(data):
    query = (Tweet.select(Tweet, User).join(User).order_by(Tweet.id))
    with count_queries() as counter:
        result = [(t.content, t.user.username, t.user_id) for t in query]
    assert counter.count == 1
    assert result[3] == ('woof', 'mickey', data.mickey.id)
    # without the join every tweet.user is a query of its own
    with count_queries() as counter:
        [t.user.username for t in Tweet.select()]
    assert counter.count == 1 + 5


# ---------------------------------------------------------------------------------------
# Row types
# ---------------------------------------------------------------------------------------

def _joined_query():
    return (Tweet.select(Tweet.content, User.username).join(User)
            .where(Tweet.likes > 2).order_by(Tweet.content))


def test_rows_are_models_by_default(data):
    tweets = list(Tweet.select().order_by(Tweet.id))
    assert all(type(t) is Tweet for t in tweets)
    assert tweets[0].content == 'meow' and tweets[0].timestamp == T0
    assert tweets[0].user_id == data.huey.id
    assert not tweets[0].is_dirty()


def test_dicts_tuples_namedtuples(data):
    assert list(_joined_query().dicts()) == [
        {'content': 'meow', 'username': 'huey'}, {'content': 'purr', 'username': 'huey'},
        {'content': 'woof', 'username': 'mickey'}]
    assert list(_joined_query().tuples()) == [
        ('meow', 'huey'), ('purr', 'huey'), ('woof', 'mickey')]
    rows = list(_joined_query().namedtuples())
    assert [(r.content, r.username) for r in rows] == [
        ('meow', 'huey'), ('purr', 'huey'), ('woof', 'mickey')]
    # converters still apply in every row type
    row = Tweet.select(Tweet.timestamp).where(Tweet.content == 'hiss').dicts().get()
    assert row == {'timestamp': T0 + datetime.timedelta(minutes=1)}
    # dicts(False) goes back to models
    assert isinstance(_joined_query().dicts().dicts(False).get(), Tweet)


def test_objects_flattens_onto_the_model(data):
    rows = list(_joined_query().objects())
    assert all(type(t) is Tweet for t in rows)
    assert [(t.content, t.username) for t in rows] == [
        ('meow', 'huey'), ('purr', 'huey'), ('woof', 'mickey')]
    # the default (model graph) puts username on tweet.user instead
    tweet = _joined_query().get()
    assert tweet.user.username == 'huey'
    assert 'username' not in tweet.__dict__


def test_objects_with_constructor(data):
    class TweetView:
        def __init__(self, content, username):
            self.text = '%s: %s' % (username, content)

    assert [v.text for v in _joined_query().objects(TweetView)] == [
        'huey: meow', 'huey: purr', 'mickey: woof']
    assert list(_joined_query().objects(lambda **kw: kw['content'].upper())) == [
        'MEOW', 'PURR', 'WOOF']


def test_annotations_arrive_as_attributes(data):
    query = (User.select(User, fn.COUNT(Tweet.id).alias('n'))
             .join(Tweet, JOIN.LEFT_OUTER)
             .group_by(User)
             .order_by(User.username))
    assert [(u.username, u.n) for u in query] == [('huey', 3), ('mickey', 2), ('zaizee', 0)]
    users = list(query)
    assert type(users[0]) is User and not users[0].is_dirty()
    query = (User.select(User.username, fn.SUM(Tweet.likes).alias('total'))
             .join(Tweet).group_by(User.username).order_by(User.username))
    assert [(u.username, u.total) for u in query] == [('huey', 10), ('mickey', 6)]


def test_iterator_does_not_cache(data):
    query = Tweet.select().order_by(Tweet.id)
    with count_queries() as counter:
        contents = [t.content for t in query.iterator()]
    assert contents == ['meow', 'hiss', 'purr', 'woof', 'bark']
    assert counter.count == 1
    assert [row['content'] for row in Tweet.select().dicts().iterator()][:1] == ['meow']


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_get_and_does_not_exist(data):
    assert Tweet.select().where(Tweet.content == 'woof').get().likes == 5
    assert Tweet.get(Tweet.content == 'hiss').user_id == data.huey.id
    with pytest.raises(Tweet.DoesNotExist) as excinfo:
        Tweet.select().where(Tweet.content == 'nothing').get()
    # the message names the model and shows the query that found nothing
    message = str(excinfo.value)
    assert 'Tweet' in message and '"tweet"' in message and 'nothing' in message
    assert isinstance(excinfo.value, DoesNotExist)
    with pytest.raises(User.DoesNotExist):
        User.get(User.username == 'nobody')
    assert not issubclass(User.DoesNotExist, Tweet.DoesNotExist)
    assert User.get_or_none(User.username == 'nobody') is None


def test_first_scalar_peek(data):
    query = Tweet.select().order_by(Tweet.likes.desc())
    assert query.first().content == 'purr'
    assert [t.content for t in query.first(n=2)] == ['purr', 'woof']
    assert Tweet.select().where(Tweet.likes > 100).first() is None
    assert Tweet.select(fn.MAX(Tweet.likes)).scalar() == 7
    assert Tweet.select(fn.MIN(Tweet.likes), fn.MAX(Tweet.likes)).scalar(as_tuple=True) \
        == (0, 7)
    assert Tweet.select(fn.COUNT(Tweet.id)).where(Tweet.likes > 100).scalar() == 0
    query = Tweet.select().order_by(Tweet.id)
    assert query.peek().content == 'meow'
    assert [t.content for t in query.peek(n=2)] == ['meow', 'hiss']


def test_count_and_exists(data):
    assert Tweet.select().count() == 5
    assert Tweet.select().where(Tweet.likes > 2).count() == 3
    assert Tweet.select().join(User).where(User.username == 'mickey').count() == 2
    assert Tweet.select().order_by(Tweet.id).limit(2).count() == 2
    assert User.select().join(Tweet).distinct().count() == 2
    assert Tweet.select().where(Tweet.content == 'meow').exists()
    assert not Tweet.select().where(Tweet.content == 'moo').exists()


def test_results_are_cached(data):
    query = Tweet.select().order_by(Tweet.id)
    with count_queries() as counter:
        first = list(query)
        second = list(query)
        assert len(query) == 5
        assert query[0] is first[0]
        assert [t.content for t in query[1:3]] == ['hiss', 'purr']
        assert query[-1].content == 'bark'
    assert counter.count == 1
    assert first == second and first[2] is second[2]
    # a clone (any builder call) is a new query and runs again
    with count_queries() as counter:
        assert len(list(query.where(Tweet.likes > 2))) == 3
    assert counter.count == 1


def test_partially_read_results_continue_from_the_cache(data):
    query = Tweet.select(Tweet, User).join(User).order_by(Tweet.id)
    with count_queries() as counter:
        second = query[1]
        assert second.content == 'hiss' and second.user.username == 'huey'
        iterator = iter(query)
        assert next(iterator) is query[0]
        assert [t.content for t in iterator] == ['hiss', 'purr', 'woof', 'bark']
        assert query[1] is second
        assert len(query) == 5
    assert counter.count == 1


def test_len_indexing_and_slicing(data):
    query = User.select().order_by(User.username)
    assert len(query) == 3
    assert query[1].username == 'mickey'
    assert [u.username for u in query[:2]] == ['huey', 'mickey']
    assert [u.username for u in query[1:]] == ['mickey', 'zaizee']
    with pytest.raises(IndexError):
        query[10]


def test_compound_select_returns_models(data):
    liked = Tweet.select().where(Tweet.likes >= 5)
    mine = Tweet.select().where(Tweet.user == data.huey)
    query = (liked | mine).order_by(Tweet.content)
    tweets = list(query)
    assert all(type(t) is Tweet for t in tweets)
    assert [t.content for t in tweets] == ['hiss', 'meow', 'purr', 'woof']
    assert query.count() == 4
    assert len(list(liked + mine)) == 2 + 3        # UNION ALL keeps the duplicate
    assert [t.content for t in (mine - liked).order_by(Tweet.content)] == ['hiss', 'meow']
    assert [t.content for t in (mine & liked)] == ['purr']
    rows = list((liked | mine).order_by(Tweet.content).limit(1).dicts())
    assert rows[0]['content'] == 'hiss'


def test_select_model_subset_and_aliases(data):
    tweet = (Tweet.select(Tweet.id, Tweet.content.alias('text'))
             .where(Tweet.content == 'woof').get())
    assert tweet.text == 'woof'
    assert tweet.content is None
    assert isinstance(Tweet.select(), ModelSelect)


def test_raw_query_returns_models(data):
    table = data.db.dialect.quote_identifier('tweet')
    query = Tweet.raw('SELECT id, content, likes FROM %s WHERE likes > %s ORDER BY likes'
                      % (table, data.db.param), 4)
    assert [(t.content, t.likes) for t in query] == [('woof', 5), ('purr', 7)]
    assert all(type(t) is Tweet for t in query)


def test_filter_across_relations(data):
    query = Tweet.filter(user__username='mickey').order_by(Tweet.id)
    assert [t.content for t in query] == ['woof', 'bark']
    query = Favorite.filter(tweet__user__username='huey')
    assert [f.user.username for f in query] == ['mickey']


def test_engine_fixture_sanity(data):
    assert engine_name(data.db) in ('sqlite', 'postgres', 'mysql')
