"""Weight penalties of deck 002, as functions of a module's (or a list of) parameters.

L2: R(W) = Σ W²;  L1: R(W) = Σ |W|;  elastic net: R(W) = β Σ W² + Σ |W|.
By default only weights (parameters of two or more dimensions) are penalised, not biases
or normalisation scales, as is the custom; pass `include_all=True` to penalise everything.
Add `λ · R(W)` to the data loss.
"""
from ..ops import abs as abs_
from ..ops import sum as sum_
from .module import Module


def _weights(params, include_all):
    params = params.parameters() if isinstance(params, Module) else params
    chosen = [p for p in params if include_all or p.ndim >= 2]
    if not chosen:
        raise ValueError("penalty: no parameters to penalise (weights have ≥ 2 dimensions; "
                         "pass include_all=True to include biases)")
    return chosen


def _total(terms):
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def l2_penalty(params, include_all=False):
    """Σ W² over the weights."""
    return _total([sum_(p * p) for p in _weights(params, include_all)])


def l1_penalty(params, include_all=False):
    """Σ |W| over the weights."""
    return _total([sum_(abs_(p)) for p in _weights(params, include_all)])


def elastic_net_penalty(params, beta=1.0, include_all=False):
    """β Σ W² + Σ |W| (deck 002's elastic net)."""
    weights = _weights(params, include_all)
    return l2_penalty(weights, True) * beta + l1_penalty(weights, True)
