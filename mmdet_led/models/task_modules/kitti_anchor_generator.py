"""SSD anchors for non-square inputs with explicit per-level aspect ratios."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.nn.modules.utils import _pair

from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.registry import TASK_UTILS

Stride = Union[int, float, Tuple[float, float]]


@TASK_UTILS.register_module()
class KittiSSDAnchorGenerator(AnchorGenerator):
    """SSD-style anchor generator for rectangular inputs (e.g. KITTI).

    MMDetection's ``SSDAnchorGenerator`` derives its anchor sizes from a
    square ``input_size`` (300 or 512) and always adds each ratio ``r``
    together with ``1 / r``. KITTI cars need wide anchors only, on a wide
    input (1920x576), so this generator takes everything explicitly:

    * ``strides``: per level ``(stride_w, stride_h)``, i.e.
      ``input_w / feat_w`` and ``input_h / feat_h``; they may be fractional
      (the last SSD levels do not divide the input evenly). As in SSD the
      anchor centres are at ``(i + 0.5) * stride_w, (j + 0.5) * stride_h``.
    * ``ratios``: per level the **height / width** ratios (mmdet's
      convention), used as given; for car shapes with ``w / h`` in
      ``{1, 1.5, 1.8, 2.2, 2.7}`` pass ``[1, 1/1.5, 1/1.8, 1/2.2, 1/2.7]``.
    * ``min_sizes``: per level the anchor scale ``s``; the anchor of ratio
      ``r`` has ``w = s / sqrt(r)`` and ``h = s * sqrt(r)`` (area ``s**2``).
    * ``max_sizes`` (optional): adds SSD's extra square anchor of side
      ``sqrt(min_size * max_size)`` at position 1 of each level, like
      ``SSDAnchorGenerator``.

    Args:
        strides (Sequence[int | float | tuple[float, float]]): Strides of
            the feature levels, ``(w, h)``.
        ratios (Sequence[Sequence[float]]): Height / width ratios per level.
        min_sizes (Sequence[float]): Anchor scale per level.
        max_sizes (Sequence[float], optional): Upper scale per level for
            the extra square anchor. Defaults to None (no extra anchor).
        use_box_type (bool): Whether to wrap anchors in
            :obj:`HorizontalBoxes`. Defaults to False.
    """

    def __init__(self,
                 strides: Sequence[Stride],
                 ratios: Sequence[Sequence[float]],
                 min_sizes: Sequence[float],
                 max_sizes: Optional[Sequence[float]] = None,
                 use_box_type: bool = False) -> None:
        if not len(strides) == len(ratios) == len(min_sizes):
            raise ValueError('strides, ratios and min_sizes need one entry '
                             f'per level, got {len(strides)}, {len(ratios)} '
                             f'and {len(min_sizes)}')
        if max_sizes is not None and len(max_sizes) != len(min_sizes):
            raise ValueError('max_sizes needs one entry per level')
        if any(r <= 0 for level in ratios for r in level):
            raise ValueError(f'ratios must be positive, got {ratios}')
        self.strides = [
            tuple(float(s) for s in _pair(stride)) for stride in strides
        ]
        self.centers = [(sw / 2., sh / 2.) for sw, sh in self.strides]
        self.ratios = [torch.tensor(r, dtype=torch.float32) for r in ratios]
        self.min_sizes = [float(s) for s in min_sizes]
        self.max_sizes = None if max_sizes is None else [
            float(s) for s in max_sizes
        ]
        self.base_sizes = self.min_sizes
        self.center_offset = 0.
        self.scale_major = False
        self.use_box_type = use_box_type
        self.base_anchors = self.gen_base_anchors()

    def gen_base_anchors(self) -> List[Tensor]:
        """Generate the anchors of one grid cell for every level.

        Returns:
            list[Tensor]: Per level an ``(A, 4)`` tensor ``x1, y1, x2, y2``
            around the first cell centre.
        """
        anchors = []
        for level, ratios in enumerate(self.ratios):
            size = self.min_sizes[level]
            h_ratios = torch.sqrt(ratios)
            ws = size / h_ratios
            hs = size * h_ratios
            if self.max_sizes is not None:
                extra = (size * self.max_sizes[level])**0.5
                ws = torch.cat([ws[:1], ws.new_tensor([extra]), ws[1:]])
                hs = torch.cat([hs[:1], hs.new_tensor([extra]), hs[1:]])
            cx, cy = self.centers[level]
            corners = [cx - ws / 2, cy - hs / 2, cx + ws / 2, cy + hs / 2]
            anchors.append(torch.stack(corners, dim=-1))
        return anchors

    def __repr__(self) -> str:
        """str: A short description of the generator."""
        return (f'{self.__class__.__name__}(strides={self.strides}, '
                f'ratios={[r.tolist() for r in self.ratios]}, '
                f'min_sizes={self.min_sizes}, max_sizes={self.max_sizes})')
