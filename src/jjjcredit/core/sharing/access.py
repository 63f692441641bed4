"""Access rights (3041): who is calling, which services they may call, and which data elements a
security level covers. Pure: the services and the web layer ask, this module answers. What a caller
finally sees of an organization is decided in one place, core/sharing/disclosure.py.

>>> may(PUBLIC, "verify"), may(PUBLIC, "changes"), may(STAFF, "changes")
(True, False, True)
>>> may(Caller("acme", frozenset({"changes"}), 2), "lookup")  # the public's services, and its grants
True
>>> PUBLIC.kind, Caller("acme", frozenset({"lookup"}), 2).kind, STAFF.kind
('public', 'client', 'staff')
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from jjjcredit.core.library import elements

#: Every service of the sharing and application interface, as rights are granted.
#: ``catalogue`` reads the public credit information catalogue and comments on a draft out for comment;
#: ``cataloguing`` is the staff's right to compile it (draft, items, comment period, assessment,
#: approval, publication) and to read drafts.
#: ``records`` reads credit records (within the caller's level); ``provide`` submits them, as the
#: provider the application party is; ``federation`` is a peer node pulling this node's own changes
#: (``/api/v1/federation/changes``: signed packages for government sharing).
SERVICES: tuple[str, ...] = ("lookup", "search", "verify", "changes", "reconcile", "catalogue", "cataloguing",
                             "records", "provide", "federation")
#: What a caller without a key may use (level-1 elements only, rate-limited per address); ``records``
#: gives the public the credit records in public disclosure (core/sharing/disclosure.py decides which).
PUBLIC_SERVICES: frozenset[str] = frozenset({"lookup", "search", "verify", "reconcile", "catalogue", "records"})
PUBLIC_LEVEL = 1
#: The security level of government sharing: an application party granted ``records`` at this level
#: or above reads records shared among government departments.
SHARING_LEVEL = 2
#: The highest security level (restricted: personal data such as identity numbers).
TOP_LEVEL = max(elements.SECURITY_LEVELS)
#: Kinds of caller: the public (no key), an application party (``client``, with a key), the
#: platform's own staff (an operator at the command line), and — from the credit half on — a credit
#: subject looking at its own records.
KINDS: tuple[str, ...] = ("public", "client", "staff", "subject")


@dataclass(frozen=True)
class Caller:
    """Who is calling: a client (application party) with its granted services and security-level
    ceiling, the public (``client`` is ``None``), or the platform's staff."""

    client: str | None
    services: frozenset[str]
    level: int
    kind: str = "client"
    #: The catalogue items whose credit records the caller is granted (``None``: every item within
    #: its level). Records the public may see are seen whatever this says.
    items: frozenset[str] | None = None
    #: The client's own id (``clients.id``), distinct from its name: an earlier version gave a revoked client's
    #: name to a new client, which does not inherit what the first one sent (its batches). ``None`` for the others.
    client_id: str | None = None

    @property
    def public(self) -> bool:
        return self.kind == "public"


PUBLIC = Caller(None, PUBLIC_SERVICES, PUBLIC_LEVEL, "public")
#: The platform's own staff, e.g. the command line run by an operator: every service and element,
#: personal data masked (core/sharing/disclosure.py).
STAFF = Caller(None, frozenset(SERVICES), TOP_LEVEL, "staff")


def client_at(level: int) -> Caller:
    """A caller seeing what an application party with this security-level ceiling sees (the command
    line's ``--level``).

    >>> client_at(2).level, client_at(2).kind
    (2, 'client')
    """
    if level not in elements.SECURITY_LEVELS:
        raise ValueError(f"level {level} is not a security level: expected one of "
                         f"{', '.join(str(k) for k in elements.SECURITY_LEVELS)}")
    return Caller(None, frozenset(SERVICES), level, "client")


def admit(caller: Caller, service: str) -> Caller | None:
    """The caller as admitted to ``service``, or ``None`` when it may not use it.

    A client's rights are the public's plus its grants: a granted service at the client's level, a
    public service it was not granted at the public level (never less than a caller without a key gets).

    >>> verifier = Caller("某局", frozenset({"verify"}), 3)
    >>> admit(verifier, "verify").level, admit(verifier, "lookup").level, admit(verifier, "changes")
    (3, 1, None)
    """
    if caller.public:
        return caller if service in PUBLIC_SERVICES else None
    if service in caller.services:
        return caller
    if service in PUBLIC_SERVICES:
        return replace(caller, level=min(caller.level, PUBLIC_LEVEL))
    return None


def may(caller: Caller, service: str) -> bool:
    return admit(caller, service) is not None


def may_provide(caller: Caller, item: str, level: int) -> bool:
    """Whether ``caller`` submits credit records under catalogue item ``item`` of security level ``level``:
    granted ``provide``, the item among its items (``None``: every item), and the item's level within the
    caller's — a licensing bureau's key puts nobody on a court's list, and a level-1 key sends nothing only
    level-2 callers may read.

    >>> bureau = Caller("某审批局", frozenset({"provide"}), 1, items=frozenset({"JJJ-03-002"}))
    >>> may_provide(bureau, "JJJ-03-002", 1), may_provide(bureau, "JJJ-02-001", 1)
    (True, False)
    >>> may_provide(Caller("某局", frozenset({"provide"}), 1), "JJJ-02-001", 1)
    True
    >>> may_provide(Caller("某局", frozenset({"provide"}), 1), "JJJ-05-001", 2)
    False
    >>> may_provide(Caller("某局", frozenset({"provide"}), 1, items=frozenset({"JJJ-05-001"})), "JJJ-05-001", 2)
    False
    """
    return "provide" in caller.services and (caller.items is None or item in caller.items) and level <= caller.level


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
