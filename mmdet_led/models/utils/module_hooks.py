"""Context managers that borrow a module's children or record their
inputs for a ``with`` block and leave the module as it was."""
from contextlib import contextmanager
from typing import Iterator, List, Sequence

from torch import Tensor, nn


@contextmanager
def detached_child(module: nn.Module, name: str) -> Iterator[nn.Module]:
    """Take the child ``name`` out of ``module`` for the ``with`` block and
    put it back at its place, so that module order (and ``state_dict`` key
    order) stays as it was."""
    names = list(module._modules)
    child = module._modules.pop(name)
    try:
        yield child
    finally:
        module._modules[name] = child
        for later in names[names.index(name) + 1:]:
            module._modules[later] = module._modules.pop(later)


@contextmanager
def recorded_inputs(
        modules: Sequence[nn.Module]) -> Iterator[List[List[Tensor]]]:
    """Record, for each module, the input of each of its calls in the
    ``with`` block (forward pre-hooks, removed on exit)."""
    records: List[List[Tensor]] = [[] for _ in modules]
    handles = [
        m.register_forward_pre_hook(
            lambda _, args, record=record: record.append(args[0]))
        for m, record in zip(modules, records)
    ]
    try:
        yield records
    finally:
        for handle in handles:
            handle.remove()
