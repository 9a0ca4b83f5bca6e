"""playhouse.dataset on every engine: tables created and evolved on insert, reads,
updates and deletes, reflection of existing tables, and freeze/thaw round trips through
JSON, CSV and TSV files."""
from __future__ import annotations

import datetime
import io
import json

import pytest

from orm import BareField, CharField, DateTimeField, IntegerField, Model, SqliteDatabase
from playhouse.dataset import (CSVExporter, DataSet, Exporter, Importer, JSONImporter,
                               Table, TSVImporter)


@pytest.fixture
def ds(db):
    return DataSet(db)


def rows_of(db, table):
    """The rows of ``table`` read with plain SQL (dicts, by id)."""
    cursor = db.execute_sql('SELECT * FROM %s ORDER BY id' % db.quote_identifier(table))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_insert_creates_table_and_columns(ds, db):
    assert 'people' not in ds.tables
    people = ds['people']
    assert isinstance(people, Table) and people.columns == ['id']
    assert 'people' in ds.tables and 'people' in ds
    assert people.insert(name='Huey', age=3) == 1
    people.insert(name='Mickey', age=5, gender='male',
                  born=datetime.datetime(2015, 6, 1, 12, 30), weight=7.5, indoor=False)
    assert people.columns == ['id', 'name', 'age', 'gender', 'born', 'weight', 'indoor']
    assert len(people) == 2
    stored = rows_of(db, 'people')
    assert stored[0]['name'] == 'Huey' and stored[0]['gender'] is None
    assert stored[1]['age'] == 5 and stored[1]['weight'] == 7.5
    assert people.find_one(name='Mickey') == {
        'id': 2, 'name': 'Mickey', 'age': 5, 'gender': 'male',
        'born': datetime.datetime(2015, 6, 1, 12, 30), 'weight': 7.5, 'indoor': False}
    assert people.find_one(name='nobody') is None
    assert [r['name'] for r in people] == ['Huey', 'Mickey']
    assert [r['name'] for r in people.find(age=3)] == ['Huey']
    assert [r['name'] for r in people.all()] == ['Huey', 'Mickey']


def test_update_delete_and_item_access(ds, db):
    people = ds['people']
    for name, age in [('Huey', 3), ('Mickey', 5), ('Zaizee', 2)]:
        people.insert(name=name, age=age)
    assert people.update(name='Huey', gender='male', columns=['name']) == 1
    assert people.update(favorite_orm='orm') == 3           # all rows, new column
    assert [r['favorite_orm'] for r in rows_of(db, 'people')] == ['orm'] * 3
    assert rows_of(db, 'people')[0]['gender'] == 'male'
    people.update(name='Zaizee', age=2, gender='female', columns=['name', 'age'])
    assert people.find_one(name='Zaizee')['gender'] == 'female'

    people[1] = {'age': 4}                       # update by primary key
    assert people[1]['age'] == 4 and people[1]['name'] == 'Huey'
    people[10] = {'name': 'Ten', 'age': 10}      # insert with that key
    assert people[10]['name'] == 'Ten'
    assert people.insert(name='Eleven') == 11    # the key sequence moved past 10
    del people[10]
    with pytest.raises(KeyError):
        people[10]
    with pytest.raises(KeyError):
        del people[10]
    assert people.delete(name='Eleven') == 1
    assert people.delete() == 3
    assert rows_of(db, 'people') == []
    with pytest.raises(KeyError, match='no column'):
        people.find(nope=1)


def test_existing_tables_are_reflected(db):
    class Account(Model):
        username = CharField(unique=True)
        karma = IntegerField(default=0)
        joined = DateTimeField(null=True)

        class Meta:
            database = db
    Account.create_table()
    Account.create(username='huey', karma=3, joined=datetime.datetime(2020, 1, 2, 3, 4, 5))

    ds = DataSet(db)
    assert 'account' in ds.tables
    accounts = ds['account']
    assert accounts.columns == ['id', 'username', 'karma', 'joined']
    assert accounts.find_one(username='huey') == {
        'id': 1, 'username': 'huey', 'karma': 3,
        'joined': datetime.datetime(2020, 1, 2, 3, 4, 5)}
    assert accounts.insert(username='mickey', karma=0) == 2    # the key is generated
    accounts.insert(username='zaizee', karma=1, color='white')
    assert [a.username for a in Account.select().order_by(Account.id)] == [
        'huey', 'mickey', 'zaizee']
    # a DataSet opened later sees the added column
    assert DataSet(db)['account'].columns == ['id', 'username', 'karma', 'joined', 'color']


def test_tables_without_id_and_odd_column_names(ds, db):
    q = db.quote_identifier
    db.execute_sql('CREATE TABLE pairs (k VARCHAR(10) PRIMARY KEY, %s INTEGER, %s TEXT)'
                   % (q('select'), q('first name')))
    pairs = ds['pairs']
    assert pairs.columns == ['k', 'select', 'first name']
    pairs.insert(**{'k': 'a', 'select': 1, 'first name': 'Huey'})
    assert pairs.find_one(k='a') == {'k': 'a', 'select': 1, 'first name': 'Huey'}
    assert pairs['a']['first name'] == 'Huey'
    db.execute_sql('CREATE TABLE log (msg TEXT)')
    log = ds['log']
    log.insert(msg='hello')
    assert list(log) == [{'msg': 'hello'}]
    with pytest.raises(TypeError, match='primary key'):
        log['x']


def test_create_index(ds, db):
    users = ds['users']
    users.insert(username='huey')
    users.create_index(['username'], unique=True)
    assert any(ix.unique and ix.columns == ['username'] for ix in db.get_indexes('users'))
    with pytest.raises(Exception):
        users.insert(username='huey')


# not on MySQL: the test adds a column inside a transaction and rolls it back, and MySQL's
# DDL commits at once (no transactional DDL)
@pytest.mark.engines('sqlite', 'postgres')
def test_transactions_and_query(ds, db):
    table = ds['users']
    with ds.transaction():
        table.insert(name='Charlie')
        with ds.transaction() as nested:
            table.update(name='Charlie', favorite_orm='django', columns=['name'])
            nested.rollback()
    # the rolled-back savepoint took the new column with it
    assert table.columns == ['id', 'name']
    assert table.find_one(name='Charlie') == {'id': 1, 'name': 'Charlie'}
    with pytest.raises(ZeroDivisionError):
        with ds.transaction():
            table.insert(name='Huey', age=3)
            1 / 0
    assert table.columns == ['id', 'name'] and len(table) == 1
    table.insert(name='Huey', age=3)
    assert table.find_one(name='Huey')['age'] == 3
    cursor = ds.query('SELECT COUNT(*) FROM users')
    assert cursor.fetchone()[0] == 2


def _sample(ds):
    table = ds['sample']
    table.insert(name='Huey', age=3, weight=2.5, indoor=True,
                 born=datetime.date(2011, 5, 1), seen=datetime.datetime(2024, 1, 2, 3, 4, 5))
    table.insert(name='Mickey', age=None, weight=10.0, indoor=False,
                 born=datetime.date(2010, 1, 1), seen=None, note='"quoted", with, commas')
    table.insert(name='Zaizee\twith a tab', age=2, weight=None, indoor=None,
                 born=None, seen=datetime.datetime(2023, 12, 31, 23, 59, 59))
    return table


@pytest.mark.parametrize('fmt', ['json', 'csv', 'tsv'])
def test_freeze_thaw_round_trip(ds, db, tmp_path, fmt):
    """Back into its own table every value comes back as it was (each column's type
    reads the text; CSV has no NULL text: it comes back ''); ids are kept, and the key
    sequence follows them."""
    sample = _sample(ds)
    expected = list(sample)
    if fmt != 'json':
        expected = [dict(row, note=row['note'] or '') for row in expected]
    path = str(tmp_path / ('sample.' + fmt))
    ds.freeze(sample.all(), format=fmt, filename=path)
    sample.delete()
    assert ds.thaw('sample', format=fmt, filename=path) == 3
    assert list(sample) == expected
    assert sample.insert(name='new') == 4


@pytest.mark.parametrize('fmt', ['csv', 'tsv'])
def test_thaw_csv_into_new_table_keeps_text(ds, db, fmt):
    """CSV holds text only: columns added for it are text, nothing is guessed (a zip
    code '02134' stays itself), and an empty field is '' there, NULL in other types."""
    sep = ',' if fmt == 'csv' else '\t'
    data = io.StringIO(sep.join(['name', 'zip', 'note']) + '\n' +
                       sep.join(['Huey', '02134', '']) + '\n')
    assert ds.thaw('places', format=fmt, file_obj=data) == 1
    assert list(ds['places']) == [{'id': 1, 'name': 'Huey', 'zip': '02134', 'note': ''}]
    typed = ds['typed']
    typed.insert(name='x', count=1)
    typed.delete()
    data = io.StringIO(sep.join(['name', 'count']) + '\n' + sep.join(['', '']) + '\n')
    assert typed.thaw(format=fmt, file_obj=data) == 1
    row, = typed
    assert (row['name'], row['count']) == ('', None)


def test_thaw_json_into_new_table_types_from_json(ds, db):
    """JSON numbers, booleans and strings give integer, boolean and text columns; rows
    of different shapes are inserted in the file's order."""
    data = io.StringIO(json.dumps([{'name': 'a', 'n': 1}, {'name': 'b'},
                                   {'name': 'c', 'n': 2, 'ok': True}, {'n': 3}]))
    assert ds.thaw('mixed', format='json', file_obj=data) == 4
    assert list(ds['mixed']) == [
        {'id': 1, 'name': 'a', 'n': 1, 'ok': None},
        {'id': 2, 'name': 'b', 'n': None, 'ok': None},
        {'id': 3, 'name': 'c', 'n': 2, 'ok': True},
        {'id': 4, 'name': None, 'n': 3, 'ok': None}]
    assert ds['mixed'].find_one(n=2)['name'] == 'c'


def test_freeze_formats(ds):
    sample = _sample(ds)
    buf = io.StringIO()
    ds.freeze(sample.find(name='Huey'), format='json', file_obj=buf)
    assert json.loads(buf.getvalue()) == [{
        'id': 1, 'name': 'Huey', 'age': 3, 'weight': 2.5, 'indoor': True,
        'born': '2011-05-01', 'seen': '2024-01-02 03:04:05', 'note': None}]
    buf = io.StringIO()
    ds.freeze(sample.find(name='Huey'), format='json', file_obj=buf,
              iso8601_datetimes=True)
    assert json.loads(buf.getvalue())[0]['seen'] == '2024-01-02T03:04:05'
    buf = io.StringIO()
    sample.freeze(format='csv', file_obj=buf)
    lines = buf.getvalue().splitlines()
    assert lines[0] == 'id,name,age,weight,indoor,born,seen,note'
    assert lines[1] == '1,Huey,3,2.5,True,2011-05-01,2024-01-02 03:04:05,'
    buf = io.StringIO()
    ds.freeze(sample.all(), format='csv', file_obj=buf, header=False)
    assert buf.getvalue().splitlines()[0].startswith('1,Huey')
    with pytest.raises(ValueError, match="no 'xml' format"):
        ds.freeze(sample.all(), format='xml', file_obj=buf)
    with pytest.raises(ValueError, match='one of the two'):
        ds.freeze(sample.all(), format='csv')


@pytest.mark.parametrize('fmt', ['json', 'csv'])
def test_bytes_in_hex_or_base64(ds, db, fmt):
    blobs = ds['blobs']
    blobs.insert(payload=b'\xff\x00\xcc')
    for options, spelled in (({}, 'ff00cc'), ({'base64_bytes': True}, '_wDM')):
        buf = io.StringIO()
        blobs.freeze(format=fmt, file_obj=buf, **options)
        assert spelled in buf.getvalue()
        blobs.delete()
        buf.seek(0)
        assert blobs.thaw(format=fmt, file_obj=buf, **options) == 1
        assert list(blobs) == [{'id': 1, 'payload': b'\xff\x00\xcc'}]


def test_bare_fields(tmp_path):
    ds = DataSet('sqlite:///%s' % (tmp_path / 'bare.db'), bare_fields=True)
    users = ds['users']
    users.insert(name='huey')
    users.insert(name='mickey', color='white')
    fields = users.model_class._meta.sorted_fields
    assert [f.name for f in fields] == ['id', 'name', 'color']
    assert all(type(f) is BareField for f in fields)
    assert [r['name'] for r in users.find(color='white')] == ['mickey']
    ds.close()


def test_thaw_strict_and_into_existing_table(ds, db):
    sample = _sample(ds)
    blob_table = ds['blobs']
    blob_table.insert(name='b', payload=b'\x00\xffbinary')
    buf = io.StringIO()
    blob_table.freeze(format='csv', file_obj=buf)
    blob_table.delete()
    buf.seek(0)
    assert blob_table.thaw(format='csv', file_obj=buf) == 1
    assert blob_table.find_one(name='b')['payload'] == b'\x00\xffbinary'

    data = io.StringIO(json.dumps([{'name': 'Strict', 'age': 7, 'unknown': 'dropped'}]))
    assert ds.thaw('sample', format='json', file_obj=data, strict=True) == 1
    assert 'unknown' not in sample.columns
    assert sample.find_one(name='Strict')['age'] == 7
    data = io.StringIO('name\tage\tcolor\nLoose\t8\tgrey\n')
    assert ds.thaw('sample', format='tsv', file_obj=data) == 1
    assert sample.find_one(name='Loose')['color'] == 'grey'
    assert sample.find_one(name='Loose')['age'] == 8
    assert rows_of(db, 'sample')[-1]['color'] == 'grey'


def test_dataset_from_url_and_context_manager(tmp_path):
    path = tmp_path / 'ds.db'
    with DataSet('sqlite:///%s' % path) as ds:
        ds['kv'].insert(key='a', value=1)
        assert isinstance(ds.database, SqliteDatabase)
    assert ds.database.is_closed()
    again = DataSet('sqlite:///%s' % path)
    assert list(again['kv']) == [{'id': 1, 'key': 'a', 'value': 1}]
    again.close()


def test_custom_formats(ds):
    class LinesExporter(Exporter):
        def export(self, file_obj, **kwargs):
            for row in self.query.dicts():
                file_obj.write('%s\n' % row['name'])

    class LinesImporter(Importer):
        def load(self, file_obj, **kwargs):
            return self.insert_rows([{'name': line.strip()} for line in file_obj if line],
                                    parse_text=False)

    class MyDataSet(DataSet):
        def get_export_formats(self):
            return dict(super().get_export_formats(), lines=LinesExporter)

        def get_import_formats(self):
            return dict(super().get_import_formats(), lines=LinesImporter)

    mine = MyDataSet(ds.database)
    assert mine.thaw('names', format='lines', file_obj=io.StringIO('a\nb\n')) == 2
    out = io.StringIO()
    mine.freeze(mine['names'].all(), format='lines', file_obj=out)
    assert out.getvalue() == 'a\nb\n'
    assert issubclass(JSONImporter, Importer) and issubclass(TSVImporter, Importer)
    assert issubclass(CSVExporter, Exporter)


def test_views_and_include_views(db):
    ds = DataSet(db)
    ds['people'].insert(name='Huey', age=3)
    ds['people'].insert(name='Mickey', age=5)
    db.execute_sql('CREATE VIEW adults AS SELECT name, age FROM people WHERE age > 4')
    assert ds.views == ['adults']
    assert 'adults' not in ds.tables and 'adults' not in ds
    with_views = DataSet(db, include_views=True)
    assert with_views.tables == ['adults', 'people'] and 'adults' in with_views
    assert list(with_views['adults'].all()) == [{'name': 'Mickey', 'age': 5}]
    db.execute_sql('DROP VIEW adults')
