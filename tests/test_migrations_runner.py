"""playhouse.migrations: the runner in-process on each engine (peewee 4's documented
``Runner`` API: names returned, ``Migration`` records from ``status()``, ``History``),
``template(diff)``, and the ``orm-migrate`` command line end to end in a temporary
project."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

import orm
from conftest import (ENGINE_KINDS, _close_all, clean_database, engine_driver, make_database,
                      pg_connect_kwargs)
from orm import (CharField, DatabaseError, DatabaseProxy, ForeignKeyField, IntegerField,
                 Model, SqliteDatabase, TextField)
from playhouse.migrations import Migration, MigrationError, Runner, main, run, template
from playhouse.schema_diff import SchemaDiff, diff_models

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

    def up(migrator, db):
        migrator.migrate(migrator.add_column('author', 'country', CharField(default='NZ')),
                         migrator.add_not_null('book', 'title'))

    def down(migrator, db):
        migrator.migrate(migrator.drop_column('author', 'country'),
                         migrator.drop_not_null('book', 'title'))
'''

RETURNS_OPS = '''
    def up(migrator, db):
        return [migrator.add_index('book', ('title',)),
                migrator.rename_column('author', 'name', 'full_name')]

    def down(migrator, db):
        return [migrator.rename_column('author', 'full_name', 'name'),
                migrator.drop_index('book', 'book_title')]
'''

BROKEN = '''
    from orm import *

    def up(migrator, db):
        migrator.migrate(migrator.add_column('author', 'age', IntegerField(null=True)))
        db.execute_sql('UPDATE author SET nonexistent = 1')
'''


def columns(db, table):
    return [c.name for c in db.get_columns(table)]


# ---------------------------------------------------------------------------------------
# The runner, in-process
# ---------------------------------------------------------------------------------------

def test_up_applies_in_numeric_order_and_returns_names(rdb, tmp_path):
    folder = tmp_path / 'migrations'
    write(folder, '10_add_country.py', ADD_COLUMN)
    write(folder, '2_initial.py', INITIAL)          # 2 sorts before 10
    write(folder, 'README.txt', 'not a migration')
    runner = Runner(rdb, str(folder))
    assert [(m.idx, m.name, m.applied) for m in runner.status()] == \
        [(2, '2_initial', None), (10, '10_add_country', None)]
    assert runner.up() == ['2_initial', '10_add_country']
    assert columns(rdb, 'author') == ['id', 'name', 'country']
    assert [r[0] for r in rdb.execute_sql('SELECT country FROM author')] == ['NZ', 'NZ']
    status = runner.status()
    assert all(isinstance(m, Migration) and m.applied is not None for m in status)
    assert status[0].path == str(folder / '2_initial.py')
    assert set(runner.applied()) == {'2_initial', '10_add_country'}
    assert runner.History._meta.table_name == 'schema_migration'
    assert rdb.table_exists('schema_migration')
    if rdb.dialect.name == 'sqlite':
        assert rdb.pragma('foreign_keys') == 1
        assert rdb.get_foreign_keys('book')[0].dest_table == 'author'

    assert runner.up() == []                         # twice: nothing to do
    assert run(rdb, str(folder)) == []
    assert columns(rdb, 'author') == ['id', 'name', 'country']


# not on MySQL: the broken migration's first statement is DDL, which MySQL commits at
# once (no transactional DDL), so "no trace" cannot hold there (docs/mysql.rst)
@pytest.mark.engines('sqlite', 'postgres')
def test_a_failing_migration_raises_its_error_and_rolls_back(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_broken.py', BROKEN)
    write(folder, '0003_later.py', ADD_COLUMN)
    runner = Runner(rdb, str(folder))
    with pytest.raises(DatabaseError) as info:
        runner.up()
    assert 'nonexistent' in str(info.value)
    assert any('0002_broken' in note for note in getattr(info.value, '__notes__', []))
    # 0001 stays applied, 0002 left no trace (nor its history row), 0003 never ran
    assert [m.name for m in runner.status() if m.applied] == ['0001_initial']
    assert columns(rdb, 'author') == ['id', 'name']
    if rdb.dialect.name == 'sqlite':
        assert rdb.pragma('foreign_keys') == 1
    assert not rdb.in_transaction()


def test_targets_and_returned_operations(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)
    write(folder, '0003_rename.py', RETURNS_OPS)
    runner = Runner(rdb, str(folder))
    assert runner.up('0001_initial') == ['0001_initial']
    assert runner.up('rename') == ['0002_add_country', '0003_rename']     # the title part
    assert columns(rdb, 'author') == ['id', 'full_name', 'country']
    assert 'book_title' in [i.name for i in rdb.get_indexes('book')]

    assert runner.down() == ['0003_rename']          # the latest only
    assert columns(rdb, 'author') == ['id', 'name', 'country']
    assert runner.up() == ['0003_rename']
    # back to and including the target, newest first
    assert runner.down('0002_add_country') == ['0003_rename', '0002_add_country']
    assert columns(rdb, 'author') == ['id', 'name']
    assert runner.down('zero') == ['0001_initial']
    assert 'author' not in rdb.get_tables()
    assert runner.down() == []
    with pytest.raises(MigrationError):
        runner.up('0009_nope')


def test_down_checks_the_whole_plan_before_reverting(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_one_way.py', '''
        def up(migrator, db):
            db.execute_sql("UPDATE author SET name = 'x'")
    ''')
    write(folder, '0003_country.py', ADD_COLUMN)
    runner = Runner(rdb, str(folder))
    runner.up('0002_one_way')
    with pytest.raises(MigrationError, match='0003_country is not applied'):
        runner.down('0003_country')
    with pytest.raises(MigrationError):
        runner.down('0009_nope')
    runner.up()
    with pytest.raises(MigrationError, match='0002_one_way has no down'):
        runner.down('0001_initial')
    assert [m.name for m in runner.status() if m.applied] == \
        ['0001_initial', '0002_one_way', '0003_country']
    assert 'country' in columns(rdb, 'author')       # nothing was reverted
    os.remove(str(folder / '0002_one_way.py'))
    with pytest.raises(MigrationError, match='missing'):
        runner.down('0002_one_way')
    assert 'country' in columns(rdb, 'author')


def test_fake_and_status_of_missing_files(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)
    write(folder, '0003_rename.py', RETURNS_OPS)
    rdb.execute_sql('CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)')
    runner = Runner(rdb, str(folder))
    assert runner.fake('0001_initial') == ['0001_initial']
    assert [m.name for m in runner.pending()] == ['0002_add_country', '0003_rename']
    with pytest.raises(MigrationError):
        runner.fake('0009_nope')
    assert runner.fake() == ['0002_add_country', '0003_rename']
    assert runner.fake() == []
    assert 'country' not in columns(rdb, 'author')  # recorded, not run
    os.remove(str(folder / '0001_initial.py'))
    os.remove(str(folder / '0002_add_country.py'))
    status = runner.status()
    assert [(m.name, m.path) for m in status] == [
        ('0001_initial', None), ('0002_add_country', None),
        ('0003_rename', str(folder / '0003_rename.py'))]
    assert all(m.applied is not None for m in status)


def test_atomic_opt_out_and_proxies(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', 'atomic = False\n' + textwrap.dedent(INITIAL))
    proxy = DatabaseProxy()
    proxy.initialize(rdb)
    runner = Runner(proxy, str(folder))
    assert runner.up() == ['0001_initial']
    assert 'author' in rdb.get_tables()
    assert runner.down() == ['0001_initial']
    assert 'author' not in rdb.get_tables()


def test_create_writes_numbered_files(rdb, tmp_path):
    folder = tmp_path / 'm'
    runner = Runner(rdb, str(folder))
    first = runner.create('Add Users!')
    assert os.path.basename(first) == '0001_add_users.py'
    second = runner.create('more', body='def up(migrator, db):\n    pass\n')
    assert open(second).read() == 'def up(migrator, db):\n    pass\n'
    assert os.path.basename(second) == '0002_more.py'
    source = open(first).read()
    assert 'def up(migrator, db):' in source and 'def down(migrator, db):' in source
    assert runner.up() == ['0001_add_users', '0002_more']       # scaffolds apply cleanly
    with pytest.raises(MigrationError, match='0002_more has no down'):
        runner.down()
    with open(second, 'a') as fh:
        fh.write('def down(migrator, db):\n    pass\n')
    assert runner.down('0001_add_users') == ['0002_more', '0001_add_users']
    with pytest.raises(MigrationError):
        Runner(rdb, str(folder)).create('!!!')


@pytest.mark.engines('sqlite')
def test_sqlite_rebuild_of_referenced_table_and_fk_check(rdb, tmp_path):
    folder = tmp_path / 'm'
    write(folder, '0001_initial.py', INITIAL)
    write(folder, '0002_add_country.py', ADD_COLUMN)      # rebuilds author, book refers to it
    write(folder, '0003_orphan.py', '''
        def up(migrator, db):
            db.execute_sql("INSERT INTO book (title, author_id) VALUES ('x', 99)")
    ''')
    runner = Runner(rdb, str(folder))
    with pytest.raises(DatabaseError, match='foreign key check failed'):
        runner.up()
    assert [m.name for m in runner.status() if m.applied] == \
        ['0001_initial', '0002_add_country']
    assert rdb.execute_sql('SELECT COUNT(*) FROM book').fetchone()[0] == 2
    assert rdb.get_foreign_keys('book')[0].dest_table == 'author'
    assert rdb.pragma('foreign_keys') == 1


def test_generate_drafts_a_migration_that_converges(rdb, tmp_path):
    folder = tmp_path / 'm'

    class Base(Model):
        class Meta:
            database = rdb

    class Person(Base):
        name = CharField(max_length=40)

    class Post(Base):
        author = ForeignKeyField(Person, backref='posts', on_delete='CASCADE')
        body = TextField()

    runner = Runner(rdb, str(folder))
    first = runner.generate('initial', [Person, Post])
    assert first and os.path.basename(first) == '0001_initial.py'
    assert runner.up() == ['0001_initial']
    assert not diff_models(rdb, [Person, Post])
    Person.create(name='ann')
    Post.create(author=1, body='hello')

    # the models grow: a NOT NULL column with a default, an index, a new FK column, and
    # a column that becomes nullable (orm's addition to the diff)
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

    second = runner.generate('grow', [Person2, Post2])
    source = open(second).read()
    assert "migrator.add_column('person', 'rank', IntegerField(default=1))" in source
    assert "migrator.drop_not_null('post', 'body')" in source
    assert "migrator.add_column('post', 'editor_id', ForeignKeyField(Person2, " \
        "field=Person2.id, null=True))" in source
    assert runner.up() == ['0002_grow']
    assert not diff_models(rdb, [Person2, Post2])
    assert [(p.name, p.rank) for p in Person2.select()] == [('ann', 1)]
    assert runner.generate('again', [Person2, Post2]) is None

    assert runner.down() == ['0002_grow']
    assert not diff_models(rdb, [Person, Post])
    assert [p.name for p in Person.select()] == ['ann']


def test_template_names_the_library_the_application_imports(monkeypatch):
    class Widget(Model):
        name = CharField(unique=True)

    diff = SchemaDiff(create_tables=[Widget])
    monkeypatch.delitem(sys.modules, 'peewee', raising=False)
    body = template(diff)
    assert body.splitlines()[1] == 'from orm import *'
    assert 'def up(migrator, db):\n    class Widget(Model):\n' \
        '        name = CharField(unique=True)\n' in body
    assert "    db.create_tables([Widget])\n" in body
    assert "def down(migrator, db):\n    migrator.migrate(migrator.drop_table('widget'))\n" \
        in body
    monkeypatch.setitem(sys.modules, 'peewee', orm)     # after orm.install_as_peewee()
    assert template(diff).splitlines()[1] == 'from peewee import *'
    compile(body, 'migration', 'exec')


# ---------------------------------------------------------------------------------------
# The command line
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
    env.pop('ORM_DATABASE', None)
    return subprocess.run([sys.executable, '-m', 'playhouse.migrations'] + list(args),
                          cwd=str(project), capture_output=True, text=True, env=env,
                          timeout=60)


def in_process(project, monkeypatch, capsys, *args):
    monkeypatch.chdir(str(project))
    monkeypatch.delenv('ORM_DATABASE', raising=False)
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_end_to_end_sqlite(tmp_path, monkeypatch, capsys):
    project = tmp_path / 'app'
    write(project, 'app_models_v1.py', MODELS_V1)
    write(project, 'app_models_v2.py', MODELS_V2)
    url = 'sqlite:///app.db'

    def run_cli(*args):
        return in_process(project, monkeypatch, capsys, *args)

    code, out, err = run_cli(url, 'initial', 'app_models_v1')
    assert (code, out) == (0, 'migrations/0001_initial.py\n'), err
    assert err == 'skipped: Base (no fields)\n'
    assert 'class User(Model):' in open(str(project / out.strip())).read()

    result = cli(project, url, 'up')                # as a script, too
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'applied: 0001_initial\n'
    assert run_cli(url, 'up')[:2] == (0, 'nothing to do.\n')
    assert run_cli(url, 'diff', 'app_models_v1:MODELS')[:2] == (0, 'schema matches models.\n')

    data = SqliteDatabase(str(project / 'app.db'))
    data.execute_sql("INSERT INTO user (username) VALUES ('alice')")
    data.execute_sql("INSERT INTO tweet (user_id, content) VALUES (1, 'hello')")
    data.close()

    code, out, err = run_cli(url, 'diff', 'app_models_v2')
    assert code == 0
    assert 'create table tag' in out and 'add column tweet.likes' in out
    assert 'add column user.email' in out
    code, out, err = run_cli(url, 'generate', 'tags and likes', 'app_models_v2')
    assert (code, out) == (0, 'migrations/0002_tags_and_likes.py\n'), err
    code, out, err = run_cli(url, 'status')
    assert code == 1                                 # a migration is pending
    assert out.startswith('[x] 0001_initial  2') and '[ ] 0002_tags_and_likes\n' in out
    assert run_cli(url, 'up')[:2] == (0, 'applied: 0002_tags_and_likes\n')
    assert run_cli(url, 'generate', 'noop', 'app_models_v2')[1] == \
        'Nothing to generate: schema matches models.\n'

    # a migration that fails: its error, exit status 2, rolled back
    write(project / 'migrations', '0003_broken.py', '''
        def up(migrator, db):
            db.execute_sql("UPDATE tweet SET likes = 1")
            db.execute_sql("UPDATE tweet SET no_such_column = 1")
    ''')
    code, out, err = run_cli(url, 'up')
    assert code == 2
    assert 'error: OperationalError: ' in err and 'no_such_column' in err
    assert '0003_broken' in err and 'rolled back' in err
    os.remove(str(project / 'migrations' / '0003_broken.py'))
    assert run_cli(url, 'status')[0] == 0

    assert run_cli(url, 'down')[:2] == (0, 'reverted: 0002_tags_and_likes\n')
    assert run_cli(url, 'fake')[:2] == (0, 'faked: 0002_tags_and_likes\n')
    code, out, err = run_cli(url, 'down', '0001_initial')
    assert code == 2 and 'error:' in err              # the tag table is not there to drop
    check = SqliteDatabase(str(project / 'app.db'))
    assert [c.name for c in check.get_columns('tweet')] == ['id', 'user_id', 'content']
    assert check.execute_sql('SELECT content FROM tweet').fetchall() == [('hello',)]
    check.close()

    # initial refuses a second time; diff wants models
    code, out, err = run_cli(url, 'initial', 'app_models_v1')
    assert code == 2 and err.endswith('error: migrations already exist in "migrations".\n')
    assert run_cli(url, 'diff')[2].endswith('error: diff requires a models module.\n')


def test_cli_database_spec_forms(tmp_path, monkeypatch, capsys):
    project = tmp_path / 'app'
    write(project, 'dbmod.py', '''
        from orm import *
        db = SqliteDatabase('dotted.db')
        proxy = DatabaseProxy()
        proxy.initialize(db)
        raw = DatabaseProxy()
        deferred = SqliteDatabase(None)
    ''')
    write(project, 'broken_mod.py', 'import missing_dep_xyz\n')
    monkeypatch.syspath_prepend(str(project))

    def run_cli(*args):
        return in_process(project, monkeypatch, capsys, *args)

    (project / 'empty.db').write_bytes(b'')
    assert run_cli('empty.db', 'status')[0] == 0           # an existing SQLite file
    assert run_cli('dbmod.db', 'status')[0] == 0
    assert run_cli('dbmod.proxy', 'status')[0] == 0
    code, out, err = run_cli('dbmod.raw', 'status')
    assert code == 2 and 'uninitialized' in err
    code, out, err = run_cli('dbmod.deferred', 'status')
    assert code == 2 and 'deferred' in err
    code, out, err = run_cli('broken_mod.db', 'status')
    assert code == 2 and 'cannot import "broken_mod"' in err and 'missing_dep_xyz' in err
    code, out, err = run_cli('nope.db', 'status')
    assert code == 2 and 'error:' in err and not (project / 'nope.db').exists()
    code, out, err = run_cli('sqlite://cli.db', 'status')
    assert code == 2 and 'cannot connect to "sqlite://cli.db"' in err
    code, out, err = run_cli('postgres://clidb', 'status')
    assert code == 2 and 'has no database name' in err and 'after the host' in err
    assert 'postgres:///clidb' in err
    # a failure of the work is reported as 'error: ...'; a command line that cannot
    # run as typed names the command first, as argparse does
    assert err.startswith('error: ')
    code, out, err = run_cli('status', 'extra', 'words', 'here')
    assert code == 2 and err.splitlines()[-1].startswith('orm-migrate: error: ')
    code, out, err = run_cli('sqlitex:///cli.db', 'status')
    assert code == 2 and 'Unrecognized' in err
    code, out, err = run_cli('sqlite:///missing/dir/cli.db', 'status')
    assert code == 2 and 'error: cannot connect' in err

    # orm's own options: --database (a SQLite file is created), $ORM_DATABASE, -d, -t
    code, out, err = run_cli('--database', 'fresh.db', '--dir', 'db/migrations', 'create',
                             'first')
    assert (code, out) == (0, 'db/migrations/0001_first.py\n')
    assert run_cli('--database', 'fresh.db', '-d', 'db/migrations', '-t', 'history',
                   'up')[:2] == (0, 'applied: 0001_first\n')
    assert (project / 'fresh.db').exists()
    assert 'history' in SqliteDatabase(str(project / 'fresh.db')).get_tables()
    monkeypatch.setenv('ORM_DATABASE', 'fresh.db')
    code = main(['status', '-d', 'db/migrations', '-t', 'history'])
    assert code == 0 and '[x] 0001_first' in capsys.readouterr().out
    code, out, err = run_cli('-d', 'db/migrations', 'up')
    assert code == 2 and 'no database given' in err and '--database' in err


def test_cli_config_file(tmp_path, monkeypatch, capsys):
    project = tmp_path / 'app'
    write(project, 'cfg_models.py', MODELS_V1)
    write(project, '.pwmigrate', '''
        # project defaults
        database = sqlite:///cfg.db
        models = cfg_models
        directory = schema
        tabel = oops
    ''')
    code, out, err = in_process(project, monkeypatch, capsys, 'generate', 'initial')
    assert code == 0 and out == 'schema/0001_initial.py\n'
    assert 'unknown key "tabel"' in err
    assert in_process(project, monkeypatch, capsys, 'up')[1] == 'applied: 0001_initial\n'
    write(project, 'other.conf', 'database = sqlite:///other.db\n')
    code, out, err = in_process(project, monkeypatch, capsys, '-c', 'other.conf', 'status',
                                '-d', 'schema')
    assert code == 1 and '[ ] 0001_initial' in out          # another database
    code, out, err = in_process(project, monkeypatch, capsys, '-c', 'nope.conf', 'status')
    assert code == 2 and 'not found' in err


@pytest.mark.engines('postgres')
def test_cli_end_to_end_postgres(rdb, tmp_path, monkeypatch, capsys):
    params = pg_connect_kwargs()
    url = 'postgresql://%s@%s:%s/%s?prefer_psycopg3=%s' % (
        params.get('user', 'postgres'), params.get('host', '127.0.0.1'),
        params.get('port', 5432), params['database'],
        str(engine_driver(rdb) == 'psycopg3').lower())      # the CLI on rdb's driver
    project = tmp_path / 'app'
    write(project, 'pg_models_v1.py', MODELS_V1)
    code, out, err = in_process(project, monkeypatch, capsys, url, 'generate', 'initial',
                                'pg_models_v1:MODELS')
    assert code == 0, err
    write(project / 'migrations', '0002_likes.py', '''
        from orm import *

        def up(migrator, db):
            db.execute_sql("INSERT INTO \\"user\\" (username) VALUES ('ann')")
            db.execute_sql("INSERT INTO tweet (user_id, content) VALUES (1, 'hi')")
            migrator.migrate(migrator.add_column('tweet', 'likes', IntegerField(default=5)))

        def down(migrator, db):
            migrator.migrate(migrator.drop_column('tweet', 'likes'))
    ''')
    result = cli(project, url, 'up')
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'applied: 0001_initial\napplied: 0002_likes\n'
    assert rdb.execute_sql('SELECT likes FROM tweet').fetchall() == [(5,)]
    code, out, err = in_process(project, monkeypatch, capsys, url, 'diff',
                                'pg_models_v1:MODELS')
    assert out == 'drop column tweet.likes\n'
    code, out, err = in_process(project, monkeypatch, capsys, url, 'down')
    assert (code, out) == (0, 'reverted: 0002_likes\n'), err
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
