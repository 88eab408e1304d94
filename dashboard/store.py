"""The store: an SQL database behind SQLAlchemy, SQLite by default.

Tables follow the record schemas column for column. The first time anything
opens an empty store it is filled from the record files in one transaction,
with a batch log row per file (name, content hash, time, counts). SQL stays
portable (Core expressions only) so that ``IMPACT_DB_URL`` can name another
database.

Examples
--------
>>> from dashboard.config import Settings
>>> engine = open_store(Settings.from_env({"IMPACT_DB_URL": "sqlite://"}))
>>> len(read_records(engine).incidents)
5
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from dashboard.config import Settings
from dashboard.records import LoadReport, Records, load_records, typed_table
from dashboard.schemas import SCHEMAS

_SQL_TYPES = {
    "id": lambda: sa.String(128),
    "code": lambda: sa.String(64),
    "text": sa.Text,
    "list": sa.Text,
    "date": sa.Date,
    "count": sa.BigInteger,
    "number": sa.Float,
}

metadata = sa.MetaData()
TABLES: dict[str, sa.Table] = {
    name: sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column,
                _SQL_TYPES[spec.kind](),
                primary_key=(column == schema.key),
                nullable=column != schema.key,
            )
            for column, spec in schema.columns.items()
        ),
    )
    for name, schema in SCHEMAS.items()
}
import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
)


def create_engine(url: str) -> Engine:
    """An engine for the store URL; an SQLite file's folder is created when missing."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # One shared in-memory database, not a new empty one per connection.
        return sa.create_engine(url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    return sa.create_engine(url)


def is_empty(engine: Engine) -> bool:
    inspector = sa.inspect(engine)
    if not inspector.has_table("incidents"):
        return True
    with engine.connect() as connection:
        return all(
            connection.execute(sa.select(sa.func.count()).select_from(TABLES[t])).scalar_one() == 0
            for t in TABLES
            if inspector.has_table(t)
        )


def open_store(settings: Settings) -> Engine:
    """Open the store, filling it from ``settings.data_dir`` if it is empty."""
    engine = create_engine(settings.db_url)
    if is_empty(engine):
        seed_store(engine, settings)
    return engine


def seed_store(engine: Engine, settings: Settings) -> LoadReport:
    """Fill an empty store from the record files in one transaction.

    Rejected rows are written to ``settings.quarantine_dir`` as ``<file>.rejected.csv``.
    """
    report = load_records(settings.data_dir)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            for table in SCHEMAS:
                rows = _to_rows(report.records.table(table), table)
                if rows:
                    connection.execute(TABLES[table].insert(), rows)
            connection.execute(import_batches.insert(), _batch_rows(settings.data_dir, report))
    except IntegrityError:
        # Another process filled the store between our check and our insert.
        if is_empty(engine):
            raise
    write_quarantine(report, settings.quarantine_dir)
    return report


def write_quarantine(report: LoadReport, folder: Path) -> list[Path]:
    """Write each file's rejected rows, in its own columns plus ``reason``."""
    written = []
    for table, rows in report.rejected.items():
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / SCHEMAS[table].file.replace(".csv", ".rejected.csv")
        rows.reset_index().to_csv(path, index=False)
        written.append(path)
    return written


def _batch_rows(data_dir: Path, report: LoadReport) -> list[dict]:
    now = datetime.now(UTC).replace(tzinfo=None)
    batches = []
    for table, schema in SCHEMAS.items():
        path = data_dir / schema.file
        if not path.is_file():
            continue
        accepted = len(report.records.table(table))
        rejected = len(report.rejected.get(table, ()))
        batches.append(
            {
                "file": str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "imported_at": now,
                "rows_read": accepted + rejected,
                "accepted": accepted,
                "rejected": rejected,
            }
        )
    return batches


def _to_rows(frame: pd.DataFrame, table: str) -> list[dict]:
    columns = list(SCHEMAS[table].columns)
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    rows = out.to_dict("records")
    for row in rows:
        for column, spec in SCHEMAS[table].columns.items():
            value = row[column]
            if spec.kind == "date" and value is not None:
                row[column] = pd.Timestamp(value).date()
            elif spec.kind == "count" and value is not None:
                row[column] = int(value)
            elif spec.kind == "number" and value is not None:
                row[column] = float(value)
            elif spec.kind in ("text", "id", "code", "list") and value == "":
                row[column] = None
    return rows


def read_records(engine: Engine) -> Records:
    """Every record table, typed as the query core expects."""
    frames = {}
    with engine.connect() as connection:
        for table, schema in SCHEMAS.items():
            stored = pd.read_sql(sa.select(TABLES[table]), connection)
            text = pd.DataFrame(index=stored.index)
            for column, spec in schema.columns.items():
                values = stored[column]
                if spec.kind == "date":
                    text[column] = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
                elif spec.kind == "count":
                    text[column] = values.astype("Int64").astype("str").replace("<NA>", "")
                else:
                    text[column] = values.astype(object).where(values.notna(), "").astype("str")
            text = text.fillna("")
            frames[table] = typed_table(table, text)
    return Records(**frames)


def batches(engine: Engine) -> pd.DataFrame:
    """The batch log, newest first."""
    with engine.connect() as connection:
        return pd.read_sql(sa.select(import_batches).order_by(import_batches.c.batch_id.desc()), connection)
