"""Relevance functions for SQLite's FTS3/FTS4 full-text tables, in Python.

FTS3/4 have no ranking of their own: ``matchinfo()`` returns a blob of hit counts, and
these functions turn it into a score.  ``SqliteDatabase(rank_functions=True)`` (and
:class:`playhouse.sqlite_ext.SqliteExtDatabase` by default) registers them under their
names: ``fts_rank`` (from ``matchinfo(t, 'pcx')``), ``fts_bm25``, ``fts_bm25f`` and
``fts_lucene`` (from ``matchinfo(t, 'pcnalx')``); extra arguments weigh the columns.
Scores are negated, so that ascending order puts the best match first.
"""
from __future__ import annotations

import math
import struct
from typing import Any, Callable, Optional

__all__ = ['fts_bm25', 'fts_bm25f', 'fts_lucene', 'fts_rank', 'RANK_FUNCTIONS']


def _parse_matchinfo(blob: Any) -> list:
    data = bytes(blob)
    return list(struct.unpack('@%dI' % (len(data) // 4), data))


def _weights(raw: tuple, ncol: int) -> list:
    # no weights: every column counts once; some: the columns past them do not count
    if not raw:
        return [1.0] * ncol
    weights = [float(w) for w in raw[:ncol]]
    return weights + [0.0] * (ncol - len(weights))


def fts_rank(raw_match_info: Any, *raw_weights: Any) -> float:
    """Relevance from ``matchinfo(t, 'pcx')``: hits per column over hits in all rows,
    weighted per column; negated so that smaller is better."""
    info = _parse_matchinfo(raw_match_info)
    nphrase, ncol = info[0], info[1]
    weights = _weights(raw_weights, ncol)
    score = 0.0
    for phrase in range(nphrase):
        base = 2 + phrase * ncol * 3
        for col in range(ncol):
            hits_row, hits_all = info[base + 3 * col], info[base + 3 * col + 1]
            if hits_row and hits_all:
                score += weights[col] * hits_row / hits_all
    return -score


def _bm25(raw_match_info: Any, raw_weights: tuple, k1: float, b: float,
          idf_floor: Optional[float]) -> float:
    # matchinfo(t, 'pcnalx'): phrases, columns, rows, average tokens per column,
    # tokens per column in this row, then (hits here, hits everywhere, rows hit) triples
    info = _parse_matchinfo(raw_match_info)
    nphrase, ncol, nrows = info[0], info[1], info[2]
    averages = info[3:3 + ncol]
    lengths = info[3 + ncol:3 + 2 * ncol]
    hits = 3 + 2 * ncol
    weights = _weights(raw_weights, ncol)
    score = 0.0
    for phrase in range(nphrase):
        for col in range(ncol):
            base = hits + 3 * (col + phrase * ncol)
            tf, docs_hit = info[base], info[base + 2]
            if not tf or not weights[col]:
                continue
            idf = math.log((nrows - docs_hit + 0.5) / (docs_hit + 0.5))
            if idf_floor is not None:
                idf = max(idf, idf_floor)
            avg = averages[col] or 1
            norm = tf + k1 * (1 - b + b * lengths[col] / avg)
            score += weights[col] * idf * tf * (k1 + 1) / norm
    return -score


def fts_bm25(raw_match_info: Any, *raw_weights: Any) -> float:
    """Okapi BM25 from ``matchinfo(t, 'pcnalx')``, negated (k1=1.2, b=0.75); a term in
    half of the rows or more (whose IDF would be zero or negative) adds next to nothing."""
    return _bm25(raw_match_info, raw_weights, 1.2, 0.75, 1e-6)


def fts_bm25f(raw_match_info: Any, *raw_weights: Any) -> float:
    """BM25 whose IDF never drops below a small positive value, negated."""
    return _bm25(raw_match_info, raw_weights, 1.2, 0.75, 1e-6)


def fts_lucene(raw_match_info: Any, *raw_weights: Any) -> float:
    """Lucene-style TF-IDF from ``matchinfo(t, 'pcnalx')``, negated."""
    info = _parse_matchinfo(raw_match_info)
    nphrase, ncol, nrows = info[0], info[1], info[2]
    lengths = info[3 + ncol:3 + 2 * ncol]
    hits = 3 + 2 * ncol
    weights = _weights(raw_weights, ncol)
    score = 0.0
    for phrase in range(nphrase):
        for col in range(ncol):
            base = hits + 3 * (col + phrase * ncol)
            tf, docs_hit = info[base], info[base + 2]
            if not tf:
                continue
            idf = 1 + math.log(nrows / (docs_hit + 1.0)) if nrows else 1.0
            norm = 1 / math.sqrt(lengths[col]) if lengths[col] else 0.0
            score += weights[col] * math.sqrt(tf) * idf * idf * norm
    return -score


#: SQL name -> function, as ``rank_functions=True`` registers them
RANK_FUNCTIONS: dict[str, Callable[..., float]] = {
    'fts_rank': fts_rank, 'fts_bm25': fts_bm25, 'fts_bm25f': fts_bm25f,
    'fts_lucene': fts_lucene}
