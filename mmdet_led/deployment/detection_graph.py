"""A detector and its whole test-time post-processing as one traceable module.

:class:`DetectionGraph` is what ``tools/deployment/export_onnx.py`` exports:
the network, then exactly the post-processing of ``LEDHead`` (or of a plain
``SSDHead``) in batched tensor ops, so that the ONNX graph outputs final
detections. :class:`RawHeadGraph` stops after the head's forward.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.task_modules.coders.delta_xywh_bbox_coder import (
    DeltaXYWHBBoxCoder, delta2bbox)
from torch import Tensor, nn

from ..models.utils.le_scoring import combine_scores, loc_confidence
from .onnx_nms import onnx_nms

#: Names of :class:`DetectionGraph`'s outputs, in order.
DETECTION_OUTPUTS = ('boxes', 'scores', 'labels', 'cls_scores', 'loc_scores',
                     'loc_quality', 'num_dets')


def rank_within_image(batch_idx: Tensor) -> Tensor:
    """Position of each kept box among the kept boxes of its image.

    ``NonMaxSuppression`` lists its selections image by image, so the
    position is the row index minus the number of rows of earlier images.

    Args:
        batch_idx (Tensor): (M, ) image index of each selected row, sorted.

    Returns:
        Tensor: (M, ) int64 positions, 0 for the first box of every image.
    """
    rows = torch.arange(batch_idx.size(0), device=batch_idx.device)
    earlier = (batch_idx[None, :] < batch_idx[:, None]).long().sum(1)
    return rows - earlier


def class_offset_boxes(boxes: Tensor, labels: Tensor, valid: Tensor) -> Tensor:
    """Boxes shifted by ``label * (max coordinate + 1)``, as ``batched_nms``
    does, so that one class-agnostic NMS never lets classes interact.

    The max coordinate is taken per image over its valid boxes only, the
    boxes ``batched_nms`` sees.

    Args:
        boxes (Tensor): (B, K, 4) boxes.
        labels (Tensor): (B, K) class indices.
        valid (Tensor): (B, K) bool, the candidates that enter NMS.

    Returns:
        Tensor: (B, K, 4) shifted boxes.
    """
    masked = boxes.masked_fill(~valid[..., None], float('-inf'))
    max_coord = masked.flatten(1).max(1).values  # (B, )
    max_coord = torch.where(valid.any(1), max_coord,
                            max_coord.new_zeros(()))
    offsets = labels.to(boxes) * (max_coord[:, None] + 1)
    return boxes + offsets[..., None]


class DetectionGraph(nn.Module):
    """Network + ``LEDHead``/``SSDHead`` post-processing, batched.

    For a fixed input shape it computes, per image, what
    ``model.predict(inputs, samples, rescale=False)`` returns: softmax
    class scores, LE decoding (C2F), conf_loc and the ``score_mode``
    combination, the score threshold (on ``score_thr_on``), the per-level
    pre-NMS top-k ranked by the combined confidence, box decoding clipped to
    the image, the ``min_bbox_size`` filter, NMS with the class offset of
    ``batched_nms`` (``NonMaxSuppression`` in ONNX) and ``max_per_img``.
    The LE maths is the package's own (``LEModule.flatten``/``decode``,
    :func:`loc_confidence`, :func:`combine_scores`).

    Outputs (:data:`DETECTION_OUTPUTS`), padded to ``max_per_img`` per
    image in decreasing score order: ``boxes`` (B, K, 4) in input-tensor
    pixels, ``scores``, ``labels`` (-1 in padding), ``cls_scores``,
    ``loc_scores`` (conf_loc; 1 without LE), ``loc_quality`` (B, K, 3)
    predicted IoU/IoD/IoG (1 without LE) and ``num_dets`` (B, ).

    Args:
        detector (nn.Module): A single-stage detector whose ``bbox_head`` is
            an ``SSDHead`` or ``LEDHead`` with ``DeltaXYWHBBoxCoder``.
        input_shape (tuple[int, int]): (H, W) of the input tensor.
        test_cfg (dict, optional): Overrides ``bbox_head.test_cfg``.
    """

    def __init__(self,
                 detector: nn.Module,
                 input_shape: Tuple[int, int],
                 test_cfg: Optional[Dict] = None) -> None:
        super().__init__()
        self.detector = detector
        head = detector.bbox_head
        if not isinstance(head.bbox_coder, DeltaXYWHBBoxCoder):
            raise TypeError('DetectionGraph decodes DeltaXYWHBBoxCoder boxes, '
                            f'got {type(head.bbox_coder).__name__}')
        self.cfg = dict(head.test_cfg if test_cfg is None else test_cfg)
        nms_cfg = dict(self.cfg.get('nms') or {})
        if nms_cfg.get('type', 'nms') != 'nms':
            raise ValueError('only nms_cfg type "nms" exports to ONNX '
                             f'NonMaxSuppression, got {nms_cfg["type"]!r}')
        self.iou_threshold = float(nms_cfg.get('iou_threshold', 0.5))
        self.class_agnostic = bool(nms_cfg.get('class_agnostic', False))
        self.input_shape = tuple(input_shape)
        self.with_le = hasattr(head, 'le_module')
        with torch.no_grad():
            dummy = next(detector.parameters()).new_zeros(
                (1, 3, *self.input_shape))
            outs = head(detector.extract_feat(dummy))
        featmap_sizes = [c.shape[-2:] for c in outs[0]]
        mlvl_priors = head.prior_generator.grid_priors(
            featmap_sizes, device=dummy.device)
        self.level_sizes = [p.size(0) for p in mlvl_priors]
        self.register_buffer('priors', torch.cat(mlvl_priors), False)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Final detections of a batch of preprocessed images."""
        outs = self.detector.bbox_head(self.detector.extract_feat(inputs))
        return self.postprocess(*outs)

    def flat_scores(self, cls_scores: Sequence[Tensor],
                    le_preds: Optional[Sequence[Tensor]]
                    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Class probabilities, conf_loc, loc-quality and the combined
        confidence of every anchor: (B, N, C), (B, N), (B, N, 3), (B, N, C).
        """
        head = self.detector.bbox_head
        num = cls_scores[0].size(0)
        logits = torch.cat([
            c.permute(0, 2, 3, 1).reshape(num, -1, head.cls_out_channels)
            for c in cls_scores
        ], 1)
        if head.use_sigmoid_cls and not self.with_le:
            cls_prob = logits.sigmoid()
        else:
            cls_prob = logits.softmax(-1)[..., :-1]
        if not self.with_le:
            quality = cls_prob.new_ones((*cls_prob.shape[:2], 3))
            return cls_prob, quality[..., 0], quality, cls_prob
        le_module = head.le_module
        quality = le_module.decode(
            torch.cat([le_module.flatten(p) for p in le_preds], 1))
        conf_loc = loc_confidence(
            *quality.unbind(-1), lam=self.cfg.get('loc_lambda', 0.6))
        conf = combine_scores(cls_prob, conf_loc[..., None],
                              self.cfg.get('score_mode', 'gaussian'),
                              self.cfg.get('loc_sigma', 1.0))
        return cls_prob, conf_loc, quality, conf

    def pre_nms_topk(self, conf: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-level top-k (``nms_pre``) of the (anchor, class) confidences,
        as ``filter_scores_and_topk`` ranks them level by level.

        Returns:
            tuple: ``scores`` (B, K) and their flat ``anchor * C + class``
            indices (B, K). Those above the score threshold are the
            candidates ``filter_scores_and_topk`` keeps.
        """
        num_classes = conf.size(-1)
        nms_pre = self.cfg.get('nms_pre', -1)
        scores, indices = [], []
        start = 0
        for size in self.level_sizes:
            level = conf[:, start:start + size].reshape(conf.size(0), -1)
            k = level.size(1) if nms_pre <= 0 else min(nms_pre, level.size(1))
            s, i = level.topk(k, dim=1)
            scores.append(s)
            indices.append(i + start * num_classes)
            start += size
        return torch.cat(scores, 1), torch.cat(indices, 1)

    def postprocess(self,
                    cls_scores: List[Tensor],
                    bbox_preds: List[Tensor],
                    le_preds: Optional[List[Tensor]] = None
                    ) -> Tuple[Tensor, ...]:
        """Detections from the head's outputs (see the class docstring)."""
        head = self.detector.bbox_head
        cfg = self.cfg
        num = cls_scores[0].size(0)
        cls_prob, conf_loc, quality, conf = self.flat_scores(
            cls_scores, le_preds)
        num_classes = cls_prob.size(-1)
        score_thr = cfg.get('score_thr', 0)
        if self.with_le and cfg.get('score_thr_on', 'conf') == 'cls':
            conf = conf.masked_fill(cls_prob <= score_thr, -1)
            score_thr = -1
        scores, flat_idx = self.pre_nms_topk(conf)
        valid = scores > score_thr
        anchor_idx = torch.div(flat_idx, num_classes, rounding_mode='floor')
        labels = flat_idx - anchor_idx * num_classes

        deltas = torch.cat(
            [b.permute(0, 2, 3, 1).reshape(num, -1, 4) for b in bbox_preds],
            1)
        deltas = deltas.gather(1, anchor_idx[..., None].expand(-1, -1, 4))
        priors = self.priors[anchor_idx]  # (B, K, 4)
        coder = head.bbox_coder
        boxes = delta2bbox(
            priors.reshape(-1, 4), deltas.reshape(-1, 4), coder.means,
            coder.stds, self.input_shape, 16 / 1000, coder.clip_border,
            coder.add_ctr_clamp, coder.ctr_clamp).reshape(num, -1, 4)
        min_size = cfg.get('min_bbox_size', -1)
        if min_size >= 0:
            valid = valid & (boxes[..., 2] - boxes[..., 0] > min_size) & (
                boxes[..., 3] - boxes[..., 1] > min_size)

        boxes_for_nms = boxes if self.class_agnostic else class_offset_boxes(
            boxes, labels, valid)
        # invalid candidates score -1, below the NMS score threshold; every
        # valid one scores >= 0
        nms_scores = torch.where(valid, scores, scores.new_full((), -1.))
        max_per_img = cfg.get('max_per_img', 100)
        selected = onnx_nms(boxes_for_nms, nms_scores[:, None], max_per_img,
                            self.iou_threshold, -0.5)
        batch_idx, box_idx = selected[:, 0], selected[:, 2]
        pos = rank_within_image(batch_idx)

        def padded(values: Tensor, fill: float) -> Tensor:
            out = values.new_full((num, max_per_img, *values.shape[2:]), fill)
            out[batch_idx, pos] = values[batch_idx, box_idx]
            return out

        flat_cls = cls_prob.reshape(num, -1).gather(1, flat_idx)
        kept_loc = conf_loc.gather(1, anchor_idx)
        kept_quality = quality.gather(
            1, anchor_idx[..., None].expand(-1, -1, 3))
        num_dets = (batch_idx[None, :] == torch.arange(
            num, device=batch_idx.device)[:, None]).long().sum(1)
        return (padded(boxes, 0.), padded(scores, 0.), padded(labels, -1),
                padded(flat_cls, 0.), padded(kept_loc, 0.),
                padded(kept_quality, 0.), num_dets)


class RawHeadGraph(nn.Module):
    """Network up to the head's raw outputs, for custom post-processing.

    Outputs, level by level: ``cls_score_i`` (B, A*(C+1), H_i, W_i),
    ``bbox_pred_i`` (B, A*4, H_i, W_i) and, for LED, ``le_pred_i``
    (B, A*3*K, H_i, W_i), exactly what ``bbox_head.forward`` returns.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def output_names(self) -> List[str]:
        """Names of the outputs, in order."""
        head = self.detector.bbox_head
        levels = len(head.num_base_priors)
        kinds = ['cls_score', 'bbox_pred']
        if hasattr(head, 'le_module'):
            kinds.append('le_pred')
        return [f'{k}_{i}' for k in kinds for i in range(levels)]

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The head's maps, flattened into one tuple."""
        outs = self.detector.bbox_head(self.detector.extract_feat(inputs))
        return tuple(t for maps in outs for t in maps)
