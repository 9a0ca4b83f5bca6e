"""playhouse.reflection: models generated from a live schema query the existing data.

The blog schema (users, tweets, follows with a two-column key, tags many-to-many through
tweet_tags, self-referencing categories, and a foreign-key cycle) is created with plain
SQL on SQLite and PostgreSQL, filled, introspected and queried through generated models;
generated source is executed; the command line is run as a subprocess.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from conftest import pg_connect_kwargs
from orm import (JOIN, AutoField, CharField, DateTimeField, DecimalField,
                 ForeignKeyField, IntegerField, ManyToManyField, Model, SqliteDatabase,
                 TextField, fn)
from playhouse.reflection import (Column, DatabaseMetadata, Introspector, UnknownField,
                                  generate_models, generate_source, get_table_sql,
                                  introspect, print_model, print_table_sql)
from playhouse.schema_diff import diff_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SQLITE_SCHEMA = [
    'CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(50) NOT NULL UNIQUE, '
    'email TEXT, joined DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, '
    'score DECIMAL(8, 2) DEFAULT 0)',
    'CREATE TABLE tweets (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL '
    'REFERENCES users (id) ON DELETE CASCADE, content TEXT NOT NULL, created DATETIME, '
    'likes INTEGER NOT NULL DEFAULT 0)',
    'CREATE INDEX tweets_user_id ON tweets (user_id)',
    'CREATE INDEX tweets_user_created ON tweets (user_id, created)',
    'CREATE TABLE follows (from_user_id INTEGER NOT NULL REFERENCES users (id), '
    'to_user_id INTEGER NOT NULL REFERENCES users (id), PRIMARY KEY (from_user_id, '
    'to_user_id))',
    'CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(30) NOT NULL UNIQUE)',
    'CREATE TABLE tweet_tags (id INTEGER PRIMARY KEY, tweet_id INTEGER NOT NULL '
    'REFERENCES tweets (id), tag_id INTEGER NOT NULL REFERENCES tags (id))',
    'CREATE UNIQUE INDEX tweet_tags_tweet_tag ON tweet_tags (tweet_id, tag_id)',
    'CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL, '
    'parent_id INTEGER REFERENCES categories (id))',
    'CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT, captain_id INTEGER '
    'REFERENCES players (id))',
    'CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT, team_id INTEGER '
    'REFERENCES teams (id))',
]

PG_SCHEMA = [
    'CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(50) NOT NULL UNIQUE, '
    'email TEXT, joined TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, '
    'score NUMERIC(8, 2) DEFAULT 0)',
    'CREATE TABLE tweets (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL '
    'REFERENCES users (id) ON DELETE CASCADE, content TEXT NOT NULL, created TIMESTAMP, '
    'likes INTEGER NOT NULL DEFAULT 0)',
    'CREATE INDEX tweets_user_id ON tweets (user_id)',
    'CREATE INDEX tweets_user_created ON tweets (user_id, created)',
    'CREATE TABLE follows (from_user_id INTEGER NOT NULL REFERENCES users (id), '
    'to_user_id INTEGER NOT NULL REFERENCES users (id), PRIMARY KEY (from_user_id, '
    'to_user_id))',
    'CREATE TABLE tags (id SERIAL PRIMARY KEY, name VARCHAR(30) NOT NULL UNIQUE)',
    'CREATE TABLE tweet_tags (id SERIAL PRIMARY KEY, tweet_id INTEGER NOT NULL '
    'REFERENCES tweets (id), tag_id INTEGER NOT NULL REFERENCES tags (id))',
    'CREATE UNIQUE INDEX tweet_tags_tweet_tag ON tweet_tags (tweet_id, tag_id)',
    'CREATE TABLE categories (id SERIAL PRIMARY KEY, name TEXT NOT NULL, '
    'parent_id INTEGER REFERENCES categories (id))',
    'CREATE TABLE teams (id SERIAL PRIMARY KEY, name TEXT, captain_id INTEGER)',
    'CREATE TABLE players (id SERIAL PRIMARY KEY, name TEXT, team_id INTEGER '
    'REFERENCES teams (id))',
    'ALTER TABLE teams ADD CONSTRAINT teams_captain FOREIGN KEY (captain_id) '
    'REFERENCES players (id)',
]

#: MySQL: keys are INTEGER AUTO_INCREMENT (SERIAL is BIGINT UNSIGNED there, which an
#: INTEGER foreign key may not reference) and foreign keys are table constraints
MYSQL_SCHEMA = [
    'CREATE TABLE users (id INTEGER AUTO_INCREMENT PRIMARY KEY, username VARCHAR(50) NOT '
    'NULL UNIQUE, email TEXT, joined DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, '
    'score NUMERIC(8, 2) DEFAULT 0)',
    'CREATE TABLE tweets (id INTEGER AUTO_INCREMENT PRIMARY KEY, user_id INTEGER NOT NULL, '
    'content TEXT NOT NULL, created DATETIME, likes INTEGER NOT NULL DEFAULT 0, '
    'FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)',
    'CREATE INDEX tweets_user_id ON tweets (user_id)',
    'CREATE INDEX tweets_user_created ON tweets (user_id, created)',
    'CREATE TABLE follows (from_user_id INTEGER NOT NULL, to_user_id INTEGER NOT NULL, '
    'PRIMARY KEY (from_user_id, to_user_id), '
    'FOREIGN KEY (from_user_id) REFERENCES users (id), '
    'FOREIGN KEY (to_user_id) REFERENCES users (id))',
    'CREATE TABLE tags (id INTEGER AUTO_INCREMENT PRIMARY KEY, name VARCHAR(30) NOT NULL '
    'UNIQUE)',
    'CREATE TABLE tweet_tags (id INTEGER AUTO_INCREMENT PRIMARY KEY, tweet_id INTEGER NOT '
    'NULL, tag_id INTEGER NOT NULL, FOREIGN KEY (tweet_id) REFERENCES tweets (id), '
    'FOREIGN KEY (tag_id) REFERENCES tags (id))',
    'CREATE UNIQUE INDEX tweet_tags_tweet_tag ON tweet_tags (tweet_id, tag_id)',
    'CREATE TABLE categories (id INTEGER AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL, '
    'parent_id INTEGER, FOREIGN KEY (parent_id) REFERENCES categories (id))',
    'CREATE TABLE teams (id INTEGER AUTO_INCREMENT PRIMARY KEY, name TEXT, '
    'captain_id INTEGER)',
    'CREATE TABLE players (id INTEGER AUTO_INCREMENT PRIMARY KEY, name TEXT, '
    'team_id INTEGER, FOREIGN KEY (team_id) REFERENCES teams (id))',
    'ALTER TABLE teams ADD CONSTRAINT teams_captain FOREIGN KEY (captain_id) '
    'REFERENCES players (id)',
]

SCHEMAS = {'sqlite': SQLITE_SCHEMA, 'postgres': PG_SCHEMA, 'mysql': MYSQL_SCHEMA}

DATA = [
    "INSERT INTO users (username, email) VALUES ('alice', 'a@x'), ('bob', NULL), "
    "('carol', 'c@x')",
    "INSERT INTO tweets (user_id, content, created) VALUES "
    "(1, 'hello', '2026-01-01 10:00:00'), (1, 'again', '2026-01-02 10:00:00'), "
    "(2, 'hi alice', '2026-01-03 10:00:00')",
    'INSERT INTO follows VALUES (1, 2), (2, 1), (3, 1)',
    "INSERT INTO tags (name) VALUES ('python'), ('sql')",
    'INSERT INTO tweet_tags (tweet_id, tag_id) VALUES (1, 1), (1, 2), (3, 2)',
    "INSERT INTO categories (name, parent_id) VALUES ('root', NULL), ('lang', 1), "
    "('python', 2)",
    "INSERT INTO teams (name) VALUES ('red')",
    "INSERT INTO players (name, team_id) VALUES ('pia', 1)",
    'UPDATE teams SET captain_id = 1',
]


@pytest.fixture
def blog(db):
    for sql in SCHEMAS[db.dialect.name] + DATA:
        db.execute_sql(sql)
    return db


def test_generated_models_query_the_existing_data(blog):
    models = generate_models(blog)
    assert set(models) == {'users', 'tweets', 'follows', 'tags', 'tweet_tags', 'categories',
                           'teams', 'players'}
    Users, Tweets, Tags = models['users'], models['tweets'], models['tags']
    TweetTags, Follows = models['tweet_tags'], models['follows']
    Categories, Teams, Players = models['categories'], models['teams'], models['players']

    # columns and keys
    assert isinstance(Users._meta.primary_key, AutoField)
    assert isinstance(Users.username, CharField) and Users.username.max_length == 50
    assert Users.username.unique and Users.email.null and not Users.joined.null
    assert isinstance(Users.score, DecimalField) and Users.score.decimal_places == 2
    assert isinstance(Users.joined, DateTimeField)
    assert isinstance(Tweets.user, ForeignKeyField) and Tweets.user.rel_model is Users
    assert Tweets.user.column_name == 'user_id' and Tweets.user.on_delete == 'CASCADE'
    assert Tweets._meta.indexes == [(['user', 'created'], False)]

    # a join rebuilt into objects
    query = (Tweets.select(Tweets, Users).join(Users)
             .order_by(Tweets.created))
    assert [(t.content, t.user.username) for t in query] == [
        ('hello', 'alice'), ('again', 'alice'), ('hi alice', 'bob')]
    assert [t.content for t in Users.get(Users.username == 'bob').tweets_set] == ['hi alice']
    counts = (Users.select(Users.username, fn.COUNT(Tweets.id).alias('n'))
              .join(Tweets, on=(Tweets.user == Users.id), join_type=JOIN.LEFT_OUTER)
              .group_by(Users.username).order_by(Users.username).tuples())
    assert list(counts) == [('alice', 2), ('bob', 1), ('carol', 0)]

    # many-to-many through tweet_tags
    tagged = (Tags.select().join(TweetTags).join(Tweets)
              .where(Tweets.content == 'hello').order_by(Tags.name))
    assert [t.name for t in tagged] == ['python', 'sql']

    # a two-column key made of two foreign keys to the same table
    assert Follows._meta.composite_key
    pairs = sorted((f.from_user.username, f.to_user.username) for f in Follows.select())
    assert pairs == [('alice', 'bob'), ('bob', 'alice'), ('carol', 'alice')]
    followers = Follows.select().where(Follows.to_user == 1)
    assert sorted(f.from_user.username for f in followers) == ['bob', 'carol']

    # self-reference
    assert Categories.parent.rel_model is Categories
    python = Categories.get(Categories.name == 'python')
    assert python.parent.name == 'lang' and python.parent.parent.name == 'root'
    # one key to a table: the default backref, <model>_set
    assert [c.name for c in Categories.get_by_id(1).categories_set] == ['lang']

    # a cycle: teams.captain -> players, players.team -> teams
    team = Teams.get()
    assert team.captain.name == 'pia' and team.captain.team.name == 'red'
    assert Teams.captain.rel_model is Players and Players.team.rel_model is Teams

    # writing through the generated models works too
    carol = Users.get(Users.username == 'carol')
    Tweets.create(user=carol, content='new', likes=3)
    assert Tweets.select().where(Tweets.user == carol).count() == 1


def test_generated_models_match_the_schema(blog):
    """The generated models describe the live schema exactly: no differences."""
    models = generate_models(blog)
    diff = diff_models(blog, list(models.values()))
    assert not diff, diff.summary()


def test_introspect_metadata(blog):
    metadata = introspect(blog)
    assert isinstance(metadata, DatabaseMetadata)
    assert metadata.model_names['tweet_tags'] == 'TweetTags'
    assert metadata.primary_keys['follows'] == ['from_user_id', 'to_user_id']
    assert metadata.multi_column_indexes('tweet_tags') == [(('tweet_id', 'tag_id'), True)]
    assert metadata.column_indexes('users') == {'username': True}
    column = metadata.columns['tweets']['user_id']
    assert isinstance(column, Column) and column.is_foreign_key()
    assert column.rel_model == 'Users' and not column.is_self_referential_fk()
    assert metadata.columns['categories']['parent_id'].is_self_referential_fk()
    assert metadata.columns['users']['id'].is_primary_key()
    assert 'Column(' in repr(column)


def test_table_names_bring_what_they_refer_to(blog):
    introspector = Introspector.from_database(blog)
    models = introspector.generate_models(table_names=['tweets'])
    assert set(models) == {'tweets', 'users'}
    assert models['tweets'].select().count() == 3


def test_generated_source_runs(blog):
    source = generate_source(Introspector.from_database(blog))
    assert 'class Tweets(BaseModel):' in source
    assert ("user = ForeignKeyField(column_name='user_id', field='id', model=Users, "
            "on_delete='CASCADE')") in source
    assert ("parent = ForeignKeyField(column_name='parent_id', field='id', model='self', "
            "null=True)") in source
    assert 'primary_key = CompositeKey(' in source
    assert "DeferredForeignKey('" in source            # the cycle
    assert "(('user', 'created'), False)," in source
    namespace: dict = {}
    exec(compile(source, '<generated>', 'exec'), namespace)
    namespace['database'].close()
    namespace['BaseModel']._meta.set_database(blog)
    for name in ('Users', 'Tweets', 'Follows', 'Categories', 'Teams', 'Players'):
        namespace[name]._meta.set_database(blog)
    Tweets = namespace['Tweets']
    assert [t.user.username for t in Tweets.select().order_by(Tweets.id)] == [
        'alice', 'alice', 'bob']
    Teams, Players = namespace['Teams'], namespace['Players']
    assert Teams.get().captain.name == 'pia'
    assert Players.team.rel_model is Teams


def test_print_model_and_table_sql(blog):
    models = generate_models(blog)
    out = io.StringIO()
    with redirect_stdout(out):
        print_model(models['tweets'])
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == 'tweets'
    assert lines[1] == '  id AUTO PK'
    assert '  user_id INT FK: Users.id' in lines
    assert '  created DATETIME NULL' in lines
    assert 'index(es)' in lines and '  user_id, created' in lines

    out = io.StringIO()
    with redirect_stdout(out):
        print_model(models['follows'], inline_indexes=True)
    assert '  from_user_id INT PK FK: Users.id' in out.getvalue()

    out = io.StringIO()
    with redirect_stdout(out):
        print_table_sql(models['tweets'])
    sql = out.getvalue().strip()
    assert sql == get_table_sql(models['tweets'])
    q = blog.quote_identifier
    assert sql.startswith('CREATE TABLE IF NOT EXISTS %s (' % q('tweets'))
    assert 'FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE CASCADE' % (
        q('user_id'), q('users'), q('id')) in sql
    # the generated table definition creates a working table
    blog.execute_sql(sql.replace(q('tweets'), q('tweets_copy'), 1))
    assert 'tweets_copy' in blog.get_tables()


def test_models_round_trip_through_reflection(db):
    """Tables made by orm models come back as equivalent models."""
    class Base(Model):
        class Meta:
            database = db

    class Person(Base):
        name = CharField(max_length=40, unique=True)
        bio = TextField(null=True)
        rank = IntegerField(default=0, index=True)

    class Post(Base):
        author = ForeignKeyField(Person, backref='posts')
        editor = ForeignKeyField(Person, null=True, backref='edits')
        title = CharField()

    class Label(Base):
        name = CharField()
        posts = ManyToManyField(Post, backref='labels')

    Through = Label.posts.get_through_model()
    db.create_tables([Person, Post, Label, Through])
    ann = Person.create(name='ann')
    Post.create(author=ann, title='t')

    models = generate_models(db)
    P = models['person']
    assert P.name.max_length == 40 and P.name.unique
    assert P.bio.null and P.rank.index and not P.rank.unique
    PostG = models['post']
    assert PostG.author.rel_model is P and PostG.editor.null
    # two keys to one table get distinct backrefs
    assert PostG.author.backref != PostG.editor.backref
    assert PostG.get().author.name == 'ann'
    assert not diff_models(db, list(models.values()))


def test_views_and_unknown_types(db):
    if db.dialect.name == 'sqlite':
        db.execute_sql('CREATE TABLE things (id INTEGER PRIMARY KEY, shape GEOMETRY, '
                       'raw, flag BOOLEAN)')
    elif db.dialect.name == 'mysql':   # a spatial type orm has no field for
        db.execute_sql('CREATE TABLE things (id INTEGER AUTO_INCREMENT PRIMARY KEY, '
                       'shape POINT, raw BLOB, flag BOOLEAN)')
    else:
        db.execute_sql('CREATE TABLE things (id SERIAL PRIMARY KEY, shape INET, '
                       'raw BYTEA, flag BOOLEAN)')
    db.execute_sql('CREATE VIEW thing_ids AS SELECT id FROM things')
    metadata = introspect(db)
    assert 'thing_ids' not in metadata.columns
    columns = metadata.columns['things']
    assert columns['shape'].field_class is UnknownField
    source = generate_source(Introspector.from_database(db), include_views=True)
    assert 'class ThingIds(BaseModel):' in source
    # as pwiz prints it: a stand-in class, the column's type in a comment
    assert 'class UnknownField(object):\n' in source
    assert 'shape = UnknownField(null=True)  # %s' % columns['shape'].raw_column_type \
        in source
    # the printed module runs: the stand-in takes the arguments and declares no field
    namespace: dict = {}
    exec(compile(source, '<generated>', 'exec'), namespace)
    namespace['database'].close()
    Things = namespace['Things']
    assert sorted(Things._meta.fields) == ['flag', 'id', 'raw_']   # Model.raw stays
    Things._meta.set_database(db)
    Things.create(flag=False)
    assert db.execute_sql('SELECT shape, flag FROM things').fetchall() == [(None, False)]
    ignored = generate_source(Introspector.from_database(db), ignore_unknown=True)
    assert 'UnknownField' not in ignored
    assert '    # shape - %s\n' % columns['shape'].raw_column_type in ignored
    models = generate_models(db)
    models['things'].create(flag=True)
    assert models['things'].select().count() == 2


# ---------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, '-m', 'playhouse.reflection'] + list(args),
                          capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)


def test_cli_sqlite_file(tmp_path):
    path = str(tmp_path / 'blog.db')
    db = SqliteDatabase(path)
    for sql in SQLITE_SCHEMA + DATA:
        db.execute_sql(sql)
    db.close()
    result = _cli(path)
    assert result.returncode == 0, result.stderr
    source = result.stdout
    assert source.startswith('from orm import *\n')
    assert 'database = SqliteDatabase(%r)' % path in source
    assert 'class Tweets(BaseModel):' in source and 'class Categories(BaseModel):' in source
    # the printed source is a working module
    module = tmp_path / 'blog_models.py'
    module.write_text(source)
    check = subprocess.run(
        [sys.executable, '-c', 'import blog_models as m; '
         'print(sorted(t.content for t in m.Tweets.select()))'],
        capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=ROOT), timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "['again', 'hello', 'hi alice']"

    result = _cli('-t', 'tweets', '-i', '-o', path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('# Code generated by:\n# python -m playhouse.reflection -t tweets -i -o %s\n# Date: ' % path)
    assert '# Database: %s\n# orm version: ' % path in result.stdout
    assert 'class Users(BaseModel)' in result.stdout and 'class Tags' not in result.stdout

    # the console script installed with the package does the same
    script = os.path.join(os.path.dirname(sys.executable), 'orm-pwiz')
    if os.path.exists(script):
        result = subprocess.run([script, '-t', 'categories', path], capture_output=True,
                                text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        assert "parent = ForeignKeyField(column_name='parent_id', field='id', model='self'" \
            in result.stdout

    missing = _cli(str(tmp_path / 'nope.db'))
    assert missing.returncode == 2 and 'no SQLite database file' in missing.stderr


# the command line has no driver option: it runs on psycopg2 (the default when installed)
@pytest.mark.engines('psycopg2')
def test_cli_postgres(blog, tmp_path):
    params = pg_connect_kwargs()
    args = ['-e', 'postgresql', '-H', params.get('host', '127.0.0.1'),
            '-u', params.get('user', 'postgres')]
    if params.get('port'):
        args += ['-p', str(params['port'])]
    result = _cli(*(args + [params['database']]))
    assert result.returncode == 0, result.stderr
    assert 'database = PostgresqlDatabase(%r' % params['database'] in result.stdout
    assert 'class Follows(BaseModel):' in result.stdout
    assert ("user = ForeignKeyField(column_name='user_id', field='id', model=Users, "
            "on_delete='CASCADE')") in result.stdout

    url = 'postgresql://%s@%s:%s/%s' % (params.get('user', 'postgres'),
                                        params.get('host', '127.0.0.1'),
                                        params.get('port', 5432), params['database'])
    # the printed module imports and queries the live data
    module = tmp_path / 'pg_blog_models.py'
    module.write_text(result.stdout)
    check = subprocess.run(
        [sys.executable, '-c', 'import pg_blog_models as m; '
         'print(sorted((t.content, t.user.username) for t in m.Tweets.select())); '
         'print(m.Teams.get().captain.team.name, '
         'm.Categories.get(m.Categories.name == "python").parent.parent.name)'],
        capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=ROOT), timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines() == [
        "[('again', 'alice'), ('hello', 'alice'), ('hi alice', 'bob')]", 'red root']

    result = _cli('-t', 'categories', url)
    assert result.returncode == 0, result.stderr
    assert "parent = ForeignKeyField(column_name='parent_id', field='id', model='self'" \
        in result.stdout


def test_cockroachdb_type_names_map_to_fields():
    import orm
    # some CockroachDB versions report their own type names in information_schema
    from playhouse.cockroachdb import CockroachDatabase
    from playhouse.reflection import CockroachDBMetadata
    meta = CockroachDBMetadata(CockroachDatabase('unused'))
    named = {raw: meta.column_map.get(meta._type_name(raw))
             for raw in ('INT8', 'STRING', 'STRING(20)', 'BOOL', 'bigint', 'text')}
    assert named['INT8'] is orm.BigIntegerField and named['bigint'] is orm.BigIntegerField
    assert named['STRING'] is orm.TextField and named['text'] is orm.TextField
    assert named['STRING(20)'] is orm.CharField
    assert named['BOOL'] is orm.BooleanField
