import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EXTRACTED = ROOT / "extracted"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PDFS = FIXTURES / "pdf"


@pytest.fixture(scope="session")
def segmenter():
    from pipeline.segment import Segmenter

    return Segmenter()


@pytest.fixture(scope="session")
def resources():
    from pipeline.resources import load_resources

    return load_resources()


@pytest.fixture(scope="session")
def parks_home(tmp_path_factory):
    """One data folder (and Prefect database) for every flow run of the session."""
    home = tmp_path_factory.mktemp("parks-home")
    os.environ["PARKS_HOME"] = str(home)
    return home


def corpus_text(relative: str) -> str:
    return (CORPUS / relative).read_text(encoding="utf-8")
