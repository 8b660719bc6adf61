"""The default process group over MPI (mpi4py), with PyTorch's `torch.distributed` names.

`init_process_group(backend="mpi")` joins the ranks started by `mpiexec -n K`; the
collectives (`all_reduce`, `broadcast`, `all_gather_into_tensor`, `reduce_scatter_tensor`,
`barrier`) work in place on Tensors, as PyTorch's. Every collective is a non-blocking MPI
call polled against a deadline (the group's `timeout`): a rank that dies or hangs makes the
others print which operation timed out and `MPI_Abort` the job instead of waiting forever.
mpi4py is imported only here and only when a group is created: `pip install gradwork[mpi]`.
"""
import contextlib
import datetime
import os
import sys
import time
import traceback

from ..backend import np
from ..errors import ArgumentError, GradworkError, MissingDependencyError, check_positive

DEFAULT_TIMEOUT_S = 1800.0      # PyTorch's default_pg_timeout: 30 minutes
TIMEOUT_ENV = "GRADWORK_DIST_TIMEOUT"
LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")

_STATE = {"comm": None, "timeout": DEFAULT_TIMEOUT_S}


class ReduceOp:
    """The reductions `all_reduce` and `reduce_scatter_tensor` accept (PyTorch's names)."""
    SUM, AVG, PRODUCT, MIN, MAX = "sum", "avg", "product", "min", "max"


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise MissingDependencyError("gradwork.distributed needs mpi4py and an MPI library: "
                                     "pip install gradwork[mpi]") from e
    return MPI


def is_available():
    """Whether mpi4py can be imported (the only backend: "mpi")."""
    try:
        _mpi()
    except MissingDependencyError:
        return False
    return True


def launched_world_size():
    """The world size the launcher announced in the environment (PMI_SIZE: MPICH's Hydra,
    Intel MPI, srun --mpi=pmi2; OMPI_COMM_WORLD_SIZE: Open MPI; MV2_COMM_WORLD_SIZE:
    MVAPICH), or 1: tells the CLI whether it runs under `mpiexec -n K`, K > 1, without
    importing mpi4py."""
    for name in LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def _timeout_seconds(timeout):
    if timeout is None:
        env = os.environ.get(TIMEOUT_ENV)
        if env is None:
            return DEFAULT_TIMEOUT_S
        try:
            timeout = float(env)
        except ValueError:
            raise ArgumentError(f"{TIMEOUT_ENV} must be a number of seconds, got {env!r}") from None
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    check_positive("init_process_group", "timeout", timeout)
    return float(timeout)


def init_process_group(backend="mpi", timeout=None, world_size=-1, rank=-1):
    """Join the ranks of this MPI job as the default group. `timeout` (seconds or a
    timedelta; default $GRADWORK_DIST_TIMEOUT or 30 min) bounds every collective.
    `world_size`/`rank`, if given, must agree with what mpiexec started."""
    if backend != "mpi":
        raise ArgumentError(f"init_process_group: backend must be 'mpi' (gradwork's only "
                            f"backend), got {backend!r}")
    if _STATE["comm"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    seconds = _timeout_seconds(timeout)
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()
    for name, asked, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if asked != -1 and asked != actual:
            comm.Free()
            raise ArgumentError(f"init_process_group: {name}={asked} but mpiexec started this "
                                f"process with {name} {actual}")
    _STATE["comm"], _STATE["timeout"] = comm, seconds


def is_initialized():
    return _STATE["comm"] is not None


def _comm():
    comm = _STATE["comm"]
    if comm is None:
        raise RuntimeError("Default process group has not been initialized, please make sure "
                           "to call init_process_group.")
    return comm


def get_rank():
    return _comm().Get_rank()


def get_world_size():
    return _comm().Get_size()


def get_timeout():
    """The deadline (seconds) of every collective of the default group."""
    _comm()
    return _STATE["timeout"]


def destroy_process_group():
    """Leave the default group (MPI itself is finalised by mpi4py at exit)."""
    comm = _STATE["comm"]
    if comm is not None:
        _STATE["comm"] = None
        comm.Free()


@contextlib.contextmanager
def abort_all_on_error():
    """An exception on this rank (a bad file, a NaN, Ctrl-C twice) prints it and aborts every
    rank at once, instead of leaving the others waiting for the watchdog's timeout."""
    try:
        yield
    except BaseException as e:
        comm = _STATE["comm"]
        if comm is None or comm.Get_size() == 1:
            raise
        if not isinstance(e, GradworkError):
            traceback.print_exc()
        print(f"gradwork.distributed: rank {comm.Get_rank()} of {comm.Get_size()}: "
              f"{type(e).__name__}: {e}; aborting all ranks", file=sys.stderr, flush=True)
        comm.Abort(1)


# ------------------------------------------------------------------ the watchdog
def wait(requests, what):
    """Complete MPI `requests`, polling, within the group's timeout; past it, print which
    collective timed out on which rank and abort every rank (exit status 1). Polling with
    short sleeps also lets an oversubscribed core run the other ranks."""
    MPI, comm = _mpi(), _comm()
    deadline = time.monotonic() + _STATE["timeout"]
    pause = 0.0
    while not MPI.Request.Testall(requests):
        if time.monotonic() > deadline:
            print(f"gradwork.distributed: rank {comm.Get_rank()} of {comm.Get_size()}: "
                  f"{what} did not complete within {_STATE['timeout']:g} s (a rank died or "
                  "hangs); aborting all ranks", file=sys.stderr, flush=True)
            comm.Abort(1)
        time.sleep(pause)
        pause = min(2 * pause + 1e-5, 1e-3)


def progress(requests):
    """Drive MPI's progress on `requests` without waiting (MPICH advances non-blocking
    collectives only inside MPI calls)."""
    if requests:
        _mpi().Request.Testall(requests)


_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD",
            ReduceOp.MIN: "MIN", ReduceOp.MAX: "MAX"}


def _mpi_op(op, where):
    if op not in _MPI_OPS:
        raise ArgumentError(f"{where}: op must be one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, "
                            f"got {op!r}")
    return getattr(_mpi(), _MPI_OPS[op])


def iallreduce_array(array, op=ReduceOp.SUM):
    """Start an in-place all-reduce of a contiguous array; returns the MPI request (AVG's
    division is the caller's, after the wait)."""
    if not array.flags.c_contiguous:
        raise ArgumentError("all_reduce: the array must be C-contiguous")
    return _comm().Iallreduce(_mpi().IN_PLACE, array, op=_mpi_op(op, "all_reduce"))


def allreduce_array(array, op=ReduceOp.SUM, what="all_reduce"):
    """In-place all-reduce of a contiguous array, under the watchdog."""
    wait([iallreduce_array(array, op)], what)
    if op == ReduceOp.AVG:
        array /= get_world_size()
    return array


def _array(tensor, where):
    a = getattr(tensor, "_data", None)
    if a is None or not isinstance(a, np.ndarray):
        raise ArgumentError(f"{where}: tensor must be a gradwork Tensor, got "
                            f"{type(tensor).__name__}")
    if not a.flags.c_contiguous:
        raise ArgumentError(f"{where}: tensor must be contiguous")
    return a


# ------------------------------------------------------------------ the collectives
def all_reduce(tensor, op=ReduceOp.SUM):
    """tensor ← op over ranks of tensor, in place (every rank gets the result)."""
    allreduce_array(_array(tensor, "all_reduce"), op)


def broadcast(tensor, src=0):
    """tensor ← rank `src`'s tensor, in place."""
    a = _array(tensor, "broadcast")
    wait([_comm().Ibcast(a, root=src)], f"broadcast from rank {src}")


def barrier():
    """Return once every rank has called it."""
    wait([_comm().Ibarrier()], "barrier")


def allgather_array(a):
    """(K·n, ...) ← the ranks' (n, ...) arrays concatenated along axis 0, in rank order."""
    a = np.ascontiguousarray(a)
    out = np.empty((get_world_size() * a.shape[0],) + a.shape[1:], a.dtype)
    wait([_comm().Iallgather(a, out)], "all-gather")
    return out


def reduce_scatter_array(a, op=ReduceOp.SUM):
    """(n, ...) ← this rank's block of axis 0 of op over the ranks' (K·n, ...) arrays."""
    a, k = np.ascontiguousarray(a), get_world_size()
    out = np.empty((a.shape[0] // k,) + a.shape[1:], a.dtype)
    wait([_comm().Ireduce_scatter_block(a, out, op=_mpi_op(op, "reduce_scatter"))],
         "reduce-scatter")
    if op == ReduceOp.AVG:
        out /= k
    return out


def all_gather_into_tensor(output_tensor, input_tensor):
    """output (K·n, ...) ← the ranks' inputs (n, ...) concatenated along dim 0, rank order."""
    out = _array(output_tensor, "all_gather_into_tensor")
    a = _array(input_tensor, "all_gather_into_tensor")
    if out.size != a.size * get_world_size() or out.dtype != a.dtype:
        raise ArgumentError(f"all_gather_into_tensor: output must hold world_size × the input "
                            f"({get_world_size()} × {a.shape} {a.dtype}), got {out.shape} "
                            f"{out.dtype}")
    out.reshape(-1)[...] = allgather_array(a.reshape(1, -1)).reshape(-1)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM):
    """output (n, ...) ← this rank's block of op over ranks of input (K·n, ...)."""
    out, a = _array(output, "reduce_scatter_tensor"), _array(input, "reduce_scatter_tensor")
    if a.size != out.size * get_world_size() or out.dtype != a.dtype:
        raise ArgumentError(f"reduce_scatter_tensor: input must hold world_size × the output "
                            f"({get_world_size()} × {out.shape} {out.dtype}), got {a.shape} "
                            f"{a.dtype}")
    out.reshape(-1)[...] = reduce_scatter_array(a.reshape(get_world_size(), -1), op).reshape(-1)


def broadcast_object(obj, src=0):
    """Rank `src`'s picklable Python object, on every rank (small metadata: a resume step)."""
    import pickle
    comm = _comm()
    payload = pickle.dumps(obj) if comm.Get_rank() == src else b""
    size = np.array([len(payload)], np.int64)
    wait([comm.Ibcast(size, root=src)], f"broadcast_object from rank {src}")
    buf = np.frombuffer(payload, np.uint8).copy() if payload else np.empty(int(size[0]), np.uint8)
    wait([comm.Ibcast(buf, root=src)], f"broadcast_object from rank {src}")
    return pickle.loads(buf.tobytes())
