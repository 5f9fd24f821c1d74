"""cart837.distributed on a distributed.LocalCluster: the same results as a local run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.api import fix_many
from cart837.cli import main
from cart837.config import Config
from tests.scale.test_parallel import make_batch
from tests.support import dask_cluster

distributed = pytest.importorskip("distributed", reason="dask[distributed] is the `dask` extra")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Start a two-worker local cluster (separate processes, so everything really travels)."""
    with dask_cluster() as local:
        yield local.scheduler_address


def _keys(results: list) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    return [
        (
            r.path,
            r.status,
            r.error,
            r.sha256_in,
            r.sha256_out,
            r.claims,
            r.claims_changed,
            sorted((f.rule, f.claim, f.line, f.action, f.fixed) for f in r.findings),
        )
        for r in results
    ]


def test_fix_many_on_a_cluster_matches_a_local_run(tmp_path: Path, cluster: str) -> None:
    batch = make_batch(tmp_path)
    local = fix_many([batch], Config(), outdir=tmp_path / "local")
    remote = fix_many([batch], Config(), outdir=tmp_path / "remote", dask=cluster)
    assert _keys(remote) == _keys(local)
    assert [r.status.value for r in remote] == ["skipped", "changed", "changed", "failed", "changed"]
    for result in local:
        if result.output:
            name = Path(result.output).relative_to(tmp_path / "local")
            assert (tmp_path / "remote" / name).read_bytes() == Path(result.output).read_bytes()


def test_cli_dask_option(tmp_path: Path, cluster: str) -> None:
    batch = make_batch(tmp_path)
    result = CliRunner().invoke(main, ["fix", str(batch), "-o", str(tmp_path / "out"), "--dask", cluster])
    assert result.exit_code == 2  # d.837 is refused; the others are fixed on the cluster
    assert "d.837: byte " in result.stderr
    assert result.stderr.splitlines()[-2].startswith("5 files: 3 changed, 0 unchanged, 1 skipped, 1 failed;")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.837")) == ["a.837", "b.837", "c.837"]


def test_cli_dask_needs_an_output_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fix", str(make_batch(tmp_path)), "--dask", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--dask writes files on the cluster" in result.stderr
