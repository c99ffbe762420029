from typing import List, Sequence

from mmdet.models.dense_heads import FCOSHead
from mmdet.registry import MODELS
from torch import Tensor

from .le_head_mixin import LEHeadMixin


@MODELS.register_module()
class LEDFCOSHead(LEHeadMixin, FCOSHead):
    """FCOS's head with LED's loc-quality estimation.

    An :class:`FCOSHead` (anchor-free points, sigmoid classification with
    focal loss, IoU regression, a centerness branch, shared towers, every
    option kept) plus an LE module shared across levels, one prediction per
    point, trained and ranked as :class:`LEHeadMixin` says. Its
    richer-feature branches read the last features of the cls and reg
    towers (the inputs of ``conv_cls``/``conv_reg``), for the reasons
    :class:`LEDRetinaHead` gives and because FCOS's regression map changes
    scale between training and inference (``norm_on_bbox``).

    LE and centerness: both judge how well a point's box is localized;
    centerness from the point's position in its ground truth, LE from the
    predicted box itself (IoU, IoD, IoG). The centerness branch stays
    trained as in FCOS (so the 'det' phase is FCOS's training exactly). At
    inference ``test_cfg.centerness`` switches between
    ``'combine'`` (default): the LE-ranked candidates' scores are multiplied
    by the centerness after the top-k, as FCOS does; and ``'replace'``: the
    centerness is left out and LE alone judges localization.

    LE targets decode the regression maps the way inference does: with
    ``norm_on_bbox`` FCOS multiplies them by the level's stride only
    outside training, so the training maps are multiplied here.

    Args:
        **kwargs: Arguments of :class:`LEHeadMixin` and of
            :class:`FCOSHead`.
    """

    le_feature_layers = ('conv_cls', 'conv_reg')
    with_host_score_factor = True

    def le_decodable_bbox_preds(self,
                                bbox_preds: List[Tensor]) -> List[Tensor]:
        """The distance maps in pixels, as FCOS decodes them at inference.
        """
        if self.norm_on_bbox and self.training:
            return [b * s for b, s in zip(bbox_preds, self.strides)]
        return bbox_preds

    def le_training_scale_bbox_preds(
            self, bbox_preds: Sequence[Tensor]) -> Sequence[Tensor]:
        """The distance maps in strides, as FCOS trains them with
        ``norm_on_bbox`` (its forward multiplies them by the stride only
        outside training)."""
        if self.norm_on_bbox and not self.training:
            return [b / s for b, s in zip(bbox_preds, self.strides)]
        return bbox_preds
