from mmdet.models.dense_heads import ATSSHead
from mmdet.registry import MODELS

from .le_head_mixin import LEHeadMixin


@MODELS.register_module()
class LEDATSSHead(LEHeadMixin, ATSSHead):
    """ATSS's head with LED's loc-quality estimation.

    An :class:`ATSSHead` (anchors chosen by adaptive training sample
    selection, sigmoid classification, GIoU regression, a centerness branch
    on the reg tower, every option kept) plus an LE module shared across
    levels, trained and ranked as :class:`LEHeadMixin` says; its
    richer-feature branches read the last features of the cls and reg
    towers (the inputs of ``atss_cls``/``atss_reg``), for the reasons
    :class:`LEDRetinaHead` gives.

    ATSS's centerness stays trained as in ATSS. At inference
    ``test_cfg.centerness='combine'`` (default) multiplies it into the
    scores after the LE-ranked top-k, as ATSS does, and ``'replace'``
    leaves it out, so that LE alone judges localization.

    Args:
        **kwargs: Arguments of :class:`LEHeadMixin` and of
            :class:`ATSSHead`.
    """

    le_feature_layers = ('atss_cls', 'atss_reg')
    with_host_score_factor = True
