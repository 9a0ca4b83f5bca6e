"""The dialect-free SQL layer: nodes, sources and query builders."""
from .context import *  # noqa: F401,F403
from .nodes import *  # noqa: F401,F403
from .queries import *  # noqa: F401,F403
from .sources import *  # noqa: F401,F403
from . import context, nodes, queries, sources

__all__ = context.__all__ + nodes.__all__ + queries.__all__ + sources.__all__
