"""Flask helpers: a database per application, a connection per request, pagination.

* :class:`FlaskDB` -- makes the database from the application's configuration (a URL,
  a dictionary naming the database class, or a database object), gives a ``Model`` base
  class bound to it, and opens a connection when a request starts and closes it when
  the request ends;
* :class:`PaginatedQuery` / :func:`object_list` -- one page of a query, the page number
  read from the request's query string;
* :func:`get_object_or_404` -- one row, or a 404 response.

Flask is an optional dependency: ``pip install "orm[flask]"``.
"""
from __future__ import annotations

import importlib
import math
from typing import Any, Dict, Iterable, Optional, Union

from orm import (Database, DatabaseProxy, DoesNotExist, ImproperlyConfigured, Model,
                 SelectQuery)

from playhouse.db_url import connect as connect_url

try:
    from flask import Flask, abort, g, render_template, request
except ImportError as exc:
    raise ImportError('playhouse.flask_utils needs Flask: pip install "orm[flask]" '
                      '(or pip install "flask>=2")') from exc

__all__ = ['FlaskDB', 'PaginatedQuery', 'get_object_or_404', 'object_list']

DatabaseSpec = Union[str, Dict[str, Any], Database, DatabaseProxy, None]

#: the key of ``flask.g`` that remembers which databases a request opened
_OPENED = '_orm_flaskdb_opened'


def _database_class(path: str) -> Any:
    """The class a dotted path names (``'playhouse.pool.PooledPostgresqlDatabase'``).

    ``peewee.X`` means ``orm.X``: configuration written for peewee keeps working.
    """
    module_name, _, class_name = path.rpartition('.')
    if not module_name or not class_name:
        raise ImproperlyConfigured('"engine" must be the import path of a database class '
                                   '(such as "orm.SqliteDatabase"), not %r' % path)
    if module_name == 'peewee':
        module_name = 'orm'
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise ImproperlyConfigured('cannot load the database class %r: %s'
                                   % (path, exc)) from exc


def _database_from_dict(config: Dict[str, Any]) -> Database:
    options = dict(config)
    engine = options.pop('engine', None)
    if not engine:
        raise ImproperlyConfigured('a DATABASE dictionary needs "engine", the import path '
                                   'of the database class, e.g. "orm.SqliteDatabase"')
    if 'name' not in options:
        raise ImproperlyConfigured('a DATABASE dictionary needs "name", the database '
                                   '(a file name for SQLite)')
    db_class = _database_class(engine) if isinstance(engine, str) else engine
    return db_class(options.pop('name'), **options)


def _load_database(spec: DatabaseSpec) -> Union[Database, DatabaseProxy]:
    if isinstance(spec, (Database, DatabaseProxy)):
        return spec
    if isinstance(spec, str):
        return connect_url(spec)
    if isinstance(spec, dict):
        return _database_from_dict(spec)
    raise ImproperlyConfigured('the database must be a URL, a dictionary with "engine" and '
                               '"name", or a database object, not %r' % (spec,))


class FlaskDB:
    """A database for a Flask application, connected for each request.

    ``database`` is a URL (``'postgresql://app@localhost/app'``), a dictionary (``engine``:
    the import path of the database class, ``name``: the database, any other keys go to
    the class), or a database object. Without it the database comes from
    ``app.config['DATABASE']`` when the application is bound, here or later with
    :meth:`init_app` (the application-factory pattern). ``model_class`` is the base of
    :attr:`Model`; ``excluded_routes`` names endpoints served without a connection (also
    read from ``app.config['FLASKDB_EXCLUDED_ROUTES']``).
    """

    def __init__(self, app: Optional[Flask] = None, database: DatabaseSpec = None,
                 model_class: type = Model,
                 excluded_routes: Optional[Iterable[str]] = None) -> None:
        self._database: Optional[Union[Database, DatabaseProxy]] = None
        self._proxy: Optional[DatabaseProxy] = None
        self._model: Optional[type] = None
        self.base_model_class = model_class
        self.excluded_routes = set(excluded_routes or ())
        if database is not None:
            self._database = _load_database(database)
        if app is not None:
            self.init_app(app)

    # -- the database and the model base ------------------------------------------------

    @property
    def database(self) -> Any:
        """The database; before it is known, a proxy that stands for it."""
        if self._database is not None:
            return self._database
        return self._placeholder()

    def _placeholder(self) -> DatabaseProxy:
        if self._proxy is None:
            self._proxy = DatabaseProxy()
        return self._proxy

    @property
    def Model(self) -> Any:
        """A model base class bound to :attr:`database` (the same class every time)."""
        if self._model is None:
            meta = type('Meta', (), {'database': self.database})
            self._model = type('Model', (self.base_model_class,),
                               {'Meta': meta, '__module__': __name__})
        return self._model

    def init_app(self, app: Flask) -> None:
        """Bind to ``app``: read its configuration and connect around its requests."""
        if self._database is None:
            spec = app.config.get('DATABASE')
            if spec is None:
                raise ImproperlyConfigured(
                    'FlaskDB has no database: set app.config["DATABASE"] (a URL, a '
                    'dictionary or a database object) or pass database= to FlaskDB()')
            self._database = _load_database(spec)
            if self._proxy is not None:
                self._proxy.initialize(self._database)
        self.excluded_routes.update(app.config.get('FLASKDB_EXCLUDED_ROUTES', ()))
        app.before_request(self.connect_db)
        app.teardown_request(self.close_db)

    # -- a connection per request --------------------------------------------------------

    def _skipped(self) -> bool:
        return bool(self.excluded_routes) and request.endpoint in self.excluded_routes

    def connect_db(self) -> None:
        """Open the connection for this request (unless its route is excluded)."""
        if self._skipped():
            return
        database = self.database
        if database.is_closed():
            database.connect()
            opened = g.get(_OPENED) or []
            opened.append(database)
            setattr(g, _OPENED, opened)

    def close_db(self, exc: Optional[BaseException]) -> None:
        """Close the connection :meth:`connect_db` opened for this request."""
        opened = g.get(_OPENED) or []
        database = self.database
        if any(item is database for item in opened):
            setattr(g, _OPENED, [item for item in opened if item is not database])
            if not database.is_closed():
                database.close()


# ---------------------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------------------

def _as_query(query_or_model: Any) -> Any:
    if isinstance(query_or_model, type) and issubclass(query_or_model, Model):
        return query_or_model.select()
    if isinstance(query_or_model, SelectQuery):
        return query_or_model
    raise TypeError('expected a model class or a SELECT query, not %r' % (query_or_model,))


def get_object_or_404(query_or_model: Any, *query: Any) -> Any:
    """The one row ``query_or_model`` filtered by ``query`` gives, or abort with 404."""
    select = _as_query(query_or_model)
    if query:
        select = select.where(*query)
    try:
        return select.get()
    except DoesNotExist:
        abort(404)


class PaginatedQuery:
    """Pages of ``paginate_by`` rows of a query; the page number comes from ``page``, or
    from the request's ``page_var`` argument (``?page=3``), and is 1 when neither gives a
    positive number. With ``check_bounds`` a page past the last is a 404."""

    def __init__(self, query_or_model: Any, paginate_by: int, page_var: str = 'page',
                 page: Optional[int] = None, check_bounds: bool = False) -> None:
        self.query = _as_query(query_or_model)
        if int(paginate_by) < 1:
            raise ValueError('paginate_by must be at least 1, not %r' % (paginate_by,))
        self.paginate_by = int(paginate_by)
        self.page_var = page_var
        self.page = page
        self.check_bounds = check_bounds

    def get_page(self) -> int:
        """The current page (1-based)."""
        if self.page is not None:
            return max(int(self.page), 1)
        raw = request.args.get(self.page_var, '')
        return int(raw) if raw.isdigit() and int(raw) > 0 else 1

    def get_page_count(self) -> int:
        """How many pages the query fills (0 for no rows)."""
        return int(math.ceil(self.query.count() / float(self.paginate_by)))

    def get_object_list(self) -> Any:
        """The query limited to the current page (404 past the last page when bounds are
        checked; the first page is always valid, if empty)."""
        page = self.get_page()
        if self.check_bounds and page > 1 and page > self.get_page_count():
            abort(404)
        return self.query.paginate(page, self.paginate_by)


def object_list(template_name: str, query: Any, context_variable: str = 'object_list',
                paginate_by: int = 20, page_var: str = 'page', page: Optional[int] = None,
                check_bounds: bool = True, **kwargs: Any) -> str:
    """Render ``template_name`` with one page of ``query``.

    The template sees the page's rows as ``context_variable``, the page number as
    ``page``, the :class:`PaginatedQuery` as ``pagination``, and ``kwargs``.
    """
    pagination = PaginatedQuery(query, paginate_by, page_var=page_var, page=page,
                                check_bounds=check_bounds)
    context = dict(kwargs)
    context[context_variable] = pagination.get_object_list()
    context['page'] = pagination.get_page()
    context['pagination'] = pagination
    return render_template(template_name, **context)
