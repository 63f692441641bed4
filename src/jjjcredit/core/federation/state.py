"""A node's state hash: SHA-256 over its organizations and credit records in one canonical order, so three
nodes holding the same data say the same 64 hex digits whatever order it arrived in.

Organizations are hashed by code with the elements that travel between nodes (the government view's
columns: a level-3 element stays with its node); credit records by id and version, each version with its
status and values (JSON with sorted keys). Each line is RFC 8785-like JSON (sorted keys, no spaces), one per
organization, then one per record version, each group sorted.

>>> a = state_hash([{"uscc": "1", "name": "甲"}], [("r1", 1, "in_force", '{"x": 1}')])
>>> b = state_hash([{"name": "甲", "uscc": "1"}], [("r1", 1, "in_force", '{"x":1}')])
>>> a == b, len(a)
(True, 64)
>>> a == state_hash([{"uscc": "1", "name": "乙"}], [("r1", 1, "in_force", '{"x": 1}')])
False
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


def state_hash(organizations: Iterable[Mapping[str, Any]],
               versions: Iterable[tuple[str, int, str, str | None]]) -> str:
    """The hash of organizations (each a mapping with ``uscc``) and credit record versions (id, version,
    status, values as JSON text); neither needs to come sorted."""
    digest = hashlib.sha256()
    for line in sorted(_line(dict(o)) for o in organizations):
        digest.update(line)
    digest.update(b"--\n")
    for record_id, version, status, values in sorted(versions, key=lambda v: (v[0], int(v[1]))):
        digest.update(_line([record_id, int(version), status, json.loads(values) if values else None]))
    return digest.hexdigest()
