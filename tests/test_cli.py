"""The impact command: summary prints the same totals as the page; serve passes options through."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.query.totals import Filters, summarize


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    return settings


def run_json(capsys, *args: str) -> dict:
    assert cli.main(["summary", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_json_unfiltered(env, capsys, records):
    printed = run_json(capsys)
    assert printed == summarize(records)
    assert list(printed) == [
        "attacks", "killed", "injured", "children_killed", "children_injured",
        "people_without_service", "facilities_hit", "projectiles_launched", "reported",
        "people_cut_off", "open_outages", "registry_facilities",
    ]  # fmt: skip
    assert printed["people_without_service"] == {"heating": 40000}


def test_summary_json_filters(env, capsys, records):
    assert run_json(capsys, "--city", "Kherson")["attacks"] == 2
    assert run_json(capsys, "--city", "odessa", "--city", "Kryvyy Rih")["injured"] == 12
    assert run_json(capsys, "--oblast", "UA-65")["killed"] == 3
    dated = run_json(capsys, "--start", "2024-03-13", "--end", "2024-03-13")
    assert dated == summarize(
        records,
        Filters(
            start=__import__("datetime").date(2024, 3, 13),
            end=__import__("datetime").date(2024, 3, 13),
        ),
    )


def test_summary_text(env, capsys):
    assert cli.main(["summary", "--oblast", "Kherson"]) == 0
    out = capsys.readouterr().out
    assert "attacks" in out and "40,000" in out
    assert "place filters do not narrow it" in out


def test_summary_text_says_not_reported(env, capsys):
    """Neither Kherson city incident gives an injured figure: the text says so instead of 0."""
    assert cli.main(["summary", "--city", "Kherson"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "not reported" in lines["injured"] and "0" not in lines["injured"].split()
    assert "reported for 1 of 2 attacks" in lines["killed"]


def test_unknown_oblast_exits_2_with_message(env, capsys):
    assert cli.main(["summary", "--oblast", "Narnia"]) == 2
    assert "unknown oblast 'Narnia'" in capsys.readouterr().err


def test_bad_date_is_refused(env, capsys):
    with pytest.raises(SystemExit):
        cli.main(["summary", "--start", "13/03/2024"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_export_writes_exactly_the_filtered_rows(env, tmp_path):
    out = tmp_path / "kherson.csv"
    assert cli.main(["export", "--oblast", "Kherson", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("incident_id,event_date,")
    assert len([line for line in lines[1:] if line.startswith("inc-")]) == 3


def test_serve_passes_streamlit_options_and_env(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(cli.os, "execve", lambda path, command, env: calls.append((command, env)))
    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8765")
    assert cli.main(["serve", "--server.address", "127.0.0.1", "--server.headless", "true"]) == 0
    command, env = calls[0]
    # Streamlit runs the page in a process that warms the page's caches while it starts.
    assert command[:3] == [sys.executable, "-m", "dashboard.ui.serve"]
    assert command[3].endswith("dashboard/ui/app.py")
    assert command[4:] == ["--server.address", "127.0.0.1", "--server.headless", "true"]
    assert env["STREAMLIT_SERVER_PORT"] == "8765"
    assert env["STREAMLIT_SERVER_ENABLE_STATIC_SERVING"] == "true"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"


def test_console_script_runs(env):
    # The console script installed beside this interpreter (the venv's bin/).
    impact = str(Path(sys.executable).parent / "impact")
    result = subprocess.run(
        [impact, "summary", "--json", "--city", "Kiev"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["attacks"] == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--weapon", "drones"], "'drones' is not a weapon type; did you mean 'drone'?"),
        (["--asset-type", "schools"], "'schools' is not an asset type; did you mean 'school'?"),
        (
            ["--start", "2024-03-14", "--end", "2024-03-12"],
            "the start date 2024-03-14 is after the end date 2024-03-12",
        ),
    ],
)
def test_a_filter_that_can_match_nothing_is_refused(env, capsys, args, expected):
    """A misspelt vocabulary value or a reversed date range gave zeros and exit 0."""
    assert cli.main(["summary", *args]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.out == ""


def test_export_into_a_missing_folder_is_refused(env, tmp_path, capsys):
    """`--out /nonexistent/dir/x.csv` created the folders; a typo in a path now says so."""
    target = tmp_path / "no" / "such" / "x.csv"
    assert cli.main(["export", "--out", str(target)]) == 2
    assert "folder" in capsys.readouterr().err and not (tmp_path / "no").exists()


def test_serve_skips_streamlits_full_collection_after_each_run_unless_the_operator_sets_it():
    from dashboard.cli import serve_environment

    # Every open page's store check is a script run; a full collection after each made idle pages cost CPU.
    assert serve_environment([], {})[0]["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "false"
    chosen = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}
    assert serve_environment([], chosen)[0]["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "true"
