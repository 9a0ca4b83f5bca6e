"""SQL dialects: one class per engine, each a set of flags and small overrides."""
from .base import Dialect
from .postgres import PostgresDialect
from .cockroach import CockroachDialect
from .sqlite import SqliteDialect
from .mysql import MySQLDialect

__all__ = ['Dialect', 'SqliteDialect', 'PostgresDialect', 'CockroachDialect', 'MySQLDialect']
