"""Which object each candidate competes for, and how a signal ranks each
object's candidates, on boxes worked out by hand."""
import numpy as np
import pytest

from mmdet_led.evaluation.functional import (candidate_objects,
                                             image_object_rank_correlations,
                                             object_rank_correlations,
                                             object_spreads)

GT_BBOXES = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], np.float32)
GT_LABELS = np.array([0, 1])


def test_candidates_belong_to_the_best_object_of_their_class():
    bboxes = np.array([
        [0, 0, 10, 10],  # object 0 exactly
        [0, 0, 10, 5],  # half of object 0: IoU 50 / 100
        [0, 0, 10, 4],  # IoU 0.4: nobody's
        [20, 0, 30, 10],  # object 1's box, but class 0: NMS keeps apart
        [20, 0, 30, 10],  # object 1 exactly
        [5, 0, 25, 10],  # IoU 50 / 250 with object 1
    ], np.float32)
    labels = np.array([0, 0, 0, 0, 1, 1])
    objects, ious = candidate_objects(bboxes, labels, GT_BBOXES, GT_LABELS)
    np.testing.assert_array_equal(objects, [0, 0, -1, -1, 1, -1])
    np.testing.assert_allclose(ious, [1, 0.5, 0, 0, 1, 0], atol=1e-7)
    objects, ious = candidate_objects(
        bboxes, labels, GT_BBOXES, GT_LABELS, min_iou=0.2)
    np.testing.assert_array_equal(objects, [0, 0, 0, -1, 1, 1])
    np.testing.assert_allclose(ious, [1, 0.5, 0.4, 0, 1, 0.2], atol=1e-7)


def test_no_candidates_or_no_objects():
    objects, ious = candidate_objects(
        np.zeros((0, 4)), np.zeros(0, int), GT_BBOXES, GT_LABELS)
    assert objects.shape == ious.shape == (0, )
    objects, ious = candidate_objects(GT_BBOXES, GT_LABELS, np.zeros((0, 4)),
                                      np.zeros(0, int))
    np.testing.assert_array_equal(objects, [-1, -1])
    np.testing.assert_array_equal(ious, [0, 0])


def test_rank_correlation_within_each_object():
    # object 0: signal ranks (1, 2, 3), IoU ranks (1, 3, 2):
    #   1 - 6 * (0 + 1 + 1) / (3 * 8) = 0.5
    # object 2: exactly reversed: -1; object 1: two candidates, too few;
    # object 3: constant signal, undefined; -1: no object
    signal = [0.1, 0.2, 0.3, 0.9, 0.8, 0.5, 0.6, 0.7, 0.4, 0.4, 0.4, 0.99]
    true_iou = [0.5, 0.9, 0.7, 0.6, 0.9, 0.9, 0.8, 0.7, 0.5, 0.6, 0.7, 0.1]
    objects = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, -1]
    rho = object_rank_correlations(signal, true_iou, objects,
                                   min_candidates=3)
    np.testing.assert_allclose(rho, [0.5, -1.0], atol=1e-12)
    rho = object_rank_correlations(signal, true_iou, objects,
                                   min_candidates=2)
    np.testing.assert_allclose(rho, [0.5, -1.0, -1.0], atol=1e-12)
    assert object_rank_correlations(signal, true_iou, objects).size == 0


def test_the_ranking_nms_needs_is_not_the_global_one():
    # two objects and two background boxes: the signal puts the objects'
    # candidates above the background (global rank correlation
    # 1 - 6 * 26 / (8 * 63) = 29 / 42) yet ranks each object's candidates
    # backwards
    from mmdet_led.evaluation.functional import spearman
    signal = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.1, 0.05])
    true_iou = np.array([0.6, 0.7, 0.8, 0.5, 0.55, 0.65, 0.01, 0.0])
    objects = np.array([0, 0, 0, 1, 1, 1, -1, -1])
    assert spearman(signal, true_iou) == pytest.approx(29 / 42, abs=1e-12)
    np.testing.assert_allclose(
        object_rank_correlations(signal, true_iou, objects, 3), [-1, -1])


def test_non_finite_values_do_not_count_as_candidates():
    # object 0 has three candidates, one with a NaN signal: two remain,
    # under min_candidates=3
    rho = object_rank_correlations([0.1, np.nan, 0.3], [0.5, 0.6, 0.7],
                                   [0, 0, 0], min_candidates=3)
    assert rho.size == 0
    rho = object_rank_correlations([0.1, np.nan, 0.3], [0.5, 0.6, 0.7],
                                   [0, 0, 0], min_candidates=2)
    np.testing.assert_allclose(rho, [1.0])


def test_every_signal_of_one_image():
    # GT_BBOXES' object 0 owns the candidates of IoU 1, .5 and .6 (class
    # 0); the class-1 box of object 0's place belongs to nobody
    bboxes = np.array([[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 10, 6],
                       [0, 0, 10, 10]], np.float32)
    labels = np.array([0, 0, 0, 1])
    rhos = image_object_rank_correlations(
        dict(good=np.array([0.9, 0.1, 0.5, 0.0]),
             bad=np.array([0.1, 0.9, 0.5, 0.0])),
        bboxes, labels, GT_BBOXES, GT_LABELS, min_candidates=3)
    assert set(rhos) == {'good', 'bad'}
    np.testing.assert_allclose(rhos['good'], [1.0])
    np.testing.assert_allclose(rhos['bad'], [-1.0])
    assert image_object_rank_correlations(
        dict(good=np.zeros(4)), bboxes, labels, GT_BBOXES, GT_LABELS,
        min_candidates=4)['good'].size == 0


def test_spread_of_the_true_iou_and_of_the_error_within_each_object():
    # object 0: IoU 0.5, 0.9, 0.7 (mean 0.7): SD sqrt(0.08 / 3); estimates
    # 0.6, 0.8, 0.7: SD sqrt(0.02 / 3); errors 0.1, -0.1, 0: the same;
    # object 1: too few; -1: nobody's; a NaN estimate leaves its candidate
    # out (object 2 then has too few)
    pred = [0.6, 0.8, 0.7, 0.5, 0.5, 0.3, np.nan, 0.2, 0.3]
    true_iou = [0.5, 0.9, 0.7, 0.6, 0.8, 0.1, 0.5, 0.6, 0.7]
    objects = [0, 0, 0, 1, 1, -1, 2, 2, 2]
    spread = object_spreads(pred, true_iou, objects, min_candidates=3)
    np.testing.assert_allclose(
        spread, [[(0.08 / 3)**0.5, (0.02 / 3)**0.5, (0.02 / 3)**0.5]],
        atol=1e-12)
    # object 1: IoU 0.6, 0.8: SD 0.1; estimates equal: 0; errors -0.1,
    # -0.3: SD 0.1; object 2 without its NaN: IoU 0.6, 0.7, estimates 0.2,
    # 0.3, errors -0.4, -0.4
    spread = object_spreads(pred, true_iou, objects, min_candidates=2)
    np.testing.assert_allclose(spread[1:], [[0.1, 0, 0.1], [0.05, 0.05, 0]],
                               atol=1e-12)
    assert object_spreads(pred, true_iou, objects).shape == (0, 3)
