from typing import Sequence

import torch
from torch import Tensor


def le_hard_mining(losses: Tensor,
                   bins: Tensor,
                   ratios: Sequence[float] = (3, 1, 1, 1),
                   min_per_range: int = 16) -> Tensor:
    """Select hard examples for the LE loss, balanced over value ranges.

    LED's LE mining (paper section 2.4) keeps the samples of the four IoU
    ranges (background, low, mid, high) at about ``3:1:1:1``, taking the
    highest-loss samples of each range. The unit count is set by the
    scarcest non-empty foreground range,
    ``unit = max(min_{i>=1, n_i>0} n_i / ratios[i], min_per_range)``, and range
    ``i`` contributes ``min(n_i, floor(ratios[i] * unit))`` samples. Empty
    ranges contribute nothing (the others keep their share), so an image
    without any overlapping prediction still trains the background range
    with ``ratios[0] * min_per_range`` samples.

    Args:
        losses (Tensor): Per-sample LE loss, shape (N,), used for ranking.
        bins (Tensor): Value range of each sample (by its IoU target), long
            tensor of shape (N,) with values in [0, len(ratios)).
        ratios (Sequence[float]): Wanted proportions of the ranges.
        min_per_range (int): Lower bound of the unit count. Defaults to 16.

    Returns:
        Tensor: Bool mask of shape (N,) of the selected samples.
    """
    counts = torch.bincount(bins, minlength=len(ratios)).tolist()
    fg = [counts[i] / ratios[i] for i in range(1, len(ratios)) if counts[i]]
    unit = max(min(fg) if fg else 0, min_per_range)
    mask = torch.zeros_like(bins, dtype=torch.bool)
    for i, ratio in enumerate(ratios):
        num = min(counts[i], int(ratio * unit))
        if num == 0:
            continue
        idx = (bins == i).nonzero(as_tuple=False).squeeze(1)
        mask[idx[losses[idx].topk(num).indices]] = True
    return mask
