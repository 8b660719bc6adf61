"""CTC loss (ops/ctc.py) against torch.nn.functional.ctc_loss and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.tools import gradcheck
from tests.helpers import check_op


def random_problem(seed, T=7, N=3, C=5, S=4, blank=0):
    """Logits (T, N, C), padded targets (N, S) without blank, lengths with edge cases."""
    rng = np.random.default_rng(seed)
    labels = np.array([c for c in range(C) if c != blank])
    targets = rng.choice(labels, size=(N, S))
    targets[0, 1] = targets[0, 0]                                    # a repeated label
    target_lengths = rng.integers(0, S + 1, N)
    target_lengths[0], target_lengths[-1] = S, 0                     # a repeat; an empty target
    input_lengths = rng.integers(1, T + 1, N)
    input_lengths[0] = T
    # Input length = target length on a sequence without repeats (one alignment only).
    if N > 1:
        targets[1, :S] = rng.permutation(labels)[:S] if len(labels) >= S else targets[1]
        target_lengths[1] = input_lengths[1] = min(S, T)
    return rng.standard_normal((T, N, C)), targets, input_lengths, target_lengths


def both(fn_gw, fn_torch, targets, il, tl, **kw):
    """The gradwork and torch losses of logits, through log_softmax."""
    return (lambda x: fn_gw(F.log_softmax(x, 2), gw.tensor(targets), il, tl, **kw),
            lambda x: fn_torch(x.log_softmax(2), torch.tensor(targets), tuple(il), tuple(tl), **kw))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("seed,blank", [(0, 0), (1, 2), (2, 4)])
def test_matches_torch(seed, blank, reduction):
    x, y, il, tl = random_problem(seed, blank=blank)
    g, t = both(F.ctc_loss, torch.nn.functional.ctc_loss, y, il, tl, blank=blank,
                reduction=reduction)
    check_op(g, t, arrays=[x], dtypes=(np.float64, np.float32))


def test_concatenated_targets_equal_padded():
    x, y, il, tl = random_problem(3)
    flat = np.concatenate([y[i, :tl[i]] for i in range(len(tl))])
    def g(a):
        return F.ctc_loss(F.log_softmax(a, 2), gw.tensor(flat), gw.tensor(il), gw.tensor(tl),
                          reduction="none")

    def t(a):
        return torch.nn.functional.ctc_loss(a.log_softmax(2), torch.tensor(flat),
                                            torch.tensor(il), torch.tensor(tl), reduction="none")

    check_op(g, t, arrays=[x], numeric=False)
    padded = F.ctc_loss(F.log_softmax(gw.tensor(x), 2), gw.tensor(y), il, tl, reduction="none")
    np.testing.assert_allclose(g(gw.tensor(x)).detach().numpy(), padded.detach().numpy())


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_unbatched(reduction):
    x, y, _, _ = random_problem(4, T=6, N=1, S=3)
    def g(a):
        return F.ctc_loss(F.log_softmax(a, 1), gw.tensor(y[0]), gw.tensor(6), gw.tensor(3),
                          reduction=reduction)

    def t(a):
        return torch.nn.functional.ctc_loss(a.log_softmax(1), torch.tensor(y[0]),
                                            torch.tensor(6), torch.tensor(3),
                                            reduction=reduction)

    out = check_op(g, t, arrays=[x[:, 0]])
    assert out[0].shape == ()


def test_gradient_is_exact_derivative_of_log_probs():
    """Central differences on unnormalised log_probs: the gradient is −γ, not PyTorch's form."""
    x, y, il, tl = random_problem(5, T=5, N=2, C=4, S=2)
    lp = gw.Tensor(x, requires_grad=True)
    gradcheck(lambda a: F.ctc_loss(a, gw.tensor(y), il, tl, reduction="none"), [lp])


def test_gradient_relation_to_torch_on_leaf_log_probs():
    """PyTorch returns exp(y) − γ for leaf log_probs; gradwork the exact −γ (zero past T_n)."""
    x, y, il, tl = random_problem(6)
    lp = torch.tensor(x).log_softmax(2).detach().requires_grad_()
    torch.nn.functional.ctc_loss(lp, torch.tensor(y), tuple(il), tuple(tl),
                                 reduction="sum").backward()
    g = gw.Tensor(lp.detach().numpy().copy(), requires_grad=True)
    F.ctc_loss(g, gw.tensor(y), il, tl, reduction="sum").backward()
    valid = (np.arange(x.shape[0])[:, None] < il[None, :])[..., None]
    expected = lp.grad.numpy() - np.exp(lp.detach().numpy()) * valid
    np.testing.assert_allclose(g.grad.numpy(), expected, atol=1e-10)


def test_impossible_alignment_is_inf_with_zero_gradient():
    # "1 1 1" needs 5 frames (blanks between repeats); 4 are given.  Second sequence is fine.
    x = np.random.default_rng(7).standard_normal((4, 2, 3))
    y, il, tl = np.array([[1, 1, 1], [1, 2, 0]]), [4, 4], [3, 2]
    ref = torch.nn.functional.ctc_loss(torch.tensor(x).log_softmax(2), torch.tensor(y), il, tl,
                                       reduction="none")
    xg = gw.Tensor(x, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(xg, 2), gw.tensor(y), il, tl, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), ref.numpy())
    assert np.isinf(loss.detach().numpy()[0])
    loss[1].backward()                                   # the finite one still trains
    assert np.isfinite(xg.grad.numpy()).all() and not xg.grad.numpy()[:, 0].any()
    loss = F.ctc_loss(F.log_softmax(gw.tensor(x), 2), gw.tensor(y), il, tl, reduction="mean")
    assert np.isinf(loss.item()) and not np.isnan(loss.item())


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_zero_infinity_matches_torch(reduction):
    x = np.random.default_rng(8).standard_normal((4, 2, 3))
    y, il, tl = np.array([[1, 1, 1], [1, 2, 0]]), [4, 4], [3, 2]
    g, t = both(F.ctc_loss, torch.nn.functional.ctc_loss, y, il, tl, reduction=reduction,
                zero_infinity=True)
    out = check_op(g, t, arrays=[x])
    assert np.isfinite(out[0].detach().numpy()).all()


def test_long_sequence_does_not_underflow():
    """T = 1000: p(l|x) ≈ e^−3000 is far below float64's range, the log-space loss is not.
    float32 is compared with the float64 reference (both libraries lose ~1e-3 there)."""
    x, y, il, tl = random_problem(9, T=1000, N=2, C=20, S=150)
    il, tl = np.array([1000, 800]), np.array([150, 120])
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(xt.log_softmax(2), torch.tensor(y), tuple(il), tuple(tl),
                                       reduction="sum")
    ref.backward()
    for dtype, rtol, atol in ((np.float64, 1e-9, 1e-9), (np.float32, 1e-5, 5e-3)):
        xg = gw.Tensor(x.astype(dtype), requires_grad=True)
        loss = F.ctc_loss(F.log_softmax(xg, 2), gw.tensor(y), il, tl, reduction="sum")
        loss.backward()
        assert loss.dtype == dtype and loss.item() > 2000 and np.isfinite(loss.item())
        np.testing.assert_allclose(loss.item(), ref.item(), rtol=rtol)
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), atol=atol)


def test_module_matches_functional():
    x, y, il, tl = random_problem(10, blank=3)
    lp = F.log_softmax(gw.tensor(x), 2)
    module = gw.nn.CTCLoss(blank=3, reduction="sum")
    assert module(lp, gw.tensor(y), il, tl).item() == F.ctc_loss(lp, gw.tensor(y), il, tl,
                                                                  blank=3, reduction="sum").item()
    with pytest.raises(ValueError, match="reduction"):
        gw.nn.CTCLoss(reduction="avg")


@pytest.mark.parametrize("kwargs,match", [
    (dict(tl=[5, 2]), r"target_lengths up to 5 exceed the padded targets' width 4"),
    (dict(il=[7]), r"input_lengths must have one entry per sequence \(batch size 2\), got 1"),
    (dict(tl=[1, 1, 1]),
     r"target_lengths must have one entry per sequence \(batch size 2\), got 3"),
    (dict(il=[8, 3]), r"input_lengths must be at most T = 7 .*\(7, 2, 5\).*got 8"),
    (dict(blank=5), r"blank must be in \[0, 5\) .* got 5"),
    (dict(tl=[2, -1]), r"target_lengths must be non-negative, got -1"),
    (dict(y=np.array([1, 2, 3])), r"concatenated targets must have sum\(target_lengths\) = 4"),
    (dict(y=np.array([[1, 7, 1, 1], [1, 2, 3, 4]])), r"target value 7 is out of range for 5"),
    (dict(reduction="avg"), r"reduction must be one of"),
    (dict(y=np.ones((3, 4), int)), r"targets must have shape \(2, S\) \(padded\).*got \(3, 4\)"),
])
def test_bad_input(kwargs, match):
    args = dict(y=np.array([[1, 2, 3, 4], [1, 2, 3, 4]]), il=[7, 3], tl=[2, 2], blank=0,
                reduction="mean")
    args.update(kwargs)
    lp = F.log_softmax(gw.randn(7, 2, 5), 2)
    with pytest.raises((ValueError, IndexError), match=match):
        F.ctc_loss(lp, gw.tensor(args["y"]), args["il"], args["tl"], blank=args["blank"],
                   reduction=args["reduction"])


def test_target_longer_than_input_is_inf_not_error():
    lp = F.log_softmax(gw.randn(2, 1, 5), 2)
    assert np.isinf(F.ctc_loss(lp, gw.tensor([[1, 2, 3]]), [2], [3], reduction="sum").item())


def test_float32_stays_float32_inside_backward():
    from gradwork.ops.ctc import CTCLoss, _extended
    x, y, il, tl = random_problem(11)
    fn = CTCLoss()
    ext, skip = _extended(y, tl, 0, 5, np)
    loss = fn.forward(x.astype(np.float32), ext, skip, il, tl, zero_infinity=False)
    assert loss.dtype == np.float32
    assert fn.backward(np.ones(3, np.float32)).dtype == np.float32


def collapse(path, blank):
    """B(π): merge repeated labels, then drop blanks (Graves et al. 2006, §3.1)."""
    out = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return tuple(c for c in out if c != blank)


@pytest.mark.parametrize("seed", range(4))
def test_equals_brute_force_sum_over_paths(seed):
    """p(l|x) = Σ_{π ∈ B⁻¹(l)} Π_t y_t(π_t), enumerating all C^T paths (an independent
    reference)."""
    import itertools
    rng = np.random.default_rng(seed)
    T, C, blank = 5, 3, int(rng.integers(0, 3))
    labels = [c for c in range(C) if c != blank]
    target = tuple(rng.choice(labels, size=int(rng.integers(0, 4))))
    logp = np.log(rng.dirichlet(np.ones(C), size=T))                 # (T, C)
    total = sum(np.exp(logp[np.arange(T), list(path)].sum())
                for path in itertools.product(range(C), repeat=T)
                if collapse(path, blank) == target)
    loss = F.ctc_loss(gw.tensor(logp), gw.tensor(np.array(target, dtype=np.int64)), T, len(target),
                      blank=blank, reduction="sum")
    np.testing.assert_allclose(loss.item(), -np.log(total) if total > 0 else np.inf, rtol=1e-12)
