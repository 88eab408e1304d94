"""The input-format registry: what the importer, the command line and the docs offer is the same list."""

from __future__ import annotations

import argparse
import re

import pytest

from dashboard import cli
from dashboard.config import PROJECT_ROOT
from dashboard.io.formats.registry import detect_format, format_names, input_format
from dashboard.records.load import read_header

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
FILES = PROJECT_ROOT / "tests" / "files" / "acled"


def _import_format_choices() -> list[str]:
    commands = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(next(a for a in commands.choices["import"]._actions if "--format" in a.option_strings).choices)


def test_cli_format_choices_are_the_registry():
    assert _import_format_choices() == format_names()
    assert format_names()[0] == "canonical"  # the default comes first


def test_readme_documents_every_registered_format():
    synopsis = re.search(r"^impact import .*--format ([\w|]+)", README, re.M)
    assert synopsis and synopsis.group(1).split("|") == format_names()
    bullet = re.search(r"^- `--format` \(import\):(.*?)(?=^- )", README, re.M | re.S)
    assert bullet, "README has no `--format` (import) bullet"
    for name in format_names():
        assert f"`{name}`" in bullet.group(1), name


def test_headers_are_recognised_by_their_format():
    assert detect_format(read_header((PROJECT_ROOT / "data" / "incidents.csv").read_bytes())) == "canonical"
    assert detect_format(read_header((FILES / "acled_v1.csv").read_bytes())) == "acled"
    assert detect_format(["date", "province", "title"]) is None  # any CSV needs a mapping


def test_an_unknown_format_names_the_known_ones():
    with pytest.raises(ValueError, match="canonical, acled, mapped"):
        input_format("xlsx")


def test_mapped_without_a_mapping_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IMPACT_DB_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(tmp_path / "rejected"))
    path = tmp_path / "any.csv"
    path.write_text("a,b\n1,2\n")
    assert cli.main(["import", str(path), "--format", "mapped"]) == 2
    assert "--mapping" in capsys.readouterr().err


def test_dates_are_read_by_the_first_format_that_fits_and_never_guessed():
    import pandas as pd

    from dashboard.io.formats.acled import DATE_FORMATS
    from dashboard.io.formats.base import parse_dates

    cells = pd.Series(
        ["14 March 2024", "14/03/2024", "03/14/2024", "", "2024-02-30", "0999-01-01"], index=[2, 3, 4, 5, 6, 7]
    )
    parsed = parse_dates(cells, DATE_FORMATS)
    assert list(parsed.index) == [2, 3, 4, 5, 6, 7]  # each cell stays on its input line
    assert list(parsed) == ["2024-03-14", "2024-03-14", "", "", "", "0999-01-01"]
