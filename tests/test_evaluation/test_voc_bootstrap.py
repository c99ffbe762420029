"""VOC AP for weighted image sets: equal to mmdet's eval_map with weights 1,
to a physically resampled data set with integer weights."""
import numpy as np
import pytest
from mmdet.evaluation.functional import eval_map

from mmdet_led.evaluation.functional import (
    COCO_IOU_THRS, ap_11points, ap_area, binned_calibration,
    bootstrap_weights, correlation_table, dets_per_class, match_voc,
    pearson, percentile_interval, spearman, tpfp_voc, voc_metrics,
    weighted_class_aps, weighted_map)


def _box(x, y, w, h):
    return [x, y, x + w, y + h]


def random_dataset(seed, num_imgs=25, num_classes=4, tie_scores=False,
                   empty_class=None):
    """Detections near (and far from) ground truth, difficult objects,
    images without objects or detections."""
    rng = np.random.default_rng(seed)
    dets, anns = [], []
    for i in range(num_imgs):
        n_gt = int(rng.integers(0, 5)) if i % 7 else 0
        labels = rng.integers(0, num_classes, n_gt)
        if empty_class is not None:
            labels[labels == empty_class] = (empty_class + 1) % num_classes
        xy = rng.uniform(0, 300, (n_gt, 2))
        wh = rng.uniform(20, 150, (n_gt, 2))
        gts = np.hstack([xy, xy + wh]).astype(np.float32)
        difficult = rng.random(n_gt) < 0.2
        boxes, scores, dlabels = [], [], []
        for g, l in zip(gts, labels):
            for _ in range(int(rng.integers(0, 4))):  # jittered hits
                jit = rng.normal(0, 0.12, 4) * np.r_[g[2:] - g[:2],
                                                     g[2:] - g[:2]]
                boxes.append(g + jit)
                dlabels.append(l if rng.random() < 0.8 else
                               rng.integers(0, num_classes))
                scores.append(rng.random())
        for _ in range(int(rng.integers(0, 6))):  # background
            xy = rng.uniform(0, 300, 2)
            boxes.append(np.r_[xy, xy + rng.uniform(10, 100, 2)])
            dlabels.append(rng.integers(0, num_classes))
            scores.append(rng.random())
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(scores, np.float32)
        if tie_scores:
            scores = np.round(scores, 1).astype(np.float32)
        dets.append(
            dets_per_class(boxes, scores, np.asarray(dlabels, np.int64),
                           num_classes))
        anns.append(
            dict(
                bboxes=gts[~difficult],
                labels=labels[~difficult],
                bboxes_ignore=gts[difficult],
                labels_ignore=labels[difficult]))
    return dets, anns


def mmdet_map(dets, anns, iou_thr, mode):
    mean_ap, res = eval_map(
        dets,
        anns,
        iou_thr=iou_thr,
        eval_mode=mode,
        logger='silent',
        use_legacy_coordinate=True,
        nproc=1)
    return mean_ap, np.array([r['ap'] for r in res], dtype=np.float32)


def test_hand_computed_case():
    """1 image, 1 class: a TP, its duplicate (FP), a box on a difficult
    object (neither), a miss (FP); 1 object found out of 2."""
    gt = np.array([_box(0, 0, 100, 100), _box(200, 0, 100, 100)], np.float32)
    ign = np.array([_box(0, 200, 100, 100)], np.float32)
    det = np.array([
        _box(0, 0, 100, 100) + [0.9],
        _box(2, 2, 100, 100) + [0.8],
        _box(0, 200, 100, 100) + [0.7],
        _box(400, 400, 50, 50) + [0.6],
    ], np.float32)
    tp, fp = tpfp_voc(det, gt, ign, [0.5])
    assert tp.tolist() == [[True, False, False, False]]
    assert fp.tolist() == [[False, True, False, True]]
    matches = match_voc([[det]], [
        dict(
            bboxes=gt,
            labels=np.zeros(2, np.int64),
            bboxes_ignore=ign,
            labels_ignore=np.zeros(1, np.int64))
    ], (0.5, ))
    # precision 1, 1/2, 1/2, 1/3 at recall 1/2: 11-point AP = 6/11
    assert weighted_map(matches)[0] == pytest.approx(6 / 11, abs=1e-7)
    assert weighted_map(matches, mode='area')[0] == pytest.approx(
        0.5, abs=1e-7)


@pytest.mark.parametrize('seed,ties', [(0, False), (1, True), (2, True)])
@pytest.mark.parametrize('mode', ['11points', 'area'])
def test_equals_eval_map_bit_for_bit(seed, ties, mode):
    dets, anns = random_dataset(seed, tie_scores=ties, empty_class=3)
    matches = match_voc(dets, anns, COCO_IOU_THRS)
    for thr in (0.5, 0.7, 0.95):
        ref_map, ref_aps = mmdet_map(dets, anns, thr, mode)
        aps, num_gts = weighted_class_aps(matches, None, thr, mode)
        np.testing.assert_array_equal(aps[0], ref_aps)
        assert num_gts[0, 3] == 0  # a class without objects is left out
        assert weighted_map(matches, None, thr, mode)[0] == ref_map


def test_integer_weights_equal_a_resampled_data_set():
    """Multiplicities == evaluating the physically resampled images."""
    dets, anns = random_dataset(3, num_imgs=15)
    matches = match_voc(dets, anns, COCO_IOU_THRS)
    weights = bootstrap_weights(len(dets), 4, seed=7)
    for mode in ('11points', 'area'):
        ours = weighted_map(matches, weights, 0.5, mode)
        for row, value in zip(weights, ours):
            idx = np.repeat(np.arange(len(dets)), row)
            ref, _ = mmdet_map([dets[i] for i in idx],
                               [anns[i] for i in idx], 0.5, mode)
            if mode == '11points':
                assert value == ref
            else:
                assert value == pytest.approx(ref, abs=1e-6)


def test_voc_metrics_and_zero_weights():
    dets, anns = random_dataset(4)
    matches = match_voc(dets, anns)
    m = voc_metrics(matches)
    assert set(m) == {'mAP50', 'AP70', 'AP'}
    assert m['AP70'][0] <= m['mAP50'][0]
    ref = np.mean([mmdet_map(dets, anns, t, 'area')[0]
                   for t in COCO_IOU_THRS])
    assert m['AP'][0] == pytest.approx(ref, abs=1e-12)
    # dropping images by weight 0 == leaving them out
    keep = np.arange(len(dets)) % 2 == 0
    sub = match_voc([d for d, k in zip(dets, keep) if k],
                    [a for a, k in zip(anns, keep) if k])
    assert weighted_map(matches, keep.astype(int))[0] == pytest.approx(
        weighted_map(sub)[0], abs=1e-7)


def test_empty_curves():
    assert ap_11points(np.zeros((2, 0)), np.zeros((2, 0),
                                                  np.float32)).tolist() == [
                                                      0, 0
                                                  ]
    assert ap_area(np.zeros((1, 0)), np.zeros((1, 0), np.float32))[0] == 0


def test_bootstrap_weights_and_interval():
    w = bootstrap_weights(10, 50, seed=1)
    assert w.shape == (50, 10) and (w.sum(1) == 10).all()
    np.testing.assert_array_equal(w, bootstrap_weights(10, 50, seed=1))
    assert not np.array_equal(w, bootstrap_weights(10, 50, seed=2))
    low, high = percentile_interval(np.arange(1001), 0.95)
    assert (low, high) == pytest.approx((25.0, 975.0))


def test_correlations_and_bins():
    x = np.random.default_rng(0).random(200)
    # linear: Pearson 1; monotone, not linear: Spearman 1, Pearson below
    assert pearson(x, 3 * x - 1) == pytest.approx(1, abs=1e-12)
    assert spearman(x, x**3) == pytest.approx(1, abs=1e-12)
    assert pearson(x, x**3) < 0.95
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert pearson([1], [2]) is None
    table = correlation_table(dict(a=x, b=-x), x)
    assert table['a']['pearson'] == pytest.approx(1)
    assert table['b']['spearman'] == pytest.approx(-1)
    bins = binned_calibration([0.05, 0.15, 0.15, 1.0, 1.2, -0.1],
                              [0.0, 0.2, 0.4, 1.0, 1.0, 0.0], 10)
    assert bins['counts'] == [2, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins['mean_true'][1] == pytest.approx(0.3)
    assert bins['mean_pred'][2] is None
    # |0.15 - 0.3| for 2 of 6, |-0.025 - 0| for 2, |1.1 - 1| for 2
    assert bins['ece'] == pytest.approx((0.3 + 0.05 + 0.2) / 6)
