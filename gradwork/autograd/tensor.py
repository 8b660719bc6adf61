"""`Tensor`: an ndarray plus what reverse-mode differentiation needs.

`data` is the array (NumPy today), `grad` a Tensor once backward has reached it,
`requires_grad` says whether operations on it are recorded. Arithmetic, reductions,
shape and indexing methods are defined next to their ops in `gradwork.ops` and attached
there; this file holds only the autograd core and the in-place methods.
"""
from .. import backend
from .grad_mode import is_grad_enabled, no_grad


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_idx", "_version", "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.asarray(data, dtype)
        self.grad = None
        self._ctx = None
        self._idx = 0
        self._version = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad, ctx, idx):
        """Fast constructor used by ops: no conversion, no checks."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._idx = idx
        t._version = [0]
        return t

    # ------------------------------------------------------------ basic properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return "cpu" if backend.array_module(self.data).__name__ == "numpy" else "cuda"

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_floating_point(self):
        return backend.is_floating(self.data.dtype)

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    __hash__ = object.__hash__

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not backend.is_floating(self.data.dtype):
            raise RuntimeError("requires_grad: only Tensors of floating point dtype can require "
                               f"gradients, got dtype {self.data.dtype}")
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
        from .hooks import register_tensor_hook  # noqa: PLC0415
        return register_tensor_hook(self, hook)

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (iterative reverse pass)."""
        from .function import _accumulate_leaf, run_backward  # noqa: PLC0415
        if not self.requires_grad:
            raise RuntimeError("backward: element 0 of tensors does not require grad and does "
                               "not have a grad_fn")
        xp = backend.array_module(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("backward: grad can be implicitly created only for scalar "
                                   f"outputs; this tensor has shape {tuple(self.shape)}, pass "
                                   "gradient= of the same shape")
            grad = xp.ones(self.data.shape, self.data.dtype)
        else:
            grad = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if grad.shape != self.data.shape:
                raise RuntimeError(f"backward: gradient has shape {tuple(grad.shape)}, expected "
                                   f"the tensor's shape {tuple(self.shape)}")
            grad = grad.astype(self.data.dtype, copy=False)
        if self._ctx is None:
            _accumulate_leaf(self, grad, {id(grad)})   # the seed may be the caller's array
            return
        run_backward(self, grad, retain_graph)

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        t = Tensor._make(self.data, False, None, 0)
        t._version = self._version
        return t

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------ conversion
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("numpy(): can't call numpy() on a Tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only one element tensors can be converted to Python "
                             f"scalars, this one has shape {tuple(self.shape)}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool(): the truth value of a tensor with {self.data.size} "
                               "elements is ambiguous")
        return bool(self.data)

    def __repr__(self):
        body = repr(self.data)
        body = body[body.index("(") + 1: body.rindex(")")] if "(" in body else body
        body = body.replace(", dtype=float32", "")     # the default dtype goes unsaid, as in PyTorch
        extra = ""
        if self._ctx is not None:
            extra = f", grad_fn=<{type(self._ctx).__name__}>"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------ in-place updates
    def _begin_inplace(self, op):
        if is_grad_enabled() and self.requires_grad:
            kind = "a leaf Tensor that requires grad" if self._ctx is None else \
                "a Tensor that is part of the autograd graph"
            raise RuntimeError(f"{op}: {kind} is being used in an in-place operation; wrap "
                               "it in `with gradwork.no_grad():` or use the out-of-place form")
        self._version[0] += 1

    def _value(self, other):
        return other.data if isinstance(other, Tensor) else other

    def zero_(self):
        self._begin_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._begin_inplace("fill_")
        self.data[...] = self._value(value)
        return self

    def copy_(self, src):
        self._begin_inplace("copy_")
        self.data[...] = self._value(src)
        return self

    def add_(self, other, alpha=1):
        self._begin_inplace("add_")
        other = self._value(other)
        self.data += other if alpha == 1 else alpha * other
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        self._begin_inplace("mul_")
        self.data *= self._value(other)
        return self

    def div_(self, other):
        self._begin_inplace("div_")
        self.data /= self._value(other)
        return self

    def clamp_(self, min=None, max=None):
        self._begin_inplace("clamp_")
        backend.array_module(self.data).clip(self.data, min, max, out=self.data)
        return self

    def uniform_(self, a=0.0, b=1.0):
        self._begin_inplace("uniform_")
        self.data[...] = backend.generator().uniform(a, b, self.data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        self._begin_inplace("normal_")
        self.data[...] = backend.generator().normal(mean, std, self.data.shape)
        return self

    # `x += y` updates x in place, as PyTorch (`p -= lr * p.grad` under no_grad must reach the
    # parameter). A tensor inside the graph gets the out-of-place result instead, which is the
    # value PyTorch's recorded in-place op would give; a leaf that requires grad raises.
    def __iadd__(self, other):
        return self + other if self._in_graph() else self.add_(other)

    def __isub__(self, other):
        return self - other if self._in_graph() else self.sub_(other)

    def __imul__(self, other):
        return self * other if self._in_graph() else self.mul_(other)

    def __itruediv__(self, other):
        return self / other if self._in_graph() else self.div_(other)

    def _in_graph(self):
        return self._ctx is not None and self.requires_grad and is_grad_enabled()

    def __setitem__(self, index, value):
        self._begin_inplace("__setitem__")
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        self.data[index] = self._value(value)


__all__ = ["Tensor", "no_grad"]
