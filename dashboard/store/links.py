"""Links from unnamed facility hits to registry facilities: proposals kept, decisions never lost.

The rows live in ``store.sql.asset_links`` and are applied when records are read
(``store.sql.read_versioned``). A proposal computed again keeps its id (a hash of the impact
and the facility), so a re-import finds the decision already made: an accepted or rejected
link is never proposed again nor changed by a refresh. Every write happens under the store's
import lock and adds a row to the batch log, which bumps the store version so that pages
and snapshots read the linked records again.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.store import audit
from dashboard.store.lock import import_holder, locked_transaction
from dashboard.store.migrate import prepare_schema
from dashboard.store.sql import asset_links

STATUSES = ("pending", "accepted", "rejected")
AUTOMATIC = "automatic (the same source id)"  # who decides a link matched by id


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
                {"link_id": link, **row.to_dict(), "status": status, "decided_at": audit.now() if automatic else None}
            )
            counts["accepted" if automatic else "proposed"] += 1
        if rows:
            connection.execute(asset_links.insert(), rows)
        counts["dropped"] = len(gone)
        if any(counts.values()):
            what = f"links: {counts['proposed']} proposed, {counts['accepted']} accepted by id"
            batch = audit.new_batch(connection, what, "links", AUTOMATIC)
            audit.log_changes(
                connection, [_decision_row(row, batch, AUTOMATIC) for row in rows if row["status"] == "accepted"]
            )
    return counts


def decide(engine: Engine, link: str, status: str, timeout: float, user: str = "") -> dict:
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
        now = audit.now()
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
        batch = audit.new_batch(connection, f"links: {status} {link}", "links", user)
        decided = {**dict(found), "status": status}
        rejected_too = [{**decided, "link_id": other, "status": "rejected"} for other in others]
        audit.log_changes(connection, [_decision_row(row, batch, user) for row in [decided, *rejected_too]])
    return {**dict(found), "status": status, "decided_at": now, "also_rejected": others}


def _decision_row(link: dict, batch: int, user: str) -> dict:
    """The history row of a link decision: the impact's asset, from the unnamed one to the registry's."""
    accepted = link["status"] == "accepted"
    return {
        "changed_at": audit.now(),
        "user_name": user or AUTOMATIC,
        "action": f"link {link['status']}",
        "table_name": "impacts",
        "record_id": link["impact_id"],
        "field": "asset_id",
        "old_value": link["from_asset_id"],
        "new_value": link["to_asset_id"] if accepted else link["from_asset_id"],
        "reason": f"{link['link_id']}: {link['reason']}",
        "batch_id": batch,
    }
