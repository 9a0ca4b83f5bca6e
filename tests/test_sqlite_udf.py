"""playhouse.sqlite_udf: the function library, registered on sqlite3 (memory and file)
and APSW databases and called from SQL and through ``fn``."""
from __future__ import annotations

import datetime
import random

import pytest

from conftest import make_database
from orm import DateTimeField, IntegerField, Model, TextField, fn
from playhouse import sqlite_udf
from playhouse._sqlite_udf import damerau_levenshtein_dist, levenshtein_dist, str_dist
from playhouse.sqlite_udf import (DATE, GROUPS, MATH, STRING, register_all,
                                  register_groups, registered)


class Visit(Model):
    url = TextField()
    seen = DateTimeField()
    score = IntegerField(null=True)


@pytest.fixture
def udb(sqlite_db):
    register_all(sqlite_db)
    Visit.bind(sqlite_db)
    sqlite_db.create_tables([Visit])
    yield sqlite_db
    sqlite_db.drop_tables([Visit])


def one(db, sql, *params):
    return db.execute_sql(sql, params).fetchone()[0]


def add_visits(*rows):
    base = datetime.datetime(2024, 3, 1, 8, 0)
    for url, offset, score in rows:
        Visit.create(url=url, seen=base + datetime.timedelta(seconds=offset), score=score)


def test_date_aggregates_read_stored_datetimes(udb):
    assert one(udb, 'SELECT mintdiff(seen) FROM visit') is None
    assert one(udb, 'SELECT duration(seen) FROM visit') is None
    add_visits(('a', 100, 1))
    assert one(udb, 'SELECT mintdiff(seen) FROM visit') is None
    assert one(udb, 'SELECT avgtdiff(seen) FROM visit') == 0
    assert one(udb, 'SELECT duration(seen) FROM visit') == 0
    add_visits(('b', 40, 2), ('c', 400, 3), ('d', 130, 4))
    # sorted: 40, 100, 130, 400 -> gaps 60, 30, 270
    assert one(udb, 'SELECT mintdiff(seen) FROM visit') == 30
    assert one(udb, 'SELECT avgtdiff(seen) FROM visit') == 120
    assert one(udb, 'SELECT duration(seen) FROM visit') == 360


def test_numeric_aggregates(udb):
    add_visits(*[('u', i, s) for i, s in enumerate([10, 3, 7, 3, 22, 3, 7, None])])
    assert one(udb, 'SELECT mode(score) FROM visit') == 3
    assert one(udb, 'SELECT median(score) FROM visit') == 7
    assert one(udb, 'SELECT range(score) FROM visit') == 19
    assert one(udb, 'SELECT minrange(score) FROM visit') == 0
    # sorted 3 3 3 7 7 10 22: gaps 0 0 4 0 3 12
    assert one(udb, 'SELECT avgrange(score) FROM visit') == pytest.approx(19 / 6)


def test_aggregates_per_group_through_fn(udb):
    add_visits(('x', 0, 5), ('x', 10, 9), ('x', 70, 1), ('y', 5, 4))
    query = (Visit
             .select(Visit.url, fn.duration(Visit.seen).alias('d'),
                     fn.median(Visit.score).alias('m'))
             .group_by(Visit.url)
             .order_by(Visit.url)
             .tuples())
    assert list(query) == [('x', 70, 5), ('y', 0, 4)]


def test_hostname_groups_urls(udb):
    for url in ('https://example.com/a', 'http://Example.com:8080/b', 'ftp://files.test/',
                'no-scheme.org/page', 'https://example.com/c'):
        Visit.create(url=url, seen=datetime.datetime(2024, 1, 1))
    host = fn.hostname(Visit.url)
    query = (Visit.select(host.alias('host'), fn.COUNT(Visit.id))
             .group_by(host).order_by(fn.COUNT(Visit.id).desc(), host).tuples())
    assert list(query) == [('example.com', 3), ('', 1), ('files.test', 1)]


def test_scalar_functions(udb):
    assert one(udb, 'SELECT if_then_else(1 > 2, ?, ?)', 'yes', 'no') == 'no'
    assert one(udb, 'SELECT if_then_else(?, ?)', 1, 'yes') == 'yes'
    assert one(udb, 'SELECT if_then_else(0, ?)', 'yes') is None
    assert one(udb, 'SELECT strip_tz(?)', '2024-05-01 10:30:00+05:30') == '2024-05-01 10:30:00'
    assert one(udb, 'SELECT strip_tz(?)', '2024-05-01T10:30:00.25Z') == '2024-05-01T10:30:00.25'
    assert one(udb, 'SELECT strip_tz(?)', '2024-05-01') == '2024-05-01'
    assert one(udb, 'SELECT human_delta(?)', 90061) == '1 day, 1 hour, 1 minute, 1 second'
    assert one(udb, 'SELECT human_delta(?, ?)', 7200, ' and ') == '2 hours'
    assert one(udb, 'SELECT human_delta(?, ?)', 61, ' and ') == '1 minute and 1 second'
    assert one(udb, 'SELECT human_delta(0)') == '0 seconds'
    assert one(udb, 'SELECT file_ext(?)', 'archive.tar.gz') == '.gz'
    assert one(udb, 'SELECT file_ext(?)', '/srv/v1.2/README') == ''
    assert one(udb, 'SELECT sqrt(?)', 9) == 3
    assert one(udb, 'SELECT sqrt(?)', -1) is None
    assert one(udb, 'SELECT tonumber(?)', ' 42 ') == 42
    assert one(udb, 'SELECT tonumber(?)', '2.5e1') == 25.0
    assert one(udb, 'SELECT tonumber(?)', 'n/a') is None
    assert one(udb, 'SELECT substr_count(?, ?)', 'banana', 'an') == 2
    assert one(udb, 'SELECT substr_count(?, ?)', 'banana', '') == 0
    assert one(udb, 'SELECT strip_chars(?, ?)', '--==title==--', '-=') == 'title'


def test_file_read(udb, tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('caf\xe9 notes\n', encoding='utf-8')
    assert one(udb, 'SELECT file_read(?)', str(path)) == 'caf\xe9 notes\n'
    assert one(udb, 'SELECT file_read(?)', str(tmp_path / 'missing.txt')) is None


def test_gzip_round_trip_in_sql(udb):
    text = 'r\xe9sum\xe9 ' * 500
    packed = one(udb, 'SELECT gzip(?)', text)
    assert isinstance(packed, bytes) and len(packed) < len(text)
    assert packed[:2] == b'\x1f\x8b'          # the gzip format's magic number
    assert one(udb, 'SELECT gunzip(gzip(?, 1))', text).decode('utf-8') == text
    assert one(udb, 'SELECT gunzip(?)', packed).decode('utf-8') == text


def test_toggle_and_setting_keep_state_across_statements(udb):
    one(udb, 'SELECT clear_toggles()')
    one(udb, 'SELECT clear_settings()')
    assert [one(udb, 'SELECT toggle(?)', 'k') for _ in range(3)] == [1, 0, 1]
    assert one(udb, 'SELECT toggle(?)', 'other') == 1
    assert one(udb, 'SELECT clear_toggles()') is None
    assert one(udb, 'SELECT toggle(?)', 'k') == 1
    assert one(udb, 'SELECT setting(?)', 'theme') is None
    assert one(udb, 'SELECT setting(?, ?)', 'theme', 'dark') == 'dark'
    assert one(udb, 'SELECT setting(?)', 'theme') == 'dark'
    one(udb, 'SELECT clear_settings()')
    assert one(udb, 'SELECT setting(?)', 'theme') is None


def test_random_functions_follow_python_random(udb):
    random.seed(7)
    expected = [random.randrange(5), random.randrange(10, 20), random.randrange(0, 100, 10)]
    random.seed(7)
    got = [one(udb, 'SELECT randomrange(5)'), one(udb, 'SELECT randomrange(10, 20)'),
           one(udb, 'SELECT randomrange(0, 100, 10)')]
    assert got == expected
    random.seed(3)
    expected_gauss = random.gauss(10, 2)
    random.seed(3)
    assert one(udb, 'SELECT gauss_distribution(10, 2)') == expected_gauss


def test_edit_distances(udb):
    assert one(udb, 'SELECT levenshtein_dist(?, ?)', 'kitten', 'sitting') == 3
    assert one(udb, 'SELECT levenshtein_dist(?, ?)', '', 'abc') == 3
    assert one(udb, 'SELECT damerau_levenshtein_dist(?, ?)', 'ca', 'ac') == 1
    assert one(udb, 'SELECT levenshtein_dist(?, ?)', 'ca', 'ac') == 2
    assert one(udb, 'SELECT damerau_levenshtein_dist(?, ?)', 'abcdef', 'abdcfe') == 2
    assert one(udb, 'SELECT str_dist(?, ?)', 'abcd', 'abcd') == 0
    # 'abxd' vs 'abyd': one character out on each side
    assert one(udb, 'SELECT str_dist(?, ?)', 'abxd', 'abyd') == 2
    with pytest.raises(Exception):
        one(udb, 'SELECT levenshtein_dist(?)', 'only one')


@pytest.mark.parametrize('a,b', [('', ''), ('a', ''), ('flaw', 'lawn'), ('abc', 'cba'),
                                 ('saturday', 'sunday'), ('\xe9t\xe9', 'ete')])
def test_distances_agree_with_their_definitions(a, b):
    lev = levenshtein_dist(a, b)
    osa = damerau_levenshtein_dist(a, b)
    assert osa <= lev <= max(len(a), len(b))
    assert lev == levenshtein_dist(b, a)
    assert (lev == 0) == (a == b) == (str_dist(a, b) == 0)


def test_register_groups_registers_only_those_groups(tmp_path):
    db = make_database('sqlite-file', tmp_path)
    register_groups(db, STRING)       # before connecting: applied when it connects
    db.connect()
    try:
        assert one(db, 'SELECT substr_count(?, ?)', 'aaa', 'a') == 3
        with pytest.raises(Exception, match='hostname'):
            one(db, 'SELECT hostname(?)', 'http://x.org')
        register_groups(db, MATH, DATE)   # on the open connection
        assert one(db, 'SELECT tonumber(?)', '12') == 12
        assert one(db, 'SELECT human_delta(?)', 3600) == '1 hour'
    finally:
        db.close()


def test_registered_lists_the_library():
    names = {entry.name for entry in registered()}
    assert {'if_then_else', 'strip_tz', 'human_delta', 'mintdiff', 'avgtdiff', 'duration',
            'file_ext', 'file_read', 'gzip', 'gunzip', 'hostname', 'toggle', 'setting',
            'clear_toggles', 'clear_settings', 'randomrange', 'gauss_distribution', 'sqrt',
            'tonumber', 'mode', 'minrange', 'avgrange', 'range', 'median', 'substr_count',
            'strip_chars', 'damerau_levenshtein_dist', 'levenshtein_dist',
            'str_dist'} == names
    aggregates = {e.name for e in registered() if e.is_aggregate}
    assert aggregates == {'mintdiff', 'avgtdiff', 'duration', 'mode', 'minrange',
                          'avgrange', 'range', 'median'}
    assert {e.name for e in registered(DATE)} == {'strip_tz', 'human_delta', 'mintdiff',
                                                  'avgtdiff', 'duration'}
    assert set(GROUPS) == {'control_flow', 'date', 'file', 'helper', 'math', 'string'}
    with pytest.raises(ValueError, match='unknown function group'):
        registered('dates')


def test_library_can_grow(tmp_path):
    @sqlite_udf.udf(STRING, name='shout_test_only', num_params=1)
    def shout(value):
        return value.upper() + '!'

    try:
        db = make_database('sqlite-file', tmp_path)
        register_groups(db, STRING)
        db.connect()
        assert one(db, 'SELECT shout_test_only(?)', 'hi') == 'HI!'
        db.close()
    finally:
        sqlite_udf._LIBRARY[STRING] = [e for e in sqlite_udf._LIBRARY[STRING]
                                       if e.name != 'shout_test_only']
    with pytest.raises(ValueError):
        sqlite_udf.udf('no-such-group')
