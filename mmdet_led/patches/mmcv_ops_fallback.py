"""mmcv 2.1 without compiled ops (``mmcv-lite``, or a failed build): no NMS.

Every ``mmcv.ops`` module loads the compiled extension ``mmcv._ext`` at
import time, and MMDetection imports ``mmcv.ops`` everywhere, so with
``mmcv-lite`` not even ``import mmdet.models`` works. SSD and LED need a
single compiled op, NMS. When ``mmcv._ext`` cannot be imported, this
registers a stand-in module under that name whose ``nms`` is
``torchvision.ops.nms`` (or an exact pure-PyTorch greedy NMS where
torchvision is absent); any other op raises ``NotImplementedError`` when it
is *called*, so only models that need it fail, with a clear message.

It must run before anything imports ``mmcv.ops``: ``import mmdet_led`` runs
it first (:func:`mmdet_led.patches.apply_patches`), and ``tools/*.py``
import ``mmdet_led`` before mmdet. Where the real extension loads, nothing
is changed.
"""
import importlib
import importlib.machinery
import sys
import types
import warnings

import torch
from torch import Tensor

#: Name of the stand-in's flag, for tests and logs.
FALLBACK_FLAG = '_mmdet_led_fallback'


def greedy_nms(boxes: Tensor,
               scores: Tensor,
               iou_threshold: float,
               offset: int = 0) -> Tensor:
    """Indices of the boxes greedy NMS keeps, in decreasing score order.

    Same contract as mmcv's ``ext_module.nms``: a box is suppressed by a
    higher-scoring kept box when their IoU exceeds ``iou_threshold``;
    ``offset`` (0 or 1) is added to widths and heights (legacy pixel
    convention).

    Args:
        boxes (Tensor): (N, 4) boxes, x1 y1 x2 y2.
        scores (Tensor): (N, ) scores.
        iou_threshold (float): IoU above which a box is suppressed.
        offset (int): 0 or 1.

    Returns:
        Tensor: int64 indices into ``boxes`` of the kept boxes.
    """
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    if offset == 0:
        try:
            from torchvision.ops import nms as tv_nms
            return tv_nms(boxes.float(), scores.float(), float(iou_threshold))
        except ImportError:
            pass
    order = scores.float().argsort(descending=True)
    b = boxes.float()[order]
    area = (b[:, 2] - b[:, 0] + offset) * (b[:, 3] - b[:, 1] + offset)
    lt = torch.max(b[:, None, :2], b[None, :, :2])
    rb = torch.min(b[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt + offset).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    iou = inter / (area[:, None] + area[None, :] - inter).clamp(min=1e-12)
    over = (iou > iou_threshold).cpu()
    n = b.shape[0]
    removed = torch.zeros(n, dtype=torch.bool)
    keep = []
    for i in range(n):
        if removed[i]:
            continue
        keep.append(i)
        removed |= over[i]
    return order[torch.tensor(keep, dtype=torch.long, device=order.device)]


def _missing(name: str):

    def op(*args, **kwargs):
        raise NotImplementedError(
            f'mmcv.ops needs its compiled op {name!r}, which this mmcv '
            'lacks (mmcv-lite or a build without ops); mmdet-led provides '
            'only NMS without it. Install mmcv with MMCV_WITH_OPS=1.')

    return op


def make_ext_module() -> types.ModuleType:
    """The stand-in for ``mmcv._ext``: ``nms`` works, other ops raise."""
    module = types.ModuleType('mmcv._ext')
    # mmcv calls ext_module.nms(boxes, scores, iou_threshold=, offset=)
    module.nms = greedy_nms
    setattr(module, FALLBACK_FLAG, True)
    module.__file__ = __file__  # inspect and warnings look for it
    # a spec without a loader: importlib.util.find_spec works, and
    # mmengine's mmcv_full_available() (pkgutil.find_loader) says False
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)

    def __getattr__(name: str):  # PEP 562: every other op "exists"
        if name.startswith('__'):  # (mmcv asserts hasattr at import time)
            raise AttributeError(name)
        return _missing(name)

    module.__getattr__ = __getattr__
    return module


def install_mmcv_ops_fallback() -> bool:
    """Register the stand-in ``mmcv._ext`` if the real one does not load.

    Returns:
        bool: True if the stand-in is (now) in use.
    """
    current = sys.modules.get('mmcv._ext')
    if current is not None:
        return bool(getattr(current, FALLBACK_FLAG, False))
    try:
        importlib.import_module('mmcv._ext')
        return False
    except ImportError:
        pass
    sys.modules['mmcv._ext'] = make_ext_module()
    warnings.warn('mmcv has no compiled ops here (mmcv-lite?): mmdet-led '
                  'uses its NMS fallback (torchvision or pure PyTorch); '
                  'other mmcv ops raise NotImplementedError.')
    return True
