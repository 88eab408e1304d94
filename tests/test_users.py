"""The sign-in form's users: hashes never the password, lockout across processes, roles per action."""

from __future__ import annotations

import io
import stat
import subprocess
import sys

import pytest

from dashboard import cli
from dashboard.config import SettingError, Settings
from dashboard.io import users
from dashboard.io.users import REQUIRED_ROLE, ROLES, Identity

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """Cheap argon2 parameters: the page's defaults cost most of a second per hash on a busy machine."""
    monkeypatch.setattr(users, "_HASHER", users.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_DUMMY_HASH", None)


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "secrets" / "users.toml"
    users.add_user(path, "field-analyst", "analyst", PASSWORD)
    return path


def test_the_file_holds_a_hash_never_the_password(users_file):
    text = users_file.read_text()
    assert PASSWORD not in text
    assert "$argon2id$" in text
    assert users.read_users(users_file)["field-analyst"]["role"] == "analyst"


def test_the_users_file_and_the_lockout_file_are_readable_by_their_owner_only(users_file):
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    users.verify(users_file, "field-analyst", "wrong password here")
    assert stat.S_IMODE(users.lockout_file(users_file).stat().st_mode) == 0o600


def test_the_right_password_signs_in_and_a_wrong_one_does_not(users_file):
    assert users.verify(users_file, "field-analyst", PASSWORD) == Identity("field-analyst", "analyst")
    assert users.verify(users_file, " Field-Analyst ", PASSWORD) == Identity("field-analyst", "analyst")
    assert users.verify(users_file, "field-analyst", PASSWORD + "x") is None
    assert users.verify(users_file, "field-analyst", "") is None


def test_an_unknown_name_fails_after_checking_a_hash(users_file, monkeypatch):
    checked = []
    real = users._HASHER

    class Spy:
        def hash(self, password):
            return real.hash(password)

        def verify(self, stored, password):
            checked.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(users, "_HASHER", Spy())
    assert users.verify(users_file, "nobody", PASSWORD) is None
    assert checked, "an unknown name must cost one hash check, like a known one"
    assert users.verify(users_file, "x" * 500, PASSWORD) is None  # not even a valid name


def test_lockout_after_repeated_failures_even_with_the_right_password(users_file):
    now = 1_000_000.0
    for attempt in range(users.MAX_FAILURES):
        assert users.locked_until(users_file, "field-analyst", now + attempt) is None
        assert users.verify(users_file, "field-analyst", "wrong password", now + attempt) is None
    assert users.locked_until(users_file, "field-analyst", now + 10) is not None
    assert users.verify(users_file, "field-analyst", PASSWORD, now + 10) is None
    # After LOCK_MINUTES the right password works again.
    assert users.verify(users_file, "field-analyst", PASSWORD, now + users.LOCK_MINUTES * 60 + 10) is not None


def test_failures_spread_beyond_the_window_do_not_lock(users_file):
    now = 1_000_000.0
    step = users.FAILURE_WINDOW_MINUTES * 60 / (users.MAX_FAILURES - 1) + 1
    for attempt in range(users.MAX_FAILURES * 2):
        users.verify(users_file, "field-analyst", "wrong password", now + attempt * step)
    assert users.verify(users_file, "field-analyst", PASSWORD, now + users.MAX_FAILURES * 2 * step) is not None


def test_unknown_names_lock_like_known_ones(users_file):
    now = 1_000_000.0
    for attempt in range(users.MAX_FAILURES):
        users.verify(users_file, "nobody", "wrong password", now + attempt)
    assert users.locked_until(users_file, "nobody", now + 10) is not None


def test_unlock_lifts_a_lockout_and_it_holds_in_another_process(users_file):
    for _ in range(users.MAX_FAILURES):
        users.verify(users_file, "field-analyst", "wrong password")
    # Another process (the page on another worker, a restart) sees the same lockout.
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path; from dashboard.io.users import locked_until; "
            f"print(locked_until(Path({str(users_file)!r}), 'field-analyst') is not None)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert seen.stdout.strip() == "True"
    users.unlock(users_file, "field-analyst")
    assert users.verify(users_file, "field-analyst", PASSWORD) is not None


def test_a_success_clears_earlier_failures(users_file):
    for _ in range(users.MAX_FAILURES - 1):
        users.verify(users_file, "field-analyst", "wrong password")
    assert users.verify(users_file, "field-analyst", PASSWORD) is not None
    users.verify(users_file, "field-analyst", "wrong password")
    assert users.locked_until(users_file, "field-analyst") is None


def test_bad_names_roles_and_passwords_are_refused(users_file):
    with pytest.raises(users.UsersError, match="already exists"):
        users.add_user(users_file, "field-analyst", "viewer", PASSWORD)
    with pytest.raises(users.UsersError, match="not a role"):
        users.add_user(users_file, "other", "owner", PASSWORD)
    with pytest.raises(users.UsersError, match="shorter than"):
        users.add_user(users_file, "other", "viewer", "short")
    with pytest.raises(users.UsersError, match="not a user name"):
        users.add_user(users_file, 'a"b', "viewer", PASSWORD)
    with pytest.raises(users.UsersError, match="no user"):
        users.remove_user(users_file, "other")


def test_a_removed_user_cannot_sign_in(users_file):
    users.remove_user(users_file, "field-analyst")
    assert users.verify(users_file, "field-analyst", PASSWORD) is None
    assert users.current_user(users_file, "field-analyst") is None


@pytest.mark.parametrize("action", sorted(REQUIRED_ROLE))
def test_every_action_needs_its_role_and_no_less(action):
    needed = ROLES.index(REQUIRED_ROLE[action])
    for rank, role in enumerate(ROLES):
        assert users.may(Identity("someone", role), action) is (rank >= needed)
    assert not users.may(None, action)


def test_write_paths_need_more_than_viewer():
    assert REQUIRED_ROLE["read"] == "viewer"
    assert all(role != "viewer" for action, role in REQUIRED_ROLE.items() if action != "read")
    assert REQUIRED_ROLE["import"] == "analyst" and REQUIRED_ROLE["manage_users"] == "admin"


def test_auth_settings():
    assert Settings.from_env({"IMPACT_HOME": "/srv/i"}).users_file.as_posix() == "/srv/i/users.toml"
    assert Settings.from_env({}).session_minutes == 480
    assert Settings.from_env({"IMPACT_AUTH": "public", "IMPACT_ALLOW_WRITES": "1"}).allow_writes is False
    assert Settings.from_env({"IMPACT_AUTH": "form"}).allow_writes is True
    with pytest.raises(SettingError, match="IMPACT_AUTH"):
        Settings.from_env({"IMPACT_AUTH": "oauth"})  # a typo is refused rather than left open
    with pytest.raises(SettingError, match="IMPACT_SESSION_MINUTES"):
        Settings.from_env({"IMPACT_SESSION_MINUTES": "forever"})


def test_cli_adds_lists_unlocks_and_removes(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    monkeypatch.setenv("IMPACT_USERS_FILE", str(path))
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "add", "field-analyst", "--role", "analyst", "--password-stdin"]) == 0
    assert PASSWORD not in path.read_text()
    assert users.verify(path, "field-analyst", PASSWORD) is not None
    for _ in range(users.MAX_FAILURES):
        users.verify(path, "field-analyst", "wrong password")
    capsys.readouterr()
    assert cli.main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "field-analyst" in listed and "analyst" in listed and "locked until" in listed
    assert cli.main(["users", "unlock", "field-analyst"]) == 0
    assert users.verify(path, "field-analyst", PASSWORD) is not None
    assert cli.main(["users", "remove", "field-analyst"]) == 0
    assert cli.main(["users", "remove", "field-analyst"]) == 2
    assert "no user" in capsys.readouterr().err


def test_cli_asks_twice_and_refuses_differing_passwords(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IMPACT_USERS_FILE", str(tmp_path / "users.toml"))
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "add", "reader", "--role", "viewer"]) == 2
    assert "differ" in capsys.readouterr().err
    assert not (tmp_path / "users.toml").exists()


def test_the_password_is_never_an_argument():
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["users", "add", "reader", "--role", "viewer", "--password", PASSWORD])


def test_serve_warns_about_open_writes_only_without_sign_in():
    _, warnings = cli.serve_environment(["--server.address", "0.0.0.0"], {"IMPACT_ALLOW_WRITES": "1"})
    assert warnings
    _, warnings = cli.serve_environment(
        ["--server.address", "0.0.0.0"], {"IMPACT_ALLOW_WRITES": "1", "IMPACT_AUTH": "form"}
    )
    assert warnings == []
