"""Settings, read from environment variables; every one is documented in README.md.

Examples
--------
>>> settings = Settings.from_env({"IMPACT_DB_URL": "sqlite:///:memory:"})
>>> settings.db_url
'sqlite:///:memory:'
>>> settings.tiles_url
''
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# geoBoundaries ADM1 outlines shipped with the project (ODbL 1.0, see geo/data/README.md).
BUNDLED_BOUNDARY_FILE = PROJECT_ROOT / "geo" / "data" / "ukr_adm1_geoboundaries_simplified.geojson"


@dataclass(frozen=True)
class Settings:
    """Where records, the store, boundaries and tiles come from."""

    db_url: str
    data_dir: Path
    boundary_file: str
    tiles_url: str
    tiles_attribution: str
    quarantine_dir: Path
    cache_dir: Path

    # Environment variable of each field, and what it means (README lists them all).
    ENV = {
        "db_url": (
            "IMPACT_DB_URL",
            "SQLAlchemy URL of the store; default an SQLite file var/impact.sqlite",
        ),
        "data_dir": (
            "IMPACT_DATA_DIR",
            "folder of record files that fill an empty store; default data/",
        ),
        "boundary_file": (
            "IMPACT_BOUNDARY_FILE",
            "oblast boundary file (GeoJSON) for outlines; default the bundled geoBoundaries file, empty for none",
        ),
        "tiles_url": (
            "IMPACT_TILES_URL",
            "online basemap tile URL template; default empty: no tiles, fully offline",
        ),
        "tiles_attribution": ("IMPACT_TILES_ATTRIBUTION", "attribution shown with those tiles"),
        "quarantine_dir": (
            "IMPACT_QUARANTINE_DIR",
            "where rejected rows are written; default var/rejected/",
        ),
        "cache_dir": ("IMPACT_CACHE_DIR", "Parquet snapshots of the store for fast starts; default var/cache/"),
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'impact.sqlite'}"
        return cls(
            db_url=env.get("IMPACT_DB_URL") or default_db,
            data_dir=Path(env.get("IMPACT_DATA_DIR") or PROJECT_ROOT / "data"),
            # Unset: the bundled outlines; set but empty: outlines off.
            boundary_file=env.get("IMPACT_BOUNDARY_FILE", str(BUNDLED_BOUNDARY_FILE)),
            tiles_url=env.get("IMPACT_TILES_URL", ""),
            tiles_attribution=env.get("IMPACT_TILES_ATTRIBUTION", ""),
            quarantine_dir=Path(env.get("IMPACT_QUARANTINE_DIR") or PROJECT_ROOT / "var" / "rejected"),
            cache_dir=Path(env.get("IMPACT_CACHE_DIR") or PROJECT_ROOT / "var" / "cache"),
        )


def setting_names() -> list[str]:
    """Every environment variable the project reads."""
    return [Settings.ENV[f.name][0] for f in fields(Settings)]
