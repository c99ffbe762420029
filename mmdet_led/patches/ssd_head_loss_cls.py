"""mmdet 3.3.0: ``SSDHead.predict`` reads a ``loss_cls`` it never sets.

``SSDHead`` computes its losses by hand and never builds ``loss_cls``, but
``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` (to ask
whether a custom loss activates the scores), so every SSD model crashes at
predict time with ``AttributeError``. A class-level ``loss_cls = None`` is
exactly the "no custom loss" the base head expects. No mmdet subclass of
``SSDHead`` registers a ``loss_cls`` module, so nothing is shadowed.
"""


def fix_ssd_head_predict() -> None:
    """Give ``SSDHead`` the ``loss_cls`` attribute its predict path reads."""
    from mmdet.models.dense_heads import SSDHead
    if not hasattr(SSDHead, 'loss_cls'):
        SSDHead.loss_cls = None
