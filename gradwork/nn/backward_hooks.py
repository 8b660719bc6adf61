"""What `Module.register_full_backward_hook` needs: identity nodes around a module call.

The module's tensor inputs pass through one identity node and its tensor outputs through
another, as PyTorch's `BackwardHook` does. In the backward pass the output node sees
grad_output first; the input node then sees grad_input and calls the hooks with both, and
what a hook returns becomes the gradient that flows on to the inputs. When no input needs a
gradient, the hooks run at the output node with grad_input all None.
"""
from ..autograd import Function, Tensor


class _Identity(Function):
    """y_i = x_i for every input; backward hands the gradients to `on_backward`."""
    needs_inputs = False

    def forward(self, *arrays, on_backward):
        self.on_backward = on_backward
        return tuple(arrays)

    def backward(self, *grads):
        return tuple(self.on_backward(grads))


class _Call:
    """One module call: which arguments are tensors, and grad_output once it is known."""

    def __init__(self, module, args):
        self.module = module
        self.tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.grad_args = [i for i in self.tensor_args if args[i].requires_grad]
        self.grad_output = None

    def _run_hooks(self, grad_input):
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(grad_input):
                raise RuntimeError(f"backward hook returned {len(result)} gradients, expected "
                                   f"{len(grad_input)} (one per tensor input)")
            grad_input = result
        return grad_input

    def on_input_grads(self, grads):
        by_position = dict(zip(self.grad_args, grads))
        grad_input = tuple(Tensor._make(by_position[i], False, None, 0) if i in by_position
                           else None for i in self.tensor_args)
        grad_input = self._run_hooks(grad_input)
        out = dict(zip(self.tensor_args, grad_input))
        return [None if out[i] is None else out[i]._data for i in self.grad_args]

    def on_output_grads(self, grads, flags):
        it = iter(grads)
        self.grad_output = tuple(Tensor._make(next(it), False, None, 0) if f else None
                                 for f in flags)
        if not self.grad_args:
            self._run_hooks((None,) * len(self.tensor_args))
        return grads


def wrap_inputs(module, args):
    call = _Call(module, args)
    if call.grad_args:
        outs = _Identity.apply(*[args[i] for i in call.grad_args],
                               on_backward=call.on_input_grads)
        args = list(args)
        for i, o in zip(call.grad_args, outs):
            args[i] = o
        args = tuple(args)
    return args, call


def wrap_outputs(call, out):
    single = isinstance(out, Tensor)
    items = [out] if single else list(out) if isinstance(out, tuple) else None
    if items is None:
        return out
    tensors = [t for t in items if isinstance(t, Tensor)]
    flags = [t.requires_grad for t in tensors]
    if not any(flags):
        return out
    wrapped = iter(_Identity.apply(*[t for t in tensors if t.requires_grad],
                                   on_backward=lambda g: call.on_output_grads(g, flags)))
    items = [next(wrapped) if isinstance(t, Tensor) and t.requires_grad else t for t in items]
    return items[0] if single else tuple(items)
