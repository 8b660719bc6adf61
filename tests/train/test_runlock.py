"""gradwork.train.runlock: one run per folder; a dead holder's lock is taken over (issue 13,
item 3)."""
import json
import os
import subprocess
import sys

import pytest

from gradwork.errors import RunFolderError
from gradwork.train.runlock import RunLock


def test_a_second_holder_is_refused_with_the_lock_and_the_holders_pid(tmp_path):
    with RunLock(tmp_path):
        assert json.loads((tmp_path / "lock").read_text())["pid"] == os.getpid()
        with pytest.raises(RunFolderError, match=rf"lock is held by process {os.getpid()}"):
            RunLock(tmp_path).acquire()
    assert not (tmp_path / "lock").exists()                    # released on exit
    with RunLock(tmp_path):                                     # and free again
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)                                      # that process has exited
    (tmp_path / "lock").write_text(json.dumps({"pid": pid, "host": os.uname().nodename}))
    with RunLock(tmp_path):
        assert json.loads((tmp_path / "lock").read_text())["pid"] == os.getpid()
    assert f"from process {pid}, which is no longer running" in capsys.readouterr().err
