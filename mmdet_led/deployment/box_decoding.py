"""Box decoding inside an exported graph.

mmdet 3.x's coders switch to an ONNX code path under ``torch.onnx.export``
that imports ``mmdet.core.export``, a module of mmdet 2.x, and fails; here
the same maths runs through mmdet's own tensor functions on (N, 4) inputs,
the path the coders take at inference.
"""
from typing import Tuple

import torch
from mmdet.models.task_modules.coders import (DeltaXYWHBBoxCoder,
                                              DistancePointBBoxCoder)
from mmdet.models.task_modules.coders.delta_xywh_bbox_coder import delta2bbox
from mmdet.structures.bbox import distance2bbox
from torch import Tensor, nn

#: Coders :func:`decode_boxes` supports.
SUPPORTED_CODERS = (DeltaXYWHBBoxCoder, DistancePointBBoxCoder)


def decode_boxes(coder: nn.Module, priors: Tensor, preds: Tensor,
                 max_shape: Tuple[int, int]) -> Tensor:
    """What ``coder.decode(priors, preds, max_shape)`` gives for 2-D inputs.

    Args:
        coder: A ``DeltaXYWHBBoxCoder`` (anchors, (N, 4) priors) or a
            ``DistancePointBBoxCoder`` (points, (N, 2) priors).
        priors (Tensor): (N, 4) anchors or (N, 2) points.
        preds (Tensor): (N, 4) regression outputs.
        max_shape (tuple[int, int]): (H, W) the boxes are clipped to, when
            the coder clips (``clip_border``).

    Returns:
        Tensor: (N, 4) boxes, x1 y1 x2 y2.
    """
    if isinstance(coder, DeltaXYWHBBoxCoder):
        return delta2bbox(priors, preds, coder.means, coder.stds, max_shape,
                          16 / 1000, coder.clip_border, coder.add_ctr_clamp,
                          coder.ctr_clamp)
    if isinstance(coder, DistancePointBBoxCoder):
        boxes = distance2bbox(priors, preds)
        if not coder.clip_border:
            return boxes
        h, w = max_shape
        x1, y1, x2, y2 = boxes.unbind(-1)
        return torch.stack([
            x1.clamp(min=0, max=w),
            y1.clamp(min=0, max=h),
            x2.clamp(min=0, max=w),
            y2.clamp(min=0, max=h)
        ], -1)
    raise TypeError(f'export supports the box coders {SUPPORTED_CODERS}, '
                    f'got {type(coder).__name__}')
