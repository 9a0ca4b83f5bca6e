"""Hooks around the life of a model instance: callbacks that run when one is built,
saved or deleted.

Declare the models on this module's :class:`Model` rather than on ``orm.Model``;
then attach a callback to one of the five signals::

    from playhouse.signals import Model, post_save

    class Note(Model):
        text = TextField()

    @post_save(sender=Note)
    def on_save(model_class, instance, created):
        ...

Only the instance API sends anything (``save()``, ``create()``,
``delete_instance()`` and instance construction). Bulk statements such as
``Note.update(...)`` or ``Note.delete()`` work on rows, not instances, and stay silent.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from orm import Model as _Model

__all__ = ['Model', 'Signal', 'post_delete', 'post_save', 'pre_delete', 'pre_init',
           'pre_save']

_Key = Tuple[str, Optional[type]]


def _label(receiver: Any) -> str:
    return getattr(receiver, '__name__', None) or repr(receiver)


def _scope(sender: Optional[type]) -> str:
    if sender is None:
        return 'for every sender'
    return 'for sender %s' % sender.__name__


class Signal:
    """An ordered registry of callbacks, each run by :meth:`send`.

    A callback receives ``(sender, instance, *args, **kwargs)``, ``sender`` being the
    class of the instance. A callback registered with ``sender=SomeModel`` runs only
    for instances of ``SomeModel`` or of a subclass of it. Callbacks run first come,
    first served.
    """

    def __init__(self) -> None:
        self._registry: Dict[_Key, Callable] = {}

    def _flush(self) -> None:
        """Forget every callback."""
        self._registry = {}

    def connect(self, receiver: Callable, name: Optional[str] = None,
                sender: Optional[type] = None) -> Callable:
        """Register ``receiver``. It is known by ``name`` (by default, the function's
        own name) together with ``sender``; :meth:`disconnect` uses the same pair.

        :raises ValueError: if that name is taken for that sender.
        """
        key = (name or _label(receiver), sender)
        if key in self._registry:
            raise ValueError('%r is already registered %s; disconnect it or pass a '
                             'different name=' % (key[0], _scope(sender)))
        self._registry[key] = receiver
        return receiver

    def disconnect(self, receiver: Optional[Callable] = None, name: Optional[str] = None,
                   sender: Optional[type] = None) -> None:
        """Unregister the callback known as ``name`` (or by ``receiver``'s own name)
        for ``sender``.

        :raises ValueError: if nothing is registered under that name and sender.
        """
        if name is None:
            if receiver is None:
                raise ValueError('disconnect() takes the receiver, its name, or both')
            name = _label(receiver)
        if self._registry.pop((name, sender), None) is None:
            raise ValueError('nothing named %r is registered %s' % (name, _scope(sender)))

    def __call__(self, name: Optional[str] = None, sender: Optional[type] = None
                 ) -> Callable[[Callable], Callable]:
        """Register the decorated function: ``@post_save(sender=Note)``."""
        return lambda fn: self.connect(fn, name, sender)

    def send(self, instance: Any, *args: Any, **kwargs: Any) -> List[Tuple[Callable, Any]]:
        """Run the callbacks that apply to ``instance``; gives back a list of
        ``(callback, its return value)``."""
        cls = type(instance)
        wanted = [fn for (_, only), fn in self._registry.items()
                  if only is None or isinstance(instance, only)]
        return [(fn, fn(cls, instance, *args, **kwargs)) for fn in wanted]


# The five signals, in the order an instance meets them:
# pre_init     right after construction (rows read back from the database included);
# pre_save     before save(), with created=True for an INSERT and False for an UPDATE;
# post_save    after save(), with the same created flag;
# pre_delete   before delete_instance();
# post_delete  after delete_instance().
pre_init, pre_save, post_save, pre_delete, post_delete = [Signal() for _ in range(5)]


def _inserting(instance: Any, args: tuple, kwargs: dict) -> bool:
    """Whether ``instance.save(*args, **kwargs)`` will INSERT rather than UPDATE."""
    if kwargs.get('force_insert') or (args and args[0]):
        return True
    key = instance._pk
    if isinstance(key, tuple):
        return any(part is None for part in key)
    return key is None


class Model(_Model):
    """A model whose instances notify this module's signals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pre_init.send(self)

    def save(self, *args: Any, **kwargs: Any) -> Any:
        created = _inserting(self, args, kwargs)
        pre_save.send(self, created=created)
        outcome = super().save(*args, **kwargs)
        post_save.send(self, created=created)
        return outcome

    def delete_instance(self, *args: Any, **kwargs: Any) -> Any:
        pre_delete.send(self)
        outcome = super().delete_instance(*args, **kwargs)
        post_delete.send(self)
        return outcome
