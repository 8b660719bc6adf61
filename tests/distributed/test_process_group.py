"""gradwork/distributed/process_group.py without mpiexec: the errors, the environment rule,
and mpi4py never imported by the main job (the collectives themselves: test_exactness.py)."""
import datetime
import subprocess
import sys

import pytest

from gradwork import distributed as dist
from gradwork.distributed import process_group as pg
from gradwork.errors import ArgumentError, MissingDependencyError

from . import mpi


def test_uninitialised_group_is_a_clear_error():
    assert not dist.is_initialized()
    for fn in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(RuntimeError, match="has not been initialized"):
            fn()


def test_only_the_mpi_backend():
    with pytest.raises(ArgumentError, match="backend must be 'mpi'.*'gloo'"):
        dist.init_process_group("gloo")


def test_missing_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)      # import mpi4py → ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install gradwork\[mpi\]"):
        dist.init_process_group("mpi")
    assert not dist.is_available()


def test_the_main_job_never_imports_mpi4py():
    code = ("import sys, gradwork, gradwork.nn, gradwork.data, gradwork.train, gradwork.cli.main,"
            " gradwork.distributed; print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=mpi.environment(), check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("env,want", [({}, 1), ({"PMI_SIZE": "4"}, 4),
                                      ({"OMPI_COMM_WORLD_SIZE": "3"}, 3)])
def test_launched_world_size_reads_the_launcher_environment(monkeypatch, env, want):
    for name in pg.LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dist.launched_world_size() == want


def test_timeout_from_argument_timedelta_or_environment(monkeypatch):
    monkeypatch.delenv(pg.TIMEOUT_ENV, raising=False)
    assert pg._timeout_seconds(None) == pg.DEFAULT_TIMEOUT_S
    assert pg._timeout_seconds(datetime.timedelta(minutes=2)) == 120
    monkeypatch.setenv(pg.TIMEOUT_ENV, "7.5")
    assert pg._timeout_seconds(None) == 7.5
    monkeypatch.setenv(pg.TIMEOUT_ENV, "soon")
    with pytest.raises(ArgumentError, match="GRADWORK_DIST_TIMEOUT.*'soon'"):
        pg._timeout_seconds(None)
    with pytest.raises(ArgumentError, match="timeout"):
        pg._timeout_seconds(-1)
