"""PostgreSQL: the ledger's tables are analysed while they are young, as they grow.

The planner chooses indexes from table statistics, which autovacuum first gathers once a table
has changed by 50 rows plus a tenth of its size, at its next round (up to a minute later). On a
new database the planner guesses until then, and on the hot paths it guessed wrong:
- a delivery's outcome update walked every pending delivery through the (status, next attempt)
  index instead of taking its primary key;
- the idempotency lookup read every invoice of the tenant;
- a document read scanned the whole table, with a plan made while the table was empty and kept
  with the prepared statement.

Every few seconds one process asks which tables changed by at least half their size since they
were last analysed (and by ``MIN_CHANGES`` rows) and analyses those. A table is analysed at 200
rows, then whenever it has doubled; a grown table is left to autovacuum, which gets there first.
ANALYZE also invalidates the plans made without statistics.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from . import schema

log = logging.getLogger("fakturaport.ledger.statistics")

#: Seconds between two looks at the tables' change counts.
LOOK_EVERY = 2.0
#: Changes since the last analysis before a table is analysed again, at the least.
MIN_CHANGES = 200
#: The statistics target of these analyses (PostgreSQL samples 300 rows per unit).
SAMPLE_TARGET = 10

_STALE = text(
    """
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema() AND relname = ANY(:tables)
      AND n_mod_since_analyze >= greatest(:min_changes, n_live_tup / 2)
    ORDER BY relname
    """
).bindparams(bindparam("tables", type_=ARRAY(String)))


async def analyze_young_tables(engine: AsyncEngine) -> list[str]:
    """Analyse the ledger's tables that changed by half their size since their last analysis;
    their names."""
    tables = [table.name for table in schema.metadata.sorted_tables]
    async with engine.begin() as conn:
        stale = list(
            (await conn.execute(_STALE, {"tables": tables, "min_changes": MIN_CHANGES})).scalars()
        )
        if stale:
            quote = conn.dialect.identifier_preparer.quote
            # A tenth of the default sample: enough for the planner to tell a key from a scan,
            # at a fifth of the CPU (0.1 s against 0.6 s for the tables after 19,000 invoices),
            # a burst the same cores' requests queued behind. Autovacuum's analyses, once the
            # tables have grown, take the full sample.
            await conn.execute(text(f"SET LOCAL default_statistics_target = {SAMPLE_TARGET}"))
            # SKIP_LOCKED: a table autovacuum is working on is left to it.
            await conn.execute(text(f"ANALYZE (SKIP_LOCKED) {', '.join(map(quote, stale))}"))
    if stale:
        log.info("tables analysed", extra={"tables": stale})
    return stale


async def keep_analysed(engine: AsyncEngine, every: float = LOOK_EVERY) -> None:
    """Run ``analyze_young_tables`` every ``every`` seconds until cancelled."""
    while True:
        try:
            await analyze_young_tables(engine)
        except Exception:
            log.exception("analysing the ledger's tables failed")
        await asyncio.sleep(every)
