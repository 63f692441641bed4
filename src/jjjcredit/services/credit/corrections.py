"""Changes to credit records kept: a revocation (:func:`revoke_record`) or a correction
(:func:`correct_record`) is a new version of the record, under the provider's and item's lock, flagged late
when a published penalty is withdrawn after the deadline; and the repair of natural persons' records kept
under an organization's code (:func:`misfiled_persons`, :func:`rekey_person`), filed under the person's
own key with every earlier version.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from jjjcredit.core.codes import ric
from jjjcredit.core.codes.personal import is_identity_number, shown_personal
from jjjcredit.core.credit import catalogue, layouts, persons, row_checks, working_days
from jjjcredit.core.credit import columns as national
from jjjcredit.core.credit import records as rules
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.errors import Severity
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import providers, timeliness, writing
from jjjcredit.storage.schema import credit_records, federation_records


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


#: Days within which a published penalty that is changed or revoked is withdrawn (Administrative
#: Penalty Law 2021, Art. 48: 三日内); a setting (JJJCREDIT_WITHDRAWAL_DAYS).
WITHDRAWAL_DAYS = 3


def _day_of(iso: str | None) -> datetime.date | None:
    return None if iso is None else datetime.date.fromisoformat(iso)


def _record_row(conn: Connection, item: str, provider: str, document_number: str) -> Any:
    rid = rules.record_id(item, provider, document_number.strip())
    row = conn.execute(select(credit_records).where(credit_records.c.id == rid)).mappings().first()
    if row is None:
        raise RecordsError("credit.not_found", f'{provider} has no record of {item} with document number '
                           f'"{shown_personal(document_number.strip()[:60])}".', field="document")
    return row


def _check_decided(row: Mapping[str, Any], decided_on: datetime.date) -> None:
    """A change is decided on or after the decision it changes."""
    if row["decided_on"] and decided_on.isoformat() < row["decided_on"]:
        raise RecordsError("credit.decided_before", f"The changing decision's date {decided_on} is before the "
                           f"record's own decision of {row['decided_on']}; expected the date the change was "
                           "decided.", field="decided")


def _withdrawal_late(item: catalogue.Item, decided: datetime.date, today: datetime.date, days: int) -> int:
    """Whether a change to a published negative record came later than ``days`` after its decision."""
    return int(item.kind == "negative" and today > decided + datetime.timedelta(days=days))


def _changing(conn: Connection, step: str, item_code: str, provider: str, document_number: str, reason: str,
              decided_on: datetime.date, today: datetime.date) -> tuple[catalogue.Item, Any]:
    """The item and the current row a correction or revocation changes, under the batches' lock; refused
    without a reason, dated in the future or before the record's decision, or when the record was revoked."""
    provider = providers.check_provider(provider)
    if not reason.strip():
        noun = {"revoking": "revocation", "correcting": "correction"}[step]
        raise RecordsError("credit.reason", f"A {noun} states its reason.", field="reason")
    if decided_on > today:
        raise RecordsError("credit.future_date", f"The {step} decision's date {decided_on} is after today.",
                           field="decided")
    _year, item = credit_items.item_in_force(conn, item_code, today, withdrawn=True)
    providers.take_lock(conn, provider, item.code)
    row = _record_row(conn, item.code, provider, document_number)
    _check_decided(row, decided_on)
    if row["status"] == "revoked":
        raise RecordsError("credit.revoked", f"The record {row['document_number'][:60]} was revoked on "
                           f"{row['revoked_on']}; a revoked record is neither revoked again nor corrected.",
                           field="document")
    return item, row


def revoke_record(conn: Connection, item_code: str, provider: str, document_number: str, reason: str,
                  decided_on: datetime.date, *, today: datetime.date | None = None,
                  withdrawal_days: int = WITHDRAWAL_DAYS) -> dict[str, Any]:
    """Revoke a record (its decision was revoked or it was sent in error): a new version with status
    ``revoked``; the record is kept. ``decided_on`` is the date of the revoking decision: a penalty
    withdrawn more than ``withdrawal_days`` after it is flagged late."""
    today = today or working_days.today()
    item, row = _changing(conn, "revoking", item_code, provider, document_number, reason, decided_on, today)
    return _new_version(conn, row, "revoked", "revoked", reason.strip(), dict(json.loads(row["data"])),
                        row["sealed"], row["fingerprint"], decided_on,
                        _withdrawal_late(item, decided_on, today, withdrawal_days))


def correct_record(conn: Connection, item_code: str, provider: str, document_number: str,
                   changes: Mapping[str, str], reason: str, decided_on: datetime.date, *,
                   protector: persons.Protector | None, today: datetime.date | None = None,
                   withdrawal_days: int = WITHDRAWAL_DAYS) -> dict[str, Any]:
    """Correct fields of a record (``changes``: field name or column code → new value), checked again
    as a whole row against the item; a new version. Its identity (the document number) cannot change:
    revoke and submit anew instead."""
    today = today or working_days.today()
    item, row = _changing(conn, "correcting", item_code, provider, document_number, reason, decided_on, today)
    values = dict(json.loads(row["data"]))
    sealed = json.loads(row["sealed"]) if row["sealed"] else {}
    if sealed:
        if protector is None:
            raise persons.PersonalDataError("credit.no_secret", "The record holds sealed identity numbers and the "
                                            "platform has no operator secret to open them with.")
        for code, token in sealed.items():
            values[code] = protector.open(code, token)
    changed: set[str] = set()
    for name, value in changes.items():
        field = layouts.field_named(item, name)  # as a file's header names it
        if field is None:
            raise RecordsError("credit.unknown_field", f'{item.code} has no field "{name}"; its fields are '
                               f"{'、'.join(f.name for f in item.fields)}.", field=name)
        values[field.element] = value
        changed.add(field.element)
    judged = _as_kept(item, values, changed)
    layout = layouts.bind(judged, [f.element for f in judged.fields], "correction")
    checked = row_checks.check_row(layout, [values.get(f.element, "") for f in judged.fields], 1, today)
    errors = [p for p in checked.problems if p.severity is Severity.ERROR]
    if checked.record is None or errors:  # one code for a refused correction; the row's own codes named inside
        found = "; ".join(f"[{p.code}] {_named(item, p.message)}" for p in errors) or "the row is not a record."
        raise RecordsError("credit.correction", f"The corrected record does not pass its item's checks: {found} "
                           "Nothing was changed; send the correction again with these values fixed.",
                           field=errors[0].field if len(errors) == 1 else None)
    record = writing.with_dropped(checked.record, values, item, sealed)
    if record.key != row["document_number"]:
        raise RecordsError("credit.identity", "A correction cannot change the document number that identifies the "
                           "record: revoke it and submit the new one.", field="document")
    new_key = (record.subject_code if record.subject_type != "natural_person" else None) or (
        protector.subject_key(record.identity_number) if protector and record.identity_number else row["subject_key"])
    new_sealed = None
    if record.personal:
        if protector is None:
            raise persons.PersonalDataError("credit.no_secret", "No personal data key to seal identity numbers with.")
        new_sealed = json.dumps({k: protector.seal(k, v) for k, v in sorted(record.personal.items())})
    if record.fingerprint() == row["fingerprint"]:
        raise RecordsError("credit.unchanged", "The correction changes nothing: every value is as recorded.")
    first_came = min(credit_items.arrival_day(row["created_at"]), today)
    due, came_late = (row["due_on"], 0) if record.decided_on == _day_of(row["decided_on"]) else \
        credit_items.collection_deadline(credit_items.collection_days_on(conn, item, record.decided_on),
                                         record.decided_on, first_came)
    done = _new_version(conn, row, "corrected", "in_force", reason.strip(), record.values, new_sealed,
                        record.fingerprint(), decided_on,
                        _withdrawal_late(item, decided_on, today, withdrawal_days) | came_late,
                        record=record, subject_key=new_key, due_on=due)
    # what the checks had to say of the corrected values (a personal number kept masked, say), as ingest says it
    done["warnings"] = [{k: v for k, v in p.to_dict().items() if k != "row"} for p in checked.problems]
    return done


def _as_kept(item: catalogue.Item, values: Mapping[str, str], changed: set[str]) -> catalogue.Item:
    """The item a correction is judged by: a value the correction leaves as it was stored is not judged again by
    a shorter length a later edition set (a record kept under a longer limit stays correctable)."""
    fields = tuple(dataclasses.replace(f, max_length=len(v)) if f.element not in changed and f.max_length is not None
                   and len(v := values.get(f.element) or "") > f.max_length else f for f in item.fields)
    return item if fields == item.fields else dataclasses.replace(item, fields=fields)


def _named(item: catalogue.Item, message: str) -> str:
    """A check's message with the field's name beside the column code it starts with (``CF_WSH:`` →
    ``行政处罚决定书文号 (CF_WSH):``)."""
    code, sep, rest = message.partition(":")
    field = next((f for f in item.fields if f.element == code), None)
    return f"{field.name} ({code}):{rest}" if sep and field is not None else message


def _new_version(conn: Connection, row: Mapping[str, Any], action: str, status: str, reason: str,
                 values: Mapping[str, str], sealed: str | None, fingerprint: str, decided_on: datetime.date,
                 late: int, record: rules.Record | None = None, subject_key: str | None = None,
                 due_on: str | None = None) -> dict[str, Any]:
    now = _now()
    version = row["version"] + 1
    key = subject_key or row["subject_key"]
    text = rules.values_json(values)
    changes: dict[str, Any] = {
        "status": status, "version": version, "data": text, "sealed": sealed, "fingerprint": fingerprint,
        "updated_at": now, "reason": shown_personal(reason), "late": int(row["late"]) | late, "action": action,
        "revoked_on": decided_on.isoformat() if status == "revoked" else None, "subject_key": key}
    if record is not None:
        changes.update(subject_name=record.subject_name, subject_code=record.subject_code,
                       subject_type=record.subject_type, severity=record.severity,
                       decided_on=record.decided_on.isoformat() if record.decided_on else None,
                       valid_until=record.valid_until.isoformat() if record.valid_until else None, due_on=due_on)
    writing.keep_as_versions(conn, [(key, row["subject_key"], row["id"])])
    conn.execute(update(credit_records).where(credit_records.c.subject_key == row["subject_key"],
                                              credit_records.c.id == row["id"]).values(**changes))
    if late and not row["late"]:  # a withdrawal after its deadline, or a decision date that makes it late
        came_late = timeliness.Tally(late=1, late_numbers=[row["document_number"]])
        timeliness.add_to_tallies(conn, {(row["provider"], row["item"]): came_late})
    return {"id": row["id"], "document_number": row["document_number"], "version": version, "status": status,
            "action": action, "late": bool(late)}


# --- natural persons kept under an organization's code -------------------------------------------------

@dataclass(frozen=True)
class Misfiled:
    """A natural person's record kept under an organization's code — as a row that named both was filed
    before such rows were refused (``credit.person_with_code``) — and the person's own key it belongs
    under (``person_key``), or why it cannot be found (``left``, an error code, and ``message``): no
    sealed identity number, one the platform's key does not open, or a record another node owns.
    ``kept_under``: the code as it may be shown (one that is an identity number, a person's own given as the
    code, masked). ``versions``: how many versions the record has (all move with it). Never an identity
    number."""

    id: str
    item: str
    provider: str
    document_number: str
    kept_under: str
    status: str
    versions: int
    person_key: str | None
    left: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "item": self.item, "provider": self.provider,
                "document_number": shown_personal(self.document_number), "kept_under": self.kept_under,
                "status": self.status, "versions": self.versions, "person_key": self.person_key,
                "left": self.left, "message": self.message}


#: The columns of a natural person's identity number (the subject's, not a legal representative's).
_PERSON_NUMBER = frozenset(c.code for c in national.COLUMNS.values() if c.role == "identity_number")


def _misfiled(row: Mapping[str, Any], protector: persons.Protector | None, owner: str | None) -> Misfiled:
    """What :func:`misfiled_persons` says of one stored row: the person's key from the sealed number."""
    found = functools.partial(Misfiled, row["id"], row["item"], row["provider"], row["document_number"],
                              _shown_code(row["subject_key"]), row["status"], int(row["version"]), None)
    if owner is not None:
        return found("credit.from_peer", f"The record came from the node {owner[:40]}, which alone changes it: it is "
                     "filed under the person there, and comes here by that node's messages.")
    sealed = {k: v for k, v in (json.loads(row["sealed"]) if row["sealed"] else {}).items() if k in _PERSON_NUMBER}
    if not sealed:
        return found("credit.no_sealed_number", "The record holds no sealed identity number of the person to find "
                     "their key by: the provider revokes it and sends the person's row again (without the "
                     "organization's code).")
    if protector is None:
        return found("credit.no_secret", "The person's key is found from the sealed identity number, and the "
                     "platform has no operator secret to open it with (JJJCREDIT_SIGNING_KEY_SECRET or "
                     "JJJCREDIT_SIGNING_KEY_FILE).")
    code, token = min(sealed.items())
    try:
        number = protector.open(code, token)
    except persons.PersonalDataError as exc:
        return found(exc.code, exc.message)
    return dataclasses.replace(found(None), person_key=protector.subject_key(number))


def _shown_code(code: str) -> str:
    """The code a person's record was kept under, as it may be printed, logged and written in a reason: a
    resident identity number masked (a row that gave the person's own number as the code, one that is also a
    valid code, was filed under the number itself)."""
    return ric.mask(code) if is_identity_number(code) else code


def _misfiled_rows(conn: Connection, record_id: str | None = None) -> list[Any]:
    c = credit_records.c
    query = select(c.id, c.item, c.provider, c.document_number, c.subject_key, c.status, c.version, c.sealed,
                   federation_records.c.origin).outerjoin(federation_records, federation_records.c.record_id == c.id
                                                          ).where(c.subject_type == "natural_person",
                                                                  ~c.subject_key.startswith(persons.PERSON_PREFIX))
    if record_id is not None:
        query = query.where(c.id == record_id)
    return list(conn.execute(query.order_by(c.id)).mappings())


def misfiled_persons(conn: Connection, protector: persons.Protector | None) -> list[Misfiled]:
    """Every natural person's record kept under an organization's code, by record id, each with the
    person's key it belongs under or why it cannot be found. Reads every partition: a repair's look."""
    return [_misfiled(row, protector, row["origin"]) for row in _misfiled_rows(conn)]


def rekey_person(conn: Connection, record_id: str, protector: persons.Protector | None, *,
                 now: datetime.datetime | None = None) -> Misfiled | None:
    """File one natural person's record kept under an organization's code under the person's own key,
    in the caller's transaction (one record a transaction): the record and every earlier version move
    to the key found from its sealed identity number, without the organization's code as its subject's
    (``subject_code``; its values stay as the provider sent them), and a new version says so — action
    ``corrected``, status and values as they were, the reason naming the code it was kept under. Under
    the provider's and item's lock, as a correction. Returns what was found (``left`` set: nothing
    moved), or ``None`` when the record is not (or no longer) kept so."""
    rows = _misfiled_rows(conn, record_id)
    if not rows:
        return None
    providers.take_lock(conn, rows[0]["provider"], rows[0]["item"])
    rows = _misfiled_rows(conn, record_id)  # read again under the lock: a correction may have moved it meanwhile
    if not rows:
        return None
    row = rows[0]
    found = _misfiled(row, protector, row["origin"])
    if found.person_key is None:
        return found
    old = row["subject_key"]
    writing.keep_as_versions(conn, [(found.person_key, old, record_id)])
    reason = (f"Filed under the natural person's own key: kept before under the organization code {found.kept_under}, "
              "as a row that named both was filed before such rows were refused (credit rekey-persons).")
    conn.execute(update(credit_records).where(credit_records.c.subject_key == old, credit_records.c.id == record_id)
                 .values(subject_key=found.person_key, subject_code=None, unknown_organization=0,
                         version=int(row["version"]) + 1, action="corrected", reason=reason,
                         updated_at=now or _now()))
    return dataclasses.replace(found, versions=found.versions + 1)
