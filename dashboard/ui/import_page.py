"""The import page: upload a CSV, choose its format, preview the validation report, confirm.

Links waiting for review (``impact links --pending``) are listed first, to accept or reject.
The preview is a dry run of the same import ``impact import --dry-run`` performs;
confirming runs it for real, in one transaction, with a progress bar.

Uploads are kept under their content hash (``dashboard.io.uploads``): a preview's file is
removed when the preview ends without an import (the uploader is cleared or another file
replaces it), old ones go at the next upload, and the folder is held to a quota.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.config import MAPPINGS_DIR
from dashboard.io import links
from dashboard.io.formats.mapped import MappingError, load_mapping
from dashboard.io.formats.registry import DEFAULT_FORMAT, detect_format, input_formats
from dashboard.io.importer import import_file
from dashboard.io.uploads import remove_upload, save_upload, uploads_dir
from dashboard.records.load import read_header
from dashboard.records.safe_text import markdown_text, plain_text, visible_controls
from dashboard.store.health import Fault, fault_for
from dashboard.ui import shared, signin
from dashboard.views.server_paths import file_name, without_server_paths

# The role check, on the server, before anything else of this page runs (a viewer reaching /import by URL too).
who = signin.require("import")

# Set explicitly rather than left to Streamlit's default (200 MB): a field laptop's memory
# and a readable report both argue for files a few hundred thousand rows long at most.
MAX_UPLOAD_MB = 100
ACCEPTED_TYPES = ["csv"]
MAPPINGS = sorted(MAPPINGS_DIR.glob("*.toml"))
FORMATS = input_formats()
# The session's preview file not (yet) imported: removed when the preview ends.
PREVIEW_KEY = "upload_preview"


def keep(data: bytes, name: str) -> Path:
    """The upload saved under its hash; a refusal (quota, disk) is shown and the run stops."""
    try:
        return save_upload(
            data,
            name,
            uploads_dir(settings.quarantine_dir),
            quota_mb=settings.upload_quota_mb,
            max_age_hours=settings.upload_max_age_hours,
        )
    except (Fault, OSError) as exc:
        fault = fault_for(exc)
        if fault is None:
            raise
        st.error(
            markdown_text(
                without_server_paths(fault.message, {str(uploads_dir(settings.quarantine_dir)): "the uploads folder"})
            )
        )
        st.stop()


def end_preview(unless: Path | None = None) -> None:
    """Remove this session's preview file, unless it is ``unless`` (the file still previewed)."""
    previous = st.session_state.get(PREVIEW_KEY)
    if previous and Path(previous) != unless:
        remove_upload(Path(previous))
        st.session_state.pop(PREVIEW_KEY, None)


settings = shared.settings()
st.title("Import data")
if not settings.allow_writes:
    # Checked here, on the server, on every run: nothing below (upload, preview, confirm) exists
    # for a session while writes are off.
    st.info(
        "Imports are turned off on this server: the page is read-only for everyone who can reach it. "
        "To import, run `impact import FILE` on the server, or start the dashboard with "
        "IMPACT_ALLOW_WRITES=1 on a machine only trusted users can reach."
    )
    st.stop()
st.caption(
    f"CSV files up to {MAX_UPLOAD_MB} MB. Nothing is written until you confirm; rejected rows are kept "
    # The folder is the server's business (IMPACT_QUARANTINE_DIR): the page names no server path.
    "in the server's quarantine folder with the reason, ready to fix and import again."
)

engine = shared.engine(settings.db_url)


def review_links() -> None:
    """Links waiting for review, accepted or rejected here as ``impact links --accept/--reject`` does."""
    waiting = links.waiting(engine)
    if waiting.empty:
        return
    st.subheader("Links waiting for review")
    st.caption(
        "Unnamed facility hits that may be a registry facility. Nothing is linked until you accept; "
        "a rejected link is not proposed again."
    )
    st.dataframe(waiting[["link_id", "score", "method", "reason"]], hide_index=True, width="stretch")
    # The options show only the id, method and score: record text stays in the table, never in a label.
    scores = dict(zip(waiting["link_id"], waiting["method"] + " " + waiting["score"].map("{:.2f}".format), strict=True))
    chosen = st.selectbox("Link", list(scores), format_func=lambda link: f"{link} ({scores[link]})")
    accept, reject = st.columns(2)
    if accept.button("Accept link"):
        links.accept(engine, settings, chosen, signin.require("review_links").name)
        st.rerun()
    if reject.button("Reject link"):
        links.reject(engine, settings, chosen, signin.require("review_links").name)
        st.rerun()


review_links()
uploaded = st.file_uploader("CSV file", type=ACCEPTED_TYPES, accept_multiple_files=False)
if uploaded is None:
    end_preview()  # the user cleared the uploader: the preview is over
# The format the uploaded file's header looks like is preselected; the user can still change it.
detected = detect_format(read_header(uploaded.getvalue())) if uploaded is not None else None
fmt = st.radio(
    "Format",
    list(FORMATS),
    index=list(FORMATS).index(detected or DEFAULT_FORMAT),
    format_func=lambda name: FORMATS[name].title,
    help="; ".join(f"{f.title}: {f.help}" for f in FORMATS.values()),
    horizontal=True,
)
mapping_path = None
if FORMATS[fmt].needs_mapping:
    choice = st.selectbox("Mapping", [p.name for p in MAPPINGS] + ["Upload a mapping file…"])
    if choice == "Upload a mapping file…":
        mapping_upload = st.file_uploader("Mapping file (TOML)", type=["toml"], key="mapping_upload")
        if mapping_upload is not None:
            # Kept under its content hash: two uploads with one name never overwrite each other.
            mapping_path = keep(mapping_upload.getvalue(), "mapping.toml")
            try:
                # An uploaded mapping may not name any server file (its [source] path).
                load_mapping(mapping_path, may_name_files=False)
            except MappingError as exc:
                mapping_path.unlink(missing_ok=True)
                st.error(markdown_text(without_server_paths(str(exc), {mapping_path: mapping_upload.name})))
                st.stop()
    else:
        mapping_path = next(p for p in MAPPINGS if p.name == choice)

if uploaded is None:
    st.stop()
if uploaded.size > MAX_UPLOAD_MB * 1024 * 1024:
    st.error(f"{markdown_text(uploaded.name)} is {uploaded.size / 1e6:.0f} MB; the limit is {MAX_UPLOAD_MB} MB.")
    st.stop()
if FORMATS[fmt].needs_mapping and mapping_path is None:
    st.info("Choose or upload a mapping file.")
    st.stop()

data = uploaded.getvalue()
path = keep(data, uploaded.name)
end_preview(unless=path)  # another file replaced the one previewed before
st.session_state[PREVIEW_KEY] = str(path)


def shown_message(exc: Exception) -> str:
    """A refusal as the page shows it: the upload's own name, not the server's file, escaped."""
    text = without_server_paths(str(exc), {path: uploaded.name}).replace("try --format ", "choose the format ")
    return markdown_text(visible_controls(text))  # messages quote the file's own values


try:
    preview = import_file(path, engine, settings, fmt, mapping_path, dry_run=True)
except (MappingError, ValueError, Fault) as exc:
    st.error(shown_message(exc))
    st.stop()

st.subheader("Validation report (preview)")
columns = st.columns(6)
for column, (label, value) in zip(
    columns,
    [
        ("Rows read", preview.rows_read),
        ("New", preview.accepted),
        ("Updated", preview.updated),
        ("Unchanged", preview.unchanged),
        ("Duplicates", preview.duplicates),
        ("Rejected", preview.rejected),
    ],
    strict=True,
):
    column.metric(label, f"{value:,}")
if preview.identity:
    st.caption(markdown_text(visible_controls(preview.identity.capitalize())))  # names a mapping's columns
if preview.rejections:
    st.write("Rejected rows, one line per problem:")
    st.dataframe(
        pd.DataFrame(preview.rejections)[["line", "column", "value", "rule"]],
        hide_index=True,
        width="stretch",
    )

if preview.conflicts:
    st.warning(
        f"{len(preview.conflicts):,} corrected field(s) have a new value in this file. "
        "The corrections are kept; review them below (Corrections page, or `impact history ID`)."
    )
    st.dataframe(pd.DataFrame(preview.conflicts), hide_index=True, width="stretch")

if st.button("Confirm import", type="primary", disabled=preview.accepted + preview.updated == 0):
    bar = st.progress(0.0, text="Starting")
    path = keep(data, uploaded.name)  # again: another session's preview may have ended and removed it
    st.session_state.pop(PREVIEW_KEY, None)  # imported: kept under its hash until it is old
    try:
        report = import_file(
            path,
            engine,
            settings,
            fmt,
            mapping_path,
            progress=lambda fraction, text: bar.progress(fraction, text=text),
            user=who.name,
        )
    except (MappingError, ValueError, Fault) as exc:
        # Another import holding the store, an unwritable quarantine folder...: nothing was imported.
        bar.empty()
        st.error(shown_message(exc))
        st.stop()
    st.success(
        f"Imported {report.accepted:,} new and {report.updated:,} updated records "
        f"({report.unchanged:,} unchanged, {report.duplicates:,} duplicates, {report.rejected:,} rejected); "
        f"batch {report.batch_id}."
    )
    if report.quarantine_file:
        st.text(f"Rejected rows were written to {plain_text(file_name(report.quarantine_file))} on the server.")
        st.download_button(
            "Download the rejected rows",
            open(report.quarantine_file, "rb").read(),
            file_name=Path(uploaded.name).stem + ".rejected.csv",
        )
