"""KITTI object benchmark evaluation of 2D boxes (official devkit rules).

A numpy port of the 2D ("image") part of the official KITTI object devkit,
``devkit_object/cpp/evaluate_object.cpp`` (``cleanData``,
``computeStatistics``, ``getThresholds``, ``eval_class``), with the same
decisions in the same order:

* difficulty levels easy / moderate / hard: ground truth higher than
  40 / 25 / 25 px (``height <= min`` is ignored), occlusion at most 0 / 1 / 2,
  truncation at most 0.15 / 0.3 / 0.5; ground truth outside a level is
  *ignored* (neither TP nor FN, but it can absorb a detection);
* "neighbouring" classes are ignored the same way: Van for Car,
  Person_sitting for Pedestrian; all other types do not take part;
* detections lower than the level's minimum height (``int(h) < min``) are
  ignored (they may still absorb a ground truth, which then is no FN);
* a detection that is not assigned to any ground truth and overlaps a
  DontCare region by ``intersection / detection_area > min_overlap`` is
  neither TP nor FP;
* a TP needs ``IoU > min_overlap`` (0.7 Car, 0.5 Pedestrian / Cyclist);
* precision is evaluated at the scores chosen by ``getThresholds`` for 41
  equally spaced recall values, then made monotone
  (``p[i] = max(p[i:])``). AP|R40 (official since 2019) is the mean of the
  points 1..40, AP|R11 (2012-2019, used by most papers of that time) the mean
  of the points 0, 4, ..., 40 (recall 0, 0.1, ..., 1).

The per-threshold assignment is computed once per distinct set of
candidate detections above the threshold, which gives the devkit's counts
without re-running the whole greedy matching 41 times per image.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Difficulty level names, in devkit order.
KITTI_DIFFICULTIES = ('easy', 'moderate', 'hard')
#: Minimum box height (px), maximum occlusion and truncation per level.
KITTI_MIN_HEIGHT = (40, 25, 25)
KITTI_MAX_OCCLUSION = (0, 1, 2)
KITTI_MAX_TRUNCATION = (0.15, 0.3, 0.5)
#: Minimum IoU of a true positive (2D image boxes) per class.
KITTI_MIN_OVERLAP = {'Car': 0.7, 'Pedestrian': 0.5, 'Cyclist': 0.5}
#: Number of recall sample points of the devkit.
KITTI_N_SAMPLE_PTS = 41

_NEIGHBOUR = {'car': 'van', 'pedestrian': 'person_sitting'}
_DONTCARE = 'dontcare'


def image_box_overlap(boxes: np.ndarray,
                      query_boxes: np.ndarray,
                      criterion: int = -1) -> np.ndarray:
    """Overlap of 2D boxes as the devkit's ``imageBoxOverlap``.

    Args:
        boxes (np.ndarray): ``(N, 4)`` boxes ``x1, y1, x2, y2``.
        query_boxes (np.ndarray): ``(K, 4)`` boxes.
        criterion (int): -1: intersection over union; 0: intersection over
            the area of ``boxes``; 1: over the area of ``query_boxes``.

    Returns:
        np.ndarray: ``(N, K)`` overlaps; 0 where the intersection is empty
        (``w <= 0`` or ``h <= 0``).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    query_boxes = np.asarray(query_boxes, dtype=np.float64).reshape(-1, 4)
    iw = (
        np.minimum(boxes[:, None, 2], query_boxes[None, :, 2]) -
        np.maximum(boxes[:, None, 0], query_boxes[None, :, 0]))
    ih = (
        np.minimum(boxes[:, None, 3], query_boxes[None, :, 3]) -
        np.maximum(boxes[:, None, 1], query_boxes[None, :, 1]))
    inter = iw * ih
    area_a = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[:,
                                                                         None]
    area_b = ((query_boxes[:, 2] - query_boxes[:, 0]) *
              (query_boxes[:, 3] - query_boxes[:, 1]))[None, :]
    if criterion == -1:
        denom = area_a + area_b - inter
    elif criterion == 0:
        denom = np.broadcast_to(area_a, inter.shape)
    elif criterion == 1:
        denom = np.broadcast_to(area_b, inter.shape)
    else:
        raise ValueError(f'criterion must be -1, 0 or 1, got {criterion}')
    valid = (iw > 0) & (ih > 0)
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, denom, out=out, where=valid)
    return out


def get_thresholds(scores: Sequence[float],
                   num_gt: int,
                   num_sample_pts: int = KITTI_N_SAMPLE_PTS) -> List[float]:
    """Scores at which precision is sampled (devkit ``getThresholds``).

    Args:
        scores (Sequence[float]): Scores of the true positives (highest
            scoring candidate of each valid ground truth).
        num_gt (int): Number of valid ground truth boxes.
        num_sample_pts (int): Number of recall sample points. Defaults to 41.

    Returns:
        list[float]: Thresholds in descending order, at most
        ``num_sample_pts`` of them.
    """
    v = sorted((float(s) for s in scores), reverse=True)
    thresholds: List[float] = []
    current_recall = 0.0
    n = float(num_gt)
    for i, score in enumerate(v):
        l_recall = (i + 1) / n
        last = i == len(v) - 1
        r_recall = l_recall if last else (i + 2) / n
        if (r_recall - current_recall) < (current_recall - l_recall) \
                and not last:
            continue
        thresholds.append(score)
        current_recall += 1.0 / (num_sample_pts - 1.0)
    return thresholds[:num_sample_pts]


class _ImageArrays:
    """Per-image arrays of one image, independent of class and level."""

    def __init__(self, gt: Sequence[dict], det: Sequence[dict]) -> None:
        self.gt_types = [str(g['type']).lower() for g in gt]
        self.gt_boxes = np.array([g['bbox'] for g in gt],
                                 dtype=np.float64).reshape(-1, 4)
        self.gt_trunc = np.array([g['truncated'] for g in gt],
                                 dtype=np.float64)
        self.gt_occ = np.array([g['occluded'] for g in gt], dtype=np.int64)
        self.det_types = [str(d['type']).lower() for d in det]
        self.det_boxes = np.array([d['bbox'] for d in det],
                                  dtype=np.float64).reshape(-1, 4)
        self.scores = np.array([d['score'] for d in det], dtype=np.float64)
        # devkit: int32_t height = fabs(y1 - y2) (truncated towards zero)
        self.det_height = np.trunc(
            np.abs(self.det_boxes[:, 1] - self.det_boxes[:, 3]))
        self.iou = image_box_overlap(self.gt_boxes, self.det_boxes, -1)
        dc = [i for i, t in enumerate(self.gt_types) if t == _DONTCARE]
        # overlap of each detection with each DontCare area w.r.t. the
        # detection's area (devkit criterion 0)
        self.dc_overlap = image_box_overlap(self.det_boxes, self.gt_boxes[dc],
                                            0)


def clean_data(img: _ImageArrays, current_class: str,
               difficulty: int) -> Tuple[np.ndarray, np.ndarray, int]:
    """Mark ignored ground truth and detections (devkit ``cleanData``).

    Args:
        img (_ImageArrays): Arrays of one image.
        current_class (str): Evaluated class, e.g. ``'Car'``.
        difficulty (int): 0 easy, 1 moderate, 2 hard.

    Returns:
        tuple: ``ignored_gt`` (0 valid, 1 ignored, -1 other class),
        ``ignored_det`` (0 valid, 1 too small, -1 other class) and the
        number of valid ground truth boxes.
    """
    cls = current_class.lower()
    neighbour = _NEIGHBOUR.get(cls)
    heights = img.gt_boxes[:, 3] - img.gt_boxes[:, 1]
    ignore = ((img.gt_occ > KITTI_MAX_OCCLUSION[difficulty])
              | (img.gt_trunc > KITTI_MAX_TRUNCATION[difficulty])
              | (heights <= KITTI_MIN_HEIGHT[difficulty]))
    ignored_gt = np.full(len(img.gt_types), -1, dtype=np.int64)
    for i, t in enumerate(img.gt_types):
        if t == cls:
            ignored_gt[i] = 1 if ignore[i] else 0
        elif t == neighbour:
            ignored_gt[i] = 1
    det_valid = np.array([t == cls for t in img.det_types], dtype=bool)
    ignored_det = np.where(det_valid, 0, -1).astype(np.int64)
    ignored_det[img.det_height < KITTI_MIN_HEIGHT[difficulty]] = 1
    return ignored_gt, ignored_det, int((ignored_gt == 0).sum())


def _assign(img: _ImageArrays, ignored_gt: np.ndarray, ignored_det: np.ndarray,
            candidates: List[np.ndarray], active: np.ndarray,
            compute_fp: bool) -> Tuple[int, int, list, np.ndarray]:
    """Greedy ground truth loop of the devkit's ``computeStatistics``.

    Args:
        img (_ImageArrays): Arrays of one image.
        ignored_gt (np.ndarray): See :func:`clean_data`.
        ignored_det (np.ndarray): See :func:`clean_data`.
        candidates (list[np.ndarray]): Per ground truth, the indices (in
            increasing order) of the detections with ``ignored_det != -1``
            and ``IoU > min_overlap``; empty for ``ignored_gt == -1``.
        active (np.ndarray): Bool mask of detections above the threshold.
        compute_fp (bool): False: pick the highest scoring candidate (pass
            that collects TP scores); True: the best overlapping one.

    Returns:
        tuple: ``tp``, ``fn``, the TP scores and the bool mask of assigned
        detections.
    """
    no_detection = -10000000.0
    assigned = np.zeros(len(img.scores), dtype=bool)
    tp = fn = 0
    tp_scores = []
    for i, cand in enumerate(candidates):
        if ignored_gt[i] == -1:
            continue
        det_idx = -1
        valid_detection = no_detection
        max_overlap = 0.0
        assigned_ignored_det = False
        for j in cand:
            if assigned[j] or not active[j]:
                continue
            overlap = img.iou[i, j]
            if not compute_fp:
                if img.scores[j] > valid_detection:
                    det_idx = j
                    valid_detection = img.scores[j]
            elif (overlap > max_overlap
                  or assigned_ignored_det) and ignored_det[j] == 0:
                max_overlap = overlap
                det_idx = j
                valid_detection = 1.0
                assigned_ignored_det = False
            elif valid_detection == no_detection and ignored_det[j] == 1:
                det_idx = j
                valid_detection = 1.0
                assigned_ignored_det = True
        if valid_detection == no_detection:
            if ignored_gt[i] == 0:
                fn += 1
        elif ignored_gt[i] == 1 or ignored_det[det_idx] == 1:
            assigned[det_idx] = True
        else:
            tp += 1
            tp_scores.append(img.scores[det_idx])
            assigned[det_idx] = True
    return tp, fn, tp_scores, assigned


def _image_statistics(img: _ImageArrays, ignored_gt: np.ndarray,
                      ignored_det: np.ndarray, candidates: List[np.ndarray],
                      min_overlap: float,
                      thresholds: np.ndarray) -> np.ndarray:
    """TP, FP and FN of one image at every threshold.

    Equivalent to calling the devkit's ``computeStatistics`` with
    ``compute_fp=true`` once per threshold: the greedy matching only depends
    on which candidate detections are above the threshold, so it runs once
    per distinct candidate set.

    Args:
        img (_ImageArrays): Arrays of one image.
        ignored_gt (np.ndarray): See :func:`clean_data`.
        ignored_det (np.ndarray): See :func:`clean_data`.
        candidates (list[np.ndarray]): See :func:`_candidates`.
        min_overlap (float): Minimum DontCare coverage of a detection.
        thresholds (np.ndarray): ``(T,)`` score thresholds.

    Returns:
        np.ndarray: ``(T, 3)`` int array of ``tp, fp, fn``.
    """
    dc_hit = (img.dc_overlap > min_overlap).any(axis=1)
    # detections that are FP unless assigned to a ground truth: valid class
    # and height, not covered by a DontCare area
    fp_pool = (ignored_det == 0) & ~dc_hit
    pool_scores = np.sort(img.scores[fp_pool])
    n_pool = len(pool_scores) - np.searchsorted(
        pool_scores, thresholds, side='left')
    stats = np.zeros((len(thresholds), 3), dtype=np.int64)
    stats[:, 1] = n_pool
    stats[:, 2] = int((ignored_gt == 0).sum())
    cand_dets = np.unique(np.concatenate(candidates)).astype(np.int64) \
        if candidates else np.zeros(0, dtype=np.int64)
    if len(cand_dets) == 0:
        return stats
    cand_scores = img.scores[cand_dets]
    keys = (cand_scores[None, :] >= thresholds[:, None]).sum(axis=1)
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        active = img.scores >= thresholds[rows[0]]
        tp, fn, _, assigned = _assign(img, ignored_gt, ignored_det, candidates,
                                      active, True)
        stats[rows, 0] = tp
        stats[rows, 1] -= int((assigned & fp_pool).sum())
        stats[rows, 2] = fn
    return stats


def _candidates(img: _ImageArrays, ignored_gt: np.ndarray,
                ignored_det: np.ndarray,
                min_overlap: float) -> List[np.ndarray]:
    """Per ground truth, detections that can be matched to it.

    Args:
        img (_ImageArrays): Arrays of one image.
        ignored_gt (np.ndarray): See :func:`clean_data`.
        ignored_det (np.ndarray): See :func:`clean_data`.
        min_overlap (float): Minimum IoU.

    Returns:
        list[np.ndarray]: One index array per ground truth box.
    """
    mask = (img.iou > min_overlap) & (ignored_det != -1)[None, :]
    mask &= (ignored_gt != -1)[:, None]
    return [np.flatnonzero(row) for row in mask]


def _prepare(gt_annos: Sequence[Sequence[dict]],
             det_annos: Sequence[Sequence[dict]]) -> List[_ImageArrays]:
    """Convert the annotations of every image to arrays.

    Args:
        gt_annos (Sequence[Sequence[dict]]): Ground truth per image.
        det_annos (Sequence[Sequence[dict]]): Detections per image.

    Returns:
        list[_ImageArrays]: One entry per image.
    """
    if len(gt_annos) != len(det_annos):
        raise ValueError(f'got ground truth for {len(gt_annos)} images but '
                         f'detections for {len(det_annos)}')
    return [_ImageArrays(gt, det) for gt, det in zip(gt_annos, det_annos)]


def eval_class_2d(images: Sequence[_ImageArrays], current_class: str,
                  difficulty: int, min_overlap: float) -> np.ndarray:
    """Precision at the 41 recall points for one class and level.

    Devkit ``eval_class`` for 2D image boxes.

    Args:
        images (Sequence[_ImageArrays]): Arrays of every image.
        current_class (str): Evaluated class.
        difficulty (int): 0 easy, 1 moderate, 2 hard.
        min_overlap (float): Minimum IoU of a TP.

    Returns:
        np.ndarray: ``(41,)`` monotone precision; zeros past the last
        threshold.
    """
    cleaned = []
    tp_scores: List[float] = []
    n_gt = 0
    for img in images:
        ignored_gt, ignored_det, n = clean_data(img, current_class, difficulty)
        n_gt += n
        candidates = _candidates(img, ignored_gt, ignored_det, min_overlap)
        cleaned.append((ignored_gt, ignored_det, candidates))
        active = np.ones(len(img.scores), dtype=bool)
        tp_scores += _assign(img, ignored_gt, ignored_det, candidates, active,
                             False)[2]
    thresholds = np.array(get_thresholds(tp_scores, n_gt), dtype=np.float64)
    stats = np.zeros((len(thresholds), 3), dtype=np.int64)
    if len(thresholds):
        for img, (ignored_gt, ignored_det, candidates) in zip(images, cleaned):
            stats += _image_statistics(img, ignored_gt, ignored_det,
                                       candidates, min_overlap, thresholds)
    precision = np.zeros(KITTI_N_SAMPLE_PTS, dtype=np.float64)
    for i, (tp, fp, _) in enumerate(stats):
        precision[i] = tp / (tp + fp) if tp + fp > 0 else 0.0
    for i in range(len(thresholds)):
        precision[i] = precision[i:].max()
    return precision


def average_precision_r11(precision: np.ndarray) -> float:
    """AP|R11 in percent: mean precision at recall 0, 0.1, ..., 1.

    Args:
        precision (np.ndarray): ``(41,)`` output of :func:`eval_class_2d`.

    Returns:
        float: AP in percent.
    """
    total = 0.0
    for i in range(0, len(precision), 4):
        total += float(precision[i])
    return total / 11 * 100


def average_precision_r40(precision: np.ndarray) -> float:
    """AP|R40 in percent: mean precision at recall 1/40, 2/40, ..., 1.

    Args:
        precision (np.ndarray): ``(41,)`` output of :func:`eval_class_2d`.

    Returns:
        float: AP in percent.
    """
    total = 0.0
    for i in range(1, len(precision)):
        total += float(precision[i])
    return total / 40 * 100


def kitti_eval_2d(
    gt_annos: Sequence[Sequence[dict]],
    det_annos: Sequence[Sequence[dict]],
    classes: Sequence[str] = ('Car', ),
    min_overlaps: Optional[Dict[str, float]] = None
) -> Dict[str, Dict[str, Dict[str, float]]]:
    """Evaluate 2D detections with the KITTI object benchmark rules.

    Args:
        gt_annos (Sequence[Sequence[dict]]): Per image, every label of the
            image (all types, DontCare included), each a dict with ``type``,
            ``bbox`` (x1, y1, x2, y2), ``truncated`` and ``occluded``, e.g.
            the output of
            :func:`mmdet_led.datasets.kitti_utils.parse_kitti_label_file`.
        det_annos (Sequence[Sequence[dict]]): Per image (same order), the
            detections, each a dict with ``type``, ``bbox`` and ``score``.
        classes (Sequence[str]): Classes to evaluate. Defaults to
            ``('Car',)``.
        min_overlaps (dict[str, float], optional): Minimum IoU per class;
            overrides :data:`KITTI_MIN_OVERLAP` (0.7 Car, 0.5 Pedestrian and
            Cyclist), required for other classes.

    Returns:
        dict: ``{class: {'easy'|'moderate'|'hard': {'AP_R11': float,
        'AP_R40': float}}}``, AP in percent.
    """
    overlaps = dict(KITTI_MIN_OVERLAP)
    overlaps.update(min_overlaps or {})
    missing = [c for c in classes if c not in overlaps]
    if missing:
        raise ValueError(f'no minimum overlap known for {missing}; pass '
                         'min_overlaps={class: iou}')
    images = _prepare(gt_annos, det_annos)
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    for cls in classes:
        results[cls] = {}
        for level, name in enumerate(KITTI_DIFFICULTIES):
            precision = eval_class_2d(images, cls, level, overlaps[cls])
            results[cls][name] = dict(
                AP_R11=average_precision_r11(precision),
                AP_R40=average_precision_r40(precision))
    return results


def format_kitti_table(results: Dict[str, Dict[str, Dict[str, float]]],
                       digits: int = 2) -> str:
    """Format the output of :func:`kitti_eval_2d` as a text table.

    Args:
        results (dict): Output of :func:`kitti_eval_2d`.
        digits (int): Decimals. Defaults to 2.

    Returns:
        str: One row per class and AP kind, columns easy/moderate/hard.
    """
    header = ['class', 'metric', *KITTI_DIFFICULTIES]
    rows = [header]
    for cls, levels in results.items():
        for kind in ('AP_R40', 'AP_R11'):
            rows.append([cls, kind] + [
                f'{levels[lvl][kind]:.{digits}f}' for lvl in KITTI_DIFFICULTIES
            ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        ' | '.join(cell.ljust(w) for cell, w in zip(row, widths))
        for row in rows
    ]
    lines.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(lines)
