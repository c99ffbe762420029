"""Fixes for known breakages of the pinned stack, applied on ``import mmdet_led``.

They live here, never in site-packages, and each is a no-op where the stack
does not need it:

* mmdet 3.3.0 ``SSDHead`` never sets ``loss_cls`` (it computes its losses by
  hand), but ``BaseDenseHead._predict_by_feat_single`` reads
  ``self.loss_cls``, so every SSD model crashes at predict time with
  ``AttributeError``. A class-level ``loss_cls = None`` is exactly the
  "no custom loss" the base head expects. No mmdet subclass of ``SSDHead``
  registers a ``loss_cls`` module, so nothing is shadowed.
* torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7
  calls ``torch.load`` without the argument, so resuming from its own
  checkpoints (which pickle ``HistoryBuffer`` and numpy arrays in the
  message hub) fails. Instead of turning weights-only loading off, the
  specific classes those checkpoints hold are allow-listed.
* ``HistoryBuffer`` also pickles its built-in statistics functions
  (``min``, ``max``, ...) as ``getattr(HistoryBuffer, 'min')``. Allowing
  ``builtins.getattr`` would let a checkpoint reach any attribute of any
  allowed object, which is the very hole weights-only loading closes, so
  instead those built-ins are left out of the pickle (they are class
  methods every process has) and only user-registered ones are kept.
"""
from typing import List

import numpy as np
import torch


def fix_ssd_head_predict() -> None:
    """Give ``SSDHead`` the ``loss_cls`` attribute its predict path reads."""
    from mmdet.models.dense_heads import SSDHead
    if not hasattr(SSDHead, 'loss_cls'):
        SSDHead.loss_cls = None


def fix_history_buffer_pickling() -> None:
    """Pickle ``HistoryBuffer`` without references to its own methods."""
    from mmengine.logging import HistoryBuffer
    if getattr(HistoryBuffer, '_led_pickle_fix', False):
        return

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop('statistics_methods', None)
        custom = {
            name: method
            for name, method in self._statistics_methods.items()
            if getattr(HistoryBuffer, name, None) is not method
        }
        if custom:
            state['statistics_methods'] = custom
        return state

    # mmengine's __setstate__ re-registers the built-ins before the rest.
    HistoryBuffer.__getstate__ = __getstate__
    HistoryBuffer._led_pickle_fix = True


def mmengine_checkpoint_globals() -> List[object]:
    """Classes and functions that MMEngine checkpoints pickle besides tensors.

    The message hub stores ``HistoryBuffer`` objects, whose logs are numpy
    arrays; numpy scalars (e.g. a metric value) may appear in
    ``runtime_info``. (torch already allows ``Counter`` and
    ``_codecs.encode``, which they also use.)
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


def apply_compat_fixes() -> None:
    """Apply every fix above (idempotent)."""
    fix_ssd_head_predict()
    fix_history_buffer_pickling()
    allow_mmengine_checkpoints()
