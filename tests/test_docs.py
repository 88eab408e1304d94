"""The docs cover every setting, every CLI option and every column, and CI runs the README's command."""

from __future__ import annotations

import argparse
import re

from dashboard import cli
from dashboard.config import PROJECT_ROOT, setting_names
from dashboard.records.docs import BEGIN, END, column_tables
from dashboard.records.schemas import SCHEMAS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
        else:
            found |= {o for o in action.option_strings if o.startswith("--") and o != "--help"}
    return found


def test_readme_documents_every_setting():
    for name in setting_names():
        assert f"`{name}`" in README, name


def test_readme_documents_every_cli_option_and_command():
    for option in sorted(_options(cli.parser())):
        assert f"`{option}`" in README, option
    for command in ("impact summary", "impact export", "impact serve"):
        assert command in README


def test_data_readme_documents_every_column_and_is_current():
    text = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == column_tables().strip(), "run `make docs` (python -m dashboard.records.docs)"
    for schema in SCHEMAS.values():
        for column in schema.columns:
            assert f"| `{column}` |" in generated


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert len(blocks) == 2, "the README gives exactly two set-up commands"
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    assert test_command in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_changelog_exists():
    assert "## Unreleased" in (PROJECT_ROOT / "CHANGELOG.md").read_text()


def test_architecture_lists_every_module():
    """ARCHITECTURE.md's module table names every module of dashboard/ and geo/, and nothing that is gone."""
    import re

    from dashboard.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `((?:dashboard|geo)/[\w/]+\.py)` \|", text, flags=re.M))
    present = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for package in ("dashboard", "geo")
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if path.name != "__init__.py" and "bundled" not in path.parts
    }
    assert present - listed == set(), "not in ARCHITECTURE.md"
    assert listed - present == set(), "listed but gone"
