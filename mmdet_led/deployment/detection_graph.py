"""A detector and its whole test-time post-processing as one traceable module.

:class:`DetectionGraph` is what ``tools/deployment/export_onnx.py`` exports:
the network, then exactly the post-processing of an LED head (or of its
plain host head) in batched tensor ops, so that the ONNX graph outputs final
detections. :class:`RawHeadGraph` stops after the head's forward.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..models.utils.le_scoring import (combine_scores, keep_above,
                                        loc_confidence)
from .box_decoding import SUPPORTED_CODERS, decode_boxes
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
    """Network + the head's test-time post-processing, batched.

    For a fixed input shape it computes, per image, what
    ``model.predict(inputs, samples, rescale=False)`` returns for an LED
    head (``LEHeadMixin`` on SSD, RetinaNet, ATSS or FCOS) or its plain
    host: class confidences with the head's activation, LE decoding (C2F),
    conf_loc and the ``score_mode`` combination, the score threshold (on
    ``score_thr_on``), the per-level pre-NMS top-k ranked by the combined
    confidence, box decoding clipped to the image, the host's score factor
    (FCOS/ATSS centerness, unless ``centerness='replace'``), the
    ``min_bbox_size`` filter, NMS with the class offset of ``batched_nms``
    (``NonMaxSuppression`` in ONNX) and ``max_per_img``. The LE maths is the
    package's own (``LEModule.flatten``/``decode``, :func:`loc_confidence`,
    :func:`combine_scores`, the head's ``_cls_probs``).

    Outputs (:data:`DETECTION_OUTPUTS`), padded to ``max_per_img`` per
    image in decreasing score order: ``boxes`` (B, K, 4) in input-tensor
    pixels, ``scores``, ``labels`` (-1 in padding), ``cls_scores``,
    ``loc_scores`` (conf_loc; 1 without LE), ``loc_quality`` (B, K, 3)
    predicted IoU/IoD/IoG (1 without LE) and ``num_dets`` (B, ).

    Args:
        detector (nn.Module): A single-stage detector whose head decodes
            with a coder of :data:`SUPPORTED_CODERS`.
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
        if not isinstance(head.bbox_coder, SUPPORTED_CODERS):
            raise TypeError(f'export supports the box coders '
                            f'{SUPPORTED_CODERS}, got '
                            f'{type(head.bbox_coder).__name__}')
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
        # the host's (cls, reg[, score factor]) maps, then LED's LE maps
        self.num_host_outputs = len(outs) - int(self.with_le)
        if self.num_host_outputs not in (2, 3):
            raise TypeError(f'{type(head).__name__} returns '
                            f'{self.num_host_outputs} kinds of maps; export '
                            'supports (cls, reg[, score factor])')
        self.with_host_factor = self.num_host_outputs == 3 and (
            not self.with_le
            or self.cfg.get('centerness', 'combine') == 'combine')
        featmap_sizes = [c.shape[-2:] for c in outs[0]]
        mlvl_priors = head.prior_generator.grid_priors(
            featmap_sizes, device=dummy.device)
        self.level_sizes = [p.size(0) for p in mlvl_priors]
        self.register_buffer('priors', torch.cat(mlvl_priors), False)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Final detections of a batch of preprocessed images."""
        outs = self.detector.bbox_head(self.detector.extract_feat(inputs))
        return self.postprocess(*outs)

    def flat_maps(self, maps: Sequence[Tensor], channels: int) -> Tensor:
        """Per-level (B, A*channels, H, W) maps -> (B, N, channels), in the
        prior order of ``grid_priors``."""
        num = maps[0].size(0)
        return torch.cat(
            [m.permute(0, 2, 3, 1).reshape(num, -1, channels) for m in maps],
            1)

    def class_probs(self, cls_scores: Sequence[Tensor]) -> Tensor:
        """(B, N, C) class confidences, the head's activation."""
        head = self.detector.bbox_head
        logits = self.flat_maps(cls_scores, head.cls_out_channels)
        if hasattr(head, '_cls_probs'):  # LED heads
            return head._cls_probs(logits.flatten(0, 1)).reshape(
                *logits.shape[:2], -1)
        if head.use_sigmoid_cls:  # plain hosts, as BaseDenseHead
            return logits.sigmoid()
        return logits.softmax(-1)[..., :-1]

    def flat_scores(self, cls_scores: Sequence[Tensor],
                    le_preds: Optional[Sequence[Tensor]]
                    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Class confidences, conf_loc, loc-quality and the combined
        confidence of every prior: (B, N, C), (B, N), (B, N, 3), (B, N, C).
        """
        cls_prob = self.class_probs(cls_scores)
        if not self.with_le:
            quality = cls_prob.new_ones((*cls_prob.shape[:2], 3))
            return cls_prob, quality[..., 0], quality, cls_prob
        le_module = self.detector.bbox_head.le_module
        quality = le_module.decode(
            torch.cat([le_module.flatten(p) for p in le_preds], 1))
        conf_loc = loc_confidence(
            *quality.unbind(-1), lam=self.cfg.get('loc_lambda', 0.6))
        conf = combine_scores(cls_prob, conf_loc[..., None],
                              self.cfg.get('score_mode', 'gaussian'),
                              self.cfg.get('loc_sigma', 1.0),
                              self.cfg.get('loc_power', 0.5))
        return cls_prob, conf_loc, quality, conf

    def pre_nms_topk(self, conf: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-level top-k (``nms_pre``) of the (prior, class) confidences,
        as ``filter_scores_and_topk`` ranks them level by level.

        Returns:
            tuple: ``scores`` (B, K) and their flat ``prior * C + class``
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

    def postprocess(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                    *score_maps: List[Tensor]) -> Tuple[Tensor, ...]:
        """Detections from the head's outputs (see the class docstring).

        ``score_maps``: the host's score factor maps if it has them, then
        the LE maps for LED heads.
        """
        head = self.detector.bbox_head
        cfg = self.cfg
        num = cls_scores[0].size(0)
        le_preds = score_maps[-1] if self.with_le else None
        cls_prob, conf_loc, quality, conf = self.flat_scores(
            cls_scores, le_preds)
        num_classes = cls_prob.size(-1)
        score_thr = cfg.get('score_thr', 0)
        if self.with_le and cfg.get('score_thr_on', 'conf') == 'cls':
            conf = keep_above(conf, cls_prob, score_thr)
            score_thr = -1
        scores, flat_idx = self.pre_nms_topk(conf)
        valid = scores > score_thr
        prior_idx = torch.div(flat_idx, num_classes, rounding_mode='floor')
        labels = flat_idx - prior_idx * num_classes

        dim = head.bbox_coder.encode_size
        deltas = self.flat_maps(bbox_preds, dim).gather(
            1, prior_idx[..., None].expand(-1, -1, dim))
        priors = self.priors[prior_idx]  # (B, K, 2 or 4)
        boxes = decode_boxes(head.bbox_coder,
                             priors.reshape(-1, priors.size(-1)),
                             deltas.reshape(-1, dim),
                             self.input_shape).reshape(num, -1, 4)
        if self.with_host_factor:  # after the top-k, as BaseDenseHead
            factor = self.flat_maps(score_maps[0], 1)[..., 0].sigmoid()
            scores = scores * factor.gather(1, prior_idx)
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

        kept_cls = cls_prob.reshape(num, -1).gather(1, flat_idx)
        kept_loc = conf_loc.gather(1, prior_idx)
        kept_quality = quality.gather(1,
                                      prior_idx[..., None].expand(-1, -1, 3))
        num_dets = (batch_idx[None, :] == torch.arange(
            num, device=batch_idx.device)[:, None]).long().sum(1)
        return (padded(boxes, 0.), padded(scores, 0.), padded(labels, -1),
                padded(kept_cls, 0.), padded(kept_loc, 0.),
                padded(kept_quality, 0.), num_dets)


class RawHeadGraph(nn.Module):
    """Network up to the head's raw outputs, for custom post-processing.

    Outputs, level by level, exactly what ``bbox_head.forward`` returns:
    ``cls_score_i`` (B, A*C', H_i, W_i), ``bbox_pred_i`` (B, A*4, H_i,
    W_i), the host's score factor ``score_factor_i`` (FCOS/ATSS
    centerness logits) if it has one, and LED's ``le_pred_i``
    (B, A*3*K, H_i, W_i).
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def output_names(self, outs: Sequence[Sequence[Tensor]]) -> List[str]:
        """Names of the outputs, in order, for the head's ``outs``."""
        with_le = hasattr(self.detector.bbox_head, 'le_module')
        kinds = ['cls_score', 'bbox_pred']
        kinds += ['score_factor'] * (len(outs) - len(kinds) - with_le)
        kinds += ['le_pred'] * with_le
        return [f'{k}_{i}' for k, maps in zip(kinds, outs)
                for i in range(len(maps))]

    def head_outputs(self, inputs: Tensor) -> tuple:
        """The head's forward outputs (tuple of per-level lists)."""
        return self.detector.bbox_head(self.detector.extract_feat(inputs))

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The head's maps, flattened into one tuple."""
        return tuple(t for maps in self.head_outputs(inputs) for t in maps)
