"""What a command-line tool of playhouse calls itself in its help and error messages.

The same ``main()`` runs behind a console script (``orm-migrate``, ``orm-pwiz``) and
behind ``python -m playhouse.<module>``; the help should show the command the user
typed, so that its usage lines can be copied as they are.
"""
from __future__ import annotations

import os
import sys

__all__ = ['command_name']


def command_name(module: str, script: str) -> str:
    """``python -m <module>`` when that is how Python was started, else the name of the
    console script that is running (``script`` when ``main()`` is called from Python)."""
    started = getattr(sys.modules.get('__main__'), '__spec__', None)
    if started is not None and started.name == module:
        return 'python -m %s' % module
    typed = os.path.basename(sys.argv[0] if sys.argv else '')
    stem, ext = os.path.splitext(typed)
    if ext.lower() == '.exe':
        typed = stem
    return typed if typed.startswith('orm-') else script
