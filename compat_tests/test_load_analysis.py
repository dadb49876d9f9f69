"""tools/load_analysis.py --quick end to end: real shell and servers (bs=128, small files,
N = 1 and 4), its CSV files, PNG plots and summary; and a real assertion about balance: on
RAID-5 each server's measured read load is B/N of the file-data reads (within 1) plus the
metadata reads the layout puts on it."""

import csv
import shutil
import subprocess
import sys

import pytest

import servers
import shells

TOOL = servers.REPO_ROOT / "tools" / "load_analysis.py"

PER_SERVER_COLUMNS = [
    "block_size", "num_blocks", "file_size", "file_blocks", "files", "servers", "phase",
    "server", "get", "put", "rsm", "total", "data_get", "data_put", "data_total", "meta_get",
    "meta_put", "meta_rsm", "meta_total", "lock_total", "superblock_total", "bitmap_total",
    "inode_total", "dir_total", "model_matches"]
IMBALANCE_COLUMNS = [
    "block_size", "num_blocks", "file_size", "file_blocks", "files", "servers", "phase", "scope",
    "total", "ideal_per_server", "min", "max", "max_over_avg", "spread_over_avg",
    "baseline_total", "total_over_baseline", "max_over_baseline"]
VIRTUAL_COLUMNS = ["block_size", "num_blocks", "file_size", "file_blocks", "files", "phase",
                   "category", "metadata", "get", "put", "rsm", "total"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    for binary in (servers.cpp_server_path(), shells.shell_path()):
        if not binary.exists():
            pytest.fail("not built: %s" % binary)
    if shutil.which("gnuplot") is None:
        pytest.fail("gnuplot is missing (tools/install_deps.sh installs gnuplot-nox)")
    out = tmp_path_factory.mktemp("load")
    run = subprocess.run([sys.executable, str(TOOL), "--quick", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = [{k: (int(v) if v.lstrip("-").isdigit() else v) for k, v in row.items()}
                for row in reader]
        return reader.fieldnames, rows


def test_csv_files_have_the_expected_columns_and_configurations(results):
    columns, rows = read_csv(results / "per_server.csv")
    assert columns == PER_SERVER_COLUMNS
    # quick: bs 128, small files, N = 1 (one server) and 4, two phases
    assert sorted({(r["block_size"], r["file_size"], r["servers"]) for r in rows}) == \
        [(128, "small", 1), (128, "small", 4)]
    assert len(rows) == 2 * (1 + 4)
    assert read_csv(results / "imbalance.csv")[0] == IMBALANCE_COLUMNS
    assert read_csv(results / "virtual.csv")[0] == VIRTUAL_COLUMNS


def test_the_layout_model_explains_every_measured_request(results):
    _, rows = read_csv(results / "per_server.csv")
    for r in rows:
        assert r["model_matches"] == 1, r
        assert r["total"] == r["get"] + r["put"] + r["rsm"] == r["data_total"] + r["meta_total"]
        if r["servers"] > 1:
            assert r["rsm"] == 0  # the recorded lock: Lock/Unlock, counted as metadata


def test_raid5_read_load_is_b_over_n_of_data_plus_metadata(results):
    _, rows = read_csv(results / "per_server.csv")
    _, virtual = read_csv(results / "virtual.csv")
    reads = sorted((r for r in rows if r["servers"] == 4 and r["phase"] == "read"),
                   key=lambda r: r["server"])
    n = len(reads)
    data_reads = sum(v["get"] for v in virtual if v["phase"] == "read" and v["category"] == "data")
    assert data_reads == 16  # 8 files of 2 blocks, one Get each
    assert sum(r["data_total"] for r in reads) == data_reads
    for r in reads:
        # measured (Stats) minus what metadata explains is within 1 of the ideal B/N
        assert abs(r["total"] - r["meta_total"] - data_reads / n) <= 1, reads
        assert r["put"] == 0  # the lock's releases are Unlock calls (metadata requests)
    # reads cost the same in total as on one server, less its RSM and release Put per command
    baseline = [r for r in rows if r["servers"] == 1 and r["phase"] == "read"][0]
    assert baseline["rsm"] == baseline["put"] == 8
    assert sum(r["total"] for r in reads) == baseline["total"] - 2 * 8


def test_imbalance_rows_agree_with_the_per_server_rows(results):
    _, rows = read_csv(results / "per_server.csv")
    _, imbalance = read_csv(results / "imbalance.csv")
    for row in imbalance:
        column = {"all": "total", "data": "data_total", "metadata": "meta_total"}[row["scope"]]
        values = [r[column] for r in rows
                  if (r["servers"], r["phase"]) == (row["servers"], row["phase"])]
        assert row["total"] == sum(values)
        assert (row["min"], row["max"]) == (min(values), max(values))
        assert float(row["max_over_avg"]) == pytest.approx(
            max(values) / (sum(values) / len(values)), abs=1e-3)


def test_plots_and_summary_are_written(results):
    pngs = sorted(p.name for p in results.glob("*.png"))
    assert pngs == ["imbalance_vs_n.png", "per_server_bs128_small.png", "vs_baseline.png"]
    for name in pngs:
        data = (results / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10000
    summary = (results / "summary.md").read_text()
    for heading in ("## Findings", "## Imbalance per configuration", "## Requests per server"):
        assert heading in summary
    assert "| 128 | small | read | 4 |" in summary
    for name in pngs:
        assert "(%s)" % name in summary
