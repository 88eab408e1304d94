"""``impact db`` and ``impact links``: the commands that change a store's schema and its link decisions.

Called by ``dashboard.cli``, which parses the options; kept here so the command-line module stays small.
"""

from __future__ import annotations

import argparse
import json
import sys

from dashboard.config import Settings


def run_db(action: str, settings: Settings) -> int:
    """``impact db current|upgrade``: the only command that changes an existing store's schema."""
    from dashboard.store.health import ensure_sound
    from dashboard.store.migrate import current_revision, head_revision, upgrade
    from dashboard.store.sql import create_engine, use_rollback_journal

    engine = create_engine(settings.db_url)
    ensure_sound(engine, settings.cache_dir)
    head = head_revision()
    if action == "current":
        stored = current_revision(engine)
        print(f"store: {stored or 'empty (no tables yet)'}; this version reads: {head}")
        return 0
    use_rollback_journal(engine)
    before, after = upgrade(engine)
    print(f"upgraded the store from {before or 'empty'} to {after}" if before != after else f"already at {after}")
    return 0


def run_links(args: argparse.Namespace, settings: Settings) -> int:
    """``impact links``: list, accept or reject proposals; exit 2 for an unknown link id."""
    from dashboard.io import links
    from dashboard.io.import_audit import command_line_user
    from dashboard.io.open import open_store
    from dashboard.store.links import UnknownLink

    engine = open_store(settings)
    if args.pending:
        table = links.pending(engine, settings)
        rows = table.to_dict("records")
        text = "\n".join(f"{r['link_id']}  {r['score']:.2f}  {r['method']:<7}  {r['reason']}" for r in rows)
        print(json.dumps(rows, indent=2) if args.json else (text or "no links waiting for review"))
        return 0
    try:
        decide = links.accept if args.accept else links.reject
        decided = decide(engine, settings, args.accept or args.reject, command_line_user())
    except UnknownLink as exc:
        print(f"impact: no proposed link has the id {exc.args[0]!r} (see impact links --pending)", file=sys.stderr)
        return 2
    text = f"{decided['status']} {decided['link_id']}: {decided['from_asset_id']} -> {decided['to_asset_id']}"
    text += "".join(f"\nalso rejected {other} (the same hit)" for other in decided["also_rejected"])
    print(json.dumps(decided, indent=2, default=str) if args.json else text)
    return 0
