"""Data- and model-parallel training over MPI, with `torch.distributed`'s names.

Run under `mpiexec -n K`; mpi4py (`pip install gradwork[mpi]`) is imported only when a
process group is created. See docs/DISTRIBUTED.md.
"""
from .ddp import DistributedDataParallel
from .model_parallel import (
    ColumnParallelLinear,
    RowParallelLinear,
    one_weird_trick,
    split_classifier,
)
from .process_group import (
    ReduceOp,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    launched_world_size,
    reduce_scatter_tensor,
)
