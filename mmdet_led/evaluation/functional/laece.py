"""Localization-aware calibration error (LaECE) of detections.

LaECE (Oksuz et al., "Towards Building Self-Aware Object Detectors via
Reliable Uncertainty Quantification and Calibration", CVPR 2023) asks a
detection's confidence to equal its localization quality: per class ``c``,
the detections are binned by confidence into ``J`` equal-width bins over
[0, 1] and

    LaECE_c = sum_j |D_j^c| / |D^c| * |mean conf(D_j^c) - mean acc(D_j^c)|,

where ``acc`` is the IoU of a true positive with its ground truth and 0 for
a false positive; LaECE is the mean of ``LaECE_c`` over the classes. As in
the authors' code (fiveai/saod, fiveai/detection_calibration), a class
counts only if the evaluated images hold ground truth of it and it has
detections; their default TP threshold is ``tau = 0.1`` with 25 bins.

True positives follow COCO's greedy matching (their code runs
``COCOeval`` at the single IoU threshold ``tau``): per image and class,
detections in descending confidence take the free ground truth of highest
IoU >= ``tau``; a detection that finds none is a false positive. VOC's
difficult objects play the part of COCO's crowd regions: a detection that
reaches only a difficult object (IoU >= ``tau``) is left out, neither TP
nor FP, and does not use it up.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

from .calibration import binned_calibration


def greedy_tp_ious(scores: np.ndarray, ious: np.ndarray,
                   gt_ignore: np.ndarray, iou_thr: float) -> np.ndarray:
    """The accuracy term of LaECE for the detections of one image and class.

    Args:
        scores (np.ndarray): (D,) confidences; matching visits detections in
            descending order (stable for ties).
        ious (np.ndarray): (D, G) IoUs of the detections with the objects of
            the class.
        gt_ignore (np.ndarray): (G,) bool, True for difficult objects.
        iou_thr (float): Least IoU of a true positive (``tau``).

    Returns:
        np.ndarray: (D,) the matched IoU of a true positive, 0 for a false
        positive, NaN for a detection left out (it reaches only difficult
        objects).
    """
    num_dets = len(scores)
    out = np.zeros(num_dets, dtype=np.float64)
    if ious.size == 0:
        return out
    ious = np.asarray(ious, dtype=np.float64).reshape(num_dets, -1)
    gt_ignore = np.asarray(gt_ignore, dtype=bool)
    taken = np.zeros(ious.shape[1], dtype=bool)
    for d in np.argsort(-np.asarray(scores), kind='stable'):
        reach = ious[d] >= iou_thr
        free = reach & ~taken & ~gt_ignore
        if free.any():
            g = np.flatnonzero(free)[ious[d, free].argmax()]
            taken[g] = True
            out[d] = ious[d, g]
        elif (reach & gt_ignore).any():
            out[d] = np.nan
    return out


def image_tp_ious(bboxes: np.ndarray,
                  scores: np.ndarray,
                  labels: np.ndarray,
                  gt_bboxes: np.ndarray,
                  gt_labels: np.ndarray,
                  ignore_bboxes: Optional[np.ndarray] = None,
                  ignore_labels: Optional[np.ndarray] = None,
                  iou_thr: float = 0.1) -> np.ndarray:
    """:func:`greedy_tp_ious` of all detections of one image, class by class.

    Args:
        bboxes (np.ndarray): (D, 4) detected boxes (x1, y1, x2, y2).
        scores (np.ndarray): (D,) the confidence being evaluated.
        labels (np.ndarray): (D,) detected classes.
        gt_bboxes (np.ndarray): (G, 4) objects.
        gt_labels (np.ndarray): (G,) their classes.
        ignore_bboxes (np.ndarray, optional): (I, 4) difficult objects.
        ignore_labels (np.ndarray, optional): (I,) their classes.
        iou_thr (float): Least IoU of a true positive. Defaults to 0.1.

    Returns:
        np.ndarray: (D,) TP IoU, 0 (FP) or NaN (left out), see
        :func:`greedy_tp_ious`.
    """
    if ignore_bboxes is None:
        ignore_bboxes = np.zeros((0, 4), dtype=np.float32)
        ignore_labels = np.zeros(0, dtype=np.int64)
    all_bboxes = np.concatenate(
        [np.reshape(gt_bboxes, (-1, 4)),
         np.reshape(ignore_bboxes, (-1, 4))])
    all_labels = np.concatenate([gt_labels, ignore_labels])
    ignored = np.arange(len(all_labels)) >= len(gt_labels)
    out = np.zeros(len(scores), dtype=np.float64)
    for label in np.unique(labels):
        dets, gts = labels == label, all_labels == label
        ious = bbox_overlaps(
            bboxes[dets], all_bboxes[gts], use_legacy_coordinate=False)
        out[dets] = greedy_tp_ious(scores[dets], ious, ignored[gts], iou_thr)
    return out


def laece(scores: Sequence[float],
          labels: Sequence[int],
          tp_ious: Sequence[float],
          classes: Sequence[int],
          num_bins: int = 25) -> Dict[str, object]:
    """LaECE of a detection set (see the module docstring).

    Args:
        scores (Sequence[float]): Confidence of every detection.
        labels (Sequence[int]): Its class.
        tp_ious (Sequence[float]): Its accuracy term from
            :func:`image_tp_ious` (NaN: left out).
        classes (Sequence[int]): The classes with ground truth in the
            evaluated images; other classes are not counted.
        num_bins (int): Equal-width confidence bins over [0, 1] (a value on
            an inner edge goes to the upper bin). Defaults to 25.

    Returns:
        dict: ``laece``, the mean over the counted classes (None if no
        class counts), and ``per_class``, ``{class: LaECE_c}``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    tp_ious = np.asarray(tp_ious, dtype=np.float64)
    per_class = {}
    for c in classes:
        sel = (labels == c) & np.isfinite(tp_ious)
        if sel.any():
            per_class[int(c)] = binned_calibration(scores[sel], tp_ious[sel],
                                                   num_bins)['ece']
    value = float(np.mean(list(per_class.values()))) if per_class else None
    return dict(laece=value, per_class=per_class)
