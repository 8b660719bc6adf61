"""+ − × ÷ pow neg, elementwise with broadcasting. Python scalars take a scalar path
that keeps the tensor's dtype (float32 in, float32 out)."""
import math
import numbers

from ..autograd import Function, Tensor
from ..backend import DEFAULT_FLOAT, array_module, errstate
from .broadcast import apply_broadcasting, as_tensor_like, raise_broadcast_error, unbroadcast


def _is_scalar(x):
    if type(x) is float or type(x) is int:      # the common cases, without the ABC check
        return True
    if isinstance(x, Tensor):
        return False
    return isinstance(x, numbers.Number) or (hasattr(x, "ndim") and not isinstance(x, Tensor)
                                             and x.ndim == 0)


def _scalar(x):
    if type(x) is float or type(x) is int:
        return x
    return x.item() if hasattr(x, "item") else x


def _promote(a, c):
    """An integer/bool tensor meeting a float scalar becomes float32 first (PyTorch's rule)."""
    if a._data.dtype.kind in "iub" and isinstance(c, float):
        return Tensor._make(a._data.astype(DEFAULT_FLOAT), False, None, 0)
    return a


class _Binary(Function):
    name = "op"

    @classmethod
    def call(cls, a, b):
        return apply_broadcasting(cls, cls.name, a, b)


# d(a+b) = da + db
class Add(_Binary):
    name, needs_inputs = "add", False
    shapes = None

    def forward(self, a, b):
        sa, sb = a.shape, b.shape
        if sa != sb:                            # (equal shapes: the gradient passes through)
            self.shapes = sa, sb
        return a + b

    def backward(self, g):
        if self.shapes is None:
            return g, g
        sa, sb = self.shapes
        return g if g.shape == sa else unbroadcast(g, sa), \
            g if g.shape == sb else unbroadcast(g, sb)


class Sub(_Binary):
    name, needs_inputs = "sub", False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        gb = unbroadcast(-g, self.shapes[1]) if self.needs_input_grad[1] else None
        return unbroadcast(g, self.shapes[0]), gb


# d(ab) = b da + a db
class Mul(_Binary):
    name = "mul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = g * b
            if ga.shape != a.shape:
                ga = unbroadcast(ga, a.shape)
        if self.needs_input_grad[1]:
            gb = g * a
            if gb.shape != b.shape:
                gb = unbroadcast(gb, b.shape)
        return ga, gb


# d(a/b) = da/b − (a/b²) db
class Div(_Binary):
    name = "div"
    needs_output = True

    def forward(self, a, b):
        out = a / b
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":
            out = out.astype("float32")
        self.b, self.out, self.a_shape = b, out, a.shape
        return out

    def backward(self, g):
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g / self.b, self.a_shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(-g * self.out / self.b, self.b.shape)
        return ga, gb


# d(a^b) = b a^(b−1) da + a^b ln(a) db
class Pow(_Binary):
    name = "pow"
    needs_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        xp = array_module(g)
        ga = gb = None
        if self.needs_input_grad[0]:   # b a^(b−1), taken as 0 where b = 0 (even at a = 0)
            with errstate(divide="ignore", invalid="ignore"):
                da = self.b * self.a ** (self.b - 1)
            ga = unbroadcast(g * xp.where(self.b == 0, 0, da), self.a.shape)
        if self.needs_input_grad[1]:
            with errstate(divide="ignore", invalid="ignore"):
                dlog = self.out * xp.log(self.a)
            dlog = xp.where((self.a == 0) & (self.b >= 0), 0, dlog)
            gb = unbroadcast(g * dlog, self.b.shape)
        return ga, gb


class AddScalar(Function):
    needs_inputs = False

    def forward(self, a, c):
        return a + c

    def backward(self, g):
        return g


class MulScalar(Function):
    needs_inputs = False

    def forward(self, a, c):
        self.c = c
        return a * c

    def backward(self, g):
        return g * self.c


# d(c − a) = −da ;  d(c / a) = −c/a² da
class RSubScalar(Function):
    needs_inputs = False

    def forward(self, a, c):
        return c - a

    def backward(self, g):
        return -g


class RDivScalar(Function):
    needs_output = True

    def forward(self, a, c):
        self.a, self.out = a, c / a
        return self.out

    def backward(self, g):
        return -g * self.out / self.a


# d(a^c) = c a^(c−1) da   (0 for c = 0, even at a = 0)
class PowScalar(Function):
    def forward(self, a, c):
        self.a, self.c = a, c
        return a ** c

    def backward(self, g):
        c = self.c
        if c == 0:
            return g * 0
        if c == 2:
            return g * 2 * self.a
        return g * c * self.a ** (c - 1)


# d(c^a) = c^a ln(c) da   (0 where c = 0 and a ≥ 0, as PyTorch)
class RPowScalar(Function):
    needs_inputs, needs_output = False, True

    def forward(self, a, c):
        self.out = c ** a
        self.logc = math.log(c) if c > 0 else (-math.inf if c == 0 else math.nan)
        self.zero_base = (a >= 0) if c == 0 else None
        return self.out

    def backward(self, g):
        with errstate(invalid="ignore"):
            d = g * self.out * self.logc
        return d if self.zero_base is None else array_module(g).where(self.zero_base, 0, d)


class Neg(Function):
    needs_inputs = False

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


def add(a, b, alpha=1):
    if type(b) is Tensor and alpha == 1:        # the common case first: no scalar tests
        if a._data.dtype is b._data.dtype:
            try:
                return Add.apply(a, b)
            except ValueError as e:
                raise_broadcast_error(e, "add", a, b)
        return apply_broadcasting(Add, "add", a, b)
    if alpha != 1:
        b = mul(b, alpha)
    if type(b) is Tensor:
        return apply_broadcasting(Add, "add", a, b)
    if _is_scalar(b):
        b = _scalar(b)
        return AddScalar.apply(_promote(a, b), c=b)
    return Add.call(a, b)


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    if type(b) is Tensor:                       # the common case first: no scalar tests
        return apply_broadcasting(Sub, "sub", a, b)
    if _is_scalar(b):
        b = _scalar(b)
        return AddScalar.apply(_promote(a, b), c=-b)
    return Sub.call(a, b)


def rsub(a, b):
    if _is_scalar(b):
        b = _scalar(b)
        return RSubScalar.apply(_promote(a, b), c=b)
    return Sub.call(as_tensor_like(b, a), a)


def mul(a, b):
    if type(b) is Tensor:
        if a._data.dtype is b._data.dtype:
            try:
                return Mul.apply(a, b)
            except ValueError as e:
                raise_broadcast_error(e, "mul", a, b)
        return apply_broadcasting(Mul, "mul", a, b)
    if _is_scalar(b):
        b = _scalar(b)
        return MulScalar.apply(_promote(a, b), c=b)
    return Mul.call(a, b)


def div(a, b):
    if _is_scalar(b):
        b = float(_scalar(b))
        a = _promote(a, b)
        return MulScalar.apply(a, c=1.0 / b) if b != 0 else Div.call(a, Tensor(b, dtype=a.dtype))
    return Div.call(a, b)


def rdiv(a, b):
    if _is_scalar(b):
        b = _scalar(b)
        return RDivScalar.apply(_promote(a, float(b)), c=b)
    return Div.call(as_tensor_like(b, a), a)


def pow(a, b):
    if _is_scalar(b):
        b = _scalar(b)
        return PowScalar.apply(_promote(a, b), c=b)
    return Pow.call(a, b)


def rpow(a, b):
    if _is_scalar(b):
        b = _scalar(b)
        return RPowScalar.apply(_promote(a, b), c=b)
    return Pow.call(as_tensor_like(b, a), a)


def neg(a):
    return Neg.apply(a)


# lerp(a, b, w) = a + w (b − a):  da = (1 − w) dy,  db = w dy,  dw = (b − a) dy  (a composite)
def lerp(start, end, weight):
    return add(start, mul(sub(end, start), weight))
