"""Direct statements store and read exactly what SQLAlchemy's own execution does, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import bindparam, insert, select, update

from gateway.ledger import schema as t
from gateway.ledger.direct import Direct

_EVENT_BY_TYPE = Direct(
    select(t.events.c.id, t.events.c.detail, t.events.c.at).where(
        t.events.c.type == bindparam("type")
    )
)


async def test_rows_written_directly_read_back_through_sqlalchemy_and_the_other_way(ledger):
    tenant, _ = await ledger.create_tenant("t")
    stockholm = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 23, 13, 5, 7, 123456, tzinfo=stockholm)
    detail = {"amount": "12.50", "nested": {"list": [1, None, "å"]}, "none": None}

    def write_directly(conn):
        Direct.insert(t.events).many(
            conn,
            [
                {
                    "tenant_id": tenant.id,
                    "invoice_id": None,
                    "delivery_id": None,
                    "type": "direct",
                    "detail": detail,
                    "at": at,
                }
            ],
        )
        conn.execute(
            insert(t.events).values(tenant_id=tenant.id, type="sqlalchemy", detail=detail, at=at)
        )

    await ledger.write(write_directly)

    def read_both(conn):
        through_sqlalchemy = conn.execute(
            select(t.events.c.detail, t.events.c.at).where(t.events.c.type == "direct")
        ).one()
        directly = _EVENT_BY_TYPE.rows(conn, {"type": "sqlalchemy"})
        return through_sqlalchemy, directly

    through_sqlalchemy, directly = await ledger.read(read_both)
    assert through_sqlalchemy.detail == detail
    assert through_sqlalchemy.at == at and through_sqlalchemy.at.tzinfo is not None
    assert len(directly) == 1
    assert directly[0]["detail"] == detail
    assert directly[0]["at"] == at and directly[0]["at"].utcoffset() == timedelta(0)


async def test_literals_in_a_statement_and_rowcount_of_an_update(ledger):
    tenant, _ = await ledger.create_tenant("t")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def insert_two(conn):
        for kind in ("a", "b"):
            Direct.insert(t.events).run(
                conn, {"tenant_id": tenant.id, "type": kind, "detail": {}, "at": when}
            )

    await ledger.write(insert_two)
    # "a" is a literal compiled into the statement; only the bound values change per call.
    retype = Direct(
        update(t.events)
        .where(t.events.c.type == "a", t.events.c.tenant_id == bindparam("tenant_id"))
        .values(type=bindparam("new_type"))
    )
    changed = await ledger.write(
        lambda conn: retype.run(conn, {"tenant_id": tenant.id, "new_type": "c"}).rowcount
    )
    assert changed == 1
    kinds = await ledger.read(
        lambda conn: sorted(
            r["type"]
            for r in Direct(
                select(t.events.c.type).where(t.events.c.tenant_id == bindparam("tenant_id"))
            ).rows(conn, {"tenant_id": tenant.id})
        )
    )
    assert kinds == ["b", "c"]


async def test_a_pipelined_write_reads_each_statements_rows_when_asked(ledger):
    """Statements sent one after another and read afterwards, in a pipelined transaction (on
    PostgreSQL nothing is answered until the first read): each read gets its own rows, and the
    inserts sent after the last read are committed."""
    tenant, _ = await ledger.create_tenant("t")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = {"tenant_id": tenant.id, "detail": {}, "at": when}
    await ledger.write(lambda conn: Direct.insert(t.events).many(conn, [{**event, "type": "a"}]))

    def work(conn):
        first = _EVENT_BY_TYPE.send(conn, {"type": "a"})
        second = _EVENT_BY_TYPE.send(conn, {"type": "missing"})
        Direct.insert(t.events).many(conn, [{**event, "type": "b"}, {**event, "type": "b"}])
        return first.rows(), second.rows()

    first, second = await ledger.write(work, pipelined=True)
    assert [row["at"] for row in first] == [when] and second == []
    stored = await ledger.read(lambda conn: _EVENT_BY_TYPE.rows(conn, {"type": "b"}))
    assert len(stored) == 2


async def test_a_pipelined_write_gets_the_rowcount_of_an_update(ledger):
    """A guard such as the lease check reads how many rows its UPDATE changed: in a pipeline
    that number arrives with the answer, which is waited for, never taken as 'none'."""
    tenant, _ = await ledger.create_tenant("t")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = {"tenant_id": tenant.id, "detail": {}, "at": when}
    retype = Direct(
        update(t.events)
        .where(t.events.c.type == bindparam("old"), t.events.c.tenant_id == bindparam("tenant"))
        .values(type=bindparam("new"))
    )

    def work(conn):
        Direct.insert(t.events).many(conn, [{**event, "type": "a"}] * 3)
        changed = retype.run(conn, {"old": "a", "new": "b", "tenant": tenant.id}).rowcount
        unchanged = retype.run(conn, {"old": "x", "new": "y", "tenant": tenant.id}).rowcount
        return changed, unchanged

    assert await ledger.write(work, pipelined=True) == (3, 0)


async def test_a_statement_planned_each_time_is_never_kept_prepared(ledger):
    """psycopg prepares a statement on its fifth run, and PostgreSQL may then keep the plan it
    made while the tables were empty; a statement marked ``planned_each_time`` is planned anew
    for every call (and on SQLite runs as any other)."""
    kept = Direct(select(t.events.c.id).where(t.events.c.type == bindparam("type")))
    planned = Direct(
        select(t.events.c.at).where(t.events.c.type == bindparam("type")), planned_each_time=True
    )

    def work(conn):
        for n in range(8):
            assert kept.rows(conn, {"type": f"k{n}"}) == []
            assert planned.rows(conn, {"type": f"p{n}"}) == []
        if conn.dialect.name != "postgresql":
            return None
        return conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()

    prepared = await ledger.read(work)
    if prepared is not None:
        assert len(prepared) == 1 and prepared[0].startswith("SELECT events.id")


async def test_many_rows_are_stored_in_order_whatever_their_number(ledger):
    """On PostgreSQL an INSERT of many rows goes as multi-row statements of 64, 32 … 1 rows:
    every row is stored once, in the order given (event ids follow it), and a content-addressed
    upsert still leaves a row that is there already alone."""
    from gateway.ledger.rows import store_blobs

    tenant, _ = await ledger.create_tenant("t")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for count in (1, 13, 100):
        rows = [
            {"tenant_id": tenant.id, "type": f"n{count}", "detail": {"n": n}, "at": when}
            for n in range(count)
        ]
        await ledger.write(lambda conn, rows=rows: Direct.insert(t.events).many(conn, rows))
        stored = await ledger.read(
            lambda conn, count=count: conn.execute(
                select(t.events.c.detail).where(t.events.c.type == f"n{count}").order_by("id")
            ).all()
        )
        assert [row.detail["n"] for row in stored] == list(range(count))
    blobs = {f"{n:064x}": bytes([n]) * 3 for n in range(10)}
    await ledger.write(lambda conn: store_blobs(conn, dict(list(blobs.items())[:4])))
    await ledger.write(lambda conn: store_blobs(conn, blobs))  # four of them are there already
    stored = await ledger.read(
        lambda conn: dict(conn.execute(select(t.blobs.c.sha256, t.blobs.c.content)).all())
    )
    assert stored == blobs
