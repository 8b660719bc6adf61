"""`Tensor`: an ndarray plus what reverse-mode differentiation needs.

`_data` is the array (NumPy today); `.data` is a Tensor sharing that storage, cut from the
graph, as in PyTorch. `grad` is a Tensor once backward has reached it, `requires_grad` says
whether operations on it are recorded. Arithmetic, reductions, shape and indexing methods are
defined next to their ops in `gradwork.ops` and attached there; this file holds the autograd
core and the one door every in-place operation passes through (`_inplace`).
"""
from .. import backend
from ..device import device as _device
from . import hooks as _hooks
from .grad_mode import is_grad_enabled, no_grad

_new = object.__new__

class Tensor:
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_idx", "_vbox", "_base",
                 "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data._data
        self._data = backend.asarray(data, dtype)
        self.grad = None
        self._ctx = None
        self._idx = 0
        self._vbox = None
        self._base = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad, ctx, idx):
        """Fast constructor used by ops: no conversion, no checks."""
        t = _new(cls)
        t._data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._idx = idx
        t._vbox = None
        t._base = None
        return t

    # ------------------------------------------------------------ storage
    @property
    def data(self):
        """A Tensor sharing this one's storage, outside the graph, with its own version
        counter (PyTorch's `.data`: changes through it are not seen by autograd)."""
        t = _new(Tensor)
        t._data = self._data
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._idx = 0
        t._vbox = None
        t._base = None
        return t

    @data.setter
    def data(self, value):
        """`t.data = other` makes t share other's storage (shape and dtype may change)."""
        if isinstance(value, Tensor):
            value = value._data
        elif not hasattr(value, "dtype") or not hasattr(value, "shape"):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        self._data = value

    @property
    def _version(self):
        """How many in-place changes this storage has seen (shared by views and detach())."""
        box = self._vbox
        return 0 if box is None else box[0]

    def _version_box(self):
        """The counter itself, a one-element list shared by every Tensor of this storage
        (views, detach()). Made on first need: most tensors are never changed in place nor
        saved by a backward, and never pay for one."""
        box = self._vbox
        if box is None:
            box = self._vbox = [0]
        return box

    def _bump_version(self):
        """Record an in-place change of the storage: the one place the counter moves. Every
        in-place method reaches it through `_inplace`; code that updates the raw array itself
        (optimiser steps, running statistics, initialisers, load_state_dict) calls it directly."""
        box = self._vbox
        if box is None:
            self._vbox = [1]
        else:
            box[0] += 1

    # ------------------------------------------------------------ basic properties
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def device(self):
        """`cpu`, or `cuda:i` for CuPy data on GPU i (PyTorch's names)."""
        if backend.array_module(self._data) is backend.np:
            return _device("cpu")
        return _device("cuda", self._data.device.id)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_floating_point(self):
        return backend.is_floating(self._data.dtype)

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        """Strides in elements, as PyTorch (NumPy counts bytes)."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not backend.is_floating(self._data.dtype):
            raise RuntimeError("requires_grad: only Tensors of floating point dtype can require "
                               f"gradients, got dtype {self._data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep `.grad` for this non-leaf tensor after backward."""
        if self._ctx is None:
            return
        self._ctx.retained = list(self._ctx.retained) + [(self._idx, self)]

    def register_hook(self, hook):
        """`hook(grad)` runs on this tensor's gradient; a returned Tensor replaces it.
        Returns a handle whose `remove()` unregisters the hook (gradwork.autograd.hooks)."""
        from .hooks import register_tensor_hook
        return register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """`hook(self)` after this leaf's `.grad` has been accumulated, once per backward pass
        (PyTorch's; DistributedDataParallel starts its all-reduce from it)."""
        return _hooks.register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (iterative reverse pass, run by
        the node that made this tensor: the engine lives with the node type)."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        xp = backend.array_module(self._data)
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; this "
                                   f"tensor has shape {tuple(self.shape)}, pass gradient= of the "
                                   "same shape")
            grad = xp.ones(self._data.shape, self._data.dtype)
        else:
            grad = gradient._data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if backend.array_module(grad) is not xp:
                raise RuntimeError(f"invalid gradient at index 0 - expected device "
                                   f"{self.device} but got {Tensor(grad).device}")
            if grad.shape != self._data.shape:
                raise RuntimeError(f"backward: gradient has shape {tuple(grad.shape)}, expected "
                                   f"the tensor's shape {tuple(self.shape)}")
            grad = grad.astype(self._data.dtype, copy=False)
        if self._ctx is None:
            _hooks._RUNNING[0] += 1
            try:
                if id(self) in _hooks.LEAF_HOOKS:
                    grad = _hooks.apply_leaf_hooks(self, grad)
                self._accumulate_grad(grad, {id(grad)})    # the seed may be the caller's array
                _hooks.apply_post_accumulate_hooks(self)
            finally:
                _hooks._RUNNING[0] -= 1
            if not _hooks._RUNNING[0]:
                _hooks.run_callbacks()
            return
        self._ctx.run_backward(self, grad, retain_graph)

    def _accumulate_grad(self, g, handed_out):
        """Add the array g into `.grad` (a leaf's gradient slot)."""
        if g.shape != self._data.shape:
            raise RuntimeError(f"internal error: gradient of shape {g.shape} for a leaf of shape "
                               f"{self._data.shape}")
        if g.dtype != self._data.dtype:
            g = g.astype(self._data.dtype)
        if self.grad is None:
            # The same array may reach several leaves (add's backward passes it through) or be
            # a view of something larger; copy so that in-place updates of one .grad stay local.
            if not g.flags.owndata or id(g) in handed_out:
                g = g.copy()
            handed_out.add(id(g))
            self.grad = Tensor(g)
        else:
            self.grad._data = self.grad._data + g

    def detach(self):
        """A tensor sharing this one's storage and version counter, cut from the graph."""
        t = Tensor._make(self._data, False, None, 0)
        t._vbox = self._version_box()
        return t

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------ conversion
    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        self._refuse_host_view()
        return self._data

    def _refuse_host_view(self):
        """PyTorch's refusal to view GPU data as a NumPy array."""
        if backend.array_module(self._data) is not backend.np:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar (shape {tuple(self.shape)})")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        self._refuse_host_view()
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"({self._data.size} elements)")
        return bool(self._data)

    def __repr__(self):
        body = repr(self._data)
        body = body[body.index("(") + 1: body.rindex(")")] if "(" in body else body
        body = body.replace(", dtype=float32", "")     # the default dtype goes unsaid (PyTorch)
        extra = "" if self._data.__class__.__module__ == "numpy" else f", device='{self.device}'"
        if self._ctx is not None:
            extra += f", grad_fn=<{type(self._ctx).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------ in-place updates
    def _inplace(self, name, compute, others=(), reads_self=True):
        """The one door every in-place operation passes through (the methods are attached in
        gradwork/ops/inplace.py). `compute(src)` gives the new value: a Tensor made by the
        out-of-place op, so that a recorded in-place op has that op's backward, or (not
        recording) an array, a scalar, or `self` once it wrote the storage directly. The value
        is written into this storage and the version counter bumped, so that a backward which
        saved the old value raises.

        As PyTorch: refused on a leaf that requires grad while grad mode is on; recorded in
        the graph when this tensor or an operand requires grad (`h = x * 2; h.add_(1)`)."""
        record = is_grad_enabled() and (self.requires_grad or any(
            isinstance(o, Tensor) and o.requires_grad for o in others))
        if record:
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used "
                                   "in an in-place operation.")
            if self._base is not None:
                raise RuntimeError(f"{name}: in-place change of a view of a tensor inside the "
                                   "autograd graph is not supported by gradwork; change the "
                                   "base tensor or use the out-of-place form")
            # the old value, as the graph sees it; a private copy where the op may save it
            src = Tensor._make(self._data.copy() if reads_self else self._data,
                               self.requires_grad, self._ctx, self._idx)
            out = compute(src)
        else:
            with no_grad():
                out = compute(self)
        if out is not self:                     # `self`: compute wrote the storage itself
            self._write(name, out._data if isinstance(out, Tensor) else out)
        if record:
            self._ctx, self._idx, self.requires_grad = out._ctx, out._idx, out.requires_grad
        self._bump_version()
        return self

    def _write(self, name, value):
        """Store `value` into this storage, with PyTorch's checks on the result's type/shape."""
        xp = backend.array_module(self._data)
        if hasattr(value, "dtype") and hasattr(value, "shape") and \
                backend.array_module(value) is not xp:      # copy_ across devices, as PyTorch
            value = backend.to_device(value, backend.device_type(self._data))
        if hasattr(value, "dtype") and value.dtype != self._data.dtype and \
                not xp.can_cast(value.dtype, self._data.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {value.dtype} can't be cast to the desired "
                               f"output type {self._data.dtype}")
        shape = getattr(value, "shape", ())
        if shape != self._data.shape and backend.np.broadcast_shapes(
                shape, self._data.shape) != self._data.shape:
            wide = backend.np.broadcast_shapes(shape, self._data.shape)
            raise RuntimeError(f"{name}: output with shape {tuple(self._data.shape)} doesn't "
                               f"match the broadcast shape {wide}")
        self._data[...] = value


__all__ = ["Tensor", "no_grad"]
