"""How well a confidence ranks the candidates of each object.

NMS keeps, per class, the best-ranked box of each cluster of overlapping
candidates, so a loc-quality signal helps it only where it ranks the
better-placed candidates *of one object* first. A correlation with the true
IoU over all candidates of all images mostly measures telling objects from
background, which the class confidence already does; the rank correlation
within each object's candidates measures the ranking NMS acts on.

Pure numpy (``mmdet``'s ``bbox_overlaps``, ``scipy.stats`` through
:func:`~.calibration.spearman`), on one image's pre-NMS candidates.
"""
from typing import Dict, Iterator, Tuple

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

from .calibration import spearman


def candidate_objects(bboxes: np.ndarray,
                      labels: np.ndarray,
                      gt_bboxes: np.ndarray,
                      gt_labels: np.ndarray,
                      min_iou: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """The object each candidate competes for in NMS.

    A candidate belongs to the ground-truth object of its own class it
    overlaps most, if by at least ``min_iou`` (NMS runs per class).

    Args:
        bboxes (np.ndarray): (K, 4) candidate boxes (x1, y1, x2, y2).
        labels (np.ndarray): (K, ) candidate classes.
        gt_bboxes (np.ndarray): (G, 4) object boxes.
        gt_labels (np.ndarray): (G, ) object classes.
        min_iou (float): Least IoU with the object. Defaults to 0.5.

    Returns:
        tuple[np.ndarray, np.ndarray]: (K, ) the object's index, -1 for a
        candidate of no object, and (K, ) the IoU with it (0 for -1).
    """
    num = len(bboxes)
    if num == 0 or len(gt_bboxes) == 0:
        return np.full(num, -1, dtype=np.int64), np.zeros(num)
    ious = bbox_overlaps(
        np.asarray(bboxes, dtype=np.float32).reshape(-1, 4),
        np.asarray(gt_bboxes, dtype=np.float32).reshape(-1, 4))
    same = np.asarray(labels)[:, None] == np.asarray(gt_labels)[None]
    ious = np.where(same, ious, -1.0)
    objects = ious.argmax(1)
    best = ious[np.arange(num), objects]
    owned = best >= min_iou
    return np.where(owned, objects, -1), np.where(owned, best, 0.0)


def object_members(objects: np.ndarray,
                   min_candidates: int = 5) -> Iterator[np.ndarray]:
    """Bool masks of the candidates of each object (``objects >= 0``) that
    has at least ``min_candidates``, in object order."""
    objects = np.asarray(objects)
    for g in np.unique(objects[objects >= 0]):
        mine = objects == g
        if mine.sum() >= min_candidates:
            yield mine


def object_rank_correlations(signal: np.ndarray,
                             true_iou: np.ndarray,
                             objects: np.ndarray,
                             min_candidates: int = 5) -> np.ndarray:
    """Spearman correlation of ``signal`` with ``true_iou`` among the
    candidates of each object.

    Objects with fewer than ``min_candidates`` candidates (with finite
    values) are left out, as are those where the correlation is undefined
    (a constant signal or IoU).

    Args:
        signal (np.ndarray): (K, ) the confidence that ranks candidates.
        true_iou (np.ndarray): (K, ) IoU with the candidate's object.
        objects (np.ndarray): (K, ) object index, -1 for none
            (:func:`candidate_objects`).
        min_candidates (int): Least candidates of an object. Defaults to 5.

    Returns:
        np.ndarray: One correlation per object that has one, in object
        order.
    """
    signal, true_iou = np.asarray(signal), np.asarray(true_iou)
    finite = np.isfinite(signal) & np.isfinite(true_iou)
    objects = np.where(finite, np.asarray(objects), -1)
    rhos = (spearman(signal[mine], true_iou[mine])
            for mine in object_members(objects, min_candidates))
    return np.asarray([r for r in rhos if r is not None], dtype=np.float64)


def object_spreads(pred_iou: np.ndarray,
                   true_iou: np.ndarray,
                   objects: np.ndarray,
                   min_candidates: int = 5) -> np.ndarray:
    """Per object, the standard deviation among its candidates of the true
    IoU, of an estimate of it and of the estimate's error
    (``pred_iou - true_iou``).

    How much an estimate of the IoU varies, and how far it is off, among
    one object's candidates, against how much their IoU differs. Were the
    error independent of the IoU, their within-object (Pearson)
    correlation would be ``sd_iou / sqrt(sd_iou**2 + sd_err**2)``; with
    ``sd_err >= sd_iou`` a lower one means the error leans against the IoU.
    Candidates and objects as in :func:`object_rank_correlations`.

    Args:
        pred_iou (np.ndarray): (K, ) estimated IoU.
        true_iou, objects, min_candidates: See
            :func:`object_rank_correlations`.

    Returns:
        np.ndarray: (M, 3) per object with enough candidates: the standard
        deviations (population, ``ddof=0``) of the true IoU, the estimate
        and the error.
    """
    pred_iou, true_iou = np.asarray(pred_iou), np.asarray(true_iou)
    finite = np.isfinite(pred_iou) & np.isfinite(true_iou)
    objects = np.where(finite, np.asarray(objects), -1)
    return np.asarray([[
        true_iou[m].std(), pred_iou[m].std(), (pred_iou[m] - true_iou[m]).std()
    ] for m in object_members(objects, min_candidates)],
                      dtype=np.float64).reshape(-1, 3)


def image_object_rank_correlations(
        signals: Dict[str, np.ndarray],
        bboxes: np.ndarray,
        labels: np.ndarray,
        gt_bboxes: np.ndarray,
        gt_labels: np.ndarray,
        min_iou: float = 0.5,
        min_candidates: int = 5) -> Dict[str, np.ndarray]:
    """:func:`object_rank_correlations` of each confidence of one image's
    candidates, with the objects and IoUs of :func:`candidate_objects`.

    Args:
        signals (dict[str, np.ndarray]): (K, ) confidences by name.
        bboxes, labels, gt_bboxes, gt_labels, min_iou: See
            :func:`candidate_objects`.
        min_candidates (int): See :func:`object_rank_correlations`.

    Returns:
        dict[str, np.ndarray]: Per name, one correlation per object.
    """
    objects, iou = candidate_objects(bboxes, labels, gt_bboxes, gt_labels,
                                     min_iou)
    return {
        name: object_rank_correlations(signal, iou, objects, min_candidates)
        for name, signal in signals.items()
    }
