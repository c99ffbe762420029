"""torch >= 2.6 loads weights-only by default; mmengine 0.10.7 checkpoints
are not weights-only.

mmengine calls ``torch.load`` without ``weights_only``, so with torch >= 2.6
resuming from (or testing) its own checkpoints fails: their message hub
pickles ``HistoryBuffer`` objects and numpy arrays. Instead of turning
weights-only loading off, the specific classes those checkpoints hold are
allow-listed (``torch.serialization.add_safe_globals``).
"""
from typing import List

import numpy as np
import torch


def mmengine_checkpoint_globals() -> List[object]:
    """Classes and functions that MMEngine checkpoints pickle besides tensors.

    The message hub stores ``HistoryBuffer`` objects, whose logs are numpy
    arrays; numpy scalars (e.g. a metric value) may appear in
    ``runtime_info``. (torch already allows ``Counter`` and
    ``_codecs.encode``, which they also use.)

    Returns:
        list: The globals to allow-list.
    """
    from mmengine.logging import HistoryBuffer
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.float64, np.float32, np.float16, np.int64, np.int32, np.int8,
        np.uint8, np.bool_)]
    return [
        HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
        *dtype_classes
    ]


def allow_mmengine_checkpoints() -> None:
    """Allow-list MMEngine's checkpoint classes for weights-only loading."""
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch >= 2.4
        add_safe_globals(mmengine_checkpoint_globals())
