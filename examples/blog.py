"""A small blogging application built on orm.

Users write tweets, follow each other, tag tweets (many-to-many) and file them
in nested categories (a self-referencing foreign key). The script creates its
tables, fills them, runs the queries a blog's pages would need, checks the
answers, and drops its tables again.

    python3 examples/blog.py               # in-memory SQLite
    python3 examples/blog.py --postgres    # PostgreSQL; DSN from ORM_PG_DSN,
                                           # default "dbname=orm_test host=127.0.0.1 user=postgres"

Every table name starts with ``blog_`` so that the example can share a
PostgreSQL database with other data.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

try:
    import orm
except ImportError:   # run from a checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    import orm

from orm import (JOIN, SQL, BooleanField, CharField, DatabaseProxy, DateTimeField, DQ,
                 ForeignKeyField, IntegerField, IntegrityError, ManyToManyField, Model,
                 PostgresqlDatabase, SqliteDatabase, TextField, fn, prefetch)

db = DatabaseProxy()          # SQLite or PostgreSQL, chosen at run time

START = datetime.datetime(2024, 5, 1, 8, 0)


def blog_table_name(model_class: type) -> str:
    return 'blog_' + orm.make_snake_case(model_class.__name__)


class BaseModel(Model):
    class Meta:
        database = db
        table_function = blog_table_name


class User(BaseModel):
    username = CharField(unique=True)
    joined = DateTimeField(default=datetime.datetime.now)
    is_admin = BooleanField(default=False)

    def follow(self, other: 'User') -> None:
        Follow.create(follower=self, followee=other)

    def following(self):
        """The users this user follows."""
        return (User.select()
                .join(Follow, on=Follow.followee)
                .where(Follow.follower == self)
                .order_by(User.username))

    def followers(self):
        """The users following this user."""
        return (User.select()
                .join(Follow, on=Follow.follower)
                .where(Follow.followee == self)
                .order_by(User.username))

    def timeline(self):
        """Tweets of the users this user follows, newest first, with their authors."""
        followed = Follow.select(Follow.followee).where(Follow.follower == self)
        return (Tweet.select(Tweet, User)
                .join(User)
                .where(Tweet.user.in_(followed))
                .order_by(Tweet.created.desc()))


class Follow(BaseModel):
    """A user following another: two foreign keys to the same model."""
    follower = ForeignKeyField(User, backref='follow_links', on_delete='CASCADE')
    followee = ForeignKeyField(User, backref='followed_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('follower', 'followee'), True),)


class Category(BaseModel):
    name = CharField()
    slug = CharField(unique=True)
    parent = ForeignKeyField('self', null=True, backref='children', on_delete='CASCADE')

    def path(self) -> str:
        names = []
        node = self
        while node is not None:
            names.append(node.name)
            node = node.parent            # one query per level (lazy loading)
        return ' / '.join(reversed(names))

    def descendants_and_self(self) -> list:
        found = [self]
        for child in self.children.order_by(Category.name):
            found.extend(child.descendants_and_self())
        return found


class Tag(BaseModel):
    name = CharField(unique=True)


class Tweet(BaseModel):
    user = ForeignKeyField(User, backref='tweets', on_delete='CASCADE')
    category = ForeignKeyField(Category, null=True, backref='tweets', on_delete='SET NULL')
    content = TextField()
    created = DateTimeField()
    likes = IntegerField(default=0)
    tags = ManyToManyField(Tag, backref='tweets', on_delete='CASCADE')


TweetTag = Tweet.tags.get_through_model()
MODELS = [User, Follow, Category, Tag, Tweet, TweetTag]


# -- setting up ----------------------------------------------------------------------------
def connect(use_postgres: bool) -> None:
    if use_postgres:
        dsn = os.environ.get('ORM_PG_DSN',
                             'dbname=orm_test host=127.0.0.1 user=postgres')
        from psycopg2.extensions import parse_dsn
        params = parse_dsn(dsn)
        database = PostgresqlDatabase(params.pop('dbname'), **params)
    else:
        database = SqliteDatabase(':memory:', pragmas={'foreign_keys': 1})
    db.initialize(database)
    db.connect()


def seed() -> None:
    with db.atomic():
        users = {name: User.create(username=name, joined=START, is_admin=(name == 'ada'))
                 for name in ('ada', 'brian', 'chloe', 'dmitri')}
        follows = [('ada', 'brian'), ('ada', 'chloe'), ('brian', 'chloe'),
                   ('chloe', 'ada'), ('dmitri', 'ada'), ('dmitri', 'brian')]
        Follow.insert_many([{'follower': users[a], 'followee': users[b]}
                            for a, b in follows]).execute()

        tech = Category.create(name='Tech', slug='tech')
        python = Category.create(name='Python', slug='python', parent=tech)
        Category.create(name='Databases', slug='databases', parent=tech)
        Category.create(name='Packaging', slug='packaging', parent=python)
        life = Category.create(name='Life', slug='life')

        tags = {name: Tag.create(name=name) for name in ('python', 'sql', 'til', 'coffee')}

        posts = [
            ('ada', 'python', 'Generators make pipelines cheap.', ['python', 'til']),
            ('brian', 'databases', 'Indexes are not free on writes.', ['sql']),
            ('chloe', 'packaging', 'pyproject.toml all the things.', ['python']),
            ('ada', 'life', 'Second coffee of the morning.', ['coffee']),
            ('brian', 'python', 'Window functions from Python, finally.', ['python', 'sql']),
            ('chloe', None, 'Hello, world!', []),
            ('dmitri', 'databases', 'EXPLAIN before you optimize.', ['sql', 'til']),
        ]
        for n, (author, slug, content, tag_names) in enumerate(posts):
            tweet = Tweet.create(
                user=users[author],
                category=Category.get(Category.slug == slug) if slug else None,
                content=content,
                created=START + datetime.timedelta(hours=n),
                likes=(n * 2) % 5)
            tweet.tags.add([tags[t] for t in tag_names])
        assert life.tweets.count() == 1


# -- what the pages of the blog show ---------------------------------------------------------
def show_timeline(username: str, page: int = 1, per_page: int = 3) -> list:
    user = User.get(User.username == username)
    tweets = list(user.timeline().paginate(page, per_page))
    # tags of the tweets on this page: one query for the links, one for the tags
    with_tags = prefetch(Tweet.select().where(Tweet.id.in_([t.id for t in tweets])),
                         TweetTag.select(), Tag.select())
    tags_by_tweet = {t.id: sorted(tag.name for tag in t.tags) for t in with_tags}
    print('Timeline of %s, page %d:' % (username, page))
    for tweet in tweets:
        print('  %-6s %s %s  %s' % (tweet.user.username, tweet.created.strftime('%H:%M'),
                                    tweet.content, tags_by_tweet[tweet.id]))
    return [t.content for t in tweets]


def show_profiles() -> list:
    tweet_count = (Tweet.select(fn.COUNT(Tweet.id))
                   .where(Tweet.user == User.id))
    follower_count = (Follow.select(fn.COUNT(Follow.id))
                      .where(Follow.followee == User.id))
    query = (User.select(User.username,
                         tweet_count.alias('tweets'),
                         follower_count.alias('followers'),
                         fn.COALESCE(fn.SUM(Tweet.likes), 0).alias('likes'))
             .join(Tweet, JOIN.LEFT_OUTER)
             .group_by(User.id, User.username)
             .order_by(User.username))
    print('Profiles:')
    rows = []
    for row in query.dicts():
        rows.append((row['username'], row['tweets'], row['followers'], row['likes']))
        print('  %(username)-6s tweets=%(tweets)d followers=%(followers)d '
              'likes=%(likes)d' % row)
    return rows


def show_popular_tags() -> list:
    query = (Tag.select(Tag.name, fn.COUNT(TweetTag.id).alias('uses'))
             .join(TweetTag)
             .group_by(Tag.name)
             .having(fn.COUNT(TweetTag.id) >= 2)
             .order_by(fn.COUNT(TweetTag.id).desc(), Tag.name))
    rows = list(query.tuples())
    print('Popular tags:', ', '.join('%s (%d)' % row for row in rows))
    return rows


def show_categories() -> list:
    lines = []

    def walk(category: Category, depth: int) -> None:
        lines.append('%s%s (%d)' % ('  ' * depth, category.name, category.tweets.count()))
        for child in category.children.order_by(Category.name):
            walk(child, depth + 1)

    for root in Category.select().where(Category.parent.is_null()).order_by(Category.name):
        walk(root, 0)
    print('Categories:')
    for line in lines:
        print('  ' + line)
    return lines


def tweets_in_category(slug: str) -> list:
    """Tweets filed under a category or any category below it."""
    category = Category.get(Category.slug == slug)
    ids = [c.id for c in category.descendants_and_self()]
    query = (Tweet.select(Tweet.content)
             .where(Tweet.category.in_(ids))
             .order_by(Tweet.created))
    return [t.content for t in query]


def who_to_follow(username: str) -> list:
    """Users followed by the people this user follows, not yet followed by them."""
    user = User.get(User.username == username)
    followed = Follow.select(Follow.followee).where(Follow.follower == user)
    query = (User.select(User.username, fn.COUNT(Follow.id).alias('score'))
             .join(Follow, on=Follow.followee)
             .where(Follow.follower.in_(followed),
                    User.id.not_in(followed),
                    User.id != user.id)
             .group_by(User.username)
             .order_by(fn.COUNT(Follow.id).desc(), User.username))
    return list(query.tuples())


def search(text: str) -> list:
    """Tweets whose content contains the text, or tagged with it."""
    tagged = (TweetTag.select(TweetTag.tweet)
              .join(Tag).where(Tag.name == text.lower()))
    query = (Tweet.select()
             .where(Tweet.content.contains(text) | Tweet.id.in_(tagged))
             .order_by(Tweet.created))
    return [t.content for t in query]


def rank_by_likes() -> list:
    rank = fn.RANK().over(partition_by=[Tweet.user], order_by=[Tweet.likes.desc()])
    query = (Tweet.select(User.username, Tweet.content, Tweet.likes, rank.alias('rank'))
             .join(User)
             .order_by(User.username, SQL('rank'), Tweet.id))
    return [(row.username, row.content, row.rank) for row in query.objects()]


def run() -> None:
    seed()

    assert [u.username for u in User.get(User.username == 'ada').following()] == \
        ['brian', 'chloe']
    assert [u.username for u in User.get(User.username == 'ada').followers()] == \
        ['chloe', 'dmitri']

    page1 = show_timeline('ada')
    assert page1 == ['Hello, world!', 'Window functions from Python, finally.',
                     'pyproject.toml all the things.'], page1
    page2 = show_timeline('ada', page=2)
    assert page2 == ['Indexes are not free on writes.'], page2

    profiles = show_profiles()
    assert profiles == [('ada', 2, 2, 1), ('brian', 2, 2, 5), ('chloe', 2, 2, 4),
                        ('dmitri', 1, 0, 2)], profiles

    tags = show_popular_tags()
    assert tags == [('python', 3), ('sql', 3), ('til', 2)], tags

    lines = show_categories()
    assert lines == ['Life (1)', 'Tech (0)', '  Databases (2)', '  Python (2)',
                     '    Packaging (1)'], lines
    assert Category.get(Category.slug == 'packaging').path() == 'Tech / Python / Packaging'

    in_python = tweets_in_category('python')
    print('Under Python:', in_python)
    assert in_python == ['Generators make pipelines cheap.', 'pyproject.toml all the things.',
                         'Window functions from Python, finally.']

    suggestions = who_to_follow('dmitri')
    print('dmitri might follow:', suggestions)
    assert suggestions == [('chloe', 2)], suggestions

    found = search('sql')
    print('Search "sql":', found)
    assert found == ['Indexes are not free on writes.', 'Window functions from Python, finally.',
                     'EXPLAIN before you optimize.'], found

    ranks = rank_by_likes()
    assert ranks[:2] == [('ada', 'Second coffee of the morning.', 1),
                         ('ada', 'Generators make pipelines cheap.', 2)], ranks

    # Django-style filters, across a foreign key
    admin_posts = Tweet.filter(user__is_admin=True, likes__gte=1)
    assert [t.content for t in admin_posts] == ['Second coffee of the morning.']
    assert Tweet.filter(DQ(likes=0) | DQ(category=None)).count() == 2

    # liking a tweet: an atomic UPDATE, no read-modify-write race
    hello = Tweet.get(Tweet.content == 'Hello, world!')
    Tweet.update(likes=Tweet.likes + 1).where(Tweet.id == hello.id).execute()
    assert Tweet.get_by_id(hello.id).likes == 1

    # following twice violates the unique index; the savepoint keeps the outer work
    with db.atomic():
        try:
            with db.atomic():
                User.get(User.username == 'ada').follow(User.get(User.username == 'brian'))
        except IntegrityError:
            print('ada already follows brian')
    assert Follow.select().count() == 6

    # retagging: assigning a list replaces the tags
    hello.tags = [Tag.get(Tag.name == 'til')]
    assert [t.name for t in hello.tags] == ['til']

    # deleting a user removes their tweets, tag links and follows first
    dmitri = User.get(User.username == 'dmitri')
    dmitri.delete_instance(recursive=True)
    assert User.select().count() == 3
    assert Tweet.select().count() == 6
    assert Follow.select().where(Follow.follower == dmitri.id).count() == 0
    print('Deleted dmitri; %d tweets left.' % Tweet.select().count())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--postgres', action='store_true',
                        help='use PostgreSQL (DSN from ORM_PG_DSN) instead of SQLite')
    args = parser.parse_args(argv)
    connect(args.postgres)
    try:
        db.drop_tables(MODELS)             # leftovers of an interrupted run
        db.create_tables(MODELS)
        run()
    finally:
        db.drop_tables(MODELS)
        db.close()
    print('OK (%s)' % ('PostgreSQL' if args.postgres else 'SQLite'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
