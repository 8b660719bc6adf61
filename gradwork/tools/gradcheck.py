"""Central-difference gradient checking in float64.

∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, compared with the analytic gradient that
backward computes for a random projection ⟨f(x), v⟩ (one backward pass per check).
"""
from .. import backend
from ..autograd import Tensor, no_grad


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def numerical_grad(fn, inputs, projections, eps=1e-6):
    """d⟨fn(*inputs), v⟩/d input for every input that requires grad, by central differences."""
    np = backend.np
    grads = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            grads.append(None)
            continue
        g = np.zeros_like(t._data)
        flat, gflat = t._data.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            values = []
            for delta in (eps, -eps):
                flat[i] = orig + delta
                with no_grad():
                    outs = _outputs(fn(*inputs))
                values.append(sum(float((o._data * v).sum()) for o, v in zip(outs, projections)
                                  if v is not None))
                flat[i] = orig
            gflat[i] = (values[0] - values[1]) / (2 * eps)
        grads.append(g)
    return grads


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Check backward of `fn` against central differences; inputs must be float64 Tensors.

    Returns True or raises AssertionError naming the input and the worst element."""
    np = backend.np
    rng = np.random.default_rng(seed)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} must be float64 for a meaningful check, "
                            f"got {t.dtype}")
    outs = _outputs(fn(*inputs))
    projections = [rng.standard_normal(o.shape) if o.requires_grad and o.dtype.kind == "f"
                   else None for o in outs]
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    total = None
    for o, v in zip(outs, projections):
        if v is not None:
            term = (o * Tensor(v)).sum()
            total = term if total is None else total + term
    if total is None:
        raise ValueError("gradcheck: no output requires grad")
    total.backward()
    numeric = numerical_grad(fn, inputs, projections, eps)
    for i, (t, num) in enumerate(zip(inputs, numeric)):
        if num is None:
            continue
        ana = np.zeros_like(num) if t.grad is None else t.grad._data
        err = np.abs(ana - num)
        tol = atol + rtol * np.abs(num)
        bad = ~(err <= tol)                     # a NaN on either side is an error, not a pass
        if bad.any():
            j = int(np.argmax(np.where(bad, np.nan_to_num(err - tol, nan=np.inf), -np.inf)))
            raise AssertionError(
                f"gradcheck: input {i} (shape {tuple(t.shape)}): analytic {ana.reshape(-1)[j]:.8g} "
                f"vs numeric {num.reshape(-1)[j]:.8g} at flat index {j}; max abs error "
                f"{err.max():.3g}")
    return True
