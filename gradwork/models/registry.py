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


def list_models():
    """The registered model names, sorted."""
    return sorted(_MODELS)


def get_model(name, **kwargs):
    """Build the registered model `name` with the constructor's keyword arguments."""
    if name not in _MODELS:
        raise ValueError(f"get_model: unknown model {name!r}; valid names are: "
                         + ", ".join(list_models()))
    return _MODELS[name](**kwargs)
