"""The model registry: name → constructor, filled by an explicit `@register("name")` on each
constructor (no introspection), read by `get_model` and `list_models` (the CLI and trainer use
these)."""

_MODELS = {}


def register(name):
    """Decorator: make `fn(**kwargs) -> Module` available as `get_model(name, **kwargs)`."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"register: name must be a non-empty string, got {name!r}")

    def add(fn):
        if name in _MODELS:
            raise ValueError(f"register: model name {name!r} is already registered "
                             f"(by {_MODELS[name].__module__}.{_MODELS[name].__name__})")
        _MODELS[name] = fn
        return fn
    return add


def register_residual_and_plain(depth, build, residual_doc, plain_doc):
    """Register `resnet{depth}` and `plain{depth}` (the same net without shortcuts, for the
    decks' residual-vs-plain comparison) as `build(depth, plain=…, **kwargs)`; returns both
    constructors. The docs are formatted with `depth`."""
    def resnet(**kwargs):
        return build(depth, **kwargs)

    def plain(**kwargs):
        return build(depth, plain=True, **kwargs)

    for fn, kind, doc in ((resnet, "resnet", residual_doc), (plain, "plain", plain_doc)):
        fn.__name__ = fn.__qualname__ = f"{kind}{depth}"
        fn.__doc__ = doc.format(depth=depth, n=(depth - 2) // 6)
        register(f"{kind}{depth}")(fn)
    return resnet, plain


def list_models():
    """The registered model names, sorted."""
    return sorted(_MODELS)


def get_model(name, **kwargs):
    """Build the registered model `name` with the constructor's keyword arguments."""
    if name not in _MODELS:
        raise ValueError(f"get_model: unknown model {name!r}; valid names are: "
                         + ", ".join(list_models()))
    return _MODELS[name](**kwargs)
