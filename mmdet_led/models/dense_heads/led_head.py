from mmdet.models.dense_heads import SSDHead
from mmdet.registry import MODELS

from .le_head_mixin import LEHeadMixin


@MODELS.register_module()
class LEDHead(LEHeadMixin, SSDHead):
    """Head of LED, the Localization-quality Estimation embedded Detector.

    An :class:`SSDHead` (same anchors, softmax classification, smooth-L1
    regression, SSD matching and 3:1 hard negative mining, every SSDHead
    option) plus an LE module that predicts IoU, IoD and IoG of every
    anchor's detection (see :class:`~mmdet_led.models.layers.LEModule`),
    trained and ranked as :class:`LEHeadMixin` says. SSD's levels each have
    their own convs, so the LE module has per-level convs too and its
    richer-feature branches read SSD's cls and reg output maps (the LED
    paper's design).

    LED's 'det' step is SSD's training exactly, and an LED and an SSD built
    after the same seed start from the same detector weights.

    Args:
        **kwargs: Arguments of :class:`LEHeadMixin` (``le_module``,
            ``loss_le_coarse``, ``loss_le_fine``, ``alpha``, ``beta``,
            ``phase``) and of :class:`SSDHead`. ``train_cfg`` may hold
            ``le_sampler=dict(type='LocQualitySampler', ratios=(3, 1, 1, 1),
            min_per_range=16)``.
    """
