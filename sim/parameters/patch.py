"""One value set inside a scenario file before it is resolved: an experiment's grid point.

A path names the value as it is written in the file: ``acute.beds_per_100k``,
``intervention.mdt.caseload`` or ``shift[1].amount_gbp_per_year`` (shifts
count from 1, as in the shift error messages).  Tables missing from the file
are created, so any parameter can be swept; whether the key is valid is then
checked like any other key in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def parse_path(text: str) -> tuple[str | int, ...]:
    """``"shift[1].amount_gbp_per_year"`` -> ``("shift", 0, "amount_gbp_per_year")``; ValueError if malformed."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"a parameter path must be text such as 'acute.beds_per_100k', got {text!r}")
    parts: list[str | int] = []
    for piece in text.split("."):
        m = _PART.match(piece)
        if m is None:
            raise ValueError(f"parameter path '{text}': '{piece}' is not a key or key[number]")
        parts.append(m.group(1))
        if m.group(2) is not None:
            number = int(m.group(2))
            if number < 1:
                raise ValueError(f"parameter path '{text}': entries count from 1, got [{number}]")
            parts.append(number - 1)
    return tuple(parts)


@dataclass(frozen=True)
class Patch:
    """Set ``value`` at ``path`` (text, as in the file) in a scenario file's data."""

    path: str
    value: Any

    def apply(self, data: dict[str, Any]) -> None:
        """Set the value in ``data`` (the parsed TOML) in place; ValueError says why it cannot."""
        parts = parse_path(self.path)
        if isinstance(parts[-1], int):
            raise ValueError(f"'{self.path}': the path must end in a key")
        node: Any = data
        for part, nxt in zip(parts[:-1], parts[1:]):
            if isinstance(part, int):
                if index_error := self._missing(node, part):
                    raise ValueError(index_error)
                node = node[part]
                continue
            if part not in node:
                if isinstance(nxt, int):
                    raise ValueError(f"'{self.path}': the file has no '{part}' entries to set")
                node[part] = {}
            if isinstance(nxt, int) and isinstance(node[part], dict):
                node[part] = [node[part]]  # a single [shift] table counts as entry 1
            node = node[part]
            if not isinstance(node, (dict, list)):
                raise ValueError(f"'{self.path}': '{part}' holds a value, not a table")
        if not isinstance(node, dict):
            raise ValueError(f"'{self.path}': cannot set '{parts[-1]}' inside a value")
        node[parts[-1]] = self.value

    def _missing(self, node: Any, index: int) -> str:
        """Why entry ``index`` of ``node`` cannot be set into, or '' if it can."""
        if not isinstance(node, list) or index >= len(node):
            count = len(node) if isinstance(node, list) else 0
            return f"'{self.path}': entry [{index + 1}] does not exist (the file has {count})"
        if not isinstance(node[index], dict):
            return f"'{self.path}': entry [{index + 1}] is not a table"
        return ""
