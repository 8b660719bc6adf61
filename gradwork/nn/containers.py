"""Containers: `Sequential`, `ModuleList`, `ModuleDict`."""
from collections import OrderedDict

from .module import Module


def _renumber(container, modules):
    """Make `modules` the container's children, named "0".."n-1" (after a delete/insert)."""
    for k in list(container._modules):
        delattr(container, k)
    for i, m in enumerate(modules):
        container.register_module(str(i), m)


class Sequential(Module):
    """Apply children in order: Sequential(a, b)(x) = b(a(x))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.register_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.register_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, idx):
        if isinstance(idx, slice):       # keeps the children's names, as PyTorch does
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module):
        self.register_module(self._key(idx), module)

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        del modules[idx]
        _renumber(self, modules)

    def _key(self, idx):
        keys = list(self._modules)
        if not -len(keys) <= idx < len(keys):
            raise IndexError(f"Sequential: index {idx} is out of range for {len(keys)} modules")
        return keys[idx]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.register_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list whose modules are registered (indexable, iterable, appendable)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module):
        self.register_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(items[idx])
        return items[idx]

    def __setitem__(self, idx, module):
        key = list(self._modules)[idx]
        self.register_module(key, module)

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        del modules[idx]
        _renumber(self, modules)

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict whose modules are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules or {}).items():
            self[k] = m

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.register_module(key, module)

    def __contains__(self, key):
        return key in self._modules

    def __delitem__(self, key):
        delattr(self, key)

    def pop(self, key):
        module = self._modules[key]
        del self[key]
        return module

    def update(self, modules):
        for k, m in modules.items():
            self[k] = m

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
