"""playhouse.migrations: the runner in-process on each engine, and its command line end to
end in a temporary project (``python -m playhouse.migrations`` as a subprocess)."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import (ENGINE_KINDS, _close_all, clean_database, engine_driver, make_database,
                      pg_connect_kwargs)
from orm import CharField, ForeignKeyField, IntegerField, Model, SqliteDatabase, TextField
from playhouse.migrations import Migration, MigrationError, Runner, main, run, template
from playhouse.schema_diff import diff_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def rdb(engine: str, tmp_path):
    kwargs = {'pragmas': {'foreign_keys': 1}} if ENGINE_KINDS[engine] == 'sqlite' else {}
    database = make_database(engine, tmp_path, **kwargs)
    database.connect()
    clean_database(database)
    yield database
    _close_all(database)


def write(folder, name: str, source: str) -> None:
    os.makedirs(str(folder), exist_ok=True)
    with open(os.path.join(str(folder), name), 'w') as fh:
        fh.write(textwrap.dedent(source))


INITIAL = '''
    from orm import *
    from playhouse.migrate import migrate

    def up(migrator, db):
        db.execute_sql('CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)')
        db.execute_sql('CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT, '
                       'author_id INTEGER NOT NULL REFERENCES author (id))')
        db.execute_sql("INSERT INTO author (id, name) VALUES (1, 'ann'), (2, 'bob')")
        db.execute_sql("INSERT INTO book (id, title, author_id) VALUES (1, 'a', 1), (2, 'b', 2)")

    def down(migrator, db):
        db.execute_sql('DROP TABLE book')
        db.execute_sql('DROP TABLE author')
'''

ADD_COLUMN = '''
    from orm import *
    from playhouse.migrate import migrate

    def up(migrator, db):
        migrate(migrator.add_column('author', 'country', CharField(default='NZ')),
                migrator.add_not_null('book', 'title'))

    def down(migrator, db):
        migrate(migrator.drop_column('author', 'country'),
                migrator.drop_not_null('book', 'title'))
'''

RETURNS_OPS = '''
    from orm import *

    def up(migrator, db):
        return [migrator.add_index('book', ('title',)),
                migrator.rename_column('author', 'name', 'full_name')]

    def down(migrator, db):
        return [migrator.rename_column('author', 'full_name', 'name'),
                migrator.drop_index('book', 'book_title')]
'''

BROKEN = '''
    from orm import *
    from playhouse.migrate import migrate

    def up(migrator, db):
        migrate(migrator.add_column('author', 'age', IntegerField(null=True)))
        db.execute_sql('UPDATE author SET nonexistent = 1')
'''


def columns(db, table):
    return [c.name for c in db.get_columns(table)]


def runner(db, folder, **kwargs):
    return Runner(db, str(folder), out=kwargs.pop('out', None), **kwargs)


# ---------------------------------------------------------------------------------------
# In-process
# ---------------------------------------------------------------------------------------

def test_up_applies_in_order_and_twice_changes_nothing(rdb, tmp_path):
    folder = tmp_path / 'migrations'
    write(folder, '0002_add_country.py', ADD_COLUMN)
    write(folder, '0001_initial.py', INITIAL)
    write(folder, 'README.txt', 'not a migration')
    out = io.StringIO()
    r = runner(rdb, folder, out=out)
    assert [m.name for m in r.pending()] == ['0001_initial', '0002_add_country']
    done = r.up()
    assert [m.name for m in done] == ['0001_initial', '0002_add_country']
    text = out.getvalue()
    assert 'Applying 0001_initial ... done' in text and 'Applied 2 migration(s).' in text
    assert columns(rdb, 'author') == ['id', 'name', 'country']
    assert [r[0] for r in rdb.execute_sql('SELECT country FROM author').fetchall()] == \
        ['NZ', 'NZ']
    assert list(r.applied()) == ['0001_initial', '0002_add_country']
    if rdb.dialect.name == 'sqlite':
        assert rdb.pragma('foreign_keys') == 1
        assert rdb.get_foreign_keys('book')[0].dest_table == 'author'

    out.seek(0)
    out.truncate()
    assert r.up() == []
    assert 'Nothing to apply' in out.getvalue()
    assert columns(rdb, 'author') == ['id', 'name', 'country']
    assert run(rdb, str(folder), out=None) == []


def test_failed_migration_rolls_back_and_says_which(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_broken.py', BROKEN)
    write(folder, '0003_later.py', ADD_COLUMN)
    out = io.StringIO()
    with pytest.raises(MigrationError) as info:
        runner(rdb, folder, out=out).up()
    message = str(info.value)
    assert '0002_broken' in message and 'nonexistent' in message
    assert 'rolled back' in message
    assert info.value.migration.name == '0002_broken'
    assert 'Applying 0002_broken ... FAILED' in out.getvalue()
    # 0001 stays applied, 0002 left no trace, 0003 never ran
    assert list(runner(rdb, folder).applied()) == ['0001_initial']
    assert columns(rdb, 'author') == ['id', 'name']
    if rdb.dialect.name == 'sqlite':
        assert rdb.pragma('foreign_keys') == 1
    assert not rdb.in_transaction()


def test_returned_operations_and_targets(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)
    write(folder, '0003_rename.py', RETURNS_OPS)
    r = runner(rdb, folder)
    assert [m.name for m in r.up('0001')] == ['0001_initial']
    assert [m.name for m in r.up('rename')] == ['0002_add_country', '0003_rename']
    assert columns(rdb, 'author') == ['id', 'full_name', 'country']
    assert 'book_title' in [i.name for i in rdb.get_indexes('book')]

    assert [m.name for m in r.down()] == ['0003_rename']
    assert columns(rdb, 'author') == ['id', 'name', 'country']
    assert [m.name for m in r.up()] == ['0003_rename']
    assert [m.name for m in r.down('1')] == ['0003_rename', '0002_add_country']
    assert columns(rdb, 'author') == ['id', 'name']
    assert list(r.applied()) == ['0001_initial']
    assert [m.name for m in r.down('zero')] == ['0001_initial']
    assert 'author' not in rdb.get_tables()
    assert r.down() == []


def test_down_refuses_a_migration_without_down(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_one_way.py', '''
        def up(migrator, db):
            db.execute_sql("UPDATE author SET name = 'x'")
    ''')
    r = runner(rdb, folder)
    r.up()
    with pytest.raises(MigrationError, match='0002_one_way has no down'):
        r.down('zero')
    assert list(r.applied()) == ['0001_initial', '0002_one_way']


def test_fake_status_and_files(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)
    rdb.execute_sql('CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)')
    r = runner(rdb, folder)
    assert [m.name for m in r.fake('0001')] == ['0001_initial']
    assert [name for name, when in r.status()] == ['0001_initial', '0002_add_country']
    assert r.status()[0][1] is not None and r.status()[1][1] is None
    out = io.StringIO()
    Runner(rdb, str(folder), out=out).print_status()
    text = out.getvalue()
    assert '[x] 0001_initial' in text and '[ ] 0002_add_country' in text
    assert '1 applied, 1 pending' in text
    os.remove(str(folder / '0001_initial.py'))
    assert ('0001_initial (file missing)' in [name for name, _ in r.status()])

    write(folder, '0002_dupe.py', INITIAL)
    with pytest.raises(MigrationError, match='two migrations are numbered 2'):
        r.migrations()
    with pytest.raises(MigrationError):
        Migration(str(folder / 'not_numbered.py'))


def test_create_uses_the_template(tmp_path):
    folder = tmp_path / 'm'
    r = Runner(None, str(folder), out=None)
    first = r.create('Add Users!')
    assert os.path.basename(first) == '0001_add_users.py'
    second = r.create('more')
    assert os.path.basename(second) == '0002_more.py'
    source = open(first).read()
    assert 'def up(migrator, db):' in source and 'def down(migrator, db):' in source
    assert '{name}' in template
    compile(source, first, 'exec')
    assert Migration(first).has_down


@pytest.mark.engines('sqlite')
def test_sqlite_rebuild_of_referenced_table_and_fk_check(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)      # rebuilds author and book
    write(folder, '0003_orphan.py', '''
        def up(migrator, db):
            db.execute_sql("INSERT INTO book (title, author_id) VALUES ('x', 99)")
    ''')
    with pytest.raises(MigrationError) as info:
        runner(rdb, folder).up()
    assert '0003_orphan' in str(info.value) and 'foreign key check failed' in str(info.value)
    assert list(runner(rdb, folder).applied()) == ['0001_initial', '0002_add_country']
    assert rdb.execute_sql('SELECT COUNT(*) FROM book').fetchone()[0] == 2
    assert rdb.get_foreign_keys('book')[0].dest_table == 'author'
    assert rdb.pragma('foreign_keys') == 1


def test_generate_drafts_a_working_migration(rdb, tmp_path):
    folder = tmp_path / 'm'

    class Base(Model):
        class Meta:
            database = rdb

    class Person(Base):
        name = CharField(max_length=40)

    class Post(Base):
        author = ForeignKeyField(Person, backref='posts', on_delete='CASCADE')
        body = TextField()

    r = runner(rdb, folder)
    first = r.generate('initial', [Person, Post])
    assert first and os.path.basename(first) == '0001_initial.py'
    r.up()
    assert not diff_models(rdb, [Person, Post], ignore_tables=['migration_history'])
    Person.create(name='ann')
    Post.create(author=1, body='hello')

    # the models grow: a NOT NULL column with a default, an index, a new FK column
    class Person2(Base):
        name = CharField(max_length=40, index=True)
        rank = IntegerField(default=1)

        class Meta:
            table_name = 'person'

    class Post2(Base):
        author = ForeignKeyField(Person2, backref='posts', on_delete='CASCADE')
        body = TextField(null=True)
        editor = ForeignKeyField(Person2, null=True, backref='edits')

        class Meta:
            table_name = 'post'

    second = r.generate('grow', [Person2, Post2])
    source = open(second).read()
    assert "migrator.add_column('person', 'rank', IntegerField(default=1))" in source
    assert "migrator.drop_not_null('post', 'body')" in source
    assert "migrator.add_foreign_key_constraint('post', 'editor_id', 'person', 'id')" \
        in source
    r.up()
    assert not diff_models(rdb, [Person2, Post2], ignore_tables=['migration_history'])
    assert [(p.name, p.rank) for p in Person2.select()] == [('ann', 1)]
    assert r.generate('again', [Person2, Post2]) is None

    r.down()
    assert not diff_models(rdb, [Person, Post], ignore_tables=['migration_history'])
    assert [p.name for p in Person.select()] == ['ann']


# ---------------------------------------------------------------------------------------
# The command line, end to end in a temporary project
# ---------------------------------------------------------------------------------------

MODELS_V1 = '''
    from orm import *

    class Base(Model):
        pass

    class User(Base):
        username = CharField(unique=True)

    class Tweet(Base):
        user = ForeignKeyField(User, backref='tweets', on_delete='CASCADE')
        content = TextField()

    MODELS = [User, Tweet]
'''

MODELS_V2 = '''
    import datetime
    from orm import *

    class Base(Model):
        pass

    class User(Base):
        username = CharField(unique=True)
        email = CharField(null=True, index=True)

    class Tweet(Base):
        user = ForeignKeyField(User, backref='tweets', on_delete='CASCADE')
        content = TextField()
        likes = IntegerField(default=0)
        created = DateTimeField(default=datetime.datetime.now)

    class Tag(Base):
        name = CharField(unique=True)
        tweets = ManyToManyField(Tweet, backref='tags')
'''


def cli(project, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, '-m', 'playhouse.migrations'] + list(args),
                          cwd=str(project), capture_output=True, text=True, env=env,
                          timeout=60)


def in_process(project, monkeypatch, capsys, *args):
    monkeypatch.chdir(str(project))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_end_to_end_sqlite(tmp_path, monkeypatch, capsys):
    project = tmp_path / 'app'
    write(project, 'app_models_v1.py', MODELS_V1)
    write(project, 'app_models_v2.py', MODELS_V2)
    db_args = ['--database', 'app.db', '--dir', 'migrations']

    result = cli(project, *db_args, 'generate', 'initial', '--models', 'app_models_v1:MODELS')
    assert result.returncode == 0, result.stderr
    assert 'Created migrations/0001_initial.py' in result.stdout
    assert '+ table user' in result.stdout and '+ table tweet' in result.stdout

    result = cli(project, *db_args, 'up')
    assert result.returncode == 0, result.stderr
    assert 'Applying 0001_initial ... done' in result.stdout

    result = cli(project, *db_args, 'up')                 # twice: nothing changes
    assert result.returncode == 0 and 'Nothing to apply' in result.stdout

    data = SqliteDatabase(str(project / 'app.db'))
    data.execute_sql("INSERT INTO user (username) VALUES ('alice')")
    data.execute_sql("INSERT INTO tweet (user_id, content) VALUES (1, 'hello')")
    data.close()

    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'generate',
                                'tags_and_likes', '--models', 'app_models_v2')
    assert code == 0, err
    assert '+ table tag' in out and '+ column tweet.likes' in out

    result = cli(project, *db_args, 'up')
    assert result.returncode == 0, result.stderr
    assert 'Applying 0002_tags_and_likes ... done' in result.stdout

    # a migration that fails: rolled back, named, non-zero exit
    write(project / 'migrations', '0003_broken.py', '''
        def up(migrator, db):
            db.execute_sql("UPDATE tweet SET likes = 1")
            db.execute_sql("UPDATE tweet SET no_such_column = 1")
    ''')
    result = cli(project, *db_args, 'up')
    assert result.returncode == 1
    assert 'Applying 0003_broken ... FAILED' in result.stdout
    assert 'migration 0003_broken failed' in result.stderr
    assert 'no_such_column' in result.stderr and 'rolled back' in result.stderr
    os.remove(str(project / 'migrations' / '0003_broken.py'))

    result = cli(project, *db_args, 'status')
    assert result.returncode == 0, result.stderr
    assert '[x] 0001_initial' in result.stdout and '[x] 0002_tags_and_likes' in result.stdout
    assert '2 applied, 0 pending' in result.stdout

    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'down')
    assert code == 0, err
    assert 'Reverting 0002_tags_and_likes ... done' in out
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'status')
    assert '[ ] 0002_tags_and_likes' in out

    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'fake')
    assert code == 0 and 'Faked 0002_tags_and_likes' in out
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'down', 'initial')
    assert code == 1 and 'failed' in err        # tag table does not exist: down fails
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'create', 'fix data')
    assert code == 0 and os.path.exists(str(project / 'migrations' / '0003_fix_data.py'))
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'create', 'more')
    assert code == 0 and os.path.exists(str(project / 'migrations' / '0004_more.py'))
    # up to a target: 0003 only, 0004 stays pending
    result = cli(project, *db_args, 'up', '0003')
    assert result.returncode == 0, result.stderr
    assert 'Applying 0003_fix_data ... done' in result.stdout
    assert '0004_more' not in result.stdout
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'status')
    assert '[x] 0003_fix_data' in out and '[ ] 0004_more' in out
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'down')
    assert code == 0 and 'Reverting 0003_fix_data ... done' in out

    check = SqliteDatabase(str(project / 'app.db'))
    assert [c.name for c in check.get_columns('tweet')] == ['id', 'user_id', 'content']
    assert check.execute_sql('SELECT content FROM tweet').fetchall() == [('hello',)]
    check.close()

    code, out, err = in_process(project, monkeypatch, capsys, '--dir', 'migrations', 'up')
    assert code == 2 and '--database' in err


@pytest.mark.engines('postgres')
def test_cli_end_to_end_postgres(rdb, tmp_path, monkeypatch, capsys):
    params = pg_connect_kwargs()
    url = 'postgresql://%s@%s:%s/%s?prefer_psycopg3=%s' % (
        params.get('user', 'postgres'), params.get('host', '127.0.0.1'),
        params.get('port', 5432), params['database'],
        str(engine_driver(rdb) == 'psycopg3').lower())      # the CLI on rdb's driver
    project = tmp_path / 'app'
    write(project, 'pg_models_v1.py', MODELS_V1)
    db_args = ['--database', url, '--dir', 'migrations']
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'generate',
                                'initial', '--models', 'pg_models_v1:MODELS')
    assert code == 0, err
    write(project / 'migrations', '0002_likes.py', '''
        from orm import *
        from playhouse.migrate import migrate

        def up(migrator, db):
            db.execute_sql("INSERT INTO \\"user\\" (username) VALUES ('ann')")
            db.execute_sql("INSERT INTO tweet (user_id, content) VALUES (1, 'hi')")
            migrate(migrator.add_column('tweet', 'likes', IntegerField(default=5)))

        def down(migrator, db):
            migrate(migrator.drop_column('tweet', 'likes'))
    ''')
    result = cli(project, *db_args, 'up')
    assert result.returncode == 0, result.stderr
    assert 'Applying 0001_initial ... done' in result.stdout
    assert 'Applying 0002_likes ... done' in result.stdout
    assert rdb.execute_sql('SELECT likes FROM tweet').fetchall() == [(5,)]
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'up')
    assert code == 0 and 'Nothing to apply' in out
    code, out, err = in_process(project, monkeypatch, capsys, *db_args, 'down')
    assert code == 0, err
    assert [c.name for c in rdb.get_columns('tweet')] == ['id', 'user_id', 'content']


# ---------------------------------------------------------------------------------------
# The documentation pages' examples (run in-process by docs/check_examples.py)
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('page', ['migrations.rst', 'reflection.rst'])
def test_doc_page_examples(page, capsys):
    sys.path.insert(0, os.path.join(ROOT, 'docs'))
    try:
        import check_examples
    finally:
        sys.path.pop(0)
    failures = check_examples.run_page(os.path.join(ROOT, 'docs', page), have_pg=False)
    assert failures == 0, capsys.readouterr().out
