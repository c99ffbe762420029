from mmdet.models.dense_heads import RetinaHead
from mmdet.registry import MODELS

from .le_head_mixin import LEHeadMixin


@MODELS.register_module()
class LEDRetinaHead(LEHeadMixin, RetinaHead):
    """RetinaNet's head with LED's loc-quality estimation.

    A :class:`RetinaHead` (anchors, sigmoid classification with focal loss,
    shared cls/reg conv towers on every FPN level, every option kept) plus
    an LE module shared across levels like the towers, trained and ranked
    as :class:`LEHeadMixin` says. ``type='RetinaHead'`` -> ``'LEDRetinaHead'``
    plus the LE keys turns a RetinaNet config into an LED one.

    The LE module's richer-feature branches read the last features of the
    cls and reg towers (the inputs of ``retina_cls``/``retina_reg``): the
    final maps are a linear projection of them whose width grows with
    classes x anchors, so the towers' features carry as much at a fixed,
    smaller width, and the LE loss still reaches both towers through them.

    Args:
        **kwargs: Arguments of :class:`LEHeadMixin` and of
            :class:`RetinaHead`.
    """

    le_feature_layers = ('retina_cls', 'retina_reg')
