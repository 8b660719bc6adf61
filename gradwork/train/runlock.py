"""One run per folder at a time: `OUT/NAME/lock`, created exclusively, names the process that
holds it (pid and host). A second `gradwork train` on the same folder is refused with that
name; a lock whose process is gone (killed, crashed) on this host is taken over.

The check that a holder is alive is `kill(pid, 0)` on the same host: a lock written on another
machine (a shared file system) is never taken over automatically.
"""
import json
import os
import socket
import sys
import time

from ..errors import RunFolderError

LOCK_NAME = "lock"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:            # exists, owned by someone else
        return True
    return True


def _age(path):
    try:
        return time.time() - os.path.getmtime(path)
    except OSError:
        return float("inf")


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class RunLock:
    """`with RunLock(folder):` holds `folder/lock` for this process, removed on exit."""

    def __init__(self, folder):
        self.path = os.path.join(folder, LOCK_NAME)
        self.held = False

    def acquire(self):
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read(self.path)
                if holder is None and _age(self.path) < 5:  # its writer is filling it in now
                    holder = {"pid": "(starting)", "host": me["host"]}
                elif holder is None or (holder.get("host") == me["host"]
                                        and not _alive(int(holder.get("pid", -1)))):
                    self._remove_stale(holder)       # a dead holder's (or a torn) lock
                    continue
                raise RunFolderError(
                    f"{os.path.dirname(self.path)} is in use: {self.path} is held by process "
                    f"{holder.get('pid')} on {holder.get('host')}; wait for it to finish, or "
                    "use another --name") from None
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return self
        raise RunFolderError(f"{self.path}: could not take over the lock (another process "
                             "keeps replacing it)")

    def _remove_stale(self, holder):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass
        who = f"process {holder.get('pid')}" if holder else "an unreadable lock"
        print(f"gradwork: took over {self.path} from {who}, which is no longer running",
              file=sys.stderr)

    def release(self):
        if self.held:
            holder = _read(self.path)
            if holder and holder.get("pid") == os.getpid():
                os.remove(self.path)
            self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
