"""The ``impact users`` commands: add, list, remove and unlock the sign-in form's users.

The command line is the machine's operator: whoever can run it can change the users file
anyway. Passwords come from a prompt (``getpass``) or standard input, never an argument,
which ``ps`` and shell histories would show.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from dashboard.config import Settings
from dashboard.io import users


def run_users(args: argparse.Namespace, settings: Settings) -> int:
    """``impact users``: exit 0 when done, 2 when the request cannot be done (said in one line)."""
    path = settings.users_file
    if settings.auth != "form":
        print(f"impact: note: IMPACT_AUTH is {settings.auth}: the page does not ask anyone to sign in", file=sys.stderr)
    try:
        if args.users_command == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                password = getpass.getpass("Password: ")
                if getpass.getpass("Password again: ") != password:
                    print("impact: the two passwords differ; nothing changed", file=sys.stderr)
                    return 2
            name = users.add_user(path, args.name, args.role, password)
            print(f"added {name} ({args.role}) to {path}")
        elif args.users_command == "list":
            for name, entry in sorted(users.read_users(path).items()):
                until = users.locked_until(path, name)
                locked = f"  locked until {datetime.fromtimestamp(until, UTC):%Y-%m-%d %H:%M} UTC" if until else ""
                print(f"{name:<24}{entry.get('role', '?'):<10}{locked}")
        elif args.users_command == "remove":
            users.remove_user(path, args.name)
            print(f"removed {users.normal_name(args.name)} from {path}")
        else:
            users.unlock(path, args.name)
            print(f"unlocked {users.normal_name(args.name)}")
    except users.UsersError as exc:
        print(f"impact: {exc}", file=sys.stderr)
        return 2
    return 0


def add_users_commands(commands) -> None:
    """``impact users add|list|remove|unlock``: the sign-in form's users file, run by the machine's operator."""
    from dashboard.io.users import ROLES

    manage = commands.add_parser("users", help="manage the sign-in form's users (IMPACT_USERS_FILE)")
    actions = manage.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="add a user; the password is asked for, never given as an option")
    add.add_argument("name", metavar="NAME", help="user name: a-z, 0-9, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=ROLES, help="viewer reads; analyst also imports; admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="list users, their roles and any lockout")
    for name, text in (("remove", "remove a user"), ("unlock", "lift a user's lockout after failed sign-ins")):
        actions.add_parser(name, help=text).add_argument("name", metavar="NAME")
