"""The ``impact`` command: ``impact summary`` prints the page's totals; ``impact serve`` starts it.

Examples
--------
>>> parser().parse_args(["summary", "--city", "Odessa", "--json"]).city
['Odessa']
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path

from dashboard.config import Settings

APP_SCRIPT = Path(__file__).resolve().parent / "ui" / "app.py"


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from exc


def add_filter_options(command: argparse.ArgumentParser) -> None:
    """The filter options shared by every command that reads records."""
    command.add_argument("--city", action="append", default=[], metavar="NAME", help="settlement (repeatable)")
    command.add_argument(
        "--oblast",
        action="append",
        default=[],
        metavar="NAME",
        help="oblast name, ISO code or P-code (repeatable)",
    )
    command.add_argument("--start", type=_iso_date, metavar="YYYY-MM-DD", help="first day, inclusive")
    command.add_argument("--end", type=_iso_date, metavar="YYYY-MM-DD", help="last day, inclusive")
    command.add_argument("--weapon", action="append", default=[], metavar="TYPE", help="weapon type (repeatable)")
    command.add_argument(
        "--asset-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="asset type hit (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    from dashboard.io.formats.registry import DEFAULT_FORMAT, input_formats
    from dashboard.store.health import exit_codes_text

    main = argparse.ArgumentParser(
        prog="impact",
        description=__doc__.splitlines()[0],
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("summary", help="print the totals for a filter")
    add_filter_options(summary)
    summary.add_argument("--json", action="store_true", help="print JSON with the keys the page uses")
    export = commands.add_parser("export", help="write the filtered incidents as CSV or GeoJSON")
    add_filter_options(export)
    export.add_argument(
        "--out", metavar="FILE", help="file to write (with a .meta.json sidecar); default standard output"
    )
    export.add_argument("--format", dest="export_format", choices=["csv", "geojson"], default="csv", help="file format")
    export.add_argument("--hxl", action="store_true", help="add an HXL hashtag row under the CSV header")
    export.add_argument(
        "--last-changed", action="store_true", help="add a last_changed column: when each record last changed (UTC)"
    )
    for command in (summary, export):
        command.add_argument(
            "--as-role",
            choices=["viewer", "analyst"],
            help="what that role may see (a viewer gets no exact site, no sensitive column); "
            "default viewer with IMPACT_AUTH=public, else analyst (the shell's user is the operator)",
        )
    importer = commands.add_parser("import", help="import a CSV file (or a folder of record files) into the store")
    importer.add_argument("file", metavar="FILE", help="CSV file, or a folder of canonical record files")
    formats = input_formats()
    importer.add_argument(
        "--format",
        choices=list(formats),
        default=DEFAULT_FORMAT,
        help="input format: " + "; ".join(f"{fmt.name}: {fmt.help}" for fmt in formats.values()),
    )
    importer.add_argument("--mapping", metavar="MAPPING.toml", help="mapping file for --format mapped")
    importer.add_argument("--dry-run", action="store_true", help="validate and report without writing")
    importer.add_argument(
        "--sync", action="store_true", help="delete stored records of this dataset that the file no longer has"
    )
    importer.add_argument("--json", action="store_true", help="print the report as JSON")
    links = commands.add_parser("links", help="review proposed links from unnamed facility hits to registry facilities")
    choice = links.add_mutually_exclusive_group(required=True)
    choice.add_argument("--pending", action="store_true", help="list the proposals waiting for review")
    choice.add_argument("--accept", metavar="LINK_ID", help="accept a proposal: the hit becomes the registry facility")
    choice.add_argument("--reject", metavar="LINK_ID", help="reject a proposal: it is not proposed again")
    links.add_argument("--json", action="store_true", help="print JSON")
    synth = commands.add_parser("synth", help="write synthetic canonical record files (not real events)")
    synth.add_argument("--incidents", type=int, required=True, metavar="N", help="number of incidents")
    synth.add_argument("--seed", type=int, default=0, metavar="S", help="random seed; same seed, same files")
    synth.add_argument("--out", required=True, metavar="FOLDER", help="folder to write the five record files to")
    database = commands.add_parser("db", help="the store's schema: its revision, and upgrading an old store")
    database.add_argument(
        "action",
        choices=["current", "upgrade"],
        help="current: print the store's schema revision and the one this version reads; "
        "upgrade: apply the missing migrations (back the store up first)",
    )
    from dashboard.io.corrections_command import add_correction_commands
    from dashboard.io.users_command import add_users_commands

    add_correction_commands(commands)
    add_users_commands(commands)
    commands.add_parser(
        "serve",
        help="start the dashboard; other options go to Streamlit (e.g. --server.port 8600)",
        add_help=False,
    )
    return main


def filters_from(args: argparse.Namespace):
    from dashboard.query.totals import Filters

    return Filters(
        cities=tuple(args.city),
        oblasts=tuple(args.oblast),
        start=args.start,
        end=args.end,
        weapons=tuple(args.weapon),
        asset_types=tuple(args.asset_type),
    )


# Streamlit settings `impact serve` fixes unless the caller sets them (a command-line option
# or a STREAMLIT_* variable): closed by default, nothing fetched, no tracebacks in the browser.
SERVE_DEFAULTS = {
    # Only this machine can reach the page; `--server.address 0.0.0.0` opens it to the network.
    "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
    "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "true",
    "STREAMLIT_SERVER_ENABLE_CORS": "true",
    "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "100",  # MB; the import page states the same limit
    "STREAMLIT_SERVER_RUN_ON_SAVE": "false",
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    "STREAMLIT_GLOBAL_DEVELOPMENT_MODE": "false",
    # The browser gets a generic message; the traceback goes to the server's log only.
    "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "none",
    "STREAMLIT_CLIENT_SHOW_ERROR_LINKS": "false",  # links to search engines with the error text
    # No Deploy button, no developer menu: the toolbar shows only what the page itself adds.
    "STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    # No full garbage collection after every script run: each page's store check (every
    # IMPACT_REFRESH_SECONDS) is a run, and gc.collect(2) over a heap holding the records cost
    # the server 23 % of a core for three idle seed pages (1 % without). Python's own
    # generational collection still runs.
    "STREAMLIT_RUNNER_POST_SCRIPT_GC": "false",
}


def _option(streamlit_args: list[str], name: str) -> str | None:
    """The value of ``--name value`` or ``--name=value`` among Streamlit's options, if given."""
    for position, arg in enumerate(streamlit_args):
        if arg == f"--{name}" and position + 1 < len(streamlit_args):
            return streamlit_args[position + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def serve_environment(streamlit_args: list[str], environ: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Streamlit's environment for ``impact serve`` and the warnings to print before it starts.

    >>> env, warnings = serve_environment([], {})
    >>> env["STREAMLIT_SERVER_ADDRESS"], env["STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"], warnings
    ('127.0.0.1', 'none', [])
    >>> env, warnings = serve_environment(["--server.address", "0.0.0.0"], {"IMPACT_ALLOW_WRITES": "1"})
    >>> print(warnings[0])  # doctest: +ELLIPSIS
    impact: imports are on (IMPACT_ALLOW_WRITES) and the page listens on 0.0.0.0: ...
    """
    from dashboard.config import is_true

    env = dict(environ)
    # The page's own scripts are served from dashboard/ui/static; nothing else may be fetched.
    env["STREAMLIT_SERVER_ENABLE_STATIC_SERVING"] = "true"
    for name, value in SERVE_DEFAULTS.items():
        env.setdefault(name, value)
    address = _option(streamlit_args, "server.address") or env["STREAMLIT_SERVER_ADDRESS"]
    warnings = []
    open_writes = is_true(env.get("IMPACT_ALLOW_WRITES", "")) and env.get("IMPACT_AUTH", "").strip().casefold() in (
        "",
        "none",
    )  # with sign-in (form) the page checks each role; public never writes
    if open_writes and address not in ("127.0.0.1", "localhost", "::1"):
        warnings.append(
            f"impact: imports are on (IMPACT_ALLOW_WRITES) and the page listens on {address}: "
            "anyone who can reach it can change the stored records"
        )
    return env, warnings


def secrets_options(streamlit_args: list[str], environ: dict[str, str]) -> list[str]:
    """Streamlit's ``--secrets.files`` for IMPACT_SECRETS_FILE, unless the caller passed that option itself.

    An option rather than STREAMLIT_SECRETS_FILES: Streamlit splits that variable at spaces.

    >>> secrets_options([], {"IMPACT_SECRETS_FILE": "/etc/impact/secrets.toml"})
    ['--secrets.files', '/etc/impact/secrets.toml']
    >>> secrets_options(["--secrets.files", "/x.toml"], {"IMPACT_SECRETS_FILE": "/y.toml"}), secrets_options([], {})
    ([], [])
    """
    path = environ.get("IMPACT_SECRETS_FILE", "").strip()
    if not path or _option(streamlit_args, "secrets.files") is not None:
        return []
    return ["--secrets.files", str(Path(path).expanduser().resolve())]


def serve(streamlit_args: list[str]) -> int:
    """Run Streamlit on the dashboard; its own options and STREAMLIT_* variables pass through."""
    from dashboard.map.static_assets import ensure_vendor_assets

    env, warnings = serve_environment(streamlit_args, dict(os.environ))
    secrets = secrets_options(streamlit_args, env)
    if secrets and not Path(secrets[1]).is_file():
        print(f"impact: IMPACT_SECRETS_FILE {secrets[1]} is not a file", file=sys.stderr)
        return 2
    ensure_vendor_assets()
    for warning in warnings:
        print(warning, file=sys.stderr)
    # Streamlit, with the page's work done in the background while it starts (dashboard.ui.serve).
    command = [sys.executable, "-m", "dashboard.ui.serve", str(APP_SCRIPT), *secrets, *streamlit_args]
    # Become Streamlit rather than wait for it: a SIGTERM to `impact serve` then stops the
    # server itself instead of leaving it running without a parent.
    os.execve(sys.executable, command, env)
    return 0  # reached only when execve is replaced (tests)


def run_export(args: argparse.Namespace, settings: Settings, records, filters) -> int:
    """``impact export``: exactly the filtered incidents; with --out, also a metadata sidecar."""
    from dashboard.io.csv_writer import to_csv_bytes
    from dashboard.io.extract import geojson_bytes, hxl_csv_bytes, last_updated, write_export
    from dashboard.io.open import open_store
    from dashboard.query.totals import filter_incidents
    from dashboard.store.sql import batches

    if args.hxl and args.export_format != "csv":
        print("impact: --hxl applies to CSV only", file=sys.stderr)
        return 2
    incidents = filter_incidents(records, filters)
    if args.last_changed:
        from dashboard.io.extract import with_last_changed

        incidents = with_last_changed(incidents, open_store(settings))
    if args.out:
        updated = last_updated(batches(open_store(settings)))
        for path in write_export(incidents, records, filters, Path(args.out), args.export_format, args.hxl, updated):
            print(f"wrote {path}", file=sys.stderr)
        return 0
    if args.export_format == "geojson":
        data = geojson_bytes(incidents, records)
    else:
        data = hxl_csv_bytes(incidents) if args.hxl else to_csv_bytes(incidents)
    sys.stdout.buffer.write(data)
    return 0


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """``impact import``: exit 0 when every row was accepted, 1 when some were rejected, 2 on bad input."""
    from dashboard.io.formats.mapped import MappingError
    from dashboard.io.importer import import_path
    from dashboard.io.open import open_store

    path = Path(args.file)
    if len(os.fsencode(path.name)) > 255 or len(os.fsencode(path)) >= 4096:
        # Path.exists() raises on such a name rather than answering False.
        print(f"impact: the file name is too long for the file system: {str(path)[:80]}…", file=sys.stderr)
        return 2
    if not path.exists():
        print(f"impact: {path} not found", file=sys.stderr)
        return 2
    try:
        reports = import_path(
            path,
            open_store(settings),
            settings,
            args.format,
            mapping_path=Path(args.mapping) if args.mapping else None,
            dry_run=args.dry_run,
            sync=args.sync,
        )
    except (MappingError, ValueError, FileNotFoundError) as exc:
        print(f"impact: {exc}", file=sys.stderr)
        return 2
    if not args.dry_run and any(r.accepted or r.updated or r.deleted for r in reports):
        # Build the snapshot of the new store version now, so the dashboard's next start is fast.
        from dashboard.store.snapshot import load_records

        load_records(open_store(settings), settings)
    if args.json:
        payload = [r.to_dict() for r in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, default=str))
    else:
        print("\n".join(r.summary() for r in reports))
    return 1 if any(r.rejected for r in reports) else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; a known fault prints one line and returns its exit code (README: Exit codes)."""
    from dashboard.store.health import fault_for

    if argv is None and hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `impact ... | head` ends quietly
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve(argv[1:])
    args = parser().parse_args(argv)
    try:
        return run(args)
    except Exception as exc:
        fault = fault_for(exc)
        if fault is None:
            raise  # not a known fault: a bug, whose traceback is worth having
        print(f"impact: {fault.message}", file=sys.stderr)
        return fault.exit_code


def run(args: argparse.Namespace) -> int:
    """The parsed command; faults propagate to :func:`main`."""
    from dashboard.io.open import open_store
    from dashboard.query.totals import summarize
    from dashboard.store.snapshot import load_records
    from geo.oblasts import UnknownOblastError

    if args.command == "synth":
        from dashboard.io.synth import main as synth_main

        return synth_main(["--incidents", str(args.incidents), "--seed", str(args.seed), "--out", args.out])
    settings = Settings.from_env()
    if args.command == "import":
        return run_import(args, settings)  # the shell's user is the operator: not gated by a role
    if args.command == "db":
        from dashboard.io.store_commands import run_db

        return run_db(args.action, settings)
    if args.command == "links":
        from dashboard.io.store_commands import run_links

        return run_links(args, settings)
    if args.command in ("correct", "retract", "restore", "history"):
        from dashboard.io.corrections_command import run_corrections

        return run_corrections(args, settings)  # the operator's shell, like import: not gated by a role
    if args.command == "users":
        from dashboard.io.users_command import run_users

        return run_users(args, settings)
    from dashboard.query.totals import filter_problems

    filters = filters_from(args)
    if problems := filter_problems(filters):
        for problem in problems:
            print(f"impact: {problem}", file=sys.stderr)
        return 2
    if args.command == "export" and args.out and not Path(args.out).resolve().parent.is_dir():
        print(f"impact: the folder {Path(args.out).parent} does not exist (create it first)", file=sys.stderr)
        return 2
    from dashboard.query.exposure import records_for_role

    role = args.as_role or ("viewer" if settings.auth == "public" else "analyst")
    records = records_for_role(load_records(open_store(settings), settings), role, settings.viewer_grid_km)
    try:
        if args.command == "summary":
            from dashboard.query.places import unknown_cities, unresolved_places
            from dashboard.views.summary_text import summary_lines

            totals = summarize(records, filters)
            for note in unknown_cities(records, filters.cities, filters.oblasts):
                print(f"impact: {note}", file=sys.stderr)  # the totals still print: zero is an answer
            print(json.dumps(totals, indent=2) if args.json else summary_lines(totals, unresolved_places(records)))
        elif args.command == "export":
            return run_export(args, settings, records, filters)
    except UnknownOblastError as exc:
        print(f"impact: {exc}", file=sys.stderr)
        return 2
    return 0


def entry() -> None:
    """The ``impact`` console script: :func:`main`, then exit without the interpreter's teardown.

    Everything is committed and flushed by then. Tearing the interpreter down can abort with
    "terminate called without an active exception" (exit -6) when pyarrow's thread pool is
    destroyed while a worker is alive (apache/arrow#34314), seen here about once in a test
    suite's run; ``os._exit`` skips that teardown and keeps the exit code the command chose.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
