"""Pieces of the exported post-processing, by hand."""
import numpy as np
import pytest
import torch

import mmdet_led  # noqa: F401
from mmdet_led.deployment.detection_graph import (class_offset_boxes,
                                                  rank_within_image)
from mmdet_led.deployment.onnx_nms import onnx_nms
from mmdet_led.deployment.parity import compare_detections


def test_rank_within_image():
    batch_idx = torch.tensor([0, 0, 0, 1, 1, 3])
    assert rank_within_image(batch_idx).tolist() == [0, 1, 2, 0, 1, 0]


def test_class_offset_boxes_uses_valid_boxes_only():
    boxes = torch.tensor([[[0., 0., 10., 10.], [5., 5., 20., 20.],
                           [1., 1., 50., 50.]]])
    labels = torch.tensor([[0, 1, 2]])
    valid = torch.tensor([[True, True, False]])
    # max coordinate of the valid boxes is 20: offsets label * 21
    out = class_offset_boxes(boxes, labels, valid)
    assert out.tolist() == [[[0., 0., 10., 10.], [26., 26., 41., 41.],
                             [43., 43., 92., 92.]]]
    # an image without valid boxes gets offsets label * 1
    out = class_offset_boxes(boxes, labels, torch.zeros_like(valid))
    assert out[0, 2].tolist() == [3., 3., 52., 52.]


def test_onnx_nms_eager_by_hand():
    boxes = torch.tensor([[[0., 0., 10., 10.], [1., 1., 11., 11.],
                           [20., 20., 30., 30.], [0., 0., 10., 10.]]])
    # IoU(box0, box1) = 81 / 119 = 0.68 > 0.5: box1 suppressed by box0;
    # box3 scores below the threshold and is never considered
    scores = torch.tensor([[[0.9, 0.8, 0.7, -1.]]])
    sel = onnx_nms(boxes, scores, 100, 0.5, -0.5)
    assert sel.tolist() == [[0, 0, 0], [0, 0, 2]]
    # IoU 0.68 is not above 0.7: both kept, in score order
    sel = onnx_nms(boxes, scores, 100, 0.7, -0.5)
    assert sel.tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert onnx_nms(boxes, scores, 1, 0.5, -0.5).tolist() == [[0, 0, 0]]


def _dets(boxes, scores, labels):
    scores = np.array(scores, dtype=np.float32)
    return dict(boxes=np.array(boxes, dtype=np.float32), scores=scores,
                labels=np.array(labels), cls_scores=scores,
                loc_scores=np.ones_like(scores))


def test_compare_detections():
    a = _dets([[0, 0, 10, 10], [5, 5, 9, 9]], [0.5, 0.5], [1, 2])
    same = compare_detections(a, _dets([[0, 0, 10.0005, 10], [5, 5, 9, 9]],
                                       [0.500004, 0.5], [1, 2]))
    assert same['in_order'] and same['as_set']
    assert same['max_box_diff'] == pytest.approx(5e-4, abs=1e-5)
    # the two tied detections listed the other way round
    swapped = compare_detections(a, _dets([[5, 5, 9, 9], [0, 0, 10, 10]],
                                          [0.5, 0.5], [2, 1]))
    assert not swapped['in_order'] and swapped['as_set']
    far = compare_detections(a, _dets([[0, 0, 10.01, 10], [5, 5, 9, 9]],
                                      [0.5, 0.5], [1, 2]))
    assert not far['in_order'] and not far['as_set']
    fewer = compare_detections(a, _dets([[0, 0, 10, 10]], [0.5], [1]))
    assert fewer['count_test'] == 1 and not fewer['as_set']
