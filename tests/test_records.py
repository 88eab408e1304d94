"""Loading and validation: the seed loads clean; a broken file says what is wrong and keeps the rest."""

from __future__ import annotations

import pandas as pd

from dashboard.config import PROJECT_ROOT
from dashboard.records.load import load_records, read_text_csv
from tests.builders import append_rows, record_folder


def test_seed_records_load_without_failures(records):
    assert len(records.sources) == 1
    assert sorted(records.incidents["incident_id"]) == [f"inc-00{n}" for n in range(1, 6)]
    assert len(records.assets) == 6
    assert len(records.impacts) == 6
    assert len(records.salvos) == 2


def test_every_record_quotes_its_source_word_for_word(records):
    text = " ".join((PROJECT_ROOT / "seeds" / "000_fdc33257951a94e8.txt").read_text().split())
    for table in ("incidents", "assets", "impacts", "salvos"):
        frame = records.table(table)
        assert (frame["source_id"] == "src-000").all()
        for quote in frame["quote"]:
            assert quote and " ".join(quote.split()) in text, (table, quote)


def test_seed_source_copied_unchanged():
    shared = PROJECT_ROOT.parent / "shared" / "seeds" / "000_fdc33257951a94e8.txt"
    if shared.is_file():
        assert (PROJECT_ROOT / "seeds" / shared.name).read_bytes() == shared.read_bytes()


def test_no_record_names_a_victim(records):
    # Do no harm: the seed names only officials who are quoted, never people harmed.
    victims_text = " ".join(records.incidents["description"])
    for name in ("Prokudin", "Saldo"):
        assert name not in victims_text


def test_oblast_level_strike_is_precision_3_and_has_no_place(records):
    saldo = records.incidents.set_index("incident_id").loc["inc-005"]
    assert saldo["geo_precision"] == "3"
    assert saldo["place"] == ""
    assert saldo["perpetrator_as_reported"] == "Ukrainian forces"
    assert "Saldo" in saldo["reported_by"]


def test_broken_rows_are_reported_with_file_line_column_value_rule(tmp_path):
    def damage(text: str) -> str:
        text = text.replace("inc-002,2024-03-12", "inc-002,2024-02-30")
        text = text.replace("UA-51,46.4825,30.7233,2,drone", "UA-51,146.4825,30.7233,2,laser")
        return text.replace(
            'Vladimir Saldo, Moscow-installed regional leader",2,',
            'Vladimir Saldo, Moscow-installed regional leader",two,',
        )

    report = load_records(record_folder(tmp_path, incidents_edit=damage))
    failures = report.failures[report.failures["file"] == "incidents.csv"]
    found = {(row.line, row.column, row.value) for row in failures.itertuples()}
    assert (3, "event_date", "2024-02-30") in found
    assert (5, "latitude", "146.4825") in found
    assert (5, "weapons", "laser") in found
    assert (6, "killed", "two") in found
    assert "calendar date" in failures.set_index("column").loc["event_date", "rule"]
    # All problems in the file are collected, not only the first.
    assert len(failures) == 4
    # The good rows still load.
    assert list(report.records.incidents["incident_id"]) == ["inc-001", "inc-003"]


def test_rows_that_point_at_rejected_records_are_rejected_too(tmp_path):
    report = load_records(
        record_folder(tmp_path, incidents_edit=lambda t: t.replace("inc-004,2024-03-14", "inc-004,14/03/2024"))
    )
    rejected_impacts = report.rejected["impacts"]
    assert set(rejected_impacts["impact_id"]) == {"imp-005", "imp-006"}
    assert all("must name an accepted record in incidents.csv" in r for r in rejected_impacts["reason"])


def test_rejected_rows_keep_their_own_columns_and_a_reason(tmp_path):
    bad = 'inc-099,2024-03-15,day,,Kherson,Kherson Oblast,UA-65,46.6,32.6,2,drone,not stated,,x,,,,"d",src-000,"no such sentence"'
    report = load_records(record_folder(tmp_path, incidents_edit=append_rows(bad)))
    rows = report.rejected["incidents"]
    assert list(rows.columns[:3]) == ["incident_id", "event_date", "date_precision"]
    assert rows.columns[-1] == "reason"
    reason = rows.iloc[0]["reason"]
    assert "killed: a whole number >= 0, or blank (got 'x')" in reason
    assert len(report.records.incidents) == 5


def test_quote_not_in_source_is_rejected(tmp_path):
    report = load_records(
        record_folder(
            tmp_path,
            assets_edit=lambda t: t.replace("over 40 residential", "over 50 residential", 1),
        )
    )
    failure = report.failures.iloc[0]
    assert (failure["file"], failure["line"], failure["column"]) == ("assets.csv", 2, "quote")
    assert failure["rule"].startswith("must appear word for word in the source document; nearest: ")
    assert "over 40 residential" in failure["rule"]  # the sentence the edited quote came from


def test_oblast_code_must_match_oblast_name(tmp_path):
    report = load_records(
        record_folder(tmp_path, incidents_edit=lambda t: t.replace("Odesa Oblast,UA-51", "Odesa Oblast,UA-65"))
    )
    failure = report.failures.iloc[0]
    assert (failure["column"], failure["value"]) == ("oblast_iso", "UA-65")
    assert "UA-51" in failure["rule"]


def test_duplicate_ids_are_both_reported(tmp_path):
    copy = 'inc-001,2024-03-13,day,,Kryvyi Rih,Dnipropetrovsk Oblast,UA-12,47.9,33.39,2,missile,not stated,,,1,,,"dup",src-000,"On the night of March 13, a missile struck the city of Kryvyi Rih, injuring six individuals, including a three-year-old girl."'
    report = load_records(record_folder(tmp_path, incidents_edit=append_rows(copy)))
    duplicates = report.failures[report.failures["rule"] == "must be unique"]
    assert set(duplicates["line"]) == {2, 7}


def test_missing_column_rejects_the_file_and_says_which(tmp_path):
    def drop_quote(text: str) -> str:
        lines = text.splitlines()
        return "\n".join(line.rsplit(",", 1)[0] if i == 0 else line for i, line in enumerate(lines)) + "\n"

    report = load_records(record_folder(tmp_path, salvos_edit=drop_quote))
    failures = report.failures[report.failures["file"] == "salvos.csv"]
    failure = failures[failures["column"] == "quote"].iloc[0]
    assert failure["line"] == 1
    assert failure["rule"] == "required column is missing from the header"
    assert report.records.salvos.empty
    assert len(report.rejected["salvos"]) == 2


def test_bom_and_quoted_newlines_keep_line_numbers():
    data = '\ufeffa,b\n1,"two\nlines"\n3,4\n'.encode()
    frame, failures = read_text_csv(data, "x.csv")
    assert list(frame.columns) == ["a", "b"]
    assert list(frame.index) == [2, 4]
    assert failures == []


def test_text_that_is_not_utf8_is_reported_not_guessed():
    frame, failures = read_text_csv("a,b\n1,Київ\n".encode("cp1251"), "x.csv")
    assert failures[0]["rule"] == "text must be UTF-8"
    assert failures[0]["line"] == 2


def test_extra_cells_are_reported():
    frame, failures = read_text_csv(b"a,b\n1,2,3\n", "x.csv")
    assert failures[0]["line"] == 2 and "3 cells" in failures[0]["rule"]
    assert frame.loc[2].tolist() == ["1", "2"]


def test_typed_columns(records):
    incidents = records.incidents
    assert str(incidents["killed"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(incidents["event_date"])
    assert incidents.set_index("incident_id").loc["inc-001", "killed"] is pd.NA


def test_a_long_quote_is_read_and_the_csv_limit_is_put_back():
    """A 1 MB cell (beyond csv's default 128 KB) reads; the process-wide limit is left as it was."""
    import csv

    from dashboard.records.load import read_text_csv

    before = csv.field_size_limit(50_000)  # whatever the rest of the process chose
    try:
        frame, failures = read_text_csv(b"id,quote\na," + b"x" * 1_000_000 + b"\n", "long.csv")
        assert failures == [] and len(frame.loc[2, "quote"]) == 1_000_000
        assert csv.field_size_limit() == 50_000
    finally:
        csv.field_size_limit(before)


def test_arrow_reader_agrees_with_python_reader_or_declines():
    from dashboard.records.csv_text import _arrow_one_row_per_line, _one_row_per_line

    cases = [
        "a,b\n1,2\n",
        'a,b\n"x,y","q""z"\n\n3,4\n',
        "a,b\n  , \n5,6\n",
        " a , b \n1,2",
        "a,b\n\u00a0,\n1,2\n",
        "a,b\n1,2,3\n",
        'a,b\n"1\n2",3\n',
        'a,b\n"a"b,c\n',
        'a,b\nx"y,z\n',
        "a,b\r\n1,2\r\n",
        "a,b\n\x00,1\n",
        "a,b\n1\n",
    ]
    for text in cases:
        quick = _arrow_one_row_per_line(text)
        if quick is None:
            continue
        python = _one_row_per_line(text)
        assert python is not None, text
        pd.testing.assert_frame_equal(quick, python)
