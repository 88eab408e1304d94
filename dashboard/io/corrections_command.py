"""``impact correct|retract|restore|history``: an analyst's changes of stored records, from the shell.

The command line is the machine's operator (like ``impact import``): the change is recorded
under the shell's user name, or ``--user`` for whoever the operator acts for. Exit 0 when
done, 2 when the request cannot be done (one line saying why), nothing written then.
"""

from __future__ import annotations

import argparse
import json
import sys

from dashboard.config import Settings
from dashboard.records.schemas import SCHEMAS

RETRACTABLE_HELP = "incidents, impacts or salvos"


def add_correction_commands(commands) -> None:
    """The four commands' options (``dashboard.cli`` calls this)."""
    correct = commands.add_parser(
        "correct", help="correct fields of a stored record, with a reason (kept in its history)"
    )
    correct.add_argument("record_id", metavar="ID", help="the record's id (incident_id, asset_id, impact_id, ...)")
    correct.add_argument("assignments", nargs="+", metavar="FIELD=VALUE", help="new values; FIELD= blanks a field")
    retract = commands.add_parser(
        "retract", help="retract a record: out of every total, map and export; kept for analysts"
    )
    retract.add_argument("record_id", metavar="ID", help=f"the id of one of the {RETRACTABLE_HELP}")
    restore = commands.add_parser("restore", help="undo a retraction")
    restore.add_argument("record_id", metavar="ID", help="the retracted record's id")
    for command in (correct, retract, restore):
        command.add_argument("--reason", required=True, metavar="TEXT", help="why (required; shown in the history)")
        command.add_argument("--user", metavar="NAME", help="who the change is made for; default the shell's user")
    history = commands.add_parser("history", help="print every change of a record: who, when, old and new value, why")
    history.add_argument("record_id", metavar="ID", help="the record's id")
    history.add_argument("--json", action="store_true", help="print JSON")
    for command in (correct, retract, restore, history):
        command.add_argument("--table", choices=list(SCHEMAS), help="the record's table, when two tables use the id")


def run_corrections(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of the four commands."""
    from dashboard.io.import_audit import command_line_user
    from dashboard.io.open import open_store
    from dashboard.records.edits import BadEdit, parse_assignments
    from dashboard.store import corrections

    engine = open_store(settings)
    timeout = settings.import_lock_timeout
    try:
        if args.command == "history":  # also of a record an import removed
            table, changes = corrections.record_history(engine, args.record_id, args.table)
            return _print_history(args, table, changes)
        table = corrections.find_table(engine, args.record_id, args.table)
        user = (args.user or "").strip() or command_line_user()
        if args.command == "correct":
            made = corrections.correct(
                engine, table, args.record_id, parse_assignments(args.assignments), args.reason, user, timeout
            )
            for change in made:
                print(f"{table} {args.record_id} {change['field']}: {change['old_value']!r} -> {change['new_value']!r}")
            if not made:
                print(f"{table} {args.record_id}: already so, nothing changed")
            return 0
        done = (corrections.retract if args.command == "retract" else corrections.restore)(
            engine, table, args.record_id, args.reason, user, timeout
        )
        state = "retracted" if args.command == "retract" else "restored"
        print(f"{table} {args.record_id}: {state}" if done else f"{table} {args.record_id}: already {state}")
        return 0
    except corrections.UnknownRecord as exc:
        where = args.table or "any table"
        print(f"impact: no record in {where} has the id {exc.args[0]!r}", file=sys.stderr)
        return 2
    except BadEdit as exc:
        print(f"impact: {exc}; nothing changed", file=sys.stderr)
        return 2


def _print_history(args: argparse.Namespace, table: str, changes) -> int:
    if args.json:
        print(
            json.dumps(
                {"table": table, "record_id": args.record_id, "changes": changes.to_dict("records")},
                default=str,
                indent=2,
            )
        )
        return 0
    print(f"{table} {args.record_id}: {len(changes)} change{'s' if len(changes) != 1 else ''}")
    for change in changes.itertuples(index=False):
        what = change.action
        if isinstance(change.field, str) and change.field:
            what += f" {change.field}: {change.old_value!r} -> {change.new_value!r}"
        elif change.action in ("added", "removed by import") and isinstance(change.file, str):
            what += f" from {change.file}"
        why = f"  ({change.reason})" if isinstance(change.reason, str) and change.reason else ""
        print(f"{change.changed_at:%Y-%m-%d %H:%M:%S}  {change.user_name}  {what}{why}")
    return 0
