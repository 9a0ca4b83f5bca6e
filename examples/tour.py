"""A tour of orm on SQLite: define models, create and evolve the schema, query.

Run it from a fresh clone with:

    python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python examples/tour.py

It writes a SQLite file in a temporary directory (set ORM_TOUR_DB to choose the path)
and prints what it does at each step.
"""
from __future__ import annotations

import datetime
import os
import sys
import tempfile

# the API is peewee's: an application can also `import orm as peewee`
from orm import (JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField,
                 ManyToManyField, Model, SqliteDatabase, TextField, fn, prefetch)
from playhouse.migrate import SchemaMigrator, migrate

path = os.environ.get('ORM_TOUR_DB') or os.path.join(tempfile.mkdtemp(), 'tour.db')
db = SqliteDatabase(path, pragmas={'foreign_keys': 1, 'journal_mode': 'wal'})


def step(title: str) -> None:
    print('\n== %s' % title)


# -- 1. define models -------------------------------------------------------------------------
class BaseModel(Model):
    class Meta:
        database = db


class User(BaseModel):
    username = CharField(unique=True)
    joined = DateTimeField(default=datetime.datetime.now)


class Tweet(BaseModel):
    user = ForeignKeyField(User, backref='tweets', on_delete='CASCADE')
    content = TextField()
    created = DateTimeField(default=datetime.datetime.now)


class Tag(BaseModel):
    name = CharField(unique=True)
    tweets = ManyToManyField(Tweet, backref='tags')


TweetTag = Tag.tweets.get_through_model()


def main() -> int:
    step('create the schema (referenced tables first)')
    db.connect()
    db.create_tables([User, Tweet, Tag, TweetTag])
    print('tables:', db.get_tables())

    step('insert rows in one transaction')
    with db.atomic():
        alice = User.create(username='alice')
        bob = User.create(username='bob')
        for i, text in enumerate(['hello', 'sqlite is embedded', 'no server needed']):
            Tweet.create(user=alice, content=text,
                         created=datetime.datetime(2026, 1, 1, 12, i))
        Tweet.create(user=bob, content='hi alice', created=datetime.datetime(2026, 1, 2))
        python = Tag.create(name='python')
        alice.tweets.where(Tweet.content.contains('sql')).get().tags.add(python)
    print('users:', User.select().count(), 'tweets:', Tweet.select().count())

    step('query: a join rebuilt into objects (one query)')
    query = (Tweet.select(Tweet, User).join(User)
             .order_by(Tweet.created.desc()).limit(3))
    for tweet in query:
        print('  %-6s %s' % (tweet.user.username, tweet.content))

    step('query: aggregate with GROUP BY, rows as dicts')
    counts = (User.select(User.username, fn.COUNT(Tweet.id).alias('tweets'))
              .join(Tweet, JOIN.LEFT_OUTER).group_by(User.username)
              .order_by(User.username).dicts())
    for row in counts:
        print('  ', row)

    step('prefetch: every user with their tweets in two queries')
    for user in prefetch(User.select().order_by(User.username), Tweet.select()):
        print('  %s: %s' % (user.username, [t.content for t in user.tweets]))

    step('many-to-many through a generated table')
    print('  tagged python:', [t.content for t in python.tweets])

    step('migrate: add a column that keeps every existing row')
    # schema v2: tweets get a like counter, NOT NULL with a default that fills the old rows
    # (on SQLite this rebuilds the table, foreign keys checked before they come back on)
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column('tweet', 'likes', IntegerField(default=0)))
    Tweet._meta.add_field('likes', IntegerField(default=0))
    Tweet.update(likes=Tweet.likes + 5).where(Tweet.user == bob).execute()
    for tweet in Tweet.select().order_by(Tweet.likes.desc(), Tweet.id).limit(2):
        print('  %-20s likes=%d' % (tweet.content, tweet.likes))
    print('  columns now:', [c.name for c in db.get_columns('tweet')])

    step('update and delete')
    User.update(username='alice2').where(User.username == 'alice').execute()
    alice = User.get(User.username == 'alice2')
    print('  renamed:', alice.username)
    removed = alice.delete_instance(recursive=True)
    print('  deleted alice (%d row) and her tweets; tweets left: %d'
          % (removed, Tweet.select().count()))

    db.close()
    print('\nDone. The database file is', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
