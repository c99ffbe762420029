"""Features read where a predicted box lies, not where its prior sits.

A dense head predicts each location's box from the features at that
location; how well the box fits depends on where its edges landed, which
the location's own features do not show. Sampling a feature map at the
box's corners, edge midpoints and centre gives an estimator of the box's
quality that evidence (IoU-Net and VarifocalNet read features inside the
predicted box for the same reason).
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: Points sampled per box, row by row: (x1, y1), (cx, y1), (x2, y1), ...,
#: (x2, y2), i.e. x in (left, centre, right) within y in (top, centre,
#: bottom).
NUM_BOX_POINTS = 9


def box_points(boxes: Tensor) -> Tensor:
    """The 3 x 3 grid of a box's corners, edge midpoints and centre.

    Args:
        boxes (Tensor): (..., 4) boxes (x1, y1, x2, y2).

    Returns:
        Tensor: (..., 9, 2) points (x, y), row-major from the top left.
    """
    x1, y1, x2, y2 = boxes.unbind(-1)
    xs = torch.stack([x1, (x1 + x2) / 2, x2], -1)
    ys = torch.stack([y1, (y1 + y2) / 2, y2], -1)
    return torch.stack([
        xs[..., None, :].expand(*xs.shape[:-1], 3, 3),
        ys[..., :, None].expand(*ys.shape[:-1], 3, 3)
    ], -1).flatten(-3, -2)


def box_point_features(feat: Tensor,
                       boxes: Tensor,
                       stride: Tuple[float, float],
                       origin: Tuple[float, float] = (0.0, 0.0)) -> Tensor:
    """``feat`` sampled (bilinearly, zero outside the map) at the
    :func:`box_points` of each location's box.

    Args:
        feat (Tensor): (N, C, H, W) feature map of one level.
        boxes (Tensor): (N, H * W, 4) one box per location, in image
            pixels, locations row-major like the map.
        stride (tuple[float, float]): Image pixels per map location, (x,
            y).
        origin (tuple[float, float]): Image position (x, y) of location
            (0, 0)'s centre (the prior generator's offset times the
            stride).

    Returns:
        Tensor: (N, 9 * C, H, W): for each point (in :func:`box_points`
        order) the C channels sampled there.
    """
    n, c, h, w = feat.shape
    points = ((box_points(boxes) - boxes.new_tensor(origin)) /
              boxes.new_tensor(stride))  # in map locations
    # align_corners=False: location i's centre is (2 i + 1) / size - 1
    grid = (2 * points + 1) / points.new_tensor([w, h]) - 1
    sampled = F.grid_sample(
        feat, grid.reshape(n, h * w * NUM_BOX_POINTS, 1, 2),
        align_corners=False)  # (N, C, H * W * 9, 1)
    return sampled.reshape(n, c, h, w, NUM_BOX_POINTS).permute(
        0, 4, 1, 2, 3).reshape(n, NUM_BOX_POINTS * c, h, w)


def decoded_box_point_features(feats: Sequence[Tensor],
                               bbox_preds: Sequence[Tensor], prior_generator,
                               bbox_coder) -> List[Tensor]:
    """:func:`box_point_features` of every level, at the boxes a dense
    head's regression maps decode to (one prior per location, not clipped).

    Args:
        feats (Sequence[Tensor]): (N, C, H, W) feature map of each level.
        bbox_preds (Sequence[Tensor]): (N, encode_size, H, W) regression
            map of each level, as ``bbox_coder`` decodes it.
        prior_generator: The head's prior generator (anchors or points;
            its ``strides`` are (x, y)).
        bbox_coder: The head's box coder.

    Returns:
        list[Tensor]: (N, 9 * C, H, W) per level.
    """
    priors = prior_generator.grid_priors([b.shape[-2:] for b in bbox_preds],
                                         device=bbox_preds[0].device)
    out = []
    for feat, pred, prior, stride in zip(feats, bbox_preds, priors,
                                         prior_generator.strides):
        n = pred.size(0)  # traced, so that an export keeps the batch free
        deltas = pred.permute(0, 2, 3, 1).reshape(-1, bbox_coder.encode_size)
        boxes = bbox_coder.decode(prior.repeat(n, 1),
                                  deltas).reshape(n, -1, 4)
        first = prior[0]  # location (0, 0): an anchor or a point
        origin = (first[:2] + first[2:]) / 2 if len(first) == 4 else \
            first[:2]
        out.append(box_point_features(feat, boxes, tuple(stride),
                                      tuple(origin.tolist())))
    return out
