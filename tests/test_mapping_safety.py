"""Mappings are data: source documents stay under allowed folders, extract patterns run under a time limit."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from dashboard.io.formats.mapped import MappingError, load_mapping, translate_mapped
from dashboard.records.checks import source_documents

MAPPING = """[source]
source_id = "x"
{path}
[identity]
id_column = "id"
[fields.event_date]
constant = "2024-01-01"
[fields.killed]
column = "text"
extract = '{extract}'
"""


def _mapping(tmp_path, path_line="", extract=r"(\d+) killed"):
    file = tmp_path / "m.toml"
    file.write_text(MAPPING.format(path=path_line, extract=extract))
    return file


def test_a_mapping_naming_a_file_outside_its_folder_is_refused(tmp_path):
    for target in ("/proc/self/environ", "../outside.txt", "/etc/no-such-file"):
        with pytest.raises(MappingError, match=r"\[source\] path: must name a file under"):
            load_mapping(_mapping(tmp_path, f'path = "{target}"'))


def test_an_uploaded_mapping_may_name_no_file(tmp_path):
    (tmp_path / "doc.txt").write_text("text")
    with pytest.raises(MappingError, match="uploaded through the page may not name a file"):
        load_mapping(_mapping(tmp_path, 'path = "doc.txt"'), may_name_files=False)
    assert load_mapping(_mapping(tmp_path, 'path = "doc.txt"'))["source"]["path"].endswith("doc.txt")


def test_a_symlink_out_of_the_root_names_no_document(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    sources = pd.DataFrame({"source_id": ["a", "b"], "path": [str(tmp_path / "secret.txt"), "link.txt"]})
    assert source_documents(sources, root) == {}


def test_a_catastrophic_extract_pattern_rejects_its_rows_quickly(tmp_path):
    mapping = load_mapping(_mapping(tmp_path, extract=r"(a|aa)+$"))
    values = [("a" * (28 + n) + "!") for n in range(50)] + ["3 killed 4"]
    raw = pd.DataFrame({"id": [str(n) for n in range(51)], "text": values}, index=range(2, 53), dtype="str")
    start = time.monotonic()
    translation = translate_mapped(raw, "f.csv", mapping)
    assert time.monotonic() - start < 3
    rules = [f["rule"] for f in translation.failures]
    assert sum("timed out after 0.1 s" in r for r in rules) == 5
    assert sum("not tried" in r for r in rules) == 46  # every value after the fifth timeout, the harmless one included


def test_a_pattern_without_a_group_or_not_compiling_is_a_mapping_error(tmp_path):
    for bad in (r"\d+", r"(\d+"):
        with pytest.raises(MappingError, match="extract"):
            load_mapping(_mapping(tmp_path, extract=bad))
