"""Record schemas: one class per record file, each column with its type, unit, rule and meaning.

Files are read as text and checked here before any conversion, so a failure can
quote the value exactly as it stands in the file. The same column specs, through
their kinds (``dashboard.records.kinds``), drive validation, the type conversion,
the store's tables and the data README (a test checks the README documents every
column).

Examples
--------
>>> IncidentSchema.columns["killed"].kind
'count'
>>> sorted(SCHEMAS)
['assets', 'impacts', 'incidents', 'salvos', 'sources']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from dashboard.records.kinds import KINDS, Kind
from geo.oblasts import OBLASTS

# Vocabularies. Extending one is a schema change: update data/README.md too.
DATE_PRECISIONS = ("day", "approximate", "month", "year")
GEO_PRECISIONS = ("1", "2", "3")  # 1 site, 2 settlement, 3 oblast only
WEAPONS = (
    "missile",
    "ballistic_missile",
    "cruise_missile",
    "drone",
    "artillery",
    "rocket_artillery",
    "glide_bomb",
    "air_strike",
    "mine",
    "small_arms",
    "unknown",
    # Appended for monitoring datasets (positions matter: the query index keeps a bit per value).
    "cluster_munition",
    "incendiary",
    "thermobaric",
    "loitering_munition",  # Shahed-type one-way attack drones
)
ASSET_TYPES = (
    "thermal_power_plant",
    "power_plant",
    "substation",
    "energy_infrastructure",
    "gas_pipeline",
    "water_facility",
    "school",
    "hospital",
    "residential_building",
    "civilian_infrastructure",
    "transport",
    "other",
    # Appended for facility registries and monitoring exports (positions matter, as above).
    "hydro_power_plant",
    "nuclear_power_plant",
    "combined_heat_and_power_plant",
    "power_line",
    "boiler_house",
    "water_treatment_plant",
    "pumping_station",
    "kindergarten",
    "university",
    "administrative_building",
    "cultural_site",
    "religious_site",
    "market",
    "industrial_site",
)
SERVICES = (
    "heating",
    "electricity",
    "energy",
    "gas",
    "water",
    "education",
    "health",
    "housing",
    "transport",
    "unspecified",
    # Appended with the asset types above (positions matter, as above).
    "administration",
    "culture",
    "worship",
    "commerce",
    "industry",
)
# The service an asset of each type provides unless its record says otherwise: what a mapping
# or registry uses when it names only the type. Thermal plants in Ukraine's grid are mostly
# condensing stations (TES) selling electricity; combined heat and power plants (TETs) and boiler
# houses are what heat cities.
DEFAULT_SERVICE: dict[str, str] = {
    "thermal_power_plant": "electricity",
    "power_plant": "electricity",
    "substation": "electricity",
    "energy_infrastructure": "energy",
    "gas_pipeline": "gas",
    "water_facility": "water",
    "school": "education",
    "hospital": "health",
    "residential_building": "housing",
    "civilian_infrastructure": "unspecified",
    "transport": "transport",
    "other": "unspecified",
    "hydro_power_plant": "electricity",
    "nuclear_power_plant": "electricity",
    "combined_heat_and_power_plant": "heating",
    "power_line": "electricity",
    "boiler_house": "heating",
    "water_treatment_plant": "water",
    "pumping_station": "water",
    "kindergarten": "education",
    "university": "education",
    "administrative_building": "administration",
    "cultural_site": "culture",
    "religious_site": "worship",
    "market": "commerce",
    "industrial_site": "industry",
}
STATES_AFTER = ("damaged", "destroyed", "out_of_service", "unknown")
QUALIFIERS = ("exact", "at_least")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a record file.

    ``kind`` is text, id, date, count, number, code or list; ``required`` means
    the cell may not be blank.
    """

    kind: str
    doc: str
    required: bool = False
    unit: str = ""
    vocabulary: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    unique: bool = False
    references: str = ""  # "table.column" this id must exist in
    header_optional: bool = False  # a file may leave the column out; it then reads as blank
    sensitive: bool = False  # withheld (blanked) from viewers: dashboard.query.exposure

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}: use one of {', '.join(KINDS)}")

    @property
    def column_kind(self) -> Kind:
        """The object that checks, converts, stores and writes this column's values."""
        return KINDS[self.kind]

    def rule(self) -> str:
        """The rule in words, as failure messages and the README state it."""
        return self.column_kind.rule(self)


class RecordSchema:
    """Base of the record schemas: a file name, a key column and column specs."""

    file: ClassVar[str]
    key: ClassVar[str]
    columns: ClassVar[dict[str, ColumnSpec]]

    @classmethod
    def convert(cls, text_frame: pd.DataFrame) -> pd.DataFrame:
        """Typed frame from validated, stripped text (as ``validate_texts`` accepts it).

        Each column's kind (``records.kinds``) parses it and gives its dtype.
        """
        columns = {name: spec.column_kind.parse(text_frame[name]) for name, spec in cls.columns.items()}
        return pd.DataFrame(columns, index=text_frame.index)


_QUOTE_DOC = "The exact sentence(s) of the source the record was coded from, verbatim."
_SOURCE_DOC = "The source the record was coded from."


class SourceSchema(RecordSchema):
    file = "sources.csv"
    key = "source_id"
    columns = {
        "source_id": ColumnSpec("id", "Identifier of the source.", required=True, unique=True),
        "title": ColumnSpec("text", "Title, or a descriptive title marked as such.", required=True),
        "publisher": ColumnSpec("text", "Publisher as far as the source says."),
        "date_published": ColumnSpec("date", "Publication date as the text states it."),
        "dates_as_stated": ColumnSpec("text", "Every date the source gives, in its own words."),
        "path": ColumnSpec("text", "Path of the source document under the project root."),
        "notes": ColumnSpec("text", "Caveats: conflicting dates, reliability, licence."),
        "url": ColumnSpec("text", "Where the source can be found.", header_optional=True),
        "attribution": ColumnSpec(
            "text", "Credit line the source's licence requires on maps and exports.", header_optional=True
        ),
    }


class IncidentSchema(RecordSchema):
    file = "incidents.csv"
    key = "incident_id"
    columns = {
        "incident_id": ColumnSpec("id", "Identifier of the incident.", required=True, unique=True),
        "event_date": ColumnSpec("date", "Day of the attack (local time).", required=True),
        "date_precision": ColumnSpec(
            "code",
            "How exactly event_date is known: day (stated), approximate (derived from a "
            "relative or missing date, within a few days), month, year.",
            required=True,
            vocabulary=DATE_PRECISIONS,
        ),
        "date_as_stated": ColumnSpec("text", "The date in the source's own words."),
        "place": ColumnSpec("text", "Settlement; blank when only the oblast is known."),
        "oblast": ColumnSpec("text", "First-level unit (oblast, Crimea, Kyiv or Sevastopol city).", required=True),
        "oblast_iso": ColumnSpec(
            "code",
            "ISO 3166-2 code of the oblast.",
            required=True,
            vocabulary=tuple(sorted(o.iso for o in OBLASTS)),
        ),
        "latitude": ColumnSpec("number", "Latitude (WGS84).", required=True, unit="degrees", low=-90, high=90),
        "longitude": ColumnSpec("number", "Longitude (WGS84).", required=True, unit="degrees", low=-180, high=180),
        "geo_precision": ColumnSpec(
            "code",
            "1 = the site itself, 2 = the settlement (coordinates are its centre), 3 = oblast "
            "only (coordinates are the oblast's centroid; never drawn as a point).",
            required=True,
            vocabulary=GEO_PRECISIONS,
        ),
        "weapons": ColumnSpec("list", "Weapon(s) as the source names them.", required=True, vocabulary=WEAPONS),
        "perpetrator_as_reported": ColumnSpec(
            "text", "Who the source says carried out the attack, or 'not stated'.", required=True
        ),
        "reported_by": ColumnSpec("text", "Who the source attributes the account or figures to."),
        "killed": ColumnSpec("count", "People killed, as reported; blank when not reported.", unit="people"),
        "injured": ColumnSpec("count", "People injured, as reported; blank when not reported.", unit="people"),
        "children_killed": ColumnSpec("count", "Children among the killed.", unit="people"),
        "children_injured": ColumnSpec("count", "Children among the injured.", unit="people"),
        "description": ColumnSpec("text", "A short description in the coder's words.", required=True),
        "event_type": ColumnSpec(
            "text", "The source's own event category (e.g. ACLED's event and sub-event type).", header_optional=True
        ),
        "source_id": ColumnSpec("id", _SOURCE_DOC, required=True, references="sources.source_id"),
        "source_record_id": ColumnSpec(
            "text",
            "The source's own identifier of the event, as given (not trusted to be unique).",
            header_optional=True,
            sensitive=True,
        ),
        "source_url": ColumnSpec("text", "Link to the source's page for this event.", header_optional=True),
        "quote": ColumnSpec("text", _QUOTE_DOC, required=True),
        "notes": ColumnSpec(
            "text",
            "Coder's caveats, e.g. that ACLED fatalities do not separate civilians.",
            header_optional=True,
            sensitive=True,
        ),
    }


class AssetSchema(RecordSchema):
    file = "assets.csv"
    key = "asset_id"
    columns = {
        "asset_id": ColumnSpec("id", "Identifier of the asset.", required=True, unique=True),
        "name": ColumnSpec("text", "Name of the facility, or of the group of facilities.", required=True),
        "asset_type": ColumnSpec("code", "Kind of infrastructure.", required=True, vocabulary=ASSET_TYPES),
        "service": ColumnSpec("code", "The service it provides.", required=True, vocabulary=SERVICES),
        "people_served": ColumnSpec("count", "People it serves, where the source says.", unit="people"),
        "people_served_qualifier": ColumnSpec(
            "code", "exact, or at_least when the source says 'over'.", vocabulary=QUALIFIERS
        ),
        "asset_count": ColumnSpec(
            "count",
            "Facilities in this record (e.g. 40 for 'over 40 residential buildings').",
            required=True,
            unit="facilities",
        ),
        "count_qualifier": ColumnSpec(
            "code",
            "exact, or at_least for 'over N' or an unstated plural.",
            required=True,
            vocabulary=QUALIFIERS,
        ),
        "place": ColumnSpec("text", "Settlement."),
        "oblast": ColumnSpec("text", "Oblast.", required=True),
        "oblast_iso": IncidentSchema.columns["oblast_iso"],
        "latitude": IncidentSchema.columns["latitude"],
        "longitude": IncidentSchema.columns["longitude"],
        "geo_precision": IncidentSchema.columns["geo_precision"],
        "source_id": IncidentSchema.columns["source_id"],
        "quote": IncidentSchema.columns["quote"],
    }


class ImpactSchema(RecordSchema):
    file = "impacts.csv"
    key = "impact_id"
    columns = {
        "impact_id": ColumnSpec("id", "Identifier of the impact.", required=True, unique=True),
        "incident_id": ColumnSpec("id", "The incident.", required=True, references="incidents.incident_id"),
        "asset_id": ColumnSpec("id", "The asset it hit.", required=True, references="assets.asset_id"),
        "state_after": ColumnSpec(
            "code", "State of the asset after the attack.", required=True, vocabulary=STATES_AFTER
        ),
        "people_without_service": ColumnSpec(
            "count", "People who lost the asset's service, where the source says.", unit="people"
        ),
        "people_qualifier": ColumnSpec("code", "exact or at_least.", vocabulary=QUALIFIERS),
        "restored_on": ColumnSpec(
            "date",
            "First day the service was back, where a source says; blank: not stated, and the people "
            "count as cut off until a later record says otherwise.",
            header_optional=True,
        ),
        "restoration_as_stated": ColumnSpec(
            "text",
            "The restoration in the source's own words (quote it when restored_on is given).",
            header_optional=True,
        ),
        "source_id": IncidentSchema.columns["source_id"],
        "quote": IncidentSchema.columns["quote"],
    }


class SalvoSchema(RecordSchema):
    file = "salvos.csv"
    key = "salvo_id"
    columns = {
        "salvo_id": ColumnSpec("id", "Identifier of the launch count.", required=True, unique=True),
        "launch_date": ColumnSpec("date", "Day (or night) of the launches.", required=True),
        "date_precision": IncidentSchema.columns["date_precision"],
        "date_as_stated": ColumnSpec("text", "The date in the source's own words."),
        "weapon": ColumnSpec("code", "Weapon type counted.", required=True, vocabulary=WEAPONS),
        "launched": ColumnSpec("count", "Number launched.", required=True, unit="projectiles"),
        "launched_by_as_reported": ColumnSpec("text", "Who the source says launched them.", required=True),
        "target_area": ColumnSpec("text", "What the source says was targeted."),
        "source_id": IncidentSchema.columns["source_id"],
        "quote": IncidentSchema.columns["quote"],
    }


# Load order: a file's references point only at files before it.
SCHEMAS: dict[str, type[RecordSchema]] = {
    "sources": SourceSchema,
    "incidents": IncidentSchema,
    "assets": AssetSchema,
    "impacts": ImpactSchema,
    "salvos": SalvoSchema,
}
