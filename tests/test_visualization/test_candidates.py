"""mmdet_led.visualization.candidates: which pre-NMS boxes the Fig. 1 view
draws around an object."""
import numpy as np

from mmdet_led.visualization import candidates_per_object, fig1_candidates


def test_fig1_candidates():
    """Boxes around the object whose overlapping candidates score highest,
    ordered by conf_cls; fallback: the top class."""
    gts = np.array([[0, 0, 100, 100], [200, 200, 300, 300]], np.float32)
    cand = dict(
        bboxes=np.array([[0, 0, 90, 90], [5, 5, 100, 100],
                         [200, 200, 290, 300], [500, 500, 600, 600]],
                        np.float32),
        labels=np.array([1, 1, 2, 0]),
        conf_final=np.array([0.3, 0.2, 0.9, 0.95], np.float32),
        conf_cls=np.array([0.5, 0.6, 0.95, 0.99], np.float32))
    obj, idx = fig1_candidates(cand, gts)
    assert obj == 1 and idx.tolist() == [2]
    cand['conf_final'][2] = 0.1
    obj, idx = fig1_candidates(cand, gts)
    assert obj == 0 and idx.tolist() == [1, 0]
    obj, idx = fig1_candidates(cand, gts[:0])
    assert obj is None and idx.tolist() == [0, 1]


def test_candidates_per_object():
    """Each candidate goes to the object it overlaps most (if by min_iou);
    per object at most ``num``, by conf_cls."""
    objects = np.array([[0, 0, 100, 100], [80, 0, 180, 100]], np.float32)
    cand = dict(
        bboxes=np.array([
            [0, 0, 100, 100],  # object 0, IoU 1
            [10, 0, 110, 100],  # object 0 (IoU .82), object 1 (IoU .18)
            [75, 0, 175, 100],  # object 1 (IoU .90), object 0 (.14)
            [0, 0, 50, 50],  # object 0, IoU .25 < .3: nobody's
            [300, 300, 400, 400],  # nobody's
            [5, 0, 105, 100],  # object 0, IoU .90
        ], np.float32),
        labels=np.zeros(6, np.int64),
        conf_final=np.linspace(0.9, 0.4, 6).astype(np.float32),
        conf_cls=np.array([0.2, 0.9, 0.5, 0.99, 0.99, 0.6], np.float32))
    groups = candidates_per_object(cand, objects, num=2, min_iou=0.3)
    assert [g.tolist() for g in groups] == [[1, 5], [2]]
    groups = candidates_per_object(cand, objects, num=4, min_iou=0.2)
    assert [g.tolist() for g in groups] == [[3, 1, 5, 0], [2]]
    assert [g.tolist() for g in candidates_per_object(
        cand, objects[:0])] == []
    none = dict(cand, labels=np.zeros(0), bboxes=np.zeros((0, 4)))
    assert [g.size for g in candidates_per_object(none, objects)] == [0, 0]
