"""playhouse.flask_utils through Flask's test client, on SQLite files and PostgreSQL.

The databases are real; the application is a small Flask app built per test whose views
report what they saw (is the connection open? which rows?)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

flask = pytest.importorskip('flask', reason='Flask is not installed (pip install "orm[flask]")')

from jinja2 import DictLoader  # noqa: E402
from werkzeug.exceptions import NotFound  # noqa: E402

from conftest import (MYSQL_DB, MYSQL_PARAMS, engine_name, pg_connect_kwargs,  # noqa: E402
                      require_postgres)
from orm import (CharField, DatabaseProxy, ForeignKeyField, ImproperlyConfigured,  # noqa: E402
                 IntegerField, Model, MySQLDatabase, PostgresqlDatabase)
from playhouse.flask_utils import (FlaskDB, PaginatedQuery, get_object_or_404,  # noqa: E402
                                   object_list)
from playhouse.pool import PooledPostgresqlDatabase  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

TEMPLATES = {
    'list.html': ('{{ heading }}|page {{ page }} of {{ pagination.get_page_count() }}|'
                  '{% for item in items %}{{ item.name }},{% endfor %}'),
    'default.html': '{% for item in object_list %}{{ item.number }} {% endfor %}',
}


def _app(**config: Any) -> Any:
    app = flask.Flask('flask_utils_test')
    app.config.update(config)
    app.jinja_loader = DictLoader(TEMPLATES)
    return app


def _routes(app: Any, wrapper: FlaskDB, models: dict) -> None:
    """Views over the models that ``_define`` made for ``wrapper``."""
    Shelf, Item = models['Shelf'], models['Item']

    @app.route('/state')
    def state() -> Any:
        return {'closed': wrapper.database.is_closed()}

    @app.route('/health')
    def health() -> Any:
        return {'closed': wrapper.database.is_closed()}

    @app.route('/items/<int:number>')
    def item(number: int) -> Any:
        found = get_object_or_404(Item, Item.number == number)
        return {'name': found.name, 'shelf': found.shelf.label}

    @app.route('/shelf/<label>/<int:number>')
    def shelf_item(label: str, number: int) -> Any:
        query = Item.select().join(Shelf).where(Shelf.label == label)
        return {'name': get_object_or_404(query, Item.number == number).name}

    @app.route('/list')
    def listing() -> Any:
        return object_list('list.html', Item.select().order_by(Item.number),
                           context_variable='items', paginate_by=3, heading='Items')

    @app.route('/plain')
    def plain() -> Any:
        return object_list('default.html', Item.select().order_by(Item.number),
                           paginate_by=4, check_bounds=False)

    @app.route('/boom')
    def boom() -> Any:
        Item.select().count()
        raise RuntimeError('the view failed')


def _define(wrapper: FlaskDB) -> dict:
    class Shelf(wrapper.Model):
        label = CharField(unique=True)

    class Item(wrapper.Model):
        shelf = ForeignKeyField(Shelf, backref='items')
        number = IntegerField()
        name = CharField()

    return {'Shelf': Shelf, 'Item': Item}


def _fill(models: dict, count: int = 7) -> None:
    Shelf, Item = models['Shelf'], models['Item']
    database = Shelf._meta.database
    with database.connection_context():
        database.create_tables([Shelf, Item])
        left = Shelf.create(label='left')
        right = Shelf.create(label='right')
        for number in range(1, count + 1):
            Item.create(shelf=left if number % 2 else right, number=number,
                        name='item%d' % number)


def _pg_url() -> str:
    params = pg_connect_kwargs()
    return 'postgresql://%s@%s/%s' % (params['user'], params['host'], params['database'])


@pytest.fixture
def target(engine: str, tmp_path: pathlib.Path, db: Any) -> dict:
    """How to reach the ``db`` fixture's engine: as a URL, a dict and a database object."""
    if engine == 'sqlite-memory':
        pytest.skip('an in-memory database does not outlive a connection per request')
    if engine_name(db) == 'postgres':
        params = pg_connect_kwargs()
        options = {k: v for k, v in params.items() if k != 'database'}
        if engine == 'postgres-psycopg3':
            options['prefer_psycopg3'] = True
        return {'url': _pg_url(), 'dict': dict(options, name=params['database'],
                                               engine='orm.PostgresqlDatabase'),
                'object': lambda: PostgresqlDatabase(params['database'], **options)}
    if engine_name(db) == 'mysql':
        options = dict(MYSQL_PARAMS)
        url = 'mysql://%s:%s@%s:%d/%s' % (options['user'], options['password'],
                                          options['host'], options['port'], MYSQL_DB)
        return {'url': url, 'dict': dict(options, name=MYSQL_DB, engine='orm.MySQLDatabase'),
                'object': lambda: MySQLDatabase(MYSQL_DB, **options)}
    path = str(tmp_path / 'flask-app.db')
    db_class = type(db)
    if engine == 'apsw':
        return {'url': 'apsw:///%s' % path,
                'dict': {'name': path, 'engine': 'playhouse.apsw_ext.APSWDatabase'},
                'object': lambda: db_class(path)}
    return {'url': 'sqlite:///%s' % path,
            'dict': {'name': path, 'engine': 'peewee.SqliteDatabase'},
            'object': lambda: db_class(path)}


# ---------------------------------------------------------------------------------------
# FlaskDB
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('form', ['url', 'dict', 'object'])
def test_connection_per_request(target: dict, form: str) -> None:
    spec = target[form]() if callable(target[form]) else target[form]
    app = _app(DATABASE=spec)
    wrapper = FlaskDB(app)
    models = _define(wrapper)
    _routes(app, wrapper, models)
    assert models['Item']._meta.database is wrapper.database
    _fill(models)
    assert wrapper.database.is_closed()
    client = app.test_client()
    for _ in range(2):
        assert client.get('/state').get_json() == {'closed': False}
        assert wrapper.database.is_closed()
    response = client.get('/items/3')
    assert response.status_code == 200
    assert response.get_json() == {'name': 'item3', 'shelf': 'left'}
    assert wrapper.database.is_closed()


def test_database_argument_wins_over_config(target: dict) -> None:
    app = _app(DATABASE='sqlite:////nonexistent/folder/never.db')
    database = target['object']()
    wrapper = FlaskDB(app, database)
    assert wrapper.database is database
    models = _define(wrapper)
    _routes(app, wrapper, models)
    _fill(models)
    assert app.test_client().get('/items/2').get_json() == {'name': 'item2',
                                                            'shelf': 'right'}


def test_application_factory(target: dict) -> None:
    wrapper = FlaskDB()
    models = _define(wrapper)          # the models exist before any application
    assert isinstance(models['Item']._meta.database, DatabaseProxy)

    def create_app() -> Any:
        app = _app(DATABASE=target['url'])
        wrapper.init_app(app)
        _routes(app, wrapper, models)
        return app

    app = create_app()
    assert not isinstance(wrapper.database, DatabaseProxy)
    _fill(models)
    client = app.test_client()
    assert client.get('/shelf/right/4').get_json() == {'name': 'item4'}
    assert client.get('/shelf/right/5').status_code == 404
    assert wrapper.database.is_closed()


def test_excluded_routes(target: dict) -> None:
    app = _app(DATABASE=target['url'], FLASKDB_EXCLUDED_ROUTES=('health',))
    wrapper = FlaskDB(app, excluded_routes=['plain'])
    models = _define(wrapper)
    _routes(app, wrapper, models)
    _fill(models)
    client = app.test_client()
    assert client.get('/health').get_json() == {'closed': True}
    assert client.get('/state').get_json() == {'closed': False}
    # an excluded view may still query: the database connects on demand, and
    # FlaskDB leaves that connection alone
    assert client.get('/plain').status_code == 200
    assert not wrapper.database.is_closed()
    wrapper.database.close()


def test_connection_closed_after_a_failing_view(target: dict) -> None:
    app = _app(DATABASE=target['url'], PROPAGATE_EXCEPTIONS=False)
    wrapper = FlaskDB(app)
    models = _define(wrapper)
    _routes(app, wrapper, models)
    _fill(models)
    assert app.test_client().get('/boom').status_code == 500
    assert wrapper.database.is_closed()


def test_connection_opened_outside_a_request_is_left_open(target: dict) -> None:
    app = _app(DATABASE=target['url'])
    wrapper = FlaskDB(app)
    models = _define(wrapper)
    _routes(app, wrapper, models)
    _fill(models)
    wrapper.database.connect()
    try:
        assert app.test_client().get('/items/1').status_code == 200
        assert not wrapper.database.is_closed()
    finally:
        wrapper.database.close()


def test_custom_model_class(tmp_path: pathlib.Path) -> None:
    class Stamped(Model):
        def describe(self) -> str:
            return '%s #%s' % (type(self).__name__, self.id)

    wrapper = FlaskDB(database='sqlite:///%s' % (tmp_path / 'x.db'), model_class=Stamped)
    assert issubclass(wrapper.Model, Stamped)
    assert wrapper.Model is wrapper.Model

    class Note(wrapper.Model):
        text = CharField()

    with wrapper.database.connection_context():
        wrapper.database.create_tables([Note])
        assert Note.create(text='hi').describe() == 'Note #1'


def test_dictionary_with_pool_class(tmp_path: pathlib.Path) -> None:
    require_postgres()
    params = pg_connect_kwargs()
    app = _app(DATABASE={'engine': 'playhouse.pool.PooledPostgresqlDatabase',
                         'name': params['database'], 'user': params['user'],
                         'host': params['host'], 'max_connections': 3})
    wrapper = FlaskDB(app)
    assert isinstance(wrapper.database, PooledPostgresqlDatabase)
    assert wrapper.database.max_connections == 3

    @app.route('/one')
    def one() -> Any:
        return {'one': wrapper.database.execute_sql('SELECT 1').fetchone()[0]}

    client = app.test_client()
    for _ in range(3):
        assert client.get('/one').get_json() == {'one': 1}
    assert wrapper.database.is_closed()
    wrapper.database.close_all()


def test_configuration_errors() -> None:
    with pytest.raises(ImproperlyConfigured, match='DATABASE'):
        FlaskDB(_app())
    with pytest.raises(ImproperlyConfigured, match='engine'):
        FlaskDB(database={'name': 'x.db'})
    with pytest.raises(ImproperlyConfigured, match='name'):
        FlaskDB(database={'engine': 'orm.SqliteDatabase'})
    with pytest.raises(ImproperlyConfigured, match='no_such_module'):
        FlaskDB(database={'engine': 'no_such_module.Database', 'name': 'x'})
    with pytest.raises(ImproperlyConfigured, match='NoSuchClass'):
        FlaskDB(database={'engine': 'orm.NoSuchClass', 'name': 'x'})
    with pytest.raises(ImproperlyConfigured):
        FlaskDB(database=42)  # type: ignore[arg-type]


def test_import_without_flask_says_what_to_install() -> None:
    code = ('import sys; sys.modules["flask"] = None\n'
            'import playhouse.flask_utils\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert result.returncode != 0
    assert 'ImportError' in result.stderr
    assert 'pip install "orm[flask]"' in result.stderr


# ---------------------------------------------------------------------------------------
# pagination
# ---------------------------------------------------------------------------------------

@pytest.fixture
def shop(target: dict) -> Any:
    app = _app(DATABASE=target['url'])
    wrapper = FlaskDB(app)
    models = _define(wrapper)
    _routes(app, wrapper, models)
    _fill(models)
    with wrapper.database.connection_context():
        yield app, models['Item']


def test_paginated_query_reads_the_page_argument(shop: Any) -> None:
    app, Item = shop
    ordered = Item.select().order_by(Item.number)
    cases = {'/': 1, '/?page=2': 2, '/?page=3': 3, '/?page=0': 1, '/?page=-2': 1,
             '/?page=abc': 1, '/?p=2': 1}
    for url, page in cases.items():
        with app.test_request_context(url):
            pages = PaginatedQuery(ordered, 3)
            assert pages.get_page() == page, url
            assert pages.get_page_count() == 3
            expected = list(range(3 * page - 2, min(3 * page, 7) + 1))
            assert [i.number for i in pages.get_object_list()] == expected, url
    with app.test_request_context('/?p=2'):
        pages = PaginatedQuery(Item, 5, page_var='p')
        assert (pages.get_page(), pages.get_page_count()) == (2, 2)
        assert len(list(pages.get_object_list())) == 2
    with app.test_request_context('/?page=2'):
        assert PaginatedQuery(ordered, 3, page=3).get_page() == 3


def test_paginated_query_bounds(shop: Any) -> None:
    app, Item = shop
    with app.test_request_context('/?page=4'):
        assert list(PaginatedQuery(Item, 3).get_object_list()) == []
        with pytest.raises(NotFound):
            PaginatedQuery(Item, 3, check_bounds=True).get_object_list()
    with app.test_request_context('/'):
        empty = Item.select().where(Item.number > 100)
        assert list(PaginatedQuery(empty, 3, check_bounds=True).get_object_list()) == []
        assert PaginatedQuery(empty, 3).get_page_count() == 0
    with pytest.raises(ValueError):
        PaginatedQuery(Item, 0)
    with pytest.raises(TypeError):
        PaginatedQuery('items', 3)


def test_object_list_renders_a_page(shop: Any) -> None:
    app, _ = shop
    client = app.test_client()
    assert client.get('/list').get_data(as_text=True) == \
        'Items|page 1 of 3|item1,item2,item3,'
    assert client.get('/list?page=3').get_data(as_text=True) == 'Items|page 3 of 3|item7,'
    assert client.get('/list?page=4').status_code == 404
    assert client.get('/plain?page=2').get_data(as_text=True) == '5 6 7 '
    assert client.get('/plain?page=9').status_code == 200


def test_get_object_or_404_with_a_model_and_no_filter(shop: Any) -> None:
    app, Item = shop
    with app.test_request_context('/'):
        assert get_object_or_404(Item.select().where(Item.number == 6)).name == 'item6'
        with pytest.raises(NotFound):
            get_object_or_404(Item, Item.number == 99)
