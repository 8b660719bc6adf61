"""In-place variants (`add_`, `mul_`, `exp_`, `fill_`, `x[i] = v`, `x += y`, ...).

Each is its out-of-place op passed through `Tensor._inplace`, the one door that refuses what
PyTorch refuses, records the op in the graph when gradients are needed, writes the result
into the tensor's storage and bumps the version counter (tests enumerate `INPLACE`)."""
from .. import random
from ..autograd import Function, Tensor
from ..backend import array_module, device_type, to_device
from .broadcast import unbroadcast
from .index import index_put, plain_index


# fill/copy: out = broadcast(v); dself = 0, dv = Σ over the broadcast dims of dout
class Fill(Function):
    needs_inputs = False

    def forward(self, a, v):
        self.v_shape, self.v_dtype = v.shape, v.dtype
        return array_module(a).broadcast_to(v.astype(a.dtype), a.shape).copy()

    def backward(self, g):
        gv = unbroadcast(g, self.v_shape).astype(self.v_dtype) if self.needs_input_grad[1] \
            else None
        return (array_module(g).zeros_like(g) if self.needs_input_grad[0] else None), gv


def _filled(value):
    """compute(src) writing `value` (a number, an array or a Tensor) over src."""
    def compute(src):
        if src._ctx is None and not (isinstance(value, Tensor) and value.requires_grad):
            return value._data if isinstance(value, Tensor) else value     # plain write
        v = value if isinstance(value, Tensor) else Tensor(
            array_module(src._data).asarray(value, dtype=src.dtype))
        return Fill.apply(src, v)
    return compute


def _random(draw):
    def compute(src):
        return _filled(draw(src.shape).astype(src.dtype, copy=False))(src)
    return compute


def _setitem(self, index, value):
    def compute(src):
        if src is self:                         # not recorded: write straight into storage
            v = value._data if isinstance(value, Tensor) else value
            if hasattr(v, "shape") and array_module(v) is not array_module(self._data):
                v = to_device(v, device_type(self._data))       # as copy_: across devices
            self._data[plain_index(index)] = v
            return self
        return index_put(src, index, value)
    self._inplace("__setitem__", compute, (value,))


def _method(name, fn, reads_self=True):
    """`name_(self, *args)`: fn(self, *args) written back through the in-place door."""
    def method(self, *args, **kwargs):
        return self._inplace(name, lambda s: fn(s, *args, **kwargs), args + tuple(
            kwargs.values()), reads_self)
    method.__name__ = name
    return method


def build(ops):
    """The in-place methods from the out-of-place functions in `ops` (name → function)."""
    table = {
        "zero_": lambda self: self._inplace("zero_", _filled(0), (), False),
        "fill_": lambda self, value: self._inplace("fill_", _filled(value), (value,), False),
        "copy_": lambda self, src, non_blocking=False: self._inplace(
            "copy_", _filled(src), (src,), False),
        "uniform_": lambda self, a=0.0, b=1.0, generator=None: self._inplace(
            "uniform_", _random(lambda s: random.resolve(generator, "uniform_").uniform(a, b, s)),
            (), False),
        "normal_": lambda self, mean=0.0, std=1.0, generator=None: self._inplace(
            "normal_", _random(lambda s: random.resolve(generator, "normal_").normal(mean, std, s)),
            (), False),
        "__setitem__": _setitem,
    }
    for name in ("add", "sub"):       # their backward never reads self
        table[name + "_"] = _method(name + "_", ops[name], reads_self=False)
    for name, fn in ops.items():
        table.setdefault(name + "_", _method(name + "_", fn))
    return table


# x op= y updates x in place, as PyTorch (a leaf that requires grad raises under grad mode).
AUGMENTED = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_",
             "__itruediv__": "div_"}
