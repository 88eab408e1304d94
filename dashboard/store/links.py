"""Links from unnamed facility hits to registry facilities: proposals kept, decisions never lost.

The rows live in ``store.sql.asset_links`` and are applied when records are read
(``store.sql.read_versioned``). A proposal computed again keeps its id (a hash of the impact
and the facility), so a re-import finds the decision already made: an accepted or rejected
link is never proposed again nor changed by a refresh. Every write happens under the store's
import lock and adds a row to the batch log, which bumps the store version so that pages
and snapshots read the linked records again.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.store.lock import import_holder, locked_transaction
from dashboard.store.migrate import prepare_schema
from dashboard.store.sql import asset_links, import_batches

STATUSES = ("pending", "accepted", "rejected")


class UnknownLink(KeyError):
    """A link id that no proposal has."""


def read_links(bind: Engine | Connection, status: str | None = None) -> pd.DataFrame:
    """Stored links (all, or those of one status), best score first."""
    if isinstance(bind, Engine):
        prepare_schema(bind)
        with bind.connect() as connection:
            return read_links(connection, status)
    query = sa.select(asset_links).order_by(asset_links.c.score.desc(), asset_links.c.link_id)
    if status is not None:
        query = query.where(asset_links.c.status == status)
    return pd.read_sql(query, bind)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _bump(connection: Connection, what: str) -> int:
    """A batch log row for a link change: the store's version moves on, caches re-read."""
    result = connection.execute(
        import_batches.insert().values(
            file=what,
            sha256=hashlib.sha256(what.encode()).hexdigest(),
            imported_at=_now(),
            rows_read=0,
            accepted=0,
            rejected=0,
            format="links",
        )
    )
    return int(result.inserted_primary_key[0])


def write_proposals(engine: Engine, proposals: pd.DataFrame, timeout: float) -> dict[str, int]:
    """Store fresh proposals; decided links stay as decided. Returns what changed.

    A new proposal matched by id is accepted at once (the only automatic case); any other is
    pending. A pending proposal the records no longer give is dropped; a pending one given
    again gets its new score and reason. An impact with an accepted link gets no new proposals.
    """
    prepare_schema(engine)
    counts = {"proposed": 0, "accepted": 0, "dropped": 0, "updated": 0}
    with locked_transaction(engine, import_holder("links --pending"), timeout) as connection:
        stored = read_links(connection).set_index("link_id")
        fresh = proposals.set_index("link_id") if not proposals.empty else proposals
        pending = stored[stored["status"] == "pending"]
        gone = [i for i in pending.index if i not in fresh.index]
        if gone:
            connection.execute(asset_links.delete().where(asset_links.c.link_id.in_(gone)))
        rows = []
        settled = set(stored.loc[stored["status"] == "accepted", "impact_id"])  # already linked: nothing to add
        for link, row in fresh.iterrows() if not proposals.empty else []:
            if link not in stored.index and row["impact_id"] in settled:
                continue
            if link in stored.index:
                same = stored.loc[link, "reason"] == row["reason"] and stored.loc[link, "score"] == row["score"]
                if stored.loc[link, "status"] == "pending" and not same:
                    values = {"score": float(row["score"]), "reason": row["reason"]}
                    connection.execute(asset_links.update().where(asset_links.c.link_id == link).values(**values))
                    counts["updated"] += 1
                continue
            automatic = row["method"] == "id"
            status = "accepted" if automatic else "pending"
            rows.append(
                {"link_id": link, **row.to_dict(), "status": status, "decided_at": _now() if automatic else None}
            )
            counts["accepted" if automatic else "proposed"] += 1
        if rows:
            connection.execute(asset_links.insert(), rows)
        counts["dropped"] = len(gone)
        if any(counts.values()):
            _bump(connection, f"links: {counts['proposed']} proposed, {counts['accepted']} accepted by id")
    return counts


def decide(engine: Engine, link: str, status: str, timeout: float) -> dict:
    """Accept or reject one link; returns it as stored. Accepting one rejects the impact's other proposals.

    An impact hit one facility, so once one link of it is accepted its other pending
    proposals cannot be right; they are rejected with it (the returned ``also_rejected``).
    """
    if status not in ("accepted", "rejected"):
        raise ValueError(f"status must be accepted or rejected, not {status!r}")
    prepare_schema(engine)
    with locked_transaction(engine, import_holder(f"links --{status[:-2]} {link}"), timeout) as connection:
        found = connection.execute(sa.select(asset_links).where(asset_links.c.link_id == link)).mappings().first()
        if found is None:
            raise UnknownLink(link)
        now = _now()
        connection.execute(
            asset_links.update().where(asset_links.c.link_id == link).values(status=status, decided_at=now)
        )
        others: list[str] = []
        if status == "accepted":
            same_impact = (asset_links.c.impact_id == found["impact_id"]) & (asset_links.c.link_id != link)
            for other in connection.execute(sa.select(asset_links.c.link_id, asset_links.c.status).where(same_impact)):
                if other.status != "rejected":
                    others.append(other.link_id)
            if others:
                where = asset_links.c.link_id.in_(others)
                connection.execute(asset_links.update().where(where).values(status="rejected", decided_at=now))
        _bump(connection, f"links: {status} {link}")
    return {**dict(found), "status": status, "decided_at": now, "also_rejected": others}
