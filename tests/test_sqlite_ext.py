"""playhouse.sqlite_ext: JSON/JSONB fields, full-text search, virtual tables, table
functions and the SQLite-specific fields -- on the sqlite3 module and on APSW."""
from __future__ import annotations

import datetime
import decimal
import json
import sqlite3

import pytest

from orm import (SQL, CharField, ForeignKeyField, ImproperlyConfigured, IntegerField, Model,
                 OperationalError, Select, TextField, fn)
from playhouse.sqlite_ext import (AutoIncrementField, ClosureTable, DocIDField, FTS5Model,
                                  FTSModel, ISODateTimeField, JSONBField, JSONBPath,
                                  JSONField, JSONPath, RowIDField, SearchField,
                                  SqliteExtDatabase, TableFunction, TDecimalField,
                                  VirtualModel, jsonb_dumps, jsonb_loads, match)

ENGINES = ['sqlite-memory', 'sqlite-file', 'apsw']


def _make(engine, path, **kwargs):
    if engine == 'apsw':
        pytest.importorskip('apsw', reason='the apsw driver is not installed')
        from playhouse.apsw_ext import APSWDatabase
        return APSWDatabase(str(path / 'ext-apsw.db'), **kwargs)
    if engine == 'sqlite-file':
        return SqliteExtDatabase(str(path / 'ext.db'), **kwargs)
    return SqliteExtDatabase(':memory:', **kwargs)


@pytest.fixture(params=ENGINES)
def db(request, tmp_path):
    database = _make(request.param, tmp_path)
    database.connect()
    yield database
    database.close()


def bind(db, *models):
    for model in models:
        model.bind(db)
    db.create_tables(models)
    return models


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

class KV(Model):
    key = CharField()
    data = JSONField(null=True)


DOC = {'title': 'hello', 'tags': ['a', 'b'], 'meta': {'views': 10, 'score': 1.5},
       'odd key': 'yes', 'none': None}


@pytest.fixture
def kv(db):
    bind(db, KV)
    KV.create(key='k1', data=DOC)
    KV.create(key='k2', data={'title': 'bye', 'tags': [], 'meta': {'views': 3}})
    KV.create(key='k3', data=[1, 2, 3])
    return KV


def data_of(key):
    return KV.get(KV.key == key).data


def test_json_round_trip_and_storage(kv, db):
    assert data_of('k1') == DOC and data_of('k3') == [1, 2, 3]
    stored = db.execute_sql("SELECT data FROM kv WHERE key = 'k1'").fetchone()[0]
    assert json.loads(stored) == DOC and ' ' not in stored.replace('odd key', '')
    KV.create(key='s', data='just a string')
    KV.create(key='n', data=None)
    assert data_of('s') == 'just a string' and data_of('n') is None
    assert db.execute_sql("SELECT json_valid(data) FROM kv WHERE key = 's'").fetchone() == (1,)


def test_json_path_access(kv):
    query = (KV.select(KV.data['title'].alias('title'),
                       KV.data['meta']['views'].alias('views'),
                       KV.data['tags'][1].alias('tag'),
                       KV.data['odd key'].alias('odd'),
                       KV.data.path('meta', 'score').alias('score'))
             .where(KV.key == 'k1'))
    assert query.dicts().get() == {'title': 'hello', 'views': 10, 'tag': 'b', 'odd': 'yes',
                                   'score': 1.5}
    assert [kv.key for kv in KV.select().where(KV.data['meta']['views'] > 5)] == ['k1']
    assert [kv.key for kv in KV.select().where(KV.data['title'] == 'bye')] == ['k2']
    assert KV.select().where(KV.data['none'].is_null() & (KV.key == 'k1')).count() == 1
    assert isinstance(KV.data['a'], JSONPath) and KV.data['a']['b'].path.value == '$.a.b'
    assert KV.data.path('x', 0, 'odd key').path.value == '$.x[0]."odd key"'


def test_json_column_is_text_and_paths_decode_containers(kv, db):
    assert {c.name: c.data_type for c in db.get_columns('kv')}['data'] == 'TEXT'
    for value in (0.0, 1.5, '12', '', [], {}):       # numeric affinity would change these
        KV.create(key='v', data=value)
        assert data_of('v') == value and type(data_of('v')) is type(value)
        assert KV.get(KV.data == value).key == 'v'
        KV.delete().where(KV.key == 'v').execute()
    row = (KV.select(KV.data['meta'].alias('meta'), KV.data['tags'].alias('tags'),
                     KV.data['title'].alias('title'), KV.data['tags'][0].alias('t0'))
           .where(KV.key == 'k1').dicts().get())
    assert row == {'meta': {'views': 10, 'score': 1.5}, 'tags': ['a', 'b'],
                   'title': 'hello', 't0': 'a'}


def test_json_extract_variants(kv):
    row = (KV.select(KV.data.extract('$.title', '$.meta.views').alias('both'),
                     KV.data['meta'].extract_json().alias('meta_json'),
                     KV.data['title'].extract_text().alias('title'),
                     KV.data.extract_text('$.tags[0]').alias('first'))
           .where(KV.key == 'k1').dicts().get())
    assert row['both'] == ['hello', 10]     # several paths: a JSON array, decoded
    assert json.loads(row['meta_json']) == {'views': 10, 'score': 1.5}
    assert row['title'] == 'hello' and row['first'] == 'a'


def test_json_set_replace_insert_append_remove(kv):
    KV.update(data=KV.data['title'].set('HELLO')).where(KV.key == 'k1').execute()
    assert data_of('k1')['title'] == 'HELLO'
    KV.update(data=KV.data['meta']['new'].set({'deep': [1]})).where(KV.key == 'k1').execute()
    assert data_of('k1')['meta']['new'] == {'deep': [1]}
    KV.update(data=KV.data['title'].insert('ignored')).where(KV.key == 'k1').execute()
    KV.update(data=KV.data['added'].insert(True)).where(KV.key == 'k1').execute()
    assert data_of('k1')['title'] == 'HELLO' and data_of('k1')['added'] is True
    KV.update(data=KV.data['missing'].replace(1)).where(KV.key == 'k1').execute()
    KV.update(data=KV.data['added'].replace([1, 2])).where(KV.key == 'k1').execute()
    assert 'missing' not in data_of('k1') and data_of('k1')['added'] == [1, 2]
    KV.update(data=KV.data['tags'].append('c')).where(KV.key == 'k1').execute()
    KV.update(data=KV.data['tags'].append({'x': 1})).where(KV.key == 'k1').execute()
    assert data_of('k1')['tags'] == ['a', 'b', 'c', {'x': 1}]
    KV.update(data=KV.data['tags'][0].remove()).where(KV.key == 'k1').execute()
    KV.update(data=KV.data.remove('$.odd key', '$.none')).where(KV.key == 'k1').execute()
    after = data_of('k1')
    assert after['tags'][0] == 'b' and 'odd key' not in after and 'none' not in after
    # a JSON-looking string stays a string; booleans stay booleans unless as_json=False
    KV.update(data=KV.data['s'].set('[1]')).where(KV.key == 'k2').execute()
    KV.update(data=KV.data['b'].set(False)).where(KV.key == 'k2').execute()
    KV.update(data=KV.data['i'].set(True, as_json=False)).where(KV.key == 'k2').execute()
    assert data_of('k2')['s'] == '[1]' and data_of('k2')['b'] is False
    assert data_of('k2')['i'] == 1
    KV.update(data=KV.data.set({'replaced': True})).where(KV.key == 'k3').execute()
    assert data_of('k3') == {'replaced': True}


def test_json_update_merges(kv):
    KV.update(data=KV.data.update({'title': 'new', 'meta': {'views': None, 'x': 1}})) \
        .where(KV.key == 'k1').execute()
    data = data_of('k1')
    assert data['title'] == 'new' and data['meta'] == {'score': 1.5, 'x': 1}
    KV.update(data=KV.data['meta'].update({'y': 2})).where(KV.key == 'k2').execute()
    assert data_of('k2')['meta'] == {'views': 3, 'y': 2}


def test_json_type_and_length(kv):
    rows = (KV.select(KV.key, KV.data['tags'].length().alias('n'),
                      KV.data['tags'].json_type().alias('t'))
            .where(KV.key != 'k3').order_by(KV.key).tuples())
    assert list(rows) == [('k1', 2, 'array'), ('k2', 0, 'array')]
    assert KV.select(KV.data.length()).where(KV.key == 'k3').scalar() == 3
    assert KV.select(KV.data.json_type()).where(KV.key == 'k3').scalar() == 'array'
    assert KV.select(KV.data.length('$.tags')).where(KV.key == 'k1').scalar() == 2


def test_json_tree_and_children(kv):
    tree = KV.data.tree().alias('tree')
    query = (KV.select(tree.c.fullkey, tree.c.value)
             .from_(KV, tree)
             .where((KV.key == 'k1') & (tree.c.type == 'integer'))
             .tuples())
    assert list(query) == [('$.meta.views', 10)]
    children = KV.data['tags'].children().alias('child')
    query = (KV.select(KV.key, children.c.value)
             .from_(KV, children).order_by(KV.key, children.c.key).tuples())
    assert list(query) == [('k1', 'a'), ('k1', 'b')]
    each = KV.data.children().alias('each')
    keys = (KV.select(each.c.key).from_(KV, each).where(KV.key == 'k2')
            .order_by(each.c.key).tuples())
    assert [k for k, in keys] == ['meta', 'tags', 'title']


def test_json_custom_dumps_and_loads(db):
    class Doc(Model):
        data = JSONField(json_dumps=lambda v: json.dumps(v, sort_keys=True),
                         json_loads=lambda s: {'loaded': json.loads(s)})
    bind(db, Doc)
    Doc.create(data={'b': 1, 'a': 2})
    assert db.execute_sql('SELECT data FROM doc').fetchone()[0] == '{"a": 2, "b": 1}'
    assert Doc.get().data == {'loaded': {'a': 2, 'b': 1}}


# -- JSONB -------------------------------------------------------------------------------------
JSONB_VALUES = [None, True, False, 0, -7, 2 ** 70, 1.5, -2.25e-10, '', 'plain',
                'needs "escaping"\n\\ and unicode \u00e9\u20ac\U0001f600', [], {},
                [1, [2, [3, {'a': None}]]], {'k': 'v' * 300, 'n': list(range(100))}]


@pytest.mark.parametrize('value', JSONB_VALUES)
def test_jsonb_codec_round_trip(value):
    assert jsonb_loads(jsonb_dumps(value)) == value


def _needs_jsonb(db):
    if tuple(db.server_version)[:3] < (3, 45, 0):
        pytest.skip('JSONB needs SQLite >= 3.45 (this driver has %s)'
                    % '.'.join(map(str, db.server_version)))


@pytest.mark.parametrize('value', JSONB_VALUES)
def test_jsonb_codec_agrees_with_sqlite(db, value):
    _needs_jsonb(db)
    blob = jsonb_dumps(value)
    text, valid = db.execute_sql('SELECT json(?), json_valid(?, 8)', (blob, blob)).fetchone()
    assert valid == 1 and json.loads(text) == value
    made_by_sqlite = db.execute_sql('SELECT jsonb(?)', (json.dumps(value),)).fetchone()[0]
    assert jsonb_loads(made_by_sqlite) == value


class Blobby(Model):
    name = CharField()
    data = JSONBField(null=True)


def test_jsonb_field(db):
    _needs_jsonb(db)
    bind(db, Blobby)
    Blobby.create(name='a', data=DOC)
    Blobby.create(name='b', data={'title': 'bye', 'tags': ['z']})
    stored = db.execute_sql("SELECT typeof(data) FROM blobby WHERE name = 'a'").fetchone()
    assert stored == ('blob',)
    assert Blobby.get(Blobby.name == 'a').data == DOC
    assert isinstance(Blobby.data['a'], JSONBPath)
    assert [b.name for b in Blobby.select().where(Blobby.data['title'] == 'bye')] == ['b']
    assert Blobby.select(Blobby.data['meta']['views']).where(Blobby.name == 'a').scalar() == 10
    Blobby.update(data=Blobby.data['tags'].append('c')).where(Blobby.name == 'a').execute()
    Blobby.update(data=Blobby.data['meta'].update({'views': 11})).where(
        Blobby.name == 'a').execute()
    Blobby.update(data=Blobby.data['odd key'].remove()).where(Blobby.name == 'a').execute()
    data = Blobby.get(Blobby.name == 'a').data
    assert data['tags'] == ['a', 'b', 'c'] and data['meta']['views'] == 11
    assert 'odd key' not in data
    assert json.loads(Blobby.select(Blobby.data.json()).where(Blobby.name == 'b').scalar()) \
        == {'title': 'bye', 'tags': ['z']}
    assert db.execute_sql("SELECT typeof(data) FROM blobby WHERE name = 'a'").fetchone() == \
        ('blob',)
    tree = Blobby.data.tree().alias('t')
    leaves = (Blobby.select(tree.c.fullkey).from_(Blobby, tree)
              .where((Blobby.name == 'b') & (tree.c.atom.is_null(False))).tuples())
    assert sorted(k for k, in leaves) == ['$.tags[0]', '$.title']


# ---------------------------------------------------------------------------------------
# Full-text search
# ---------------------------------------------------------------------------------------

DOCS = [
    ('Python and SQLite', 'Using SQLite from scripts is easy; sqlite is everywhere.'),
    ('Cooking pasta', 'Boil water, add salt and pasta. Python programmers eat pasta too.'),
    ('Gardening', 'Plant tomatoes in spring and water them often.'),
]


class Post(FTS5Model):
    title = SearchField()
    body = SearchField()
    tag = SearchField(unindexed=True)


class Page(FTSModel):
    title = SearchField()
    body = SearchField()


@pytest.fixture
def posts(db):
    bind(db, Post, Page)
    for i, (title, body) in enumerate(DOCS):
        Post.create(title=title, body=body, tag='t%d' % i)
        Page.create(title=title, body=body)
    return Post


def test_fts5_ddl(db):
    Post.bind(db)
    sql, _ = db.dialect.compile(Post._schema._create_table())
    assert sql == ('CREATE VIRTUAL TABLE IF NOT EXISTS "post" USING fts5 ("title", "body", '
                   '"tag" UNINDEXED)')
    assert Post.fts5_installed()


def test_fts5_search_and_match(posts):
    assert [p.title for p in Post.search('python')] == ['Python and SQLite', 'Cooking pasta']
    assert [p.rowid for p in Post.search('water')] == [3, 2]
    scored = list(Post.search('sqlite', with_score=True))
    assert [p.title for p in scored] == ['Python and SQLite']
    assert scored[0].score < 0     # bm25: lower is better
    assert [p.title for p in Post.select().where(Post.match('tomatoes OR salt'))
            .order_by(Post.rowid)] == ['Cooking pasta', 'Gardening']
    assert [p.title for p in Post.select().where(Post.title.match('pasta'))] == \
        ['Cooking pasta']
    assert [p.title for p in Post.select().where(match(Post.body, 'spring'))] == ['Gardening']
    assert Post.select().where(Post.match('t0')).count() == 0   # unindexed column
    assert Post.get(Post.rowid == 1).tag == 't0'


def test_fts5_weights_rank_and_aux_functions(posts):
    # "python" is in doc 1's title and doc 2's body: weighting the title puts doc 1 first,
    # weighting the body (and not the title) puts doc 2 first
    by_title = Post.search_bm25('python', weights={'title': 10.0, 'body': 1.0},
                                with_score=True)
    by_body = Post.search_bm25('python', weights=[0.0, 10.0], with_score=True)
    assert [p.rowid for p in by_title] == [1, 2]
    assert [p.rowid for p in by_body] == [2, 1]
    ranked = (Post.select(Post.title, Post.rank().alias('r'))
              .where(Post.match('pasta')).order_by(Post.rank()).tuples())
    assert [t for t, _ in ranked] == ['Cooking pasta']
    bm = Post.select(Post.bm25(1.0, 2.0)).where(Post.match('water')).order_by(Post.rowid)
    assert all(score < 0 for score in bm.scalars())
    hl = (Post.select(Post.title.highlight('[', ']')).where(Post.match('pasta')).scalar())
    assert hl == 'Cooking [pasta]'
    snippet = (Post.select(Post.body.snippet('<b>', '</b>', '...', 4))
               .where(Post.match('tomatoes')).scalar())
    assert '<b>tomatoes</b>' in snippet


def test_fts5_query_cleaning(posts):
    assert FTS5Model.validate_query('python OR pasta')
    assert not FTS5Model.validate_query('python-pasta')
    assert not FTS5Model.validate_query('"unbalanced')
    cleaned = FTS5Model.clean_query('python-pasta "keep-this" x')
    assert cleaned == 'python\x1apasta "keep-this" x'
    assert FTS5Model.validate_query(cleaned)
    # search() cleans user input instead of failing
    assert [p.rowid for p in Post.search('sqlite!!')] == [1]
    assert list(Post.search('"unbalanced')) == []
    with pytest.raises(OperationalError):
        list(Post.select().where(Post.match('python-')))


def test_fts5_maintenance_commands_and_vocab(posts, db):
    Post.optimize()
    Post.rebuild()
    Post.integrity_check()
    Post.merge(16)
    Post.automerge(4)
    Post.set_pgsz(1000)
    Vocab = Post.VocabModel()
    Vocab.create_table()
    counts = dict(Vocab.select(Vocab.term, Vocab.doc).where(Vocab.term.in_(['pasta',
                                                                           'water'])).tuples())
    assert counts == {'pasta': 1, 'water': 2}
    Instances = Post.VocabModel('instance', table_name='post_inst')
    assert Instances._meta.table_name == 'post_inst'
    Instances.create_table()
    rows = sorted(Instances.select(Instances.doc, Instances.col, Instances.offset)
                  .where(Instances.term == 'pasta').tuples())
    assert rows == [(2, 'body', 5), (2, 'body', 9), (2, 'title', 1)]
    with pytest.raises(ValueError, match='row, col, instance'):
        Post.VocabModel('rows')
    Post.delete().where(Post.rowid == 3).execute()
    assert [p.rowid for p in Post.search('water')] == [2]


def test_fts5_update_and_delete_rows(posts):
    Post.update(body='nothing about food').where(Post.rowid == 2).execute()
    assert [p.rowid for p in Post.search('pasta')] == [2]    # still in the title
    assert [p.rowid for p in Post.search('salt')] == []
    post = Post.get(Post.rowid == 1)
    post.title = 'Renamed'
    post.save()
    assert [p.title for p in Post.search('renamed')] == ['Renamed']


def test_fts5_external_content(db):
    class Article(Model):
        title = TextField()
        body = TextField()

    class ArticleIndex(FTS5Model):
        title = SearchField()
        body = SearchField()

        class Meta:
            options = {'content': Article, 'content_rowid': 'id', 'tokenize': 'porter'}

    bind(db, Article, ArticleIndex)
    sql, _ = db.dialect.compile(ArticleIndex._schema._create_table())
    assert sql.endswith('content="article", content_rowid=id, tokenize="porter")')
    for title, body in DOCS:
        Article.create(title=title, body=body)
    ArticleIndex.rebuild()
    hits = (Article.select(Article.title)
            .join(ArticleIndex, on=(Article.id == ArticleIndex.rowid))
            .where(ArticleIndex.match('boiling'))    # porter stemming: boil(ing)
            .tuples())
    assert list(hits) == [('Cooking pasta',)]


def test_fts5_validation():
    with pytest.raises(ImproperlyConfigured, match='SearchField'):
        class Bad(FTS5Model):
            title = CharField()
    with pytest.raises(ValueError):
        SearchField(null=False)
    with pytest.raises(ValueError, match='rowid'):
        class BadKey(FTS5Model):
            key = RowIDField()


def test_fts4_search_and_rank_functions(posts, db):
    assert [p.docid for p in Page.search('python')] == [1, 2]
    scored = [(p.title, p.score) for p in Page.search('water', with_score=True)]
    assert {t for t, _ in scored} == {'Cooking pasta', 'Gardening'}
    assert all(score < 0 for _, score in scored)
    bm25 = [p.title for p in Page.search_bm25('sqlite')]
    assert bm25 == ['Python and SQLite']
    assert [p.docid for p in Page.search_bm25f('pasta')] == [2]
    assert [p.docid for p in Page.search_lucene('tomatoes')] == [3]
    weighted = Page.search_bm25('python', weights={'title': 0.0, 'body': 1.0},
                                with_score=True)
    assert [p.docid for p in weighted][0] == 2
    assert [p.title for p in Page.select().where(Page.match('spring'))] == ['Gardening']
    Page.optimize()
    Page.integrity_check()
    sql, _ = db.dialect.compile(Page._schema._create_table())
    assert 'USING FTS4 ("title", "body")' in sql


ROWS = (('aaaaa bbbbb ccccc ddddd', 'aaaaa ccccc', 1), ('bbbbb ccccc ddddd eeeee', 'bbbbb', 2),
        ('ccccc ccccc ddddd fffff', 'ccccc', 3), ('ddddd', 'ccccc', 4), ('aaaaa fffff', '', 5))


class Columns(FTSModel):
    c1 = SearchField()
    c2 = SearchField()
    n = IntegerField()


def test_core_sqlite_database_ranks_fts4_with_rank_functions(tmp_path):
    """SqliteDatabase(rank_functions=True), without playhouse.sqlite_ext's database,
    gives FTSModel its ranking; the key of an FTS4 model is its rowid (docid too)."""
    from orm import SqliteDatabase
    plain = SqliteDatabase(str(tmp_path / 'fts.db'), rank_functions=True)
    bind(plain, Columns)
    for c1, c2, n in ROWS:
        Columns.create(c1=c1, c2=c2, n=n)
    scores = [(c.n, round(c.score, 2))
              for c in Columns.search_bm25('aaaaa', [1.0], with_score=True)]
    assert scores == [(5, -0.39), (1, -0.3)]        # only the weighted column counts
    both = [(c.n, round(c.score, 2))
            for c in Columns.search_bm25('aaaaa', with_score=True)]
    assert both == [(1, -1.08), (5, -0.39)]         # no weights: every column
    # a term in most rows has no weight (its IDF would be negative): scores of -0.0
    common = [round(c.score, 2) for c in Columns.search_bm25('ccccc', with_score=True)]
    assert common == [-0.0] * 4
    assert [c.n for c in Columns.search('bbbbb')] == [2, 1]
    assert [c.rowid for c in Columns.select().where(Columns.match('eeeee'))] == [2]
    assert Columns.docid is Columns.rowid and Columns.get(Columns.n == 3).docid == 3
    sql, _ = plain.dialect.compile(Columns._schema._create_table())
    assert 'USING FTS4 ("c1", "c2", "n")' in sql
    plain.close()
    without = SqliteDatabase(':memory:')
    bind(without, Columns)
    Columns.create(c1='x', c2='y', n=1)
    with pytest.raises(OperationalError, match='fts_rank'):
        list(Columns.search('x'))


# ---------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------

def test_rowid_autoincrement_and_docid_fields(db):
    class Thing(Model):
        rowid = RowIDField()
        name = TextField()

    class Counter(Model):
        id = AutoIncrementField()
        n = IntegerField()

    bind(db, Thing, Counter)
    thing = Thing.create(name='a')
    assert thing.rowid == 1 and Thing.get(Thing.rowid == 1).name == 'a'
    assert db.get_columns('thing')[0].name == 'rowid'
    first = Counter.create(n=1)
    first.delete_instance()
    assert Counter.create(n=2).id == 2       # AUTOINCREMENT never reuses a key
    sql, _ = db.dialect.compile(Counter._schema._create_table())
    assert 'PRIMARY KEY AUTOINCREMENT' in sql
    with pytest.raises(ValueError, match='docid'):
        class Wrong(Model):
            key = DocIDField()


def test_tdecimal_and_isodatetime_fields(db):
    class Money(Model):
        amount = TDecimalField(max_digits=30, decimal_places=10)
        at = ISODateTimeField(null=True)

    bind(db, Money)
    exact = decimal.Decimal('12345678901234567890.0123456789')
    utc = datetime.timezone.utc
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=utc)
    Money.create(amount=exact, at=when)
    row = db.execute_sql('SELECT amount, typeof(amount), at FROM money').fetchone()
    assert row == (str(exact), 'text', '2024-05-06T07:08:09.123456+00:00')
    money = Money.get()
    assert money.amount == exact and money.at == when and money.at.tzinfo == utc
    Money.create(amount=1, at=datetime.datetime(2020, 1, 1))
    assert Money.select().where(Money.at < datetime.datetime(2021, 1, 1)).count() == 1
    # text that reads as a datetime is stored in the same ISO form, compared likewise
    Money.create(amount=2, at='2026-01-02 03:04:05')
    assert db.execute_sql('SELECT at FROM money WHERE amount = ?', ('2',)).fetchone() == \
        ('2026-01-02T03:04:05',)
    assert Money.get(Money.amount == 2).at == datetime.datetime(2026, 1, 2, 3, 4, 5)
    assert Money.select().where(Money.at >= '2026-01-01').count() == 1
    Money.create(amount=3, at='not a date')                  # kept as given
    assert db.execute_sql('SELECT at FROM money WHERE amount = ?', ('3',)).fetchone() == \
        ('not a date',)


# ---------------------------------------------------------------------------------------
# Virtual tables, table functions, UDFs
# ---------------------------------------------------------------------------------------

def test_virtual_model_options(db):
    class Vocab(VirtualModel):
        class Meta:
            extension_module = 'fts5vocab'
            prefix_arguments = ['post', 'row']
            primary_key = False

    Post.bind(db)
    Post.create_table()
    Vocab.bind(db)
    sql, _ = db.dialect.compile(Vocab._schema._create_table())
    assert sql == 'CREATE VIRTUAL TABLE IF NOT EXISTS "vocab" USING fts5vocab (post, row)'
    Vocab.create_table()
    Post.create(title='hello hello', body='world', tag='')
    assert db.execute_sql("SELECT cnt FROM vocab WHERE term = 'hello'").fetchone() == (2,)
    Vocab.drop_table()
    assert 'vocab' not in db.get_tables()


class Series(TableFunction):
    columns = ['value']
    params = ['start', 'stop', 'step']
    name = 'series'

    def initialize(self, start=0, stop=None, step=1):
        self.current = start
        self.stop = stop if stop is not None else 10
        self.step = step

    def iterate(self, idx):
        if self.current > self.stop:
            raise StopIteration
        value, self.current = self.current, self.current + self.step
        return (value,)


class RegexSearch(TableFunction):
    columns = ['match', 'start']
    params = ['pattern', 'text']
    name = 'regex_search'

    def initialize(self, pattern=None, text=None):
        import re
        self.matches = list(re.finditer(pattern, text))

    def iterate(self, idx):
        if idx >= len(self.matches):
            raise StopIteration
        found = self.matches[idx]
        return (found.group(0), found.start())


def test_table_functions(db):
    db.register_table_function(Series)
    db.table_function()(RegexSearch)
    assert db.execute_sql('SELECT * FROM series(?, ?, ?)', (0, 5, 2)).fetchall() == \
        [(0,), (2,), (4,)]
    assert db.execute_sql('SELECT value FROM series(8)').fetchall() == [(8,), (9,), (10,)]
    assert db.execute_sql('SELECT value, start, stop FROM series(1, 2)').fetchall() == \
        [(1, 1, 2), (2, 1, 2)]
    rows = db.execute_sql("SELECT match, start FROM regex_search('[0-9]+', "
                          "'a 12 b 345 c 6')").fetchall()
    assert rows == [('12', 2), ('345', 7), ('6', 13)]
    # a join feeding one function from another (the planner passes values through)
    rows = db.execute_sql('SELECT a.value, b.value FROM series(1, 2) AS a, '
                          'series(10, 10 + a.value) AS b').fetchall()
    assert rows == [(1, 10), (1, 11), (2, 10), (2, 11), (2, 12)]
    # in the query builder
    query = Select([SQL('value')]).from_(fn.series(1, 3)).bind(db)
    assert [v for v, in query.tuples()] == [1, 2, 3]
    # on every new connection
    if db.database != ':memory:':
        db.close()
        db.connect()
        assert db.execute_sql('SELECT COUNT(*) FROM series(1, 100)').fetchone() == (100,)
    assert db.unregister_table_function('series')
    assert not db.unregister_table_function('series')


def test_table_function_errors_are_reported(db, capsys):
    @db.table_function('broken')
    class Broken(TableFunction):
        columns = ['x']
        params = ['n']

        def initialize(self, n=None):
            if n is None:
                raise ValueError('n is required')
            self.n = n

        def iterate(self, idx):
            if idx >= self.n:
                raise StopIteration
            return idx

    assert db.execute_sql('SELECT x FROM broken(2)').fetchall() == [(0,), (1,)]
    with pytest.raises(OperationalError, match='ValueError: n is required'):
        db.execute_sql('SELECT x FROM broken()').fetchall()
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    Broken.print_tracebacks = True   # peewee's flag: also print the traceback
    with pytest.raises(OperationalError, match='n is required'):
        db.execute_sql('SELECT x FROM broken()').fetchall()
    assert 'ValueError: n is required' in capsys.readouterr().err
    with pytest.raises(ValueError, match='columns'):
        db.register_table_function(type('NoColumns', (TableFunction,), {}))


def test_rank_hash_and_json_contains_functions(tmp_path):
    db = SqliteExtDatabase(str(tmp_path / 'f.db'), hash_functions=True, json_contains=True)
    try:
        assert db.execute_sql("SELECT md5('abc'), sha1('abc')").fetchone() == (
            '900150983cd24fb0d6963f7d28e17f72', 'a9993e364706816aba3e25717850c26c9cd0d89d')
        assert db.execute_sql("SELECT sha256(''), crc32('abc'), adler32('abc')").fetchone()[1:] \
            == (891568578, 38600999)
        assert db.execute_sql(
            """SELECT json_contains('{"a": [1, 2], "b": {"c": 3}}', '{"b": {"c": 3}}'),
                      json_contains('{"a": [1, 2]}', '{"a": [3]}'),
                      json_contains('[1, 2, 3]', '[3, 1]')""").fetchone() == (1, 0, 1)
    finally:
        db.close()
    plain = SqliteExtDatabase(':memory:', rank_functions=False)
    with pytest.raises(OperationalError):
        plain.execute_sql("SELECT fts_rank(x'00')")
    plain.close()


# ---------------------------------------------------------------------------------------
# Closure tables (queries against trees: tests/test_sqlite_closure.py)
# ---------------------------------------------------------------------------------------

class Category(Model):
    name = CharField()
    parent = ForeignKeyField('self', null=True, backref='children')


def test_closure_table_model_definition():
    Closure = ClosureTable(Category)
    assert Closure._meta.options == {'tablename': 'category', 'idcolumn': 'id',
                                     'parentcolumn': 'parent_id'}
    db = SqliteExtDatabase(':memory:')
    Closure.bind(db)
    sql, _ = db.dialect.compile(Closure._schema._create_table())
    assert sql == ('CREATE VIRTUAL TABLE IF NOT EXISTS "categoryclosure" USING '
                   'transitive_closure (tablename=category, idcolumn=id, '
                   'parentcolumn=parent_id)')
    with pytest.raises(ValueError, match='no foreign key to KV'):
        ClosureTable(KV)


def test_database_options_and_aliases():
    from playhouse.sqlite_ext import CSqliteExtDatabase
    db = CSqliteExtDatabase(':memory:', c_extensions=True, regexp_function=True,
                            bloomfilter=False)
    assert isinstance(db, SqliteExtDatabase)
    assert db.execute_sql("SELECT 'abc' REGEXP '^a'").fetchone() == (1,)
    db.close()
    namespace: dict = {}
    exec('from playhouse.sqlite_ext import *', namespace)
    assert namespace['JSONField'] is JSONField and 'Model' in namespace
    import orm
    assert set(orm.__all__) <= set(namespace)       # every orm name comes along
    assert sqlite3.sqlite_version_info >= (3, 9, 0)


def test_field_db_value_may_return_sql(db):
    """peewee-style fields may convert a value into SQL (here ``json(?)``); create() and
    save() must then take the ordinary query path, not the cached statement."""
    class SqlJSONField(JSONField):
        def db_value(self, value):
            return None if value is None else fn.json(self._json_dumps(value))

    class Doc(Model):
        data = SqlJSONField()

    bind(db, Doc)
    doc = Doc.create(data={'a': 1})
    doc.data = {'a': 2}
    doc.save()
    assert Doc.get_by_id(doc.id).data == {'a': 2}
    assert db.execute_sql('SELECT json_type(data) FROM doc').fetchone() == ('object',)


def test_fts5_options_are_checked_and_written_in_name_order(db):
    class Page(Model):
        text = TextField()

    class PageIndex(FTS5Model):
        text = SearchField()

        class Meta:
            options = {'tokenize': 'porter unicode61', 'prefix': [2, 3],
                       'content_rowid': Page.id, 'content': Page}

    class Wrong(FTS5Model):
        text = SearchField()

        class Meta:
            options = {'content': Page.text}

    bind(db, Page, PageIndex)
    sql, _ = db.dialect.compile(PageIndex._schema._create_table())
    assert sql.endswith('("text", content="page", content_rowid="id", '
                        'prefix=\'2,3\', tokenize="porter unicode61")')
    Wrong.bind(db)
    with pytest.raises(ImproperlyConfigured, match='not a column'):
        db.create_tables([Wrong])
    Page.create(text='watering the plants')
    PageIndex.rebuild()
    assert [p.rowid for p in PageIndex.search('water')] == [1]      # porter stems it


def test_fts5_delete_command_takes_a_row_out_of_a_contentless_index(db):
    class Memo(FTS5Model):
        body = SearchField(column_name='memo_body')
        note = SearchField(unindexed=True)

        class Meta:
            options = {'content': ''}

    bind(db, Memo)
    Memo.insert({'rowid': 1, 'body': 'red apple', 'note': 'a'}).execute()
    Memo.insert({'rowid': 2, 'body': 'green apple', 'note': 'b'}).execute()
    with pytest.raises(ValueError, match='indexed values'):
        Memo.delete_command(1)
    with pytest.raises(ValueError, match='colour is not a column'):
        Memo.delete_command(1, colour='red')
    Memo.delete_command(1, body='red apple')          # by field name ...
    assert [m.rowid for m in Memo.search('apple')] == [2]
    Memo.delete_command(2, memo_body='green apple')   # ... or column name
    assert list(Memo.search('apple')) == []
    Memo.integrity_check()


def test_fts5_vocab_tables_are_named_after_their_kind(db):
    class Doc(FTS5Model):
        body = SearchField()

    bind(db, Doc)
    names = [Doc.VocabModel(kind)._meta.table_name for kind in ('row', 'col', 'instance')]
    assert names == ['doc_v', 'doc_v_col', 'doc_v_instance']


def test_fts5_clean_query_turns_a_stray_quote_into_a_space():
    assert FTS5Model.clean_query('"open-') == ' open\x1a'
    assert FTS5Model.clean_query('"kept-" as-is') == '"kept-" as\x1ais'
