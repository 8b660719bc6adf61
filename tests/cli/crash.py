"""`python -m tests.cli.crash N ARGS...` runs `gradwork ARGS...` and dies like a SIGKILL
(`os._exit`: no handler, no clean-up) right after its Nth checkpoint write, so that a test can
resume from a checkpoint chosen exactly rather than by timing."""
import os
import sys

from gradwork.cli.main import main
from gradwork.train import checkpoint


def _dying_after(n, write):
    count = [0]

    def write_then_maybe_die(*args):
        write(*args)
        count[0] += 1
        if count[0] == n:
            os._exit(137)
    return write_then_maybe_die


if __name__ == "__main__":
    checkpoint.write = _dying_after(int(sys.argv[1]), checkpoint.write)
    sys.exit(main(sys.argv[2:]))
