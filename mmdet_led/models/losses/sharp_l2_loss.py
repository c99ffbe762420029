from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor


@weighted_loss
def sharp_l2_loss(pred: Tensor, target: Tensor, sharp: bool = True) -> Tensor:
    """Sharp-L2 loss (LED paper, eq. 2), element-wise.

    ``0.5 * x**2`` for ``|x| < 1`` and ``|x|**3 / 3 + 1/6`` otherwise, with
    ``x = pred - target``: value and slope are continuous at ``|x| = 1``,
    and badly regressed samples are up-weighted compared with L2. With
    ``sharp=False`` it is the plain L2 loss ``0.5 * x**2`` everywhere.

    Args:
        pred (Tensor): The prediction.
        target (Tensor): The learning target, same shape as ``pred``.
        sharp (bool): Use the cubic branch for ``|x| >= 1``.
            Defaults to True.

    Returns:
        Tensor: The element-wise loss.
    """
    if target.numel() == 0:
        return pred.sum() * 0
    assert pred.size() == target.size()
    diff = (pred - target).abs()
    l2 = 0.5 * diff * diff
    if not sharp:
        return l2
    return torch.where(diff < 1, l2, diff.pow(3) / 3 + 1 / 6)


@MODELS.register_module()
class SharpL2Loss(nn.Module):
    """Sharp-L2 loss of the LE module's fine regressors.

    Args:
        sharp (bool): False gives the plain L2 loss (``0.5 * x**2``) used by
            the paper's ablation. Defaults to True.
        reduction (str): "none", "mean" or "sum". Defaults to "mean".
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 sharp: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sharp = sharp
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): The prediction.
            target (Tensor): The learning target, same shape as ``pred``.
            weight (Tensor, optional): Element-wise weight. Defaults to None.
            avg_factor (float, optional): Divisor of the summed loss when the
                reduction is "mean". Defaults to None.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The (reduced) loss times ``loss_weight``.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override or self.reduction
        return self.loss_weight * sharp_l2_loss(
            pred,
            target,
            weight,
            sharp=self.sharp,
            reduction=reduction,
            avg_factor=avg_factor)
