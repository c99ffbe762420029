"""Batched NMS that exports as ONNX ``NonMaxSuppression``.

In PyTorch it runs mmcv's NMS (the op ``batched_nms`` calls) image by image
and class by class; in a traced ONNX graph it becomes one
``NonMaxSuppression`` node, so onnxruntime (or any ONNX backend) runs it.
"""
from typing import Any

import torch
from mmcv.ops import nms
from torch import Tensor


class ONNXNonMaxSuppression(torch.autograd.Function):
    """ONNX ``NonMaxSuppression`` (opset >= 11) with mmcv's NMS in eager mode.

    Both keep a box unless a higher-scoring kept box of the same image and
    class overlaps it with an IoU *above* ``iou_threshold``, consider only
    boxes whose score is *above* ``score_threshold``, return at most
    ``max_output_boxes_per_class`` boxes per image and class, and list the
    kept boxes image by image, class by class, in decreasing score order.
    """

    @staticmethod
    def forward(ctx: Any, boxes: Tensor, scores: Tensor,
                max_output_boxes_per_class: int, iou_threshold: float,
                score_threshold: float) -> Tensor:
        """Indices of the kept boxes.

        Args:
            boxes (Tensor): (B, N, 4) boxes, x1 y1 x2 y2.
            scores (Tensor): (B, C, N) scores per class.
            max_output_boxes_per_class (int): Most boxes kept per image and
                class.
            iou_threshold (float): IoU above which a box is suppressed.
            score_threshold (float): Boxes scoring at most this are dropped
                before NMS.

        Returns:
            Tensor: (M, 3) int64 rows ``(image, class, box)``.
        """
        selected = []
        for b in range(scores.size(0)):
            for c in range(scores.size(1)):
                valid = torch.nonzero(
                    scores[b, c] > score_threshold).squeeze(1)
                if valid.numel() == 0:
                    continue
                _, keep = nms(boxes[b, valid], scores[b, c, valid],
                              float(iou_threshold))
                keep = valid[keep[:max_output_boxes_per_class]]
                selected.append(
                    torch.stack([
                        torch.full_like(keep, b),
                        torch.full_like(keep, c), keep
                    ], 1))
        if not selected:
            return boxes.new_zeros((0, 3), dtype=torch.long)
        return torch.cat(selected)

    @staticmethod
    def symbolic(g, boxes, scores, max_output_boxes_per_class: int,
                 iou_threshold: float, score_threshold: float):
        """The ONNX node (corner box format, ``center_point_box=0``)."""
        return g.op(
            'NonMaxSuppression',
            boxes,
            scores,
            g.op('Constant',
                 value_t=torch.tensor([max_output_boxes_per_class],
                                      dtype=torch.long)),
            g.op('Constant',
                 value_t=torch.tensor([iou_threshold], dtype=torch.float)),
            g.op('Constant',
                 value_t=torch.tensor([score_threshold], dtype=torch.float)),
            center_point_box_i=0)


def onnx_nms(boxes: Tensor, scores: Tensor, max_output_boxes_per_class: int,
             iou_threshold: float, score_threshold: float) -> Tensor:
    """Apply :class:`ONNXNonMaxSuppression` (see there for the arguments)."""
    return ONNXNonMaxSuppression.apply(boxes, scores,
                                       int(max_output_boxes_per_class),
                                       float(iou_threshold),
                                       float(score_threshold))
