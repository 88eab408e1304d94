"""The corrections page (AppTest): an analyst corrects and retracts with a reason, the totals follow; viewers are refused."""

from __future__ import annotations

from dashboard.io.open import open_store
from dashboard.query.totals import summarize
from dashboard.records.safe_text import markdown_text
from dashboard.store.sql import create_engine, read_records
from tests.test_signin import app, sign_in, users_file  # noqa: F401  (fixtures)


def _page(at, name: str = "field-analyst"):
    at = sign_in(at.run(), name)
    at.switch_page("corrections_page.py").run()
    return at


def _open(at, record_id: str):
    next(t for t in at.text_input if t.label == "Record id").input(record_id)
    return at.run()


def test_an_analyst_corrects_a_field_and_sees_it_in_the_history(app, settings):  # noqa: F811
    at = _open(_page(app), "inc-001")
    assert at.title[0].value == "Corrections"
    assert "incidents inc-001 (in force)" in [t.value for t in at.text]
    form_field = next(s for s in at.selectbox if s.label == "Field")
    form_field.select("injured")
    next(t for t in at.text_input if t.label.startswith("New value")).input("9")
    next(t for t in at.text_area if t.label == "Reason").input("OCHA flash update 3")
    at = next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.error
    records = read_records(create_engine(settings.db_url))
    assert records.incidents.set_index("incident_id").at["inc-001", "injured"] == 9
    histories = [frame.value for frame in at.dataframe if "action" in frame.value.columns]
    assert histories and histories[0]["action"].tolist()[-1] == "corrected"
    assert histories[0]["user_name"].tolist()[-1] == "field-analyst"


def test_a_bad_value_is_refused_with_its_rule(app):  # noqa: F811
    at = _open(_page(app), "inc-001")
    next(s for s in at.selectbox if s.label == "Field").select("injured")
    next(t for t in at.text_input if t.label.startswith("New value")).input("lots")
    next(t for t in at.text_area if t.label == "Reason").input("a guess")
    at = next(b for b in at.button if b.label == "Save correction").click().run()
    assert [e.value for e in at.error] == [
        markdown_text("injured: 'lots' breaks the rule: a whole number >= 0, or blank")
    ]


def test_a_retraction_leaves_the_totals_the_page_and_cli_show(app, settings):  # noqa: F811
    before = summarize(read_records(open_store(settings)))["attacks"]
    at = _open(_page(app), "inc-002")
    next(t for t in at.text_area if t.label == "Reason" and t.key == "retraction_reason").input("duplicate")
    at = next(b for b in at.button if b.label == "Retract").click().run()
    assert not at.error
    assert summarize(read_records(create_engine(settings.db_url)))["attacks"] == before - 1
    assert "incidents inc-002 (retracted)" in [t.value for t in at.text]
    at.switch_page("overview.py").run()
    attacks = next(m for m in at.metric if m.label == "Attacks")
    assert attacks.value == str(before - 1)


def test_a_viewer_is_refused_the_corrections_page(app):  # noqa: F811
    at = _page(app, "reader")
    assert [e.value for e in at.error] == ["Correcting records needs the analyst role."]
    assert not at.text_input and not at.title


def test_the_chosen_rows_history_shows_under_the_table_for_analysts_only(app):  # noqa: F811
    from dashboard.query.totals import Filters

    for name, shown in (("field-analyst", True), ("reader", False)):
        at = sign_in(app.run(), name)
        at.session_state["page_tab"] = "Incidents"
        at.session_state["map_focus"] = ("inc-001", 1, Filters())  # what a click on the row sets
        at.run()
        labels = [e.label for e in at.expander]
        assert ("History of inc-001 (1 change)" in labels) is shown, (name, labels)
        next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
