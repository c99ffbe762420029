import copy
import warnings
from typing import Optional, Sequence

from mmdet.registry import TASK_UTILS
from torch import Tensor

from ..le_hard_mining import le_hard_mining
from ..loc_quality import C2F_BIN_EDGES, value_to_bin


@TASK_UTILS.register_module()
class LocQualitySampler:
    """Chooses the priors that train the LE module (LED's LE hard mining).

    The priors of an image are split into value ranges by their IoU target
    (background, low, mid, high: the coarse-to-fine ranges) and the
    highest-loss priors of each range are kept at about ``ratios``, so that
    the few well-localized priors are not drowned by the background ones
    (paper section 2.4; the counting rule is :func:`le_hard_mining`).

    It is to the LE loss what mmdet's samplers are to the detection loss,
    and is configured the same way, in the head's ``train_cfg``::

        train_cfg=dict(..., le_sampler=dict(
            type='LocQualitySampler', ratios=(3, 1, 1, 1), min_per_range=16))

    Args:
        ratios (Sequence[float]): Wanted proportions of the value ranges,
            one per range. Defaults to (3, 1, 1, 1).
        min_per_range (int): Lower bound of the unit count. Defaults to 16.
        edges (Sequence[float]): Upper edges of all ranges but the last.
            Defaults to the coarse-to-fine edges (0.1, 0.4, 0.7).
    """

    def __init__(self,
                 ratios: Sequence[float] = (3, 1, 1, 1),
                 min_per_range: int = 16,
                 edges: Sequence[float] = C2F_BIN_EDGES) -> None:
        if len(ratios) != len(edges) + 1:
            raise ValueError(f'{len(edges) + 1} value ranges need as many '
                             f'ratios, got {tuple(ratios)}')
        if min(ratios) < 0 or min_per_range < 0:
            raise ValueError('ratios and min_per_range must not be negative')
        self.ratios = tuple(ratios)
        self.min_per_range = min_per_range
        self.edges = tuple(edges)

    def sample(self, losses: Tensor, iou_targets: Tensor) -> Tensor:
        """The priors of one image that the LE loss is averaged over.

        Args:
            losses (Tensor): Per-prior LE loss used for ranking, shape (N,).
            iou_targets (Tensor): Per-prior IoU target, shape (N,).

        Returns:
            Tensor: Bool mask of shape (N,) of the chosen priors.
        """
        bins = value_to_bin(iou_targets, self.edges)
        return le_hard_mining(losses, bins, self.ratios, self.min_per_range)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratios={self.ratios}, '
                f'min_per_range={self.min_per_range}, edges={self.edges})')


def le_sampler_cfg(train_cfg: Optional[dict]) -> dict:
    """The LE sampler's config in an LED head's ``train_cfg``:
    ``le_sampler``, or from the former key ``le_mining`` (the sampler's
    arguments, still read, with a warning), or the default sampler."""
    train_cfg = train_cfg or {}
    cfg = train_cfg.get('le_sampler')
    legacy = train_cfg.get('le_mining')
    if legacy is not None:
        if cfg is not None:
            raise ValueError(
                'train_cfg sets both le_mining and le_sampler: '
                'le_mining is the former name of le_sampler=dict('
                "type='LocQualitySampler', ...); keep le_sampler only")
        warnings.warn(
            'train_cfg.le_mining is deprecated; use train_cfg.'
            "le_sampler=dict(type='LocQualitySampler', ratios=..., "
            'min_per_range=...)')
        cfg = dict(type='LocQualitySampler', **legacy)
    return copy.deepcopy(cfg or dict(type='LocQualitySampler'))
