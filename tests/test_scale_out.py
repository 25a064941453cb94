"""Documents spread over worker processes or a Dask cluster give the serial run's records, byte for byte."""

import filecmp
import shutil

import pytest
from distributed import LocalCluster

from conftest import CORPUS, PDFS
from test_cli import run_parks


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory):
    """An English seed, a Chinese paper, a bilingual seed and a PDF that fails (encrypted)."""
    corpus = tmp_path_factory.mktemp("corpus")
    for relative in ("seeds/000_0e4e401a83931e9e.txt", "seeds/004_214d4d4eb4e386b6.txt",
                     "bri-zh/ChinaXiv-201704.00221V1.md"):
        shutil.copy(CORPUS / relative, corpus)
    shutil.copy(PDFS / "aes-128.pdf", corpus / "locked.pdf")
    return corpus


@pytest.fixture(scope="module")
def serial_run(mixed_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    result = run_parks("extract", "--corpus", str(mixed_corpus), "--out", str(out), "--no-cache",
                       home=tmp_path_factory.mktemp("home"))
    assert result.returncode == 1, result.stderr  # the locked PDF fails, in every mode
    return out


def same_outputs(left, right):
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(left, right, [str(n) for n in names], shallow=False)
    assert (mismatch, errors) == ([], [])
    return len(match)


def test_two_worker_processes_give_the_serial_records(mixed_corpus, serial_run, tmp_path):
    result = run_parks("extract", "--corpus", str(mixed_corpus), "--out", str(tmp_path / "out"), "--no-cache",
                       "--workers", "2", home=tmp_path / "home")
    assert result.returncode == 1, result.stderr
    # 4 records, theme map, parks, companies, countries, 2 schemas: 10 files
    assert same_outputs(serial_run, tmp_path / "out") == 10


def test_a_two_worker_dask_cluster_gives_the_serial_records(mixed_corpus, serial_run, tmp_path):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_parks("extract", "--corpus", str(mixed_corpus), "--out", str(tmp_path / "out"), "--no-cache",
                           "--dask-address", cluster.scheduler_address, home=tmp_path / "home")
        assert result.returncode == 1, result.stderr
        assert set(cluster.scheduler.task_prefixes) == {"extract_documents"}  # the documents ran on the cluster
    assert same_outputs(serial_run, tmp_path / "out") == 10


def test_documents_go_to_tasks_in_batches_only_when_tasks_run_elsewhere():
    from flows.extract import documents_per_task

    assert [documents_per_task(n, 1) for n in (4, 1000)] == [1, 1]
    assert [documents_per_task(n, 2) for n in (4, 100, 1000)] == [1, 13, 32]
    assert documents_per_task(1000, 16) == 16
