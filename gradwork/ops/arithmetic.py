"""+ − × ÷ pow neg, elementwise with broadcasting. Python scalars take a scalar path
that keeps the tensor's dtype (float32 in, float32 out)."""
import numbers

from ..autograd import Function, Tensor
from ..backend import array_module
from .broadcast import as_tensor_like, broadcast_error, unbroadcast


def _is_scalar(x):
    return isinstance(x, numbers.Number) or (hasattr(x, "ndim") and not isinstance(x, Tensor)
                                             and x.ndim == 0)


def _scalar(x):
    return x.item() if hasattr(x, "item") else x


class _Binary(Function):
    name = "op"

    @classmethod
    def call(cls, a, b):
        b = as_tensor_like(b, a)
        try:
            return cls.apply(a, b)
        except ValueError as e:
            if "broadcast" in str(e):
                raise broadcast_error(cls.name, a, b) from None
            raise


# d(a+b) = da + db
class Add(_Binary):
    name, needs_inputs = "add", False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        return unbroadcast(g, self.shapes[0]), unbroadcast(g, self.shapes[1])


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
        ga = unbroadcast(g * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


# d(a/b) = da/b − (a/b²) db
class Div(_Binary):
    name = "div"

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

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        xp = array_module(g)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g * self.b * self.a ** (self.b - 1), self.a.shape)
        if self.needs_input_grad[1]:
            with xp.errstate(divide="ignore", invalid="ignore"):
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
    def forward(self, a, c):
        self.a, self.out = a, c / a
        return self.out

    def backward(self, g):
        return -g * self.out / self.a


# d(a^c) = c a^(c−1) da
class PowScalar(Function):
    def forward(self, a, c):
        self.a, self.c = a, c
        return a ** c

    def backward(self, g):
        c = self.c
        if c == 2:
            return g * 2 * self.a
        return g * c * self.a ** (c - 1)


# d(c^a) = c^a ln(c) da
class RPowScalar(Function):
    def forward(self, a, c):
        self.out, self.logc = c ** a, array_module(a).log(c)
        return self.out

    def backward(self, g):
        return g * self.out * self.logc


class Neg(Function):
    needs_inputs = False

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    if _is_scalar(b):
        return AddScalar.apply(a, c=_scalar(b))
    return Add.call(a, b)


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    if _is_scalar(b):
        return AddScalar.apply(a, c=-_scalar(b))
    return Sub.call(a, b)


def rsub(a, b):
    if _is_scalar(b):
        return RSubScalar.apply(a, c=_scalar(b))
    return Sub.call(as_tensor_like(b, a), a)


def mul(a, b):
    if _is_scalar(b):
        return MulScalar.apply(a, c=_scalar(b))
    return Mul.call(a, b)


def div(a, b):
    if _is_scalar(b):
        b = _scalar(b)
        if a.dtype.kind in "iub":
            return Div.call(a, Tensor(b))
        return MulScalar.apply(a, c=1.0 / b) if b != 0 else Div.call(a, Tensor(b, dtype=a.dtype))
    return Div.call(a, b)


def rdiv(a, b):
    if _is_scalar(b):
        return RDivScalar.apply(a, c=_scalar(b))
    return Div.call(as_tensor_like(b, a), a)


def pow(a, b):  # noqa: A001 - PyTorch's name
    if _is_scalar(b):
        return PowScalar.apply(a, c=_scalar(b))
    return Pow.call(a, b)


def rpow(a, b):
    if _is_scalar(b):
        return RPowScalar.apply(a, c=_scalar(b))
    return Pow.call(as_tensor_like(b, a), a)


def neg(a):
    return Neg.apply(a)
