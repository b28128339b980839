"""A leaner __init__ for frozen dataclasses built on every message.

A frozen dataclass's generated __init__ sets each field with
`__dataclass_builtins_object__.__setattr__(self, name, value)`: a global lookup, an
attribute lookup and a call per field, since its own __setattr__ refuses. `direct_init`
swaps in an __init__ that makes the same object.__setattr__ calls through a local name.
The instance is the same in every respect, its memory included: the attributes still go
through the generic setattr, so CPython keeps them in the instance's inline values
(writing `self.__dict__` directly was faster but gave each long-lived Binding a dict of
its own, ~300 bytes more).
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

_T = TypeVar("_T")


def direct_init(cls: type[_T]) -> type[_T]:
    """Class decorator, under @dataclass(frozen=True): for plain frozen dataclasses only
    (no slots, every field in __init__, defaults without factories; a __post_init__ runs
    after the fields are set, as the dataclass's own __init__ runs it)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__:
        raise TypeError(f"direct_init needs a plain frozen dataclass: {cls.__name__}")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"direct_init cannot build {cls.__name__}'s fields")
    defaults: dict[str, object] = {f"_d_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    defaults["_object_setattr"] = object.__setattr__
    arguments = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_d_{f.name}" for f in fields)
    body = "".join(f"    _set(self, {f.name!r}, {f.name})\n" for f in fields)
    source = f"def __init__(self, {arguments}):\n    _set = _object_setattr\n{body}"
    if hasattr(cls, "__post_init__"):
        source += "    self.__post_init__()\n"
    namespace: dict[str, object] = {}
    exec(source, defaults, namespace)  # noqa: S102 - generated from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - replacing a method mypy sees as fixed
    return cls
