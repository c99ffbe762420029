"""Correlations, reliability bins and LaECE on values worked out by hand."""
import math

import numpy as np
import pytest

from mmdet_led.evaluation.functional.calibration import (binned_calibration,
                                                         correlation_table,
                                                         pearson, spearman)
from mmdet_led.evaluation.functional.laece import (greedy_tp_ious,
                                                   image_tp_ious, laece)


def test_pearson_by_hand():
    # dx = (-1, 0, 1), dy = (-4, -1, 5) / 3: r = 3 / sqrt(2 * 14 / 3)
    assert pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(
        math.sqrt(27 / 28), abs=1e-15)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1, abs=1e-15)


def test_spearman_by_hand_with_ties():
    # ranks (1.5, 1.5, 3, 4) and (1, 2, 3, 4): 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 1, 2, 3], [1, 2, 3, 4]) == pytest.approx(
        math.sqrt(0.9), abs=1e-15)
    # monotone but not linear: rank correlation 1, Pearson below
    assert spearman([1, 2, 3], [1, 2, 4]) == pytest.approx(1, abs=1e-15)


def test_undefined_correlations_and_non_finite_pairs():
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1, 2, 3], [5, 5, 5]) is None
    assert pearson([1], [2]) is None
    # the NaN pair is dropped, the rest is (1, 2, 3) vs (3, 2, 1)
    assert pearson([1, 2, np.nan, 3], [3, 2, 0, 1]) == pytest.approx(-1)
    with pytest.raises(ValueError, match='shapes differ'):
        pearson([1, 2], [1, 2, 3])
    table = correlation_table(dict(a=[1, 2, 3], b=[1, 1, 1]), [1, 2, 4])
    assert table['a']['spearman'] == pytest.approx(1)
    assert table['b'] == dict(pearson=None, spearman=None, n=3)


def test_binned_calibration_by_hand():
    # bin [0, .5): pred .1, .2 (mean .15), true 0, .5 (mean .25)
    # bin [.5, 1]: pred .7, .9 (mean .8), true 1, .5 (mean .75)
    out = binned_calibration([0.1, 0.2, 0.7, 0.9], [0, 0.5, 1, 0.5], 2)
    assert out['edges'] == [0, 0.5, 1]
    assert out['counts'] == [2, 2]
    assert out['mean_pred'] == pytest.approx([0.15, 0.8])
    assert out['mean_true'] == pytest.approx([0.25, 0.75])
    assert out['std_true'] == pytest.approx([0.25, 0.25])
    assert out['ece'] == pytest.approx((2 * 0.1 + 2 * 0.05) / 4)
    # an edge value goes up, 1.0 and out-of-range values to the end bins
    out = binned_calibration([0.5, 1.0, 1.2, -0.1], [1, 1, 1, 0], 2)
    assert out['counts'] == [1, 3]


def test_greedy_tp_ious_by_hand():
    # objects: 0 and 1 regular, 2 difficult
    ious = np.array([
        [0.8, 0.3, 0.0],  # d0, score .9: takes object 0
        [0.6, 0.05, 0.0],  # d1, score .8: object 0 taken, 1 below tau
        [0.7, 0.4, 0.0],  # d2, score .7: object 0 taken, takes object 1
        [0.0, 0.0, 0.5],  # d3, score .6: reaches only the difficult one
        [0.05, 0.0, 0.0],  # d4, score .5: nothing above tau
    ])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    ignore = np.array([False, False, True])
    out = greedy_tp_ious(scores, ious, ignore, iou_thr=0.1)
    np.testing.assert_array_equal(out, [0.8, 0.0, 0.4, np.nan, 0.0])
    # visiting order is the score order: d2 first takes object 0 (0.7)
    # and d0 then takes object 1 (0.3)
    out = greedy_tp_ious(scores[[2, 1, 0]], ious[[0, 1, 2]], ignore, 0.1)
    np.testing.assert_array_equal(out, [0.3, 0.0, 0.7])
    # no objects: all false positives
    assert greedy_tp_ious(scores, np.zeros((5, 0)), np.zeros(0, bool),
                          0.1).tolist() == [0] * 5


def test_image_tp_ious_matches_within_the_class():
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=np.float32)
    gt_labels = np.array([0, 1])
    difficult = np.array([[20, 20, 30, 30]], dtype=np.float32)
    bboxes = np.array([
        [0, 0, 10, 10],  # class 0: IoU 1 with its object
        [0, 0, 10, 5],  # class 0: object taken -> FP
        [20, 20, 30, 25],  # class 0: IoU .5 with the difficult one -> out
        [0, 0, 5, 10],  # class 1: IoU .5
        [0, 0, 10, 10],  # class 2: no object of its class -> FP
    ], dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = np.array([0, 0, 0, 1, 2])
    out = image_tp_ious(bboxes, scores, labels, gt, gt_labels, difficult,
                        np.array([0]), iou_thr=0.1)
    np.testing.assert_allclose(out, [1.0, 0.0, np.nan, 0.5, 0.0])
    # without the difficult object, the third box is a false positive
    out = image_tp_ious(bboxes, scores, labels, gt, gt_labels, iou_thr=0.1)
    np.testing.assert_allclose(out, [1.0, 0.0, 0.0, 0.5, 0.0])


def test_laece_two_classes_two_bins():
    scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.4, 0.7]
    labels = [0, 0, 0, 1, 1, 1, 2]
    tp_ious = [0.7, 0.0, 0.6, 0.9, np.nan, 0.0, 0.0]
    out = laece(scores, labels, tp_ious, classes=[0, 1], num_bins=2)
    # class 0: bin [.5, 1]: conf .85, acc .35, share 2/3; bin [0, .5):
    # conf .3, acc .6, share 1/3 -> 2/3 * .5 + 1/3 * .3 = 13/30
    # class 1 (the NaN one left out): |.6 - .9| / 2 + |.4 - 0| / 2 = 7/20
    # class 2 has no ground truth and is not counted
    assert out['per_class'] == pytest.approx({0: 13 / 30, 1: 7 / 20})
    assert out['laece'] == pytest.approx(47 / 120)
    # a class with ground truth but no detection does not count either
    assert laece(scores, labels, tp_ious, [0, 1, 5], 2)['laece'] == \
        pytest.approx(47 / 120)
    assert laece([], [], [], [0], 2) == dict(laece=None, per_class={})
