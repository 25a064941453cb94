"""The pipeline's one list of stages: what a run re-does, what it serves, how a stage plugs in."""

import dataclasses
import shutil

import pytest
from typer.testing import CliRunner

from conftest import CORPUS
from flows.cli import app
from pipeline import records, segment
from pipeline.cache import StageCache
from pipeline.corpus import discover_documents
from pipeline.resources import load_resources
from pipeline.segment import Segmenter
from pipeline.ingest import PDF_LAYOUT
from pipeline.stages import CORPUS_STAGES, DOCUMENT_STAGES, Extraction, Pipeline, Stage

SEED = "004_214d4d4eb4e386b6"
PARK_ROW = {"id": "minsk-probe", "name": "Minsk Probe Park", "name_zh": None, "country": "BY", "aliases": []}


@pytest.fixture(scope="module")
def seed():
    return next(d for d in discover_documents(CORPUS) if d.doc_id == SEED)


def test_a_gazetteer_edit_re_tags_from_the_cached_text_segmentation_and_figures(tmp_path, seed, segmenter, resources):
    cache = StageCache(tmp_path)
    before = Pipeline(segmenter, resources).run(seed, cache)
    taught = Pipeline(segmenter, load_resources(reviewed={"park": [PARK_ROW]})).run(seed, cache)
    assert (before.served, taught.served) == ((), ("ingest", "segment", "figures"))
    assert taught.record.entities == before.record.entities  # the new park is not in this paper
    assert taught.record.pipeline.config_hash != before.record.pipeline.config_hash


def test_an_unchanged_document_is_served_without_loading_spacy(tmp_path, seed, resources):
    cache = StageCache(tmp_path)
    made = Pipeline(Segmenter(), resources).run(seed, cache)
    fresh = Segmenter()
    served = Pipeline(fresh, resources).run(seed, cache, cached_only=True)
    assert (served.served, served.record) == (("ingest", "record"), made.record)
    assert not {"nlp_en", "nlp_zh", "pos_tagger"} & set(vars(fresh))


def test_a_stage_swapped_by_one_line_changes_what_comes_after_it(tmp_path, seed, segmenter, resources):
    """The pipeline is its list: a figures stage that finds none gives records without figures,
    and keys that differ from the figures stage on, not before."""
    def no_figures(pipe, ingested, segmentation):
        """No figure candidates."""
        return []

    stages = [dataclasses.replace(s, run=no_figures) if s.name == "figures" else s for s in DOCUMENT_STAGES]
    plain, swapped = Pipeline(segmenter, resources), Pipeline(segmenter, resources, stages=stages)
    record = swapped.extract(seed).record
    assert "figure" in {e.type for e in plain.extract(seed).record.entities}
    assert "figure" not in {e.type for e in record.entities} and record.status == "ok"
    keys, swapped_keys = plain.keys(seed), swapped.keys(seed)
    assert [name for name in keys if keys[name] != swapped_keys[name]] == ["figures", "entities", "references", "record"]


def test_a_stage_that_reads_what_no_earlier_stage_writes_is_refused(segmenter, resources):
    ingest, segment, figures, *rest = DOCUMENT_STAGES
    with pytest.raises(ValueError, match="^stage 'figures' reads segmentation, which no earlier stage writes$"):
        Pipeline(segmenter, resources, stages=[ingest, figures, segment, *rest])
    twice = Stage("segment-again", segment.run, reads=("ingested",), writes="segmentation")
    with pytest.raises(ValueError, match="^stage 'segment-again' writes 'segmentation', which an input or an earlier "
                                         "stage holds$"):
        Pipeline(segmenter, resources, stages=[ingest, segment, twice, figures, *rest])
    with pytest.raises(ValueError, match="^no stage writes 'record'$"):
        Pipeline(segmenter, resources, stages=DOCUMENT_STAGES[:-1])
    cues = dataclasses.replace(figures, data=("figures.json", "relations.json"))
    with pytest.raises(ValueError, match=r"^stage 'figures' depends on relations.json, which its cache key cannot "
                                         r"hash: only the data files of resources.DATA_FILES$"):
        Pipeline(segmenter, resources, stages=[ingest, segment, cues, *rest])
    narrowed = dataclasses.replace(figures, reads_only={"segmentation": "blocks"})
    with pytest.raises(ValueError, match=r"^stage 'figures' reads only a field of segmentation, which it does not "
                                         r"read or which is not digested by its content$"):
        Pipeline(segmenter, resources, stages=[ingest, segment, narrowed, *rest])


def test_parks_stages_lists_the_stages_and_what_an_edit_re_runs():
    result = CliRunner().invoke(app, ["stages"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    ingest, entities, record = DOCUMENT_STAGES[0], DOCUMENT_STAGES[3], DOCUMENT_STAGES[-1]
    dataset = CORPUS_STAGES[-1]
    assert f"1. ingest  file -> ingested  version {ingest.version}  cached" in lines
    assert f"4. entities  document, ingested, segmentation, figures -> entities  version {entities.version}  " \
           "not cached" in lines
    references = DOCUMENT_STAGES[4]
    assert f"5. references  document, ingested, segmentation, entities -> references  version {references.version}  " \
           "not cached" in lines
    assert f"6. record  document, ingested, segmentation, entities, references -> record  version {record.version}  " \
           "cached" in lines
    assert "pipeline/data/references.json: references, record" in lines
    assert "2. dataset  records: entities, sentences, review decisions, entity decisions -> parks.json, " \
           f"companies.json, countries.json  version {dataset.version}" in lines
    assert "pipeline/data/resolution.json: dataset" in lines
    assert "pipeline/data/parks.jsonl: entities, references, record" in lines
    assert "pipeline/data/figures.json: figures, entities, references, record" in lines
    assert "pipeline/ingest.py: ingest" in lines
    assert "pipeline/data/themes.json: record, themes" in lines
    assert "pipeline/data/relations.json: dataset" in lines
    assert "pdf layout (ingest.PDF_LAYOUT): ingest, record" in lines  # a record's pipeline info names it
    assert "package version (pipeline.__version__): record" in lines
    assert "babel version: entities, references, record" in lines


def strings(segmenter: Segmenter) -> int:
    return len(segmenter.nlp_en.vocab.strings) + len(segmenter.nlp_zh.vocab.strings)


def test_a_cached_segmentation_is_restored_inside_the_memory_zone(tmp_path, monkeypatch, seed, resources):
    """A gazetteer edit restores every document's segmentation from the cache: its spaCy docs are
    made inside the run's memory zone, or each document's rare words stay in the vocabulary."""
    monkeypatch.setattr(segment, "WARM_STRINGS", 0)  # zones from the first document on
    cache, segmenter = StageCache(tmp_path), Segmenter()
    Pipeline(segmenter, resources).run(seed, cache)
    before = strings(segmenter)
    taught = Pipeline(segmenter, load_resources(reviewed={"park": [PARK_ROW]})).run(seed, cache)
    assert taught.served == ("ingest", "segment", "figures") and strings(segmenter) == before


def test_a_record_served_after_its_text_was_ingested_again_loads_no_spacy(tmp_path, seed, resources):
    """Ingesting needs no spaCy: a document whose text entry is gone but whose record is cached
    (the same text) is served its record without loading the spaCy pipelines."""
    cache = StageCache(tmp_path)
    made = Pipeline(Segmenter(), resources).run(seed, cache)
    shutil.rmtree(tmp_path / "ingest")
    fresh = Segmenter()
    served = Pipeline(fresh, resources).run(seed, cache)
    assert (served.served, served.record) == (("record",), made.record)
    assert not {"nlp_en", "nlp_zh", "pos_tagger"} & set(vars(fresh))


def test_a_record_is_not_served_past_a_change_to_what_its_pipeline_info_names(tmp_path, monkeypatch, seed,
                                                                               segmenter, resources):
    """A record names the package version and pdfminer's layout parameters (`pipeline.config_hash`):
    a change to either makes the record again, even when the text it reads is the same (a text file)."""
    cache = StageCache(tmp_path)
    made = Pipeline(segmenter, resources).run(seed, cache).record

    def rerun() -> Extraction:  # stages made afresh: a stage's version is computed once per process
        return Pipeline(segmenter, resources, stages=[dataclasses.replace(s) for s in DOCUMENT_STAGES]).run(seed, cache)

    monkeypatch.setattr(records, "__version__", "9.9.9")
    bumped = rerun()
    assert (bumped.served, bumped.record.pipeline.version) == (("ingest", "segment", "figures"), "9.9.9")
    monkeypatch.setattr(PDF_LAYOUT, "char_margin", PDF_LAYOUT.char_margin + 1)
    relaid = rerun()
    assert relaid.served == ("segment", "figures") and relaid.record.text == made.text
    assert relaid.record.pipeline.config_hash == records.pipeline_info(resources).config_hash != \
        made.pipeline.config_hash
