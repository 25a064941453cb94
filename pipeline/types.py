"""Typed records. The committed JSON Schema is generated from these models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

Lang = Literal["en", "zh"]
DocumentKind = Literal["paper", "abstract page", "report", "book chapter", "thesis", "other"]


class _Strict(BaseModel):
    """No unknown fields, and no infinite or NaN number: JSON has no way to write them (they would
    come back as null), so a record holding one could not be saved and read again."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Source(_Strict):
    path: str = Field(description="Path of the source file, relative to the corpus folder.")
    sha256: str
    format: Literal["txt", "md", "html", "pdf"] | None = Field(
        description="Format the file was read as; null when the format is unsupported."
    )


class Metadata(_Strict):
    title: str | None = None
    title_zh: str | None = None
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    url: str | None = None
    kind: DocumentKind | None = None
    licence: str | None = None
    guessed: list[str] = Field(
        default_factory=list,
        description="Fields guessed from the file itself rather than taken from the catalog.",
    )


class PipelineInfo(_Strict):
    version: str
    config_hash: str
    data_versions: dict[str, str] = Field(default_factory=dict,
                                          description="Version of each domain data file (gazetteers, aliases, units).")


class TextSpan(_Strict):
    start: int = Field(ge=0, description="Offset in code points into the record's `text`.")
    end: int = Field(ge=0)
    lang: Lang


EntityType = Literal["park", "country", "company", "figure"]


class CanonicalEntity(_Strict):
    id: str = Field(description="ISO 3166-1 alpha-2 for a country; 'park:…' or 'company:…' otherwise "
                                "('park:new:…' for a name no gazetteer lists yet).")
    name: str | None
    name_zh: str | None
    aliases: list[str] = Field(default_factory=list)


ReviewStatus = Literal["pending", "accepted", "rejected", "corrected"]
Scope = Literal["overseas", "domestic"]  # a park abroad, or a zone in China


class EntityReview(_Strict):
    """The reviewer's decision in force on a mention."""

    status: ReviewStatus
    decision: str = Field(description="uid of the decision in the review database.")
    reviewer: str
    at: str = Field(description="When the decision was made (UTC, ISO 8601).")
    key: dict = Field(description="The mention as extracted when it was decided: start, end, type.")
    extracted: dict | None = Field(default=None, description="For a correction: the values extraction gave "
                                                            "(null when extraction no longer finds the mention).")


class Entity(_Strict):
    """One mention in the text, linked to its canonical entity."""

    id: str = Field(description="Stable: a hash of doc_id, type, start and end.")
    type: EntityType
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    sentence: int = Field(ge=0, description="Index into `sentences`.")
    lang: Lang
    canonical: CanonicalEntity | None = None
    country: str | None = Field(default=None, description="ISO alpha-2: the country itself, or a park's host country.")
    value: float | None = None
    unit: str | None = Field(default=None, description="ISO 4217 currency, percent, pp, count, km2, ha, mu, m2, "
                                                      "year, month, day, score.")
    noun: str | None = Field(default=None, description="For counts: the counted thing, English singular.")
    confidence: float = Field(ge=0, le=1)
    source: Literal["gazetteer", "pattern", "model", "review", "reference"] = Field(
        description="'reference': a word referring to a park named elsewhere ('the zone', 该园区), not a name.")
    antecedent: str | None = Field(default=None, description="For a reference: the id of the park mention it "
                                                             "resolves to, whose canonical and country it carries.")
    review_status: ReviewStatus = "pending"
    review: EntityReview | None = None


ThemeGroup = Literal["challenge", "mode", "park_type", "discovered"]


class ThemePassage(_Strict):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(ge=0, le=1)
    terms: list[str] = Field(default_factory=list, description="The terms that gave the passage this theme.")


class DocumentTheme(_Strict):
    """A theme of the document, with the passages that carry it."""

    id: str = Field(description="Stable: a taxonomy id ('challenge.financing'), or 'discovered.N'.")
    label: str
    label_zh: str
    group: ThemeGroup
    score: float = Field(ge=0, le=1, description="Share of the document's passages carrying the theme, "
                                                 "weighted by their scores.")
    terms: list[str] = Field(default_factory=list, description="The terms that drove it, most telling first.")
    passages: list[ThemePassage] = Field(default_factory=list)


class DocumentRecord(_Strict):
    """One document, as extracted. Every offset points into `text`."""

    schema_version: str = SCHEMA_VERSION
    doc_id: str
    status: Literal["ok", "failed"]
    error: str | None = None
    warnings: list[str] = Field(
        default_factory=list, description="Problems that did not stop extraction (e.g. PDF data loss)."
    )
    source: Source
    metadata: Metadata
    language: Literal["en", "zh", "mixed"] | None = None
    pipeline: PipelineInfo
    text: str = ""
    blocks: list[TextSpan] = Field(default_factory=list)
    sentences: list[TextSpan] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list, description="Rejected mentions are not here but in "
                                                                     "`rejected_entities`.")
    rejected_entities: list[Entity] = Field(default_factory=list)
    review_orphans: list[dict] = Field(default_factory=list, description="Decisions whose mention could not be "
                                                                         "found again after the text changed.")
    themes: list[DocumentTheme] = Field(default_factory=list)


class CatalogEntry(_Strict):
    """What the corpus catalog says about one document."""

    doc_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    path: str
    sha256: str | None = None
    title: str | None = None
    title_zh: str | None = None
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    url: str | None = None
    kind: DocumentKind | None = None
    licence: str | None = None
    languages: list[Lang] = Field(default_factory=list)
    note: str | None = None
    translations: list[str] = Field(default_factory=list, description="doc_ids of this paper in another language.")
    guessed: list[str] = Field(default_factory=list, description="Fields `parks add` guessed from the file.")
