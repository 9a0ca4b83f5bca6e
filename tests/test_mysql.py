"""MySQL / MariaDB: the dialect's SQL, and the engine on the server at 127.0.0.1:3306.

The tests taking ``mysql_db`` run on the real server (skipped when none answers, failed
under ``CI=true``); the others compile SQL only.
"""
from __future__ import annotations

import datetime
import os
import pathlib
import subprocess
import sys

import pytest

import orm
from orm import (EXCLUDED, BooleanField, CharField, DataError, DateTimeField,
                 ForeignKeyField, IntegerField, IntegrityError, JSONField, Model,
                 MySQLDatabase, OperationalError, ProgrammingError, TextField, fn)
from orm.dialects.mysql import MySQLDialect, parse_mysql_version
from playhouse import db_url, mysql_ext
from playhouse.mysql_ext import MariaDBConnectorDatabase, Match, MySQLConnectorDatabase
from playhouse.migrate import MySQLMigrator, migrate
from playhouse.pool import PooledMySQLDatabase

from conftest import MYSQL_DB, MYSQL_PARAMS, make_database

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Gadget(Model):
    name = CharField(unique=True)
    count = IntegerField(default=0)
    active = BooleanField(default=True)
    made = DateTimeField(null=True)


class Part(Model):
    gadget = ForeignKeyField(Gadget, backref='parts', on_delete='CASCADE')
    label = TextField()


def offline(version: tuple | None = (10, 11, 6)) -> MySQLDatabase:
    db = MySQLDatabase(None)
    db.server_version = version
    return db


def compiled(db: MySQLDatabase, query: object) -> tuple:
    return db.dialect.compile(query)


# -- the dialect, without a server ------------------------------------------------------
def test_version_strings_are_parsed():
    assert parse_mysql_version('10.11.6-MariaDB-0+deb12u1') == (10, 11, 6)
    assert parse_mysql_version('5.5.5-10.5.2-MariaDB-log') == (10, 5, 2)
    assert parse_mysql_version('8.0.36') == (8, 0, 36)
    assert parse_mysql_version('8.1') == (8, 1, 0)


def test_identifiers_and_placeholders():
    db = offline()
    with db.bind_ctx([Gadget]):
        sql, params = compiled(db, Gadget.select().where(Gadget.name == 'a'))
    assert sql == ('SELECT `t1`.`id`, `t1`.`name`, `t1`.`count`, `t1`.`active`, `t1`.`made` '
                   'FROM `gadget` AS `t1` WHERE (`t1`.`name` = %s)')
    assert params == ['a']
    assert db.quote_identifier('we`ird') == '`we``ird`'


def test_offset_without_limit_uses_the_largest_limit():
    db = offline()
    with db.bind_ctx([Gadget]):
        sql, params = compiled(db, Gadget.select(Gadget.id).offset(3))
    assert sql.endswith('LIMIT %s OFFSET %s')
    assert params == [18446744073709551615, 3]


def test_insert_ignore_and_replace():
    db = offline()
    with db.bind_ctx([Gadget]):
        ignore = compiled(db, Gadget.insert(name='a').on_conflict_ignore())[0]
        replace = compiled(db, Gadget.replace(name='a'))[0]
    assert ignore.startswith('INSERT IGNORE INTO `gadget`')
    assert replace.startswith('REPLACE INTO `gadget`')


def test_on_duplicate_key_update_spelling_follows_the_server():
    query = Gadget.insert(name='a', count=1).on_conflict(
        preserve=[Gadget.count], update={Gadget.name: Gadget.name.concat(EXCLUDED.name)})
    mariadb = offline((10, 11, 6))
    with mariadb.bind_ctx([Gadget]):
        sql = compiled(mariadb, query)[0]
    assert sql.endswith('ON DUPLICATE KEY UPDATE `count` = VALUE(`count`), '
                        '`name` = CONCAT(`gadget`.`name`, VALUE(`name`))')
    mysql = offline((8, 0, 36))
    with mysql.bind_ctx([Gadget]):
        sql = compiled(mysql, query)[0]
    assert 'UPDATE `count` = VALUES(`count`)' in sql
    with mysql.bind_ctx([Gadget]), pytest.raises(ValueError):
        compiled(mysql, Gadget.insert(name='a').on_conflict(
            preserve=[Gadget.count], where=Gadget.count > 1))


def test_returning_only_on_mariadb_10_5_and_later():
    assert offline((10, 11, 6)).dialect.returning_clause
    assert not offline((10, 4, 30)).dialect.returning_clause
    assert not offline((8, 0, 36)).dialect.returning_clause
    db = offline((8, 0, 36))
    with db.bind_ctx([Gadget]), pytest.raises(orm.NotSupportedError):
        compiled(db, Gadget.insert(name='a').returning(Gadget.id))
    # MariaDB returns rows from INSERT and DELETE, never from UPDATE: refused when
    # compiled, instead of a syntax error from the server
    mariadb = offline((10, 11, 6))
    with mariadb.bind_ctx([Gadget]):
        with pytest.raises(orm.NotSupportedError, match='UPDATE ... RETURNING'):
            compiled(mariadb, Gadget.update(name='b').returning(Gadget.id))
        assert 'RETURNING' in compiled(mariadb, Gadget.delete().returning(Gadget.id))[0]


def test_operators_and_types():
    db = offline()
    with db.bind_ctx([Gadget]):
        like = compiled(db, Gadget.select(Gadget.id).where(Gadget.name % 'a*'))[0]
        ilike = compiled(db, Gadget.select(Gadget.id).where(Gadget.name ** 'a%'))[0]
        regexp = compiled(db, Gadget.select(Gadget.id).where(Gadget.name.regexp('^a')))[0]
    assert '`name` LIKE BINARY %s' in like
    assert '`name` LIKE %s' in ilike
    assert '`name` REGEXP BINARY %s' in regexp
    ddl = MySQLDialect().field_types
    assert ddl['BOOL'] == 'BOOL' and ddl['DATETIME'] == 'DATETIME(6)'
    assert ddl['AUTO'] == 'INTEGER AUTO_INCREMENT'


def test_string_literals_escape_backslashes():
    dialect = MySQLDialect()
    assert dialect.literal_value("a\\'b") == "'a\\\\''b'"


# -- on the server --------------------------------------------------------------------------
@pytest.fixture
def gadgets(mysql_db):
    mysql_db.bind([Gadget, Part])
    mysql_db.create_tables([Gadget, Part])
    return mysql_db


def test_server_version_and_flavour(mysql_db):
    version = mysql_db.server_version
    assert isinstance(version, tuple) and len(version) == 3
    text = mysql_db.execute_sql('SELECT VERSION()').fetchone()[0]
    assert parse_mysql_version(text) == version
    assert mysql_db.mariadb == ('mariadb' in text.lower())
    assert mysql_db.dialect.returning_clause == (mysql_db.mariadb and version >= (10, 5))


def test_concat_is_written_as_a_function_and_the_mode_is_the_servers(gadgets):
    mode = gadgets.execute_sql('SELECT @@SESSION.sql_mode').fetchone()[0]
    server = gadgets.execute_sql('SELECT @@GLOBAL.sql_mode').fetchone()[0]
    assert mode == server and 'PIPES_AS_CONCAT' not in mode.split(',')
    Gadget.create(name='lamp', made=datetime.datetime(2024, 1, 1))
    query = Gadget.select((Gadget.name + '-' + Gadget.name.concat('!')).alias('tag'))
    assert 'CONCAT(CONCAT(`t1`.`name`, %s), CONCAT(`t1`.`name`, %s))' in query.sql()[0]
    assert query.scalar() == 'lamp-lamp!'
    assert Gadget.select().where(Gadget.name.contains('am')).count() == 1


def test_create_read_upsert(gadgets):
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    first = Gadget.create(name='spring', made=when)
    assert first.id == 1
    got = Gadget.get_by_id(first.id)
    assert got.made == when and got.active is True
    cols = {c.name: c for c in gadgets.get_columns('gadget')}
    assert cols['active'].full_type == 'tinyint(1)'
    assert cols['made'].full_type == 'datetime(6)'
    assert cols['id'].identity and cols['id'].primary_key
    Gadget.insert(name='spring', count=5).on_conflict(
        preserve=[Gadget.count], update={Gadget.name: Gadget.name.concat('-2')}).execute()
    assert Gadget.select(Gadget.name, Gadget.count).tuples().get() == ('spring-2', 5)
    Gadget.insert(name='spring-2', count=9).on_conflict_ignore().execute()
    assert Gadget.get().count == 5
    Gadget.replace(id=first.id, name='other', count=1).execute()
    assert Gadget.select(Gadget.name, Gadget.count).tuples()[:] == [('other', 1)]


def test_last_insert_id_and_rows_affected(gadgets):
    cursor = gadgets.execute_sql('INSERT INTO gadget (name, count, active) '
                                 'VALUES (%s, 0, 1), (%s, 0, 1)', ('a', 'b'))
    # MySQL reports the key of the first row of a multi-row insert
    assert gadgets.last_insert_id(cursor) == 1
    assert gadgets.rows_affected(cursor) == 2
    assert Gadget.insert(name='c').execute() == 3
    assert Gadget.update(count=1).where(Gadget.name != 'a').execute() == 2
    # rows matched but left as they were are not counted
    assert Gadget.update(count=1).execute() == 1
    assert Gadget.delete().where(Gadget.name == 'c').execute() == 1


def test_offset_without_limit_runs(gadgets):
    Gadget.insert_many([{'name': n} for n in 'abcde']).execute()
    names = [g.name for g in Gadget.select().order_by(Gadget.name).offset(3)]
    assert names == ['d', 'e']


def test_returning_on_mariadb(gadgets):
    if not gadgets.dialect.returning_clause:
        pytest.skip('RETURNING needs MariaDB 10.5+')
    rows = list(Gadget.insert_many([{'name': 'x'}, {'name': 'y'}])
                .returning(Gadget.id, Gadget.name).tuples().execute())
    assert rows == [(1, 'x'), (2, 'y')]
    gone = list(Gadget.delete().where(Gadget.name == 'x').returning(Gadget.id).tuples()
                .execute())
    assert gone == [(1,)]


def test_transactions_and_savepoints(gadgets):
    with gadgets.atomic():
        Gadget.create(name='kept')
        with pytest.raises(IntegrityError):
            with gadgets.atomic():
                Gadget.create(name='lost')
                Gadget.create(name='kept')
        assert gadgets.in_transaction()
    assert [g.name for g in Gadget.select()] == ['kept']
    with gadgets.atomic() as txn:
        Gadget.create(name='undone')
        txn.rollback()
    assert Gadget.select().count() == 1
    assert not gadgets.in_transaction()
    with gadgets.atomic(isolation_level='SERIALIZABLE'):
        level = gadgets.execute_sql('SELECT @@SESSION.tx_isolation').fetchone()[0]
        Gadget.create(name='serial')
    assert level in ('SERIALIZABLE', 'REPEATABLE-READ')   # the level applies to one txn


def test_errors_map_to_orm_classes(gadgets):
    Gadget.create(name='a')
    with pytest.raises(IntegrityError) as info:
        Gadget.create(name='a')
    assert info.value.errno == 1062 and info.value.orig is info.value.__cause__
    with pytest.raises(IntegrityError):
        Part.create(gadget=999, label='orphan')
    with pytest.raises(IntegrityError):
        gadgets.execute_sql('INSERT INTO gadget (name, count, active) VALUES (NULL, 0, 1)')
    with pytest.raises(DataError):
        gadgets.execute_sql('INSERT INTO gadget (name, count, active) VALUES (%s, 0, 1)',
                            ('x' * 300,))
    with pytest.raises(ProgrammingError) as info:
        gadgets.execute_sql('SELEC 1')
    assert info.value.errno == 1064
    gadgets.execute_sql('CREATE TABLE checked (n INT CHECK (n > 0))')
    with pytest.raises(IntegrityError):
        gadgets.execute_sql('INSERT INTO checked VALUES (-1)')


def test_hostile_values_and_identifiers_round_trip(mysql_db):
    name = 'odd`na%me\\'
    mysql_db.execute_sql('CREATE TABLE %s (%s TEXT)' % (
        mysql_db.quote_identifier(name), mysql_db.quote_identifier('c`o"l')))
    table = orm.Table(name, ['c`o"l']).bind(mysql_db)
    values = ["it's", 'back\\slash', '\\\'', '100%', '%s', '`tick`', 'nul\x00byte',
              'caf\u00e9 \u4e2d \U0001f600']
    table.insert_many([(v,) for v in values], fields=[table.c['c`o"l']]).execute()
    got = [row[0] for row in table.select(table.c['c`o"l']).tuples()]
    assert sorted(got) == sorted(values)
    for value in values:
        assert table.select().where(table.c['c`o"l'] == value).count() == 1
    assert name in mysql_db.get_tables()


def test_introspection(gadgets):
    assert gadgets.get_tables() == ['gadget', 'part']
    assert gadgets.get_primary_keys('gadget') == ['id']
    indexes = {i.name: i for i in gadgets.get_indexes('gadget')}
    assert indexes['gadget_name'].unique and indexes['gadget_name'].columns == ['name']
    fks = gadgets.get_foreign_keys('part')
    assert [(f.column, f.dest_table, f.dest_column, f.on_delete) for f in fks] == \
        [('gadget_id', 'gadget', 'id', 'CASCADE')]
    columns = gadgets.get_columns('part')
    assert [(c.name, c.data_type, c.null) for c in columns] == \
        [('id', 'int', False), ('gadget_id', 'int', False), ('label', 'text', False)]
    assert gadgets.table_exists('part') and not gadgets.table_exists('nope')
    gadgets.execute_sql('CREATE VIEW named AS SELECT name FROM gadget')
    assert [v.name for v in gadgets.get_views()] == ['named']
    assert gadgets.get_tables() == ['gadget', 'part']


def test_text_keys_get_a_prefix_length(mysql_db):
    class Note(Model):
        body = TextField(index=True)
        tag = TextField(unique=True)
        code = CharField(index=True)

        class Meta:
            database = mysql_db
    mysql_db.create_tables([Note])
    indexes = {i.name: i for i in mysql_db.get_indexes('note')}
    assert indexes['note_body'].sql == 'CREATE INDEX `note_body` ON `note` (`body`(191))'
    assert indexes['note_code'].sql == 'CREATE INDEX `note_code` ON `note` (`code`)'
    assert indexes['note_tag'].unique
    # MySQL keys the first 191 characters of a unique text; MariaDB the whole value
    whole = 'x' * 300
    Note.create(body='a', tag=whole, code='c')
    if mysql_db.mariadb:
        Note.create(body='b', tag=whole[:-1] + 'y', code='d')
        assert Note.select().count() == 2
    with pytest.raises(IntegrityError):
        Note.create(body='c', tag=whole, code='e')
    # the index is dropped by name on its table
    Note._schema.drop_indexes()
    assert not [i for i in mysql_db.get_indexes('note') if i.name != 'PRIMARY']


def test_text_key_spelling_follows_the_server():
    class Note(Model):
        body = TextField(index=True)
        tag = TextField(unique=True)
        data = orm.BlobField(index=True)

    def ddl(db):
        with db.bind_ctx([Note]):
            return ([compiled(db, i)[0] for i in Note._schema._create_indexes(safe=False)] +
                    [compiled(db, i)[0] for i in Note._schema._drop_indexes()])
    assert ddl(offline((8, 0, 36))) == [
        'CREATE INDEX `note_body` ON `note` (`body`(191))',
        'CREATE UNIQUE INDEX `note_tag` ON `note` (`tag`(191))',
        'CREATE INDEX `note_data` ON `note` (`data`(191))',
        'DROP INDEX `note_body` ON `note`', 'DROP INDEX `note_tag` ON `note`',
        'DROP INDEX `note_data` ON `note`']
    mariadb = ddl(offline((10, 11, 6)))
    assert mariadb[1] == 'CREATE UNIQUE INDEX `note_tag` ON `note` (`tag`)'
    assert mariadb[3] == 'DROP INDEX IF EXISTS `note_body` ON `note`'


def test_lock_spellings_follow_the_server():
    def lock(version, *args, **kwargs):
        db = offline(version)
        with db.bind_ctx([Gadget]):
            sql = compiled(db, Gadget.select(Gadget.id).for_update(*args, **kwargs))[0]
        return sql.split('`gadget` AS `t1` ')[1]
    assert lock((10, 11, 6)) == 'FOR UPDATE'
    assert lock((10, 11, 6), 'FOR SHARE') == 'LOCK IN SHARE MODE'
    assert lock((10, 11, 6), 'FOR SHARE NOWAIT') == 'LOCK IN SHARE MODE NOWAIT'
    assert lock((10, 11, 6), skip_locked=True) == 'FOR UPDATE SKIP LOCKED'
    assert lock((8, 0, 36), 'FOR SHARE', of=Gadget) == 'FOR SHARE OF `t1`'
    assert lock((5, 7, 44), 'FOR SHARE') == 'LOCK IN SHARE MODE'
    refused = [((10, 11, 6), dict(of=Gadget)), ((10, 11, 6), dict(for_update='FOR KEY SHARE')),
               ((8, 0, 36), dict(for_update='FOR NO KEY UPDATE')),
               ((10, 5, 20), dict(skip_locked=True)), ((10, 2, 40), dict(nowait=True)),
               ((5, 7, 44), dict(nowait=True)), ((5, 7, 44), dict(of=Gadget))]
    for version, kwargs in refused:
        with pytest.raises(orm.NotSupportedError):
            lock(version, **kwargs)


def test_json_field(mysql_db):
    class Doc(Model):
        data = JSONField()

        class Meta:
            database = mysql_db
    mysql_db.create_tables([Doc])
    Doc.create(data={'a': {'b': [1, 2]}, 'k': 'v'})
    Doc.create(data={'a': {'b': [3]}, 'k': 'w'})
    assert Doc.select(Doc.data['a']['b']).tuples()[:] == [([1, 2],), ([3],)]
    assert Doc.select().where(Doc.data['k'] == 'w').count() == 1
    Doc.update(data=Doc.data['a']['b'].append(9)).where(Doc.data['k'] == 'w').execute()
    assert Doc.get(Doc.data['k'] == 'w').data == {'a': {'b': [3, 9]}, 'k': 'w'}


def test_for_update_variants(gadgets, tmp_path):
    Gadget.create(name='locked')
    with gadgets.atomic():
        assert Gadget.select().for_update().get().name == 'locked'
        assert Gadget.select().for_update(nowait=True).get().name == 'locked'
        if gadgets.mariadb and gadgets.server_version >= (10, 6):
            assert Gadget.select().for_update(skip_locked=True).get().name == 'locked'
        assert Gadget.select().for_update('FOR SHARE').get().name == 'locked'
    # a row one session shares cannot be locked for update by another (NOWAIT says so)
    other = make_database('mysql', tmp_path)
    try:
        with gadgets.atomic():
            Gadget.select().for_update('FOR SHARE').get()
            with other.bind_ctx([Gadget]), other.atomic():
                with pytest.raises(OperationalError):
                    Gadget.select().for_update(nowait=True).get()
    finally:
        other.close()


def test_killed_connection_mid_transaction_leaves_nothing(gadgets, tmp_path):
    other = make_database('mysql', tmp_path)
    try:
        conn_id = gadgets.execute_sql('SELECT CONNECTION_ID()').fetchone()[0]
        with pytest.raises(OperationalError):
            with gadgets.atomic():
                Gadget.create(name='half')
                other.execute_sql('KILL %d' % conn_id)
                Gadget.create(name='done')
        assert other.execute_sql('SELECT COUNT(*) FROM gadget').fetchone() == (0,)
    finally:
        other.close()
    assert not gadgets.is_connection_usable()
    gadgets.close()
    gadgets.connect()
    assert Gadget.select().count() == 0


def test_sequences_are_not_supported(mysql_db):
    with pytest.raises(orm.NotSupportedError):
        mysql_db.sequence_exists('anything')


def test_date_helpers(gadgets):
    Gadget.create(name='d', made=datetime.datetime(2023, 4, 5, 6, 7, 8))
    row = Gadget.select(gadgets.extract_date('year', Gadget.made),
                        gadgets.extract_date('month', Gadget.made),
                        gadgets.truncate_date('day', Gadget.made),
                        fn.COUNT(Gadget.id)).tuples().get()
    assert row[:2] == (2023, 4) and str(row[2]).startswith('2023-04-05')


def test_inventory_example_runs(mysql_db):
    # the example creates its database and drops its tables; the database goes here
    name = MYSQL_DB + '_example'
    env = dict(os.environ, PYTHONPATH=str(ROOT), ORM_MYSQL_DB=name,
               ORM_MYSQL_HOST=str(MYSQL_PARAMS['host']),
               ORM_MYSQL_PORT=str(MYSQL_PARAMS['port']),
               ORM_MYSQL_USER=str(MYSQL_PARAMS['user']),
               ORM_MYSQL_PASSWORD=str(MYSQL_PARAMS['password']))
    try:
        result = subprocess.run([sys.executable, str(ROOT / 'examples' / 'mysql_inventory.py')],
                                env=env, capture_output=True, text=True, timeout=120)
    finally:
        mysql_db.execute_sql('DROP DATABASE IF EXISTS %s' % mysql_db.quote_identifier(name))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stock: [('bolt', 125), ('nut', 40)]" in result.stdout
    assert 'movements: 1 bolt stock: 95' in result.stdout
    assert result.stdout.rstrip().endswith('Done.')


# -- playhouse: URLs, the pool, other drivers, MATCH ---------------------------------------
def _url(scheme: str) -> str:
    auth = MYSQL_PARAMS['user'] + (':' + MYSQL_PARAMS['password']
                                   if MYSQL_PARAMS['password'] else '')
    return '%s://%s@%s:%s/%s' % (scheme, auth, MYSQL_PARAMS['host'], MYSQL_PARAMS['port'],
                                 MYSQL_DB)


@pytest.mark.parametrize('scheme', ['mysql', 'mariadb', 'mysql+pool'])
def test_urls_connect(mysql_db, scheme):
    db = db_url.connect(_url(scheme))
    try:
        assert db.execute_sql('SELECT DATABASE()').fetchone() == (MYSQL_DB,)
    finally:
        db.close()


def test_pool_discards_a_killed_connection(mysql_db):
    pool = PooledMySQLDatabase(MYSQL_DB, max_connections=2, **MYSQL_PARAMS)
    try:
        pool.connect()
        first = pool.execute_sql('SELECT CONNECTION_ID()').fetchone()[0]
        pool.close()                                 # back into the pool
        mysql_db.execute_sql('KILL %d' % first)
        pool.connect()                               # the dead one is not handed out
        second = pool.execute_sql('SELECT CONNECTION_ID()').fetchone()[0]
        assert second != first
        pool.close()
    finally:
        pool.close_all()


def test_mysql_connector_database(mysql_db):
    pytest.importorskip('mysql.connector')
    db = MySQLConnectorDatabase(MYSQL_DB, **MYSQL_PARAMS)
    try:
        db.bind([Gadget, Part])
        db.create_tables([Gadget, Part])
        assert db.server_version == mysql_db.server_version
        with db.atomic():
            gadget = Gadget.create(name='100%')
            Part.create(gadget=gadget, label='a')
        assert Gadget.select().where(Gadget.name ** '100%%').count() == 1
        assert db.execute_sql("SELECT '100%%'").fetchone() == ('100%',)
        with pytest.raises(IntegrityError):
            Gadget.create(name='100%')
        assert [p.label for p in gadget.parts] == ['a']
    finally:
        db.close()


def test_mariadb_connector_needs_its_package():
    db = MariaDBConnectorDatabase(MYSQL_DB, **MYSQL_PARAMS)
    try:
        import mariadb  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='pip install mariadb'):
            db.connect()
    else:
        db.connect()
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
        db.close()


def test_match_and_json_field(mysql_db):
    class Article(Model):
        title = CharField()
        body = TextField()
        meta = mysql_ext.JSONField(null=True)

        class Meta:
            database = mysql_db
    mysql_db.create_tables([Article])
    mysql_db.execute_sql('CREATE FULLTEXT INDEX article_text ON article (title, body)')
    mysql_db.execute_sql('CREATE FULLTEXT INDEX article_body ON article (body)')
    Article.create(title='Pools', body='connections are reused', meta={'tags': ['db']})
    Article.create(title='Locks', body='rows wait for each other')
    found = Article.select().where(Match((Article.title, Article.body), 'connections'))
    assert [a.title for a in found] == ['Pools']
    boolean = Article.select().where(Match(Article.body, '+rows -connections',
                                           modifier='IN BOOLEAN MODE'))
    assert [a.title for a in boolean] == ['Locks']
    assert Article.get(Article.title == 'Pools').meta == {'tags': ['db']}
    assert Article.select().where(Article.meta['tags'][0] == 'db').count() == 1


# -- reflection and the migration runner on the server --------------------------------------
def test_reflection_reads_types_lengths_and_keys(gadgets):
    from playhouse.reflection import Introspector
    gadgets.execute_sql('CREATE TABLE priced (id INTEGER PRIMARY KEY, code VARCHAR(40) '
                        'NOT NULL, cost DECIMAL(8, 3), flag BOOL, '
                        'gadget_id INTEGER, FOREIGN KEY (gadget_id) REFERENCES gadget (id) '
                        'ON DELETE CASCADE)')
    models = Introspector.from_database(gadgets).generate_models()
    priced, gadget = models['priced'], models['gadget']
    assert type(priced.id) is IntegerField          # no AUTO_INCREMENT: no AutoField
    assert type(gadget.id) is orm.AutoField
    assert (type(priced.code), priced.code.max_length) == (CharField, 40)
    assert (priced.cost.max_digits, priced.cost.decimal_places) == (8, 3)
    assert type(priced.flag) is BooleanField and type(gadget.active) is BooleanField
    assert priced.gadget.rel_model is gadget and priced.gadget.on_delete == 'CASCADE'
    assert models['part'].gadget.on_delete == 'CASCADE'
    assert gadget.name.unique
    gadget.create(name='g', count=2, active=True, made=datetime.datetime(2024, 5, 6, 7, 8, 9, 10))
    assert gadget.get().made == datetime.datetime(2024, 5, 6, 7, 8, 9, 10)


def test_orm_pwiz_prints_models_that_work_on_mysql(gadgets, tmp_path):
    # the command line as a user types it: -e mysql with host and user
    command = [sys.executable, '-m', 'playhouse.reflection', '-e', 'mysql',
               '-H', str(MYSQL_PARAMS['host']), '-p', str(MYSQL_PARAMS['port']),
               '-u', str(MYSQL_PARAMS['user'])]
    if MYSQL_PARAMS['password']:
        pytest.skip('the server needs a password, which orm-pwiz asks for at a prompt')
    result = subprocess.run(command + [MYSQL_DB, '-t', 'gadget,part'], capture_output=True,
                            text=True, cwd=str(tmp_path), env=dict(os.environ,
                                                                  PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    assert "database = MySQLDatabase('%s'" % MYSQL_DB in result.stdout
    assert 'class Gadget(BaseModel):' in result.stdout
    assert 'ForeignKeyField(' in result.stdout
    namespace: dict = {}
    exec(compile(result.stdout, 'generated.py', 'exec'), namespace)
    gadget = namespace['Gadget'].create(name='lamp', count=1, active=True,
                                        made=datetime.datetime(2025, 1, 2))
    assert namespace['Gadget'].get_by_id(gadget.id).name == 'lamp'
    namespace['database'].close()


def test_migration_runner_up_and_down(mysql_db, tmp_path):
    from playhouse.migrations import Runner
    (tmp_path / '0001_shop.py').write_text(
        'from orm import CharField\n'
        'def up(migrator, db):\n'
        "    db.execute_sql('CREATE TABLE shop (id INTEGER AUTO_INCREMENT PRIMARY KEY)')\n"
        "    migrator.migrate(migrator.add_column('shop', 'name', CharField(default='x')))\n"
        'def down(migrator, db):\n'
        "    db.execute_sql('DROP TABLE shop')\n")
    (tmp_path / '0002_fail.py').write_text(
        'from orm import CharField\n'
        'def up(migrator, db):\n'
        "    migrator.migrate(migrator.add_column('shop', 'city', CharField(null=True)))\n"
        "    db.execute_sql('SELECT nothing FROM nowhere')\n")
    runner = Runner(mysql_db, str(tmp_path))
    with pytest.raises(ProgrammingError) as info:
        runner.up()
    # DDL commits on MySQL: the note says what ran may remain, and it does
    assert 'may remain' in str(getattr(info.value, '__notes__', [''])[-1])
    assert [c.name for c in mysql_db.get_columns('shop')] == ['id', 'name', 'city']
    assert [m.name for m in runner.status() if m.applied] == ['0001_shop']
    assert runner.down() == ['0001_shop']
    assert 'shop' not in mysql_db.get_tables()


def test_migrator_drops_an_index_a_foreign_key_needs(mysql_db):
    """InnoDB refuses to drop the only index serving a foreign key (1553); the migrator
    drops the key, the index, and creates the key again with its actions."""
    mysql_db.execute_sql('CREATE TABLE author (id INTEGER PRIMARY KEY)')
    mysql_db.execute_sql(
        'CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER, code INTEGER, '
        'KEY book_author_id (author_id), KEY book_author_code (author_id, code), '
        'KEY book_code (code), '
        'CONSTRAINT book_author FOREIGN KEY (author_id) REFERENCES author (id) '
        'ON DELETE CASCADE)')
    migrator = MySQLMigrator(mysql_db)
    # another index starts with author_id: the key is left alone
    migrate(migrator.drop_index('book', 'book_author_id'))
    migrate(migrator.drop_index('book', 'book_code'))
    assert sorted(ix.name for ix in mysql_db.get_indexes('book')) == [
        'PRIMARY', 'book_author_code']
    # the last index serving the key
    migrate(migrator.drop_index('book', 'book_author_code'))
    indexes = {ix.name: ix.columns for ix in mysql_db.get_indexes('book')}
    assert 'book_author_code' not in indexes
    assert indexes.get('book_author') == ['author_id']     # InnoDB's own, for the key
    [fk] = mysql_db.get_foreign_keys('book')
    assert (fk.name, fk.column, fk.dest_table, fk.on_delete) == (
        'book_author', 'author_id', 'author', 'CASCADE')
    mysql_db.execute_sql('INSERT INTO author (id) VALUES (1)')
    mysql_db.execute_sql('INSERT INTO book (id, author_id) VALUES (1, 1)')
    mysql_db.execute_sql('DELETE FROM author')
    assert mysql_db.execute_sql('SELECT COUNT(*) FROM book').fetchone() == (0,)


def test_casts_are_spelled_for_mysql(gadgets):
    """MySQL has no CAST(... AS TEXT) or AS INTEGER: text is CHAR, integers SIGNED."""
    Gadget.insert_many([{'name': 'a', 'count': 30}, {'name': 'b', 'count': 4}]).execute()
    as_text = Gadget.count.cast('TEXT')
    sql, _ = compiled(gadgets, Gadget.select(as_text).where(as_text == '30'))
    assert 'CAST(`t1`.`count` AS CHAR)' in sql
    assert [g.name for g in Gadget.select().where(as_text == '30')] == ['a']
    # text ordered as text, numbers as numbers: '30' < '4' but 4 < 30
    assert [g.name for g in Gadget.select().order_by(as_text)] == ['a', 'b']
    assert [g.name for g in Gadget.select().order_by(fn.CONCAT(Gadget.count, '').cast(
        'INTEGER'))] == ['b', 'a']
    assert 'AS CHAR(3)' in compiled(gadgets, Gadget.select(Gadget.name.cast('VARCHAR(3)')))[0]
    assert 'AS DECIMAL(5, 2)' in compiled(gadgets,
                                          Gadget.select(Gadget.count.cast('DECIMAL(5, 2)')))[0]
    assert Gadget.select(Gadget.count.cast('REAL')).where(Gadget.name == 'b').scalar() == 4.0


def test_a_named_check_is_quoted_with_backticks(mysql_db):
    # (a table constraint: MariaDB names no CHECK written on a column, MySQL 8 does)
    class Stocked(Model):
        n = IntegerField()

        class Meta:
            constraints = [orm.Check('n > 0', name='n `positive`')]

    mysql_db.bind([Stocked])
    sql = Stocked._schema._create_table().query()[0]
    assert 'CONSTRAINT `n ``positive``` CHECK (n > 0)' in sql
    mysql_db.create_tables([Stocked])
    with pytest.raises(IntegrityError, match='positive'):
        Stocked.create(n=0)
    assert Stocked.create(n=1).n == 1
