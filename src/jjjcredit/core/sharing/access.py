"""Access rights of application parties (3041): which services a client may call, and which data
elements it may see. Pure: the services and the web layer ask, this module answers.

>>> sorted(visible_elements(1))[:3]
['address', 'address_division', 'approved']
>>> "legal_rep_id_number" in visible_elements(2), "legal_rep_id_number" in visible_elements(3)
(False, True)
>>> may(Caller(None, frozenset(), 1), "verify"), may(Caller(None, frozenset(), 1), "changes")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from jjjcredit.core.library import elements

#: Every service of the sharing and application interface, as rights are granted.
SERVICES: tuple[str, ...] = ("lookup", "search", "verify", "changes", "reconcile")
#: What a caller without a key may use (level-1 elements only, rate-limited per address).
PUBLIC_SERVICES: frozenset[str] = frozenset({"lookup", "search", "verify", "reconcile"})
PUBLIC_LEVEL = 1


@dataclass(frozen=True)
class Caller:
    """Who is calling: a client (application party) with its granted services and security-level
    ceiling, or the public (``client`` is ``None``)."""

    client: str | None
    services: frozenset[str]
    level: int

    @property
    def public(self) -> bool:
        return self.client is None


PUBLIC = Caller(None, PUBLIC_SERVICES, PUBLIC_LEVEL)


def may(caller: Caller, service: str) -> bool:
    if caller.public:
        return service in PUBLIC_SERVICES
    return service in caller.services


def visible_elements(level: int) -> frozenset[str]:
    """The elements a caller with this security-level ceiling may see."""
    return frozenset(e.name for e in elements.ELEMENTS if e.security_level <= level)


def parse_services(text: str) -> frozenset[str]:
    """A comma-separated list of services; raises ``ValueError`` naming an unknown one.

    >>> sorted(parse_services("verify, lookup"))
    ['lookup', 'verify']
    """
    names = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(names - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown service {', '.join(repr(u) for u in unknown)}: expected some of {', '.join(SERVICES)}")
    if not names:
        raise ValueError(f"no service named: expected some of {', '.join(SERVICES)}")
    return names
