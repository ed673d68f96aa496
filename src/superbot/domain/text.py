"""Words are not written in Python.

Code that has something to tell a person returns a :class:`Text`: a key and its parameters.
The key ``"area.name"`` names the macro ``name`` in ``templates/<locale>/texts/area.j2``;
``superbot.render.environment.Texts`` turns it into a sentence in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Text:
    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, key: str, **params: Any) -> Text:
        return cls(key, MappingProxyType(params))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Text({self.key}{', ' if args else ''}{args})"
