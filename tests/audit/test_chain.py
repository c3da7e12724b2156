"""The audit trail's hash chain, `audit_verify`, the anchors, and the database refusing to change evidence."""

from __future__ import annotations

import contextlib
import datetime
import threading
import uuid
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.utils import InternalError, ProgrammingError

from audit import chain
from audit.anchors import anchor_record
from audit.choices import AuditAction, Outcome
from audit.models import AuditAnchor, AuditChainHead, AuditEvent, AuditEventClient
from audit.services import audit_record
from audit.tasks import audit_anchor
from coordination import context
from coordination.context import acting_as

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the refusing triggers are PostgreSQL's; run with DATABASE_URL"
)


def _events(n: int, **extra) -> list[AuditEvent]:
    return [
        audit_record(action=AuditAction.CLIENT_VIEWED, client_id=uuid.uuid4(), detail={"n": i}, **extra)
        for i in range(n)
    ]


def _sql(statement: str, params=()) -> None:
    """Tampering as someone with the database owner's rights would: around the model and the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred FK check
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _verify_fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert failure.value.returncode == 1
    return str(failure.value)


# --- the chain ------------------------------------------------------------------------------------------------


def test_each_row_hashes_the_previous_hash_and_its_own_content():
    first, second, third = _events(3)

    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.row_hash and third.prev_hash == second.row_hash
    stored = AuditEvent.objects.filter(pk=second.pk).values("sequence", *chain.CHAINED_FIELDS).get()
    assert second.row_hash == chain.row_hash(first.row_hash, chain.canonical(stored))
    assert AuditChainHead.objects.get().last_hash == third.row_hash


def test_content_round_trips_through_the_database_unchanged(case_manager):
    # Values that a database could give back differently from how Python wrote them.
    with acting_as(case_manager, source="api") as ctx:
        token = context._current.set(
            replace(ctx, remote_addr="2001:0DB8:0000:0000:0000:0000:0000:0001", user_agent="Agent/1.0 (ünïcødé ✓)")
        )
        audit_record(
            action=AuditAction.CLIENT_LISTED,
            actor=case_manager,
            client_id=str(uuid.uuid4()).upper(),
            consents=[uuid.uuid4()],
            detail={"z": [1, 2.5, None, True], "a": {"nested": 'quote " and \\ slash'}, "client_ids": []},
            outcome=Outcome.DENIED,
            outcome_reason="x" * 400,
        )
        context._current.reset(token)

    assert chain.verify().ok


def test_a_rolled_back_write_leaves_a_gap_not_a_break():
    _events(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _events(1)
        raise RuntimeError("the change failed, so its audit row goes too")
    later = _events(1)[0]

    report = chain.verify()
    assert report.ok and report.checked == 2 and report.last_sequence == later.sequence
    assert chain.check_head(report) is None


def test_a_list_read_indexes_each_listed_client_once():
    ids = [uuid.uuid4(), uuid.uuid4()]
    event = audit_record(
        action=AuditAction.CLIENT_LISTED,
        detail={"client_ids": [str(ids[0]), str(ids[1]), str(ids[0]), "not-a-uuid"]},
    )

    assert sorted(AuditEventClient.objects.filter(event=event).values_list("client_id", flat=True)) == sorted(ids)


def test_verify_command__intact_chain_exits_zero_and_is_itself_audited(capsys):
    _events(5)

    call_command("audit_verify")

    assert "Audit chain intact: 5 rows checked" in capsys.readouterr().out
    record = AuditEvent.objects.get(action=AuditAction.AUDIT_VERIFIED)
    assert record.outcome == Outcome.SUCCESS and record.detail["checked"] == 5 and record.source == "command"


# --- tampering is detected, naming the first bad sequence ----------------------------------------------------


def test_tamper__changed_field_names_that_row():
    events = _events(5)
    _sql("UPDATE audit_auditevent SET actor_display = 'someone else' WHERE sequence = %s", [events[2].sequence])

    message = _verify_fails()

    assert f"sequence {events[2].sequence}:" in message and "altered" in message
    assert AuditEvent.objects.get(action=AuditAction.AUDIT_VERIFIED).detail["first_bad_sequence"] == events[2].sequence


def test_tamper__changed_hash_column_names_that_row():
    events = _events(4)
    _sql("UPDATE audit_auditevent SET row_hash = %s WHERE sequence = %s", ["f" * 64, events[1].sequence])

    assert f"sequence {events[1].sequence}:" in _verify_fails()


def test_tamper__deleted_row_names_the_row_after_the_gap():
    events = _events(5)
    _sql("DELETE FROM audit_auditevent WHERE sequence = %s", [events[2].sequence])

    message = _verify_fails()

    assert f"sequence {events[3].sequence}:" in message
    assert f"does not follow #{events[1].sequence}" in message


def test_tamper__swapped_rows_names_the_first_of_them():
    events = _events(5)
    a, b = events[1].sequence, events[3].sequence
    _sql("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = %s", [a])
    _sql("UPDATE audit_auditevent SET sequence = %s WHERE sequence = %s", [a, b])
    _sql("UPDATE audit_auditevent SET sequence = %s WHERE sequence = -1", [b])

    assert f"sequence {a}:" in _verify_fails()


def test_tamper__row_inserted_directly_names_it():
    events = _events(4)
    # Renumbering keeps the order, so the chain still holds, and frees numbers between the 2nd and 3rd rows.
    _sql("UPDATE audit_auditevent SET sequence = sequence + 100 WHERE sequence > %s", [events[1].sequence])
    assert chain.verify().ok
    gap = events[1].sequence + 1
    forged = AuditEvent.objects.filter(pk=events[1].pk).values(*chain.CHAINED_FIELDS, "prev_hash", "row_hash").get()
    columns = ["sequence", "uuid", "recorded_at", "action", "action_code", "outcome", "prev_hash", "row_hash"]
    values = [
        gap,
        uuid.uuid4().hex,
        connection.ops.adapt_datetimefield_value(forged["recorded_at"]),
        forged["action"],
        "R",
        "success",
    ]
    values += [forged["row_hash"], forged["row_hash"]]
    blanks = ["subtype", "outcome_reason", "actor_display", "actor_organization_name", "actor_role"]
    blanks += ["purpose_of_use", "target_type", "target_id", "target_repr", "request_id", "source", "user_agent"]
    columns += [*blanks, "consents", "detail"]
    values += [""] * len(blanks) + ["[]", "{}"]
    _sql(
        f"INSERT INTO audit_auditevent ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))})",  # noqa: S608
        values,
    )

    assert f"sequence {gap}:" in _verify_fails()


def test_tamper__rows_cut_from_the_end_are_caught_by_the_head():
    events = _events(4)
    _sql("DELETE FROM audit_auditevent WHERE sequence >= %s", [events[2].sequence])

    message = _verify_fails()

    assert "chain head" in message and f"#{events[1].sequence}" in message


def test_tamper__whole_chain_rewritten_after_an_edit_is_caught_by_an_anchor():
    events = _events(4)
    anchor_record(now=datetime.datetime.now(datetime.UTC))
    _sql("UPDATE audit_auditevent SET actor_display = 'rewritten' WHERE sequence = %s", [events[1].sequence])
    previous = chain.GENESIS  # recompute every hash so the chain itself looks intact
    rows = AuditEvent.objects.order_by("sequence").values("sequence", *chain.CHAINED_FIELDS)
    for row in list(rows):
        current = chain.row_hash(previous, chain.canonical(row))
        _sql(
            "UPDATE audit_auditevent SET prev_hash = %s, row_hash = %s WHERE sequence = %s",
            [previous, current, row["sequence"]],
        )
        previous = current
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)
    assert chain.verify().ok

    message = _verify_fails()

    assert f"sequence {events[3].sequence}:" in message and "anchor" in message


def test_verify_command__external_anchor_checked_and_validated():
    events = _events(2)
    good = f"{events[1].sequence}:{events[1].row_hash}"
    call_command("audit_verify", "--anchor", good)

    with pytest.raises(CommandError) as bad:
        call_command("audit_verify", "--anchor", f"{events[1].sequence}:{'a' * 64}")
    assert bad.value.returncode == 1 and "command line" in str(bad.value)
    with pytest.raises(CommandError, match="expected SEQUENCE:HASH"):
        call_command("audit_verify", "--anchor", "nonsense")


def test_verify_command__from_anchor_starts_at_the_latest_anchor(capsys):
    _events(3)
    anchor_record(now=datetime.datetime.now(datetime.UTC))
    _events(2)

    call_command("audit_verify", "--from-anchor")

    assert "2 rows checked" in capsys.readouterr().out


# --- anchors ------------------------------------------------------------------------------------------------


def test_anchor_task__records_the_head_once_per_change(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    assert audit_anchor() is None  # nothing to anchor yet
    last = _events(3)[-1]

    with django_capture_on_commit_callbacks(execute=True):
        assert audit_anchor() == last.sequence
    assert audit_anchor() is None  # nothing new since

    anchor = AuditAnchor.objects.get()
    assert (anchor.sequence, anchor.row_hash, anchor.event_count) == (last.sequence, last.row_hash, 3)
    assert f"audit anchor {last.sequence}:{last.row_hash}" in (tmp_path / "anchors.log").read_text()


# --- the database refuses to change evidence -------------------------------------------------------------------


@postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_display = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
    ],
    ids=["update", "delete", "truncate"],
)
def test_postgres_refuses_changing_the_audit_table(statement):
    _events(2)

    refused = pytest.raises((InternalError, ProgrammingError, DatabaseError), match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)

    assert AuditEvent.objects.count() == 2


@postgres_only
@pytest.mark.parametrize("table", ["audit_auditeventclient", "audit_auditanchor", "audit_disclosure"])
def test_postgres_refuses_changing_other_evidence_tables(table):
    refused = pytest.raises((InternalError, ProgrammingError, DatabaseError), match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {table}")


# --- concurrent writers make one chain -------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_caller_transaction", [True, False], ids=["in-a-transaction", "autocommit"])
def test_concurrent_writers_still_form_one_verifiable_chain(in_caller_transaction):
    """Both ways a row is written: inside a service's transaction, and alone in autocommit (a page's read row)."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                with transaction.atomic() if in_caller_transaction else contextlib.nullcontext():
                    audit_record(action=AuditAction.CLIENT_VIEWED, client_id=uuid.uuid4())
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = chain.verify()
    assert report.ok and report.checked == 60
    assert chain.check_head(report) is None
