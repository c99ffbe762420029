"""VOC average precision for weighted image sets, for bootstrap intervals.

The expensive part of VOC evaluation, matching detections to ground truth
(greedy by score within a class, difficult objects ignored), does not depend
on how often each image is counted. So it is done ONCE per detection and
IoU threshold (:func:`match_voc`); the AP of any image-weight vector, e.g.
the multiplicities of a bootstrap resample (:func:`bootstrap_weights`), is
then a weighted cumulative sum over the fixed detection ranking
(:func:`weighted_class_aps`), vectorized over many weight vectors at once.

With all weights 1 the results are bit-identical to MMDetection's
``eval_map`` (and so to ``VOCMetric``, which calls it with
``use_legacy_coordinate=True``): same IoUs (mmdet's ``bbox_overlaps``), the
same (non-stable) sort calls on the same arrays, the same float32/float64
arithmetic, both for ``'11points'`` and ``'area'`` (all-point) AP.

A resample that holds an image ``m`` times counts its detections and
objects ``m`` times; the copies of a detection sit next to each other in the
ranking (they tie in score), so only the precision/recall point after the
last copy is evaluated. That is the usual weighted-AP convention; it differs
from evaluating a physically duplicated data set only in how such exact ties
are ordered.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

#: IoU thresholds of COCO-style AP (0.50:0.05:0.95).
COCO_IOU_THRS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
#: Summation is done in chunks of this many weight vectors.
_CHUNK = 128
_EPS = np.finfo(np.float32).eps


@dataclass
class ClassMatches:
    """Matching of all detections of one class, in the global ranking.

    Attributes:
        img_inds (np.ndarray): (D,) image index of each detection.
        scores (np.ndarray): (D,) float32 scores, in ranking order.
        tp (np.ndarray): (T, D) bool, true positive at each IoU threshold.
        fp (np.ndarray): (T, D) bool, false positive at each IoU threshold
            (detections matched to a difficult object are neither).
        num_gts (np.ndarray): (N,) non-difficult objects per image.
    """
    img_inds: np.ndarray
    scores: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    num_gts: np.ndarray


@dataclass
class VOCMatches:
    """Per-class matches of a detector on a data set of ``num_images``."""
    iou_thrs: Tuple[float, ...]
    classes: List[ClassMatches]
    num_images: int

    def thr_index(self, iou_thr: float) -> int:
        """Row of ``iou_thr`` in the ``tp``/``fp`` arrays."""
        for i, thr in enumerate(self.iou_thrs):
            if abs(thr - iou_thr) < 1e-9:
                return i
        raise KeyError(f'IoU threshold {iou_thr} was not matched; '
                       f'available: {self.iou_thrs}')


def dets_per_class(bboxes: np.ndarray, scores: np.ndarray,
                   labels: np.ndarray, num_classes: int) -> List[np.ndarray]:
    """Per-class ``(k, 5)`` arrays ``[x1, y1, x2, y2, score]`` of one image,
    built exactly like ``VOCMetric.process`` (original detection order)."""
    dets = []
    for label in range(num_classes):
        index = np.where(labels == label)[0]
        dets.append(np.hstack([bboxes[index], scores[index].reshape((-1, 1))]))
    return dets


def tpfp_voc(det_bboxes: np.ndarray,
             gt_bboxes: np.ndarray,
             gt_bboxes_ignore: np.ndarray,
             iou_thrs: Sequence[float],
             use_legacy_coordinate: bool = True
             ) -> Tuple[np.ndarray, np.ndarray]:
    """TP/FP flags of one image's detections of one class, all thresholds.

    mmdet's ``tpfp_default`` (VOC rules) for several IoU thresholds at once:
    detections are visited by descending score; each one is assigned the
    ground truth it overlaps most (difficult ones included); at a threshold
    where that IoU is high enough it is a TP if the object is not difficult
    and not yet taken, a FP if it is taken, and neither if it is difficult;
    below the threshold it is a FP.

    Args:
        det_bboxes (np.ndarray): (k, 5) boxes and scores.
        gt_bboxes (np.ndarray): (n, 4) non-difficult objects.
        gt_bboxes_ignore (np.ndarray): (m, 4) difficult objects.
        iou_thrs (Sequence[float]): IoU thresholds.
        use_legacy_coordinate (bool): ``+1`` widths like VOC's devkit (and
            ``VOCMetric``). Defaults to True.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``tp`` and ``fp``, bool (T, k), in
        the input order of the detections.
    """
    # mmdet compares float32 IoUs with Python floats, i.e. in float32
    thrs = np.asarray(iou_thrs, dtype=np.float32)
    num_dets = det_bboxes.shape[0]
    tp = np.zeros((len(thrs), num_dets), dtype=bool)
    fp = np.zeros((len(thrs), num_dets), dtype=bool)
    ignored = np.concatenate((np.zeros(gt_bboxes.shape[0], dtype=bool),
                              np.ones(gt_bboxes_ignore.shape[0], dtype=bool)))
    gts = np.vstack((gt_bboxes, gt_bboxes_ignore))
    if gts.shape[0] == 0:
        fp[...] = True
        return tp, fp
    ious = bbox_overlaps(
        det_bboxes, gts, use_legacy_coordinate=use_legacy_coordinate)
    ious_max = ious.max(axis=1)
    ious_argmax = ious.argmax(axis=1)
    # below every threshold: FP and no effect on the matching state
    low = ious_max < thrs.min()
    fp[:, low] = True
    covered = np.zeros((len(thrs), gts.shape[0]), dtype=bool)
    for i in np.argsort(-det_bboxes[:, -1]):
        if low[i]:
            continue
        ok = ious_max[i] >= thrs
        j = ious_argmax[i]
        if ignored[j]:
            fp[~ok, i] = True
            continue
        new = ok & ~covered[:, j]
        tp[new, i] = True
        fp[~new, i] = True
        covered[:, j] |= ok
    return tp, fp


def match_voc(det_results: Sequence[Sequence[np.ndarray]],
              annotations: Sequence[dict],
              iou_thrs: Sequence[float] = COCO_IOU_THRS,
              use_legacy_coordinate: bool = True) -> VOCMatches:
    """Match all detections once (VOC rules) at every IoU threshold.

    Args:
        det_results (list[list[np.ndarray]]): Per image, per class
            ``(k, 5)`` arrays, as for mmdet's ``eval_map``.
        annotations (list[dict]): Per image ``bboxes``, ``labels``,
            ``bboxes_ignore`` and ``labels_ignore`` (difficult objects), as
            for ``eval_map``.
        iou_thrs (Sequence[float]): IoU thresholds. Defaults to
            0.50:0.05:0.95.
        use_legacy_coordinate (bool): See :func:`tpfp_voc`.

    Returns:
        VOCMatches: Per-class matches, ranked like ``eval_map`` ranks them.
    """
    assert len(det_results) == len(annotations)
    num_imgs = len(det_results)
    num_classes = len(det_results[0]) if num_imgs else 0
    classes = []
    for c in range(num_classes):
        cls_dets, tps, fps, img_inds = [], [], [], []
        num_gts = np.zeros(num_imgs, dtype=int)
        for i, (dets, ann) in enumerate(zip(det_results, annotations)):
            gts = ann['bboxes'][ann['labels'] == c, :]
            if ann.get('labels_ignore', None) is not None:
                ign = ann['bboxes_ignore'][ann['labels_ignore'] == c, :]
            else:
                ign = np.empty((0, 4), dtype=np.float32)
            tp, fp = tpfp_voc(dets[c], gts, ign, iou_thrs,
                              use_legacy_coordinate)
            cls_dets.append(dets[c])
            tps.append(tp)
            fps.append(fp)
            img_inds.append(np.full(dets[c].shape[0], i, dtype=np.int64))
            num_gts[i] = gts.shape[0]
        cls_dets = np.vstack(cls_dets)
        sort_inds = np.argsort(-cls_dets[:, -1])
        classes.append(
            ClassMatches(
                img_inds=np.concatenate(img_inds)[sort_inds],
                scores=cls_dets[sort_inds, -1],
                tp=np.hstack(tps)[:, sort_inds],
                fp=np.hstack(fps)[:, sort_inds],
                num_gts=num_gts))
    return VOCMatches(tuple(iou_thrs), classes, num_imgs)


def weighted_pr(tp: np.ndarray, fp: np.ndarray, img_inds: np.ndarray,
                num_gts: np.ndarray, weights: np.ndarray
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Recall and precision curves for each row of image weights.

    Args:
        tp, fp (np.ndarray): (D,) flags in ranking order.
        img_inds (np.ndarray): (D,) image of each detection.
        num_gts (np.ndarray): (N,) objects per image.
        weights (np.ndarray): (B, N) non-negative integer image weights.

    Returns:
        tuple[np.ndarray, np.ndarray]: recalls (B, D) float64 and
        precisions (B, D) float32, computed like ``eval_map``.
    """
    w_det = weights[:, img_inds].astype(np.float32)
    tp_cum = np.cumsum(tp.astype(np.float32)[None] * w_det, axis=1)
    fp_cum = np.cumsum(fp.astype(np.float32)[None] * w_det, axis=1)
    total = (weights.astype(np.int64) @ num_gts.astype(np.int64))[:, None]
    recalls = tp_cum / np.maximum(total, _EPS)
    precisions = tp_cum / np.maximum((tp_cum + fp_cum), _EPS)
    return recalls, precisions


def ap_11points(recalls: np.ndarray, precisions: np.ndarray) -> np.ndarray:
    """VOC2007 11-point AP of each row of (B, D) curves, float32 (B,).

    The max precision at recall >= t is a suffix maximum because recall
    never decreases along the ranking.
    """
    num, length = recalls.shape
    ap = np.zeros(num, dtype=np.float32)
    if length == 0:
        return ap
    suffix_max = np.maximum.accumulate(precisions[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(num)
    for thr in np.arange(0, 1 + 1e-3, 0.1):
        first = (recalls < thr).sum(axis=1)
        prec = suffix_max[rows, np.minimum(first, length - 1)]
        ap += np.where(first < length, prec, 0).astype(np.float32)
    ap /= 11
    return ap


def ap_area(recalls: np.ndarray, precisions: np.ndarray) -> np.ndarray:
    """All-point AP (area under the interpolated PR curve), float32 (B,)."""
    num = recalls.shape[0]
    zeros = np.zeros((num, 1), dtype=recalls.dtype)
    ones = np.ones((num, 1), dtype=recalls.dtype)
    mrec = np.hstack((zeros, recalls, ones))
    mpre = np.hstack((zeros, precisions, zeros))
    mpre = np.maximum.accumulate(mpre[:, ::-1], axis=1)[:, ::-1]
    ap = np.zeros(num, dtype=np.float32)
    steps = mrec[:, 1:] - mrec[:, :-1]
    for b in range(num):  # row by row: the same np.sum as eval_map
        ind = np.where(mrec[b, 1:] != mrec[b, :-1])[0]
        ap[b] = np.sum(steps[b, ind] * mpre[b, ind + 1])
    return ap


def _as_weights(weights: Optional[np.ndarray], num_images: int) -> np.ndarray:
    if weights is None:
        return np.ones((1, num_images), dtype=np.int64)
    weights = np.asarray(weights)
    if weights.ndim == 1:
        weights = weights[None]
    assert weights.shape[1] == num_images, (weights.shape, num_images)
    return weights


def weighted_class_aps(matches: VOCMatches,
                       weights: Optional[np.ndarray] = None,
                       iou_thr: float = 0.5,
                       mode: str = '11points'
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-class AP for each row of image weights.

    Args:
        matches (VOCMatches): From :func:`match_voc`.
        weights (np.ndarray, optional): (B, N) or (N,) integer image
            weights (multiplicities). None means all ones (B = 1).
        iou_thr (float): One of ``matches.iou_thrs``.
        mode (str): '11points' (VOC2007) or 'area' (all-point).

    Returns:
        tuple[np.ndarray, np.ndarray]: APs (B, C) float32 and the weighted
        object counts (B, C) int.
    """
    if mode not in ('area', '11points'):
        raise ValueError(f'mode must be "area" or "11points", got {mode!r}')
    fn = ap_area if mode == 'area' else ap_11points
    weights = _as_weights(weights, matches.num_images)
    t = matches.thr_index(iou_thr)
    num_cls = len(matches.classes)
    aps = np.zeros((weights.shape[0], num_cls), dtype=np.float32)
    num_gts = np.zeros((weights.shape[0], num_cls), dtype=np.int64)
    for c, cm in enumerate(matches.classes):
        num_gts[:, c] = weights.astype(np.int64) @ cm.num_gts
        for s in range(0, weights.shape[0], _CHUNK):
            rec, prec = weighted_pr(cm.tp[t], cm.fp[t], cm.img_inds,
                                    cm.num_gts, weights[s:s + _CHUNK])
            aps[s:s + _CHUNK, c] = fn(rec, prec)
    return aps, num_gts


def mean_over_classes(aps: np.ndarray, num_gts: np.ndarray) -> np.ndarray:
    """mAP of each row: mean AP over classes with objects, like eval_map
    (float32 mean of the float32 APs; 0 if no class has objects)."""
    out = np.zeros(aps.shape[0], dtype=np.float64)
    for b in range(aps.shape[0]):
        valid = aps[b][num_gts[b] > 0]
        out[b] = valid.mean().item() if valid.size else 0.0
    return out


def weighted_map(matches: VOCMatches,
                 weights: Optional[np.ndarray] = None,
                 iou_thr: float = 0.5,
                 mode: str = '11points') -> np.ndarray:
    """mAP (fraction, not percent) for each row of image weights, (B,)."""
    return mean_over_classes(
        *weighted_class_aps(matches, weights, iou_thr, mode))


def weighted_coco_style_ap(matches: VOCMatches,
                           weights: Optional[np.ndarray] = None,
                           mode: str = 'area') -> np.ndarray:
    """Mean over all matched IoU thresholds (0.50:0.05:0.95 by default) of
    the VOC-rule mAP (all-point by default), (B,)."""
    return np.mean([
        weighted_map(matches, weights, thr, mode) for thr in matches.iou_thrs
    ],
                   axis=0)


def voc_metrics(matches: VOCMatches,
                weights: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """The benchmark's three accuracy numbers (fractions) per weight row:

    * ``mAP50``: VOC2007 11-point mAP at IoU 0.5 (the paper's metric);
    * ``AP70``: 11-point mAP at IoU 0.7;
    * ``AP``: mean over IoU 0.50:0.05:0.95 of the all-point mAP, with VOC
      matching rules (difficult objects ignored) - COCO-style, not COCO's
      101-point, area-range evaluation.
    """
    return dict(
        mAP50=weighted_map(matches, weights, 0.5, '11points'),
        AP70=weighted_map(matches, weights, 0.7, '11points'),
        AP=weighted_coco_style_ap(matches, weights, 'area'))


def bootstrap_weights(num_images: int,
                      num_samples: int,
                      seed: int = 0) -> np.ndarray:
    """Multiplicities (B, N) of ``num_samples`` resamples of N images drawn
    with replacement (each row sums to N), from a seeded generator."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, num_images, size=(num_samples, num_images))
    weights = np.zeros((num_samples, num_images), dtype=np.int64)
    np.add.at(weights, (np.arange(num_samples)[:, None], draws), 1)
    return weights


def percentile_interval(samples: np.ndarray,
                        level: float = 0.95) -> Tuple[float, float]:
    """Percentile bootstrap interval of ``samples`` at ``level``."""
    alpha = (1 - level) / 2
    low, high = np.quantile(np.asarray(samples, dtype=np.float64),
                            [alpha, 1 - alpha])
    return float(low), float(high)
