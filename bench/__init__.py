"""Benchmark harness: orm against the raw DB-API driver, peewee and SQLAlchemy 2.

Run ``python -m bench --help`` from the repository root; see ``bench/README.md``.
"""
