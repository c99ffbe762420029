from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor


def within_object_ranking_loss(pred: Tensor,
                               target: Tensor,
                               objects: Tensor,
                               temperature: float = 0.1
                               ) -> Tuple[Tensor, int]:
    """Pairwise ranking loss among the priors of each object (RankNet).

    NMS keeps, of one object's overlapping candidates, the best-ranked: a
    loc-quality confidence helps it when it orders them by their true IoU.
    Every ordered pair (i, j) of priors of the same object with
    ``target[i] > target[j]`` costs ``softplus(-(pred[i] - pred[j]) / T)``
    (log 2 for a tie in ``pred``, towards 0 as i is ranked clearly first).

    Args:
        pred (Tensor): (P, ) predicted confidences of one image's priors.
        target (Tensor): (P, ) their true IoU.
        objects (Tensor): (P, ) object index of each prior, -1 for none.
        temperature (float): ``T``, the confidence gap that counts as
            clearly ordered. Defaults to 0.1.

    Returns:
        tuple[Tensor, int]: The summed loss over the pairs (0, with the
        graph kept, when there are none) and the number of pairs.
    """
    keep = objects >= 0
    pred, target, objects = pred[keep], target[keep], objects[keep]
    ordered = (objects[:, None] == objects[None, :]) & (
        target[:, None] > target[None, :])
    num = int(ordered.sum())
    if num == 0:
        return pred.sum() * 0, 0
    gaps = (pred[:, None] - pred[None, :])[ordered]
    return F.softplus(-gaps / temperature).sum(), num


@MODELS.register_module()
class LERankingLoss(nn.Module):
    """Ranking loss of LE's confidence among each object's priors.

    The per-prior LE terms (C2F classification and Sharp-L2) fit each
    prior's IoU/IoD/IoG alone; this one asks the confidence that ranks
    detections (conf_loc) to order the well-placed priors of one object
    (true IoU >= ``min_iou`` with it) by their true IoU, the order NMS
    acts on. Averaged over all such pairs of the batch.

    Args:
        temperature (float): See :func:`within_object_ranking_loss`.
            Defaults to 0.1.
        min_iou (float): Least true IoU of a prior ranked with its object.
            Defaults to 0.5.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 min_iou: float = 0.5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.min_iou = min_iou
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                objects: Tensor,
                avg_factor: Optional[int] = None) -> Tensor:
        """Forward function.

        Args:
            pred (Tensor): (N, P) predicted confidences.
            target (Tensor): (N, P) true IoU of each prior.
            objects (Tensor): (N, P) index of the object each prior is
                compared with (its best-IoU ground truth).
            avg_factor (int, optional): Divide by this instead of the
                number of pairs.

        Returns:
            Tensor: The weighted loss.
        """
        objects = torch.where(target >= self.min_iou, objects,
                              torch.full_like(objects, -1))
        total, num = pred.sum() * 0, 0
        for p, t, o in zip(pred, target, objects):
            loss, count = within_object_ranking_loss(p, t, o,
                                                     self.temperature)
            total, num = total + loss, num + count
        return self.loss_weight * total / max(avg_factor or num, 1)
