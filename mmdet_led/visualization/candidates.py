"""Which pre-NMS candidates to draw around an object (the paper's Fig. 1).

Pure numpy on the per-image candidate dicts of
:func:`mmdet_led.evaluation.raw_outputs.prenms_candidates` (``bboxes``,
``labels``, ``conf_final`` and ``conf_cls``, sorted by ``conf_final``).
"""
from typing import List, Optional, Tuple

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps


def _by_conf_cls(cand: dict, idx: np.ndarray, num: int) -> np.ndarray:
    """``idx`` ordered by conf_cls (highest first, stable), first ``num``."""
    order = np.argsort(-cand['conf_cls'][idx], kind='stable')
    return idx[order][:num]


def fig1_candidates(cand: dict,
                    gts: np.ndarray,
                    num: int = 4,
                    min_iou: float = 0.3) -> Tuple[Optional[int], np.ndarray]:
    """Several pre-NMS boxes around ONE object of an image.

    The object is the ground truth whose overlapping candidates (IoU >=
    ``min_iou``) reach the highest final confidence; of those candidates,
    the ``num`` with the highest conf_cls. Without any overlapping
    candidate: the ``num`` best of the top-scoring class.

    Args:
        cand (dict): The image's candidates.
        gts (np.ndarray): (G, 4) ground-truth boxes.
        num (int): Candidates to return at most.
        min_iou (float): Overlap that makes a candidate one of the object's.

    Returns:
        tuple: Index of the object (or None) and the candidate indices.
    """
    if cand['labels'].size == 0:
        return None, np.zeros(0, dtype=np.int64)
    if gts.shape[0]:
        ious = bbox_overlaps(cand['bboxes'], gts)  # (K, G)
        best = np.where(ious >= min_iou, cand['conf_final'][:, None], -1)
        g = int(best.max(0).argmax())
        near = np.where(ious[:, g] >= min_iou)[0]
        if near.size:
            return g, _by_conf_cls(cand, near, num)
    label = cand['labels'][0]
    return None, np.where(cand['labels'] == label)[0][:num]


def candidates_per_object(cand: dict,
                          objects: np.ndarray,
                          num: int = 4,
                          min_iou: float = 0.3) -> List[np.ndarray]:
    """The pre-NMS boxes around each object of an image.

    Each candidate belongs to the object it overlaps most, if by at least
    ``min_iou``; per object, its ``num`` candidates of highest conf_cls.

    Args:
        cand (dict): The image's candidates.
        objects (np.ndarray): (G, 4) object boxes (ground truth, or the
            final detections of an image without it).
        num (int): Candidates per object at most.
        min_iou (float): Overlap that makes a candidate one of the object's.

    Returns:
        list[np.ndarray]: Per object, candidate indices (maybe empty).
    """
    if cand['labels'].size == 0 or objects.shape[0] == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(objects.shape[0])]
    ious = bbox_overlaps(cand['bboxes'], objects)  # (K, G)
    owner = ious.argmax(1)
    owned = ious.max(1) >= min_iou
    return [
        _by_conf_cls(cand, np.where(owned & (owner == g))[0], num)
        for g in range(objects.shape[0])
    ]
