"""The dialect-free SQL layer: the rendering context, nodes, sources and query builders.

It knows SQL only: no models, databases or rows.  Dialects (``orm.dialects``) sit on it.
"""
from .context import *  # noqa: F401,F403
from .nodes import *  # noqa: F401,F403
from .queries import *  # noqa: F401,F403
from . import context, nodes, queries, sources

__all__ = context.__all__ + nodes.__all__ + queries.__all__
