"""Model signals: run callbacks before and after instances are saved or deleted.

Models must subclass :class:`playhouse.signals.Model` (instead of ``orm.Model``)::

    from playhouse.signals import Model, post_save

    class Note(Model):
        text = TextField()

    @post_save(sender=Note)
    def on_save(model_class, instance, created):
        ...

Signals fire from the instance API only (``save()``, ``create()``,
``delete_instance()`` and instance construction); bulk queries such as
``Note.update(...)`` or ``Note.delete()`` touch rows, not instances, and send none.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from orm import Model as _Model

__all__ = ['Model', 'Signal', 'post_delete', 'post_save', 'pre_delete', 'pre_init',
           'pre_save']


class Signal:
    """A list of receivers called, in the order they were connected, by :meth:`send`.

    Each receiver is called as ``receiver(sender, instance, *args, **kwargs)`` where
    ``sender`` is the instance's model class. A receiver connected with ``sender=``
    only hears instances of that class (and of its subclasses).
    """

    def __init__(self) -> None:
        self._flush()

    def _flush(self) -> None:
        """Disconnect every receiver."""
        self._receivers: set = set()
        self._receiver_list: list = []

    def connect(self, receiver: Callable, name: Optional[str] = None,
                sender: Optional[type] = None) -> Callable:
        """Add ``receiver``; ``name`` (default: the function's name) and ``sender``
        identify it for :meth:`disconnect`.

        :raises ValueError: when a receiver of that name is already connected for
            that sender.
        """
        name = name or getattr(receiver, '__name__', None) or repr(receiver)
        key = (name, sender)
        if key in self._receivers:
            raise ValueError('a receiver named %r is already connected%s; disconnect it '
                             'first or connect this one under another name='
                             % (name, _for_sender(sender)))
        self._receivers.add(key)
        self._receiver_list.append((name, receiver, sender))
        return receiver

    def disconnect(self, receiver: Optional[Callable] = None, name: Optional[str] = None,
                   sender: Optional[type] = None) -> None:
        """Remove the receiver connected as ``name`` (or ``receiver``'s name) for
        ``sender``.

        :raises ValueError: when no such receiver is connected.
        """
        if receiver is None and name is None:
            raise ValueError('disconnect() needs the receiver or its name')
        if name is None:
            name = getattr(receiver, '__name__', None) or repr(receiver)
        key = (name, sender)
        if key not in self._receivers:
            raise ValueError('no receiver named %r is connected%s' % (name,
                                                                      _for_sender(sender)))
        self._receivers.discard(key)
        self._receiver_list = [(n, r, s) for n, r, s in self._receiver_list
                               if (n, s) != key]

    def __call__(self, name: Optional[str] = None, sender: Optional[type] = None
                 ) -> Callable[[Callable], Callable]:
        """Decorator form of :meth:`connect`: ``@post_save(sender=Note)``."""
        def decorator(fn: Callable) -> Callable:
            self.connect(fn, name, sender)
            return fn
        return decorator

    def send(self, instance: Any, *args: Any, **kwargs: Any) -> list:
        """Call the receivers for ``instance``; returns ``[(receiver, result), ...]``."""
        sender = type(instance)
        responses = []
        for _name, receiver, receiver_sender in self._receiver_list:
            if receiver_sender is None or isinstance(instance, receiver_sender):
                responses.append((receiver, receiver(sender, instance, *args, **kwargs)))
        return responses


def _for_sender(sender: Optional[type]) -> str:
    return ' for sender %s' % sender.__name__ if sender is not None else \
        ' without a sender'


#: after an instance is constructed (also for each row read from the database)
pre_init = Signal()
#: before ``save()``; ``created`` tells an INSERT from an UPDATE
pre_save = Signal()
#: after ``save()``; ``created`` tells an INSERT from an UPDATE
post_save = Signal()
#: before ``delete_instance()``
pre_delete = Signal()
#: after ``delete_instance()``
post_delete = Signal()


class Model(_Model):
    """Base model whose instances send the signals of this module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pre_init.send(self)

    def save(self, *args: Any, **kwargs: Any) -> Any:
        force_insert = kwargs.get('force_insert', args[0] if args else False)
        pk = self._pk
        created = bool(force_insert) or pk is None or \
            (isinstance(pk, tuple) and None in pk)
        pre_save.send(self, created=created)
        result = super().save(*args, **kwargs)
        post_save.send(self, created=created)
        return result

    def delete_instance(self, *args: Any, **kwargs: Any) -> Any:
        pre_delete.send(self)
        result = super().delete_instance(*args, **kwargs)
        post_delete.send(self)
        return result
