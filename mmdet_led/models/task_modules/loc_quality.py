"""Loc-quality targets and the coarse-to-fine (C2F) value coding of LED.

Pure tensor functions (paper section 2.3), so tests can call them directly.
The loc-quality of a box is the triple ``V = (IoU, IoD, IoG)`` with the
ground truth it overlaps most: ``IoD = S_I / S_det`` and
``IoG = S_I / S_gt``. The column order (IoU, IoD, IoG) is used everywhere.
"""
from typing import Sequence, Tuple, Union

import torch
from torch import Tensor

#: Upper edges of the coarse value ranges [0,.1), [.1,.4), [.4,.7), [.7,1].
C2F_BIN_EDGES = (0.1, 0.4, 0.7)
#: "Anchor" value of each range (its middle), paper section 2.3.
C2F_BIN_ANCHORS = (0.05, 0.25, 0.55, 0.85)
#: Half width of each range. A fine target is stored as
#: ``(v - anchor) / half_width``, i.e. in [-1, 1] inside the range, so that
#: Sharp-L2's cubic branch (|x| >= 1) acts exactly on values that a
#: regressor pushes outside its own range.
C2F_BIN_SCALES = (0.05, 0.15, 0.15, 0.15)

QUALITY_NAMES = ('iou', 'iod', 'iog')


def _area(boxes: Tensor) -> Tensor:
    """Areas of (x1, y1, x2, y2) boxes; degenerate boxes have area 0."""
    return ((boxes[..., 2] - boxes[..., 0]).clamp(min=0) *
            (boxes[..., 3] - boxes[..., 1]).clamp(min=0))


def loc_quality_targets(
        pred_bboxes: Tensor,
        gt_bboxes: Tensor,
        eps: float = 1e-6,
        return_index: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """IoU, IoD and IoG of each box with its best-IoU ground truth.

    The ground truth is chosen class-agnostically by the highest IoU to the
    box. Zero-area boxes get finite values (the denominators are clamped to
    ``eps``) and an image without ground truth gives zeros.

    Args:
        pred_bboxes (Tensor): Boxes (x1, y1, x2, y2), shape (N, 4); in LED
            the (detached) decoded predictions of every anchor.
        gt_bboxes (Tensor): Ground-truth boxes, shape (M, 4).
        eps (float): Lower bound of every denominator. Defaults to 1e-6.
        return_index (bool): Also return which ground truth each box was
            compared with. Defaults to False.

    Returns:
        Tensor | tuple[Tensor, Tensor]: Shape (N, 3), columns (IoU, IoD,
        IoG), all in [0, 1]; with ``return_index`` also the (N, ) index of
        each box's ground truth (-1 without any).
    """
    num = pred_bboxes.size(0)
    if gt_bboxes.numel() == 0 or num == 0:
        targets = pred_bboxes.new_zeros((num, 3))
        index = torch.full((num, ), -1, dtype=torch.long,
                           device=pred_bboxes.device)
        return (targets, index) if return_index else targets
    lt = torch.max(pred_bboxes[:, None, :2], gt_bboxes[None, :, :2])
    rb = torch.min(pred_bboxes[:, None, 2:], gt_bboxes[None, :, 2:])
    inter = _area(torch.cat([lt, rb], dim=-1))  # (N, M)
    area_det = _area(pred_bboxes)[:, None]
    area_gt = _area(gt_bboxes)[None, :]
    ious = inter / (area_det + area_gt - inter).clamp(min=eps)
    best_iou, best = ious.max(dim=1)
    best_inter = inter.gather(1, best[:, None]).squeeze(1)
    iod = best_inter / area_det.squeeze(1).clamp(min=eps)
    iog = best_inter / area_gt.squeeze(0)[best].clamp(min=eps)
    targets = torch.stack([best_iou, iod, iog], dim=1).clamp(0, 1)
    return (targets, best) if return_index else targets


def value_to_bin(values: Tensor,
                 edges: Sequence[float] = C2F_BIN_EDGES) -> Tensor:
    """Index of the coarse value range of each value (1.0 is in the last).

    Args:
        values (Tensor): Values in [0, 1], any shape.
        edges (Sequence[float]): Upper edges of all ranges but the last.

    Returns:
        Tensor: Long tensor of the same shape, in [0, len(edges)].
    """
    boundaries = values.new_tensor(edges)
    return torch.bucketize(values.contiguous(), boundaries, right=True)


def c2f_encode(
    values: Tensor,
    edges: Sequence[float] = C2F_BIN_EDGES,
    anchors: Sequence[float] = C2F_BIN_ANCHORS,
    scales: Sequence[float] = C2F_BIN_SCALES
) -> Tuple[Tensor, Tensor]:
    """Coarse bin and fine regression target of each value.

    Args:
        values (Tensor): Loc-quality values in [0, 1], any shape.
        edges, anchors, scales: The C2F ranges (see module constants).

    Returns:
        tuple[Tensor, Tensor]: The bin index (long) and the fine target
        ``(v - anchors[bin]) / scales[bin]``, both shaped like ``values``.
        Only the regressor of that bin is trained on it.
    """
    bins = value_to_bin(values, edges)
    fine = (values - values.new_tensor(anchors)[bins]) / values.new_tensor(
        scales)[bins]
    return bins, fine


def c2f_decode(coarse_logits: Tensor,
               fine: Tensor,
               anchors: Sequence[float] = C2F_BIN_ANCHORS,
               scales: Sequence[float] = C2F_BIN_SCALES) -> Tensor:
    """Value from coarse logits and fine offsets (LED paper, eq. 1).

    ``v = sum_i softmax(coarse)_i * (anchors_i + scales_i * fine_i)``.

    Args:
        coarse_logits (Tensor): Shape (..., B), B value ranges.
        fine (Tensor): Scaled fine offsets, shape (..., B).
        anchors, scales: The C2F ranges (see module constants).

    Returns:
        Tensor: Shape (...), the estimated values.
    """
    # the B ranges first: a softmax over a last dim of 4 is some ten times
    # slower on a CPU than over the first
    # (a non-negative source dim: ONNX export keeps a -1 in the permutation)
    last = fine.dim() - 1
    ranges = (-1, ) + (1, ) * last
    vals = torch.addcmul(
        fine.new_tensor(anchors).view(ranges),
        fine.new_tensor(scales).view(ranges), fine.movedim(last, 0))
    weights = coarse_logits.movedim(last, 0).contiguous().softmax(dim=0)
    return (weights * vals).sum(dim=0)
