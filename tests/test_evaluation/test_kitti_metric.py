"""Tests of the KITTI 2D evaluation (functional), KittiMetric and the CLI.

AP values follow the official devkit (``evaluate_object.cpp``): precision is
sampled at up to 41 score thresholds chosen by ``getThresholds`` (about one
per 1/40 of recall), made monotone, then AP|R40 = mean of points 1..40 and
AP|R11 = mean of points 0, 4, ..., 40. With fewer than 41 valid ground truth
boxes there are fewer than 41 thresholds and the missing points count as 0
(a devkit property), so the "perfect detector" cases below use 41 boxes.
"""
import json
import random
import sys
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest
import torch

from mmdet_led.datasets.kitti_utils import (format_kitti_result_line,
                                            parse_kitti_label_file,
                                            parse_kitti_label_text)
from mmdet_led.evaluation.functional import (get_thresholds, image_box_overlap,
                                             kitti_eval_2d)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / '..' / 'shared' / 'data'
LABELS = DATA / 'kitti_labels' / 'training' / 'label_2'
LEVELS = ('easy', 'moderate', 'hard')

Box = Tuple[float, float, float, float]


def gt(obj_type: str = 'Car',
       bbox: Box = (100., 100., 200., 200.),
       truncated: float = 0.,
       occluded: int = 0) -> dict:
    """A ground truth label dict."""
    return dict(
        type=obj_type, bbox=list(bbox), truncated=truncated, occluded=occluded)


def det(bbox: Box = (100., 100., 200., 200.),
        score: float = 0.5,
        obj_type: str = 'Car') -> dict:
    """A detection dict."""
    return dict(type=obj_type, bbox=list(bbox), score=score)


def perfect_images(n: int = 41, **gt_kwargs) -> Tuple[list, list]:
    """``n`` images, each with one ground truth and its exact detection.

    Scores are distinct, 0.5 + i / 1000 (all below 0.95).
    """
    gts = [[gt(**gt_kwargs)] for _ in range(n)]
    dets = [[det(tuple(g[0]['bbox']), 0.5 + i / 1000, g[0]['type'])]
            for i, g in enumerate(gts)]
    return gts, dets


def aps(result: dict, cls: str = 'Car') -> dict:
    """``{level: (AP_R11, AP_R40)}`` of one class."""
    return {
        lvl: (result[cls][lvl]['AP_R11'], result[cls][lvl]['AP_R40'])
        for lvl in LEVELS
    }


def assert_all(result: dict,
               r11: float,
               r40: float,
               cls='Car',
               levels=LEVELS) -> None:
    for lvl in levels:
        assert result[cls][lvl]['AP_R11'] == pytest.approx(r11, abs=1e-9)
        assert result[cls][lvl]['AP_R40'] == pytest.approx(r40, abs=1e-9)


# ---------------------------------------------------------------- helpers


def test_image_box_overlap_criteria():
    a = np.array([[0., 0., 10., 10.]])
    b = np.array([[5., 0., 15., 10.], [20., 20., 30., 30.]])
    np.testing.assert_allclose(image_box_overlap(a, b, -1), [[50 / 150, 0]])
    np.testing.assert_allclose(image_box_overlap(a, b, 0), [[0.5, 0]])
    np.testing.assert_allclose(
        image_box_overlap(a, np.array([[0., 0., 5., 5.]]), 1), [[1.0]])
    assert image_box_overlap(np.zeros((0, 4)), b).shape == (0, 2)


def test_get_thresholds_devkit_rule():
    # every score is kept while recall steps are >= 1/40
    assert get_thresholds([0.1, 0.9, 0.5], 3) == [0.9, 0.5, 0.1]
    assert len(get_thresholds(np.linspace(0, 1, 40), 40)) == 40
    # 80 GT: ranks 1, 2, 4, 6, ..., 80 -> 41 thresholds
    scores = list(np.arange(80, 0, -1) / 100.)
    th = get_thresholds(scores, 80)
    assert len(th) == 41
    assert th[:4] == [scores[0], scores[1], scores[3], scores[5]]
    assert th[-1] == scores[-1]
    assert get_thresholds([], 0) == []


# ------------------------------------------------------ hand-computed APs


def test_perfect_detector_is_100_at_all_levels():
    gts, dets = perfect_images(41)
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)


def test_perfect_detector_few_gt_devkit_sampling():
    # 40 GT -> 40 thresholds -> point 40 stays 0: R40 = 39/40, R11 = 10/11
    gts, dets = perfect_images(40)
    assert_all(kitti_eval_2d(gts, dets), 1000 / 11, 97.5)
    # one GT -> one threshold -> only point 0 is 1
    gts, dets = perfect_images(1)
    assert_all(kitti_eval_2d(gts, dets), 100 / 11, 0.)


def test_two_gt_tp_fp_tp():
    """2 GT; detections 0.9 TP, 0.8 FP, 0.7 TP.

    Thresholds (getThresholds over the TP scores 0.9, 0.7 with 2 GT):
    both scores. At 0.9: TP 1, FP 0 -> precision 1; at 0.7: TP 2, FP 1 ->
    2/3. Monotone precision [1, 2/3, 0, ...] (41 points).
    AP|R11 = (1 + 0 * 10) / 11; AP|R40 = (2/3) / 40.
    """
    gts = [[gt(bbox=(100, 100, 200, 200)), gt(bbox=(300, 100, 400, 200))]]
    dets = [[
        det((100, 100, 200, 200), 0.9),
        det((600, 100, 700, 200), 0.8),
        det((300, 100, 400, 200), 0.7)
    ]]
    assert_all(kitti_eval_2d(gts, dets), 100 / 11, 100 * (2 / 3) / 40)


def test_eighty_gt_with_one_fp_in_the_middle():
    """80 GT (one per image) all found, one FP ranked between TP 40 and 41.

    Thresholds: TP ranks 1, 2, 4, ..., 80 (41 of them); threshold k >= 1 is
    the score of TP 2k, so the FP is counted from k = 21 on: precision
    1 for k <= 20 and 2k / (2k + 1) for k >= 21, monotone: 80/81 for
    k >= 21. AP|R40 = (20 + 20 * 80/81) / 40, AP|R11 = (6 + 5 * 80/81) / 11.
    """
    gts, dets = perfect_images(80)
    scores = [0.9 - i / 1000 for i in range(80)]
    for d, s in zip(dets, scores):
        d[0]['score'] = s
    dets[0].append(det((500, 100, 600, 200), (scores[39] + scores[40]) / 2))
    r40 = 100 * (20 + 20 * 80 / 81) / 40
    r11 = 100 * (6 + 5 * 80 / 81) / 11
    assert_all(kitti_eval_2d(gts, dets), r11, r40)


def test_top_scoring_fp_and_low_scoring_fp():
    # FP above all 41 TPs: precision (k+1)/(k+2), monotone -> 41/42 everywhere
    gts, dets = perfect_images(41)
    dets[0].append(det((500, 100, 600, 200), 0.99))
    assert_all(kitti_eval_2d(gts, dets), 100 * 41 / 42, 100 * 41 / 42)
    # FP below all TPs never passes a threshold
    dets[0][-1]['score'] = 0.01
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)


@pytest.mark.parametrize('y2,is_tp', [(169., False), (170., False),
                                      (171., True)])
def test_iou_threshold_car(y2, is_tp):
    # GT 100x100; detection of height 69/70/71 -> IoU 0.69/0.70/0.71;
    # a TP needs IoU > 0.7 (strictly)
    gts, dets = perfect_images(41)
    for d in dets:
        d[0]['bbox'][3] = y2
    assert_all(kitti_eval_2d(gts, dets), 100. * is_tp, 100. * is_tp)


def test_iou_threshold_pedestrian_is_half():
    gts, dets = perfect_images(41, obj_type='Pedestrian')
    for d in dets:
        d[0]['bbox'][3] = 151.  # IoU 0.51
    res = kitti_eval_2d(gts, dets, classes=('Pedestrian', ))
    assert_all(res, 100., 100., cls='Pedestrian')


def test_detection_in_dontcare_is_neither_tp_nor_fp():
    gts, dets = perfect_images(41)
    gts[0].append(gt('DontCare', (500, 100, 600, 200), -1, -1))
    dets[0].append(det((510, 110, 590, 190), 0.99))  # fully inside
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)
    # the devkit's criterion is intersection / detection area > min overlap
    # (0.7 for Car): a detection 60 % inside a DontCare area is a FP
    dets[0][-1]['bbox'] = [460., 100., 560., 200.]
    assert_all(kitti_eval_2d(gts, dets), 100 * 41 / 42, 100 * 41 / 42)
    # ... and 80 % inside is swallowed
    dets[0][-1]['bbox'] = [480., 100., 580., 200.]
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)


def test_van_does_not_count_against_car():
    gts, dets = perfect_images(41)
    # an undetected Van is no FN; a Car detection on a Van is no FP
    gts[0].append(gt('Van', (500, 100, 600, 200)))
    gts[1].append(gt('Van', (700, 100, 800, 200)))
    dets[1].append(det((700, 100, 800, 200), 0.99))
    # detections of other types are not evaluated for Car
    dets[2].append(det((900, 100, 1000, 200), 0.99, 'Van'))
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)
    # a Truck is not a neighbouring class: the Car detection on it is a FP
    gts[1][-1]['type'] = 'Truck'
    assert_all(kitti_eval_2d(gts, dets), 100 * 41 / 42, 100 * 41 / 42)


def test_person_sitting_does_not_count_against_pedestrian():
    gts, dets = perfect_images(41, obj_type='Pedestrian')
    gts[0].append(gt('Person_sitting', (500, 100, 600, 200)))
    dets[0].append(det((500, 100, 600, 200), 0.99, 'Pedestrian'))
    gts[1].append(gt('Person_sitting', (700, 100, 800, 200)))
    res = kitti_eval_2d(gts, dets, classes=('Pedestrian', ))
    assert_all(res, 100., 100., cls='Pedestrian')


@pytest.mark.parametrize(
    'gt_kwargs,expected',
    [
        (dict(occluded=1), (0., 100., 100.)),
        (dict(occluded=2), (0., 0., 100.)),
        (dict(occluded=3), (0., 0., 0.)),
        (dict(truncated=0.15), (100., 100., 100.)),
        (dict(truncated=0.2), (0., 100., 100.)),
        (dict(truncated=0.4), (0., 0., 100.)),
        (dict(truncated=0.5), (0., 0., 100.)),
        (dict(truncated=0.6), (0., 0., 0.)),
        (dict(bbox=(100., 100., 200., 141.)), (100., 100., 100.)),
        (dict(bbox=(100., 100., 200., 140.)), (0., 100., 100.)),  # h=40
        (dict(bbox=(100., 100., 200., 126.)), (0., 100., 100.)),
        (dict(bbox=(100., 100., 200., 125.)), (0., 0., 0.)),  # h=25
    ])
def test_difficulty_levels(gt_kwargs, expected):
    """GT outside a level is ignored (no FN) and absorbs its detection."""
    gts, dets = perfect_images(41, **gt_kwargs)
    res = kitti_eval_2d(gts, dets)
    for lvl, ap in zip(LEVELS, expected):
        assert res['Car'][lvl]['AP_R11'] == pytest.approx(ap)
        assert res['Car'][lvl]['AP_R40'] == pytest.approx(ap)


def test_ignored_gt_absorbs_detection_and_small_detections_are_ignored():
    gts, dets = perfect_images(41)
    # an occluded car (ignored in easy) detected with the top score
    gts[0].append(gt(bbox=(500, 100, 600, 200), occluded=1))
    dets[0].append(det((500, 100, 600, 200), 0.99))
    # a detection lower than 25 px somewhere: ignored at every level
    dets[1].append(det((700, 100, 800, 120), 0.99))
    res = kitti_eval_2d(gts, dets)
    assert_all(res, 100., 100.)
    # a 30 px high FP is ignored in easy (< 40 px) but counts from moderate
    dets[1][-1]['bbox'] = [700., 100., 800., 130.]
    res = kitti_eval_2d(gts, dets)
    assert aps(res)['easy'] == pytest.approx((100., 100.))
    # moderate/hard: 42 GT (the occluded car counts), 42 TPs, one top FP:
    # 41 thresholds, precision tp / (tp + 1) rising to 42/43 at the last
    assert aps(res)['moderate'] == pytest.approx((100 * 42 / 43, ) * 2)


def test_images_without_gt_or_detections():
    gts, dets = perfect_images(41)
    gts += [[], [gt('DontCare', (0, 0, 50, 50), -1, -1)], []]
    dets += [[], [], [det((0, 0, 10, 50), 0.01)]]  # low FP, below all TPs
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)
    # no ground truth of the class at all -> AP 0, no error
    assert_all(kitti_eval_2d([[], []], [[det()], []]), 0., 0.)
    assert_all(kitti_eval_2d([[]], [[]]), 0., 0.)


def test_class_names_are_case_insensitive_and_unknown_classes_fail():
    gts, dets = perfect_images(41)
    for d in dets:
        d[0]['type'] = 'car'
    assert_all(kitti_eval_2d(gts, dets), 100., 100.)
    with pytest.raises(ValueError, match='Van'):
        kitti_eval_2d(gts, dets, classes=('Van', ))
    res = kitti_eval_2d(gts, dets, classes=('Van', ), min_overlaps={'Van': .7})
    assert_all(res, 0., 0., cls='Van')
    with pytest.raises(ValueError, match='ground truth for 41 images'):
        kitti_eval_2d(gts, dets[:-1])


# ------------------------------------- official devkit on genuine labels

#: Output of the official devkit (evaluate_object.cpp, 2D part compiled
#: with g++ 12, N_SAMPLE_PTS=41; AP|R11 = mean of points 0,4,..,40,
#: AP|R40 = mean of points 1..40) on the genuine labels of the images
#: 000000, 000025, ..., 007475 (300 images) and the result files written
#: by ``devkit_case_results()`` below.
DEVKIT_PINNED = {
    'Car': {
        'AP_R11': (37.4197563512, 42.5094891258, 41.2852893586),
        'AP_R40': (35.8849659251, 39.5981211512, 40.9752855281)
    },
    'Pedestrian': {
        'AP_R11': (34.4459687365, 33.2926860884, 34.7513131578),
        'AP_R40': (32.3913927171, 33.8098830837, 33.5000469031)
    },
    'Cyclist': {
        'AP_R11': (14.1333701543, 25.0947733837, 25.4491410229),
        'AP_R40': (12.1151378745, 23.5593984868, 24.1158943597)
    },
}
DEVKIT_IDS = [f'{i:06d}' for i in range(0, 7481, 25)]


def _jitter(bbox: List[float], noise: float, rng: random.Random) -> list:
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    b = [
        bbox[0] + rng.gauss(0, noise) * w, bbox[1] + rng.gauss(0, noise) * h,
        bbox[2] + rng.gauss(0, noise) * w, bbox[3] + rng.gauss(0, noise) * h
    ]
    return [min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])]


def devkit_case_results(gts: List[List[dict]], seed: int = 0) -> List[str]:
    """Result-file texts built from ground truth: jittered boxes (some
    missed, some duplicated, some with the wrong class), detections in
    DontCare areas and random false positives; seeded."""
    rng = random.Random(seed)
    as_type = {'Van': 'Car', 'Truck': 'Car', 'Person_sitting': 'Pedestrian'}
    texts = []
    for objs in gts:
        lines = []
        for o in objs:
            t, b = o['type'], o['bbox']
            if t == 'DontCare':
                if rng.random() < 0.3:
                    w, h = b[2] - b[0], b[3] - b[1]
                    box = [b[0] + .05 * w, b[1] + .05 * h, b[2] - .1 * w, b[3]]
                    lines.append(('Car', box, rng.random()))
                continue
            if t not in ('Car', 'Van', 'Truck', 'Pedestrian', 'Person_sitting',
                         'Cyclist') or rng.random() < .15:
                continue
            noise = rng.choice([0.01, 0.03, 0.05, 0.1, 0.2])
            dt = as_type.get(t, t)
            if rng.random() < 0.1:
                dt = rng.choice(['Car', 'Pedestrian', 'Cyclist'])
            score = min(1., max(0., 1 - 3 * noise + rng.gauss(0, .1))) \
                if rng.random() < 0.7 else rng.random()
            box = _jitter(b, noise, rng)
            lines.append((dt, box, score))
            if rng.random() < 0.15:
                lines.append((dt, _jitter(box, 0.02, rng), rng.random()))
        for _ in range(rng.randint(0, 4)):
            x, y = rng.uniform(0, 1150), rng.uniform(100, 330)
            box = [x, y, x + rng.uniform(10, 200), y + rng.uniform(10, 120)]
            lines.append((rng.choice(['Car', 'Car', 'Pedestrian',
                                      'Cyclist']), box, rng.random()))
        texts.append(''.join(
            f'{t} -1 -1 -10 {b[0]:.2f} {b[1]:.2f} {b[2]:.2f} {b[3]:.2f} '
            f'-1 -1 -1 -1000 -1000 -1000 -10 {s:.4f}\n' for t, b, s in lines))
    return texts


def _genuine_gts(ids: List[str]) -> List[List[dict]]:
    if not LABELS.is_dir():
        pytest.skip(f'genuine KITTI labels not found at {LABELS}')
    return [parse_kitti_label_file(str(LABELS / f'{i}.txt')) for i in ids]


def test_matches_official_devkit_on_genuine_labels():
    """Our AP equals the official devkit's on realistic ground truth.

    The pinned numbers come from compiling the 2D part of the official
    ``evaluate_object.cpp`` and running it on the same label and result
    files (written from ``devkit_case_results``); the precision vectors of
    the two implementations were identical (bit for bit) on this and on
    larger cases (all 7481 labels).
    """
    gts = _genuine_gts(DEVKIT_IDS)
    dets = [
        parse_kitti_label_text(t, with_score=True)
        for t in devkit_case_results(gts)
    ]
    res = kitti_eval_2d(gts, dets, classes=('Car', 'Pedestrian', 'Cyclist'))
    for cls, kinds in DEVKIT_PINNED.items():
        for kind, values in kinds.items():
            got = [res[cls][lvl][kind] for lvl in LEVELS]
            np.testing.assert_allclose(got, values, rtol=0, atol=1e-8)


# ------------------------------------------------------------ KittiMetric


def _data_sample(img_id: str, annos: list, bboxes: list, scores: list,
                 labels: list) -> dict:
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=dict(img_id=img_id, kitti_annos=annos))
    pred = InstanceData()
    pred.bboxes = torch.tensor(bboxes, dtype=torch.float32).reshape(-1, 4)
    pred.scores = torch.tensor(scores, dtype=torch.float32)
    pred.labels = torch.tensor(labels, dtype=torch.long)
    sample.pred_instances = pred
    return sample


def _run_metric(samples: list, classes=('Car', ), **kwargs) -> dict:
    from mmengine.evaluator import Evaluator

    from mmdet_led.evaluation.metrics import KittiMetric
    evaluator = Evaluator(KittiMetric(**kwargs))
    evaluator.dataset_meta = dict(classes=classes)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_kitti_metric_keys_and_values(tmp_path):
    gts, dets = perfect_images(41)
    dets[0].append(det((500, 100, 600, 200), 0.99))  # top FP -> 41/42
    samples = [
        _data_sample(f'{i:06d}', g, [d['bbox'] for d in ds],
                     [d['score'] for d in ds], [0] * len(ds))
        for i, (g, ds) in enumerate(zip(gts, dets))
    ]
    out = tmp_path / 'results'
    metrics = _run_metric(samples, outfile_prefix=str(out))
    expected = {
        f'kitti/Car_{lvl}_{kind}': 100 * 41 / 42
        for lvl in LEVELS
        for kind in ('AP_R40', 'AP_R11')
    }
    assert set(metrics) == set(expected)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-4)
    # KITTI result files: one per image, 16 fields, devkit's invalid 3D
    assert sorted(
        p.name for p in out.iterdir()) == [f'{i:06d}.txt' for i in range(41)]
    lines = (out / '000000.txt').read_text().splitlines()
    assert lines[1].split() == [
        'Car', '-1', '-1', '-10', '500.0000', '100.0000', '600.0000',
        '200.0000', '-1', '-1', '-1', '-1000', '-1000', '-1000', '-10',
        '0.990000'
    ]
    assert len(parse_kitti_label_file(str(out / '000000.txt'), True)) == 2


def test_kitti_metric_multiclass_and_format_only(tmp_path):
    annos = [gt('Car'), gt('Pedestrian', (300, 100, 350, 200))]
    sample = _data_sample('000007', annos,
                          [[100, 100, 200, 200], [300, 100, 350, 200]],
                          [0.9, 0.8], [0, 1])
    metrics = _run_metric([sample], classes=('Car', 'Pedestrian'))
    assert metrics['kitti/Pedestrian_easy_AP_R11'] == pytest.approx(100 / 11)
    assert metrics['kitti/Car_hard_AP_R40'] == 0.
    out = tmp_path / 'submission'
    sample = _data_sample('000008', None, [[1, 2, 30, 40]], [0.5], [1])
    assert _run_metric([sample],
                       classes=('Car', 'Pedestrian'),
                       outfile_prefix=str(out),
                       format_only=True) == {}
    assert (out / '000008.txt').read_text().startswith('Pedestrian -1 -1 -10')


def test_kitti_metric_needs_raw_labels():
    from mmdet_led.evaluation.metrics import KittiMetric
    metric = KittiMetric()
    metric.dataset_meta = dict(classes=('Car', ))
    sample = _data_sample('000000', None, [], [], []).to_dict()
    with pytest.raises(KeyError, match='kitti_annos'):
        metric.process({}, [sample])
    with pytest.raises(ValueError, match='outfile_prefix'):
        KittiMetric(format_only=True)


def test_format_kitti_result_line_roundtrip():
    line = format_kitti_result_line('Car', [1.23456, 2, 3, 4], 0.123456789)
    anno = parse_kitti_label_text(line, with_score=True)[0]
    assert anno['bbox'] == pytest.approx([1.2346, 2, 3, 4])
    assert anno['score'] == pytest.approx(0.123457)
    assert anno['location'] == [-1000, -1000, -1000]


# --------------------------------------------------------------- the CLI


def _write_folder(folder: Path, texts: dict) -> None:
    folder.mkdir(parents=True)
    for name, text in texts.items():
        (folder / f'{name}.txt').write_text(text)


def _label_line(t, b, trunc=0., occ=0):
    return (f'{t} {trunc:.2f} {occ} 0 {b[0]:.2f} {b[1]:.2f} {b[2]:.2f} '
            f'{b[3]:.2f} 1.5 1.6 3.9 1 2 30 0\n')


def test_eval_kitti_cli_writes_json(tmp_path, capsys):
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import eval_kitti
    finally:
        sys.path.pop(0)
    # 2 GT in 000000, nothing in 000001; detections TP 0.9, FP 0.8, TP 0.7
    # (the two-GT case above); 000001 has no result file (= no detections)
    gt_dir, res_dir = tmp_path / 'label_2', tmp_path / 'data'
    _write_folder(
        gt_dir, {
            '000000':
            _label_line('Car', (100, 100, 200, 200)) +
            _label_line('Car', (300, 100, 400, 200)) +
            _label_line('DontCare', (0, 0, 50, 50), -1, -1),
            '000001':
            '',
        })
    _write_folder(
        res_dir, {
            '000000':
            ''.join(
                format_kitti_result_line('Car', b, s) + '\n'
                for b, s in (((100, 100, 200, 200), .9),
                             ((600, 100, 700, 200), .8),
                             ((300, 100, 400, 200), .7)))
        })
    ids = tmp_path / 'ids.txt'
    ids.write_text('000000\n000001\n')
    out = tmp_path / 'out' / 'ap.json'
    eval_kitti.main([
        '--gt-dir',
        str(gt_dir), '--result-dir',
        str(res_dir), '--ids',
        str(ids), '--classes', 'Car', 'Pedestrian', '--out',
        str(out)
    ])
    printed = capsys.readouterr().out
    assert 'AP_R40' in printed and '9.09' in printed
    data = json.loads(out.read_text())
    assert list(data) == ['Car', 'Pedestrian']
    assert list(data['Car']) == list(LEVELS)
    for lvl in LEVELS:
        assert set(data['Car'][lvl]) == {'AP_R11', 'AP_R40'}
        assert data['Car'][lvl]['AP_R11'] == pytest.approx(100 / 11)
        assert data['Car'][lvl]['AP_R40'] == pytest.approx(100 * 2 / 3 / 40)
        assert data['Pedestrian'][lvl] == {'AP_R11': 0.0, 'AP_R40': 0.0}
    # without --ids every label file is used; a malformed result fails
    (res_dir / '000001.txt').write_text('Car 1 2 3\n')
    with pytest.raises(ValueError, match=r'000001.txt, line 1'):
        eval_kitti.main(
            ['--gt-dir', str(gt_dir), '--result-dir',
             str(res_dir)])
