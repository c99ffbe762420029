"""LocQualityMetric: the head's pre-NMS switch, the metric on constructed
data samples (values by hand), equality with the benchmark's calibration
part on a random LED over real VOC images, and the `tools/test.py` switch."""
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.registry import METRICS, MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmdet_led  # noqa: F401  (registers LEDHead, LocQualityMetric)
from conftest import REPO, run_tool, small_led_head_cfg, write_config
from mmdet_led.evaluation.functional import correlation_table
from mmdet_led.evaluation.metrics import LocQualityMetric
from mmdet_led.models.utils.le_scoring import combine_scores

CPU_LED = 'ledlite_mobilenetv2_192_voc07_cpu.py'
GT_BOX = [0., 0., 10., 10.]
# true IoU with GT_BOX: 1, .5, .25, 0
BOXES = [[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 5, 5], [20, 20, 30, 30]]


def sample(boxes, true_iou, final, gt_label=0, loc_quality=True):
    """A data sample (as the evaluator passes it) with one object and
    candidates of class ``gt_label`` whose signals are exact functions of
    the true IoU: conf_loc = .5 IoU + .25, conf_cls = 1 - .5 IoU,
    IoD = 1 and IoG = IoU (so IoU' = IoU), predicted IoU constant."""
    t = torch.tensor(true_iou)
    cands = InstanceData(
        bboxes=torch.as_tensor(boxes, dtype=torch.float32),
        labels=torch.full((len(t), ), gt_label),
        scores=torch.tensor(final),
        cls_scores=1 - 0.5 * t,
        loc_scores=0.5 * t + 0.25)
    if loc_quality:
        cands.loc_quality = torch.stack(
            [torch.full_like(t, 0.5), torch.ones_like(t), t], 1)
    s = DetDataSample(pred_candidates=cands)
    s.gt_instances = InstanceData(
        bboxes=torch.tensor([GT_BOX]), labels=torch.tensor([gt_label]))
    s.ignored_instances = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    s.pred_instances = InstanceData(loc_scores=torch.zeros(0))
    return s


def evaluate(samples, **kwargs):
    evaluator = Evaluator([dict(type='LocQualityMetric', **kwargs)])
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_registered_and_listed_next_to_vocmetric():
    init_default_scope('mmdet')
    evaluator = Evaluator([
        dict(type='VOCMetric', metric='mAP', eval_mode='11points'),
        dict(type='LocQualityMetric', iou_thr=0.5)
    ])
    assert isinstance(evaluator.metrics[1], LocQualityMetric)
    assert METRICS.get('LocQualityMetric') is LocQualityMetric
    assert evaluator.metrics[1].iou_thr == 0.5


def test_metric_values_by_hand():
    init_default_scope('mmdet')
    images = [
        sample(BOXES, [1, .5, .25, 0], [.8, .6, .4, .2]),
        sample([[0, 0, 10, 10]], [1.], [.9], gt_label=1),
    ]
    m = evaluate(images, num_bins=2, reliability_bins=2)
    p = 'loc_quality/'
    # linear in the true IoU: +1 / -1; the constant predicted IoU: NaN
    for s, r in (('conf_loc', 1), ('iou_derived', 1), ('conf_cls', -1)):
        assert m[f'{p}pearson_{s}'] == pytest.approx(r)
        assert m[f'{p}spearman_{s}'] == pytest.approx(r)
    assert math.isnan(m[f'{p}pearson_pred_iou'])
    # final (.8 .6 .4 .2 .9) vs IoU (1 .5 .25 0 1): ranks (4 3 2 1 5) vs
    # (4.5 3 2 1 4.5): 9.5 / sqrt(10 * 9.5)
    assert m[f'{p}spearman_conf_final'] == pytest.approx(math.sqrt(0.95))
    # LaECE(final), 2 bins. Class 0: .8 takes the object (acc 1), .6 and
    # .4 find it taken, .2 is below tau (acc 0): bin [.5, 1] |.7 - .5| and
    # bin [0, .5) |.3 - 0|, each half: .25. Class 1: |.9 - 1| = .1.
    assert m[f'{p}laece_conf_final'] == pytest.approx((0.25 + 0.1) / 2)
    # LaECE(loc): conf_loc (.75 .5 .375 .25 | .75): the same matching
    # order; class 0: |.625 - .5| / 2 + |.3125 - 0| / 2; class 1: .25
    assert m[f'{p}laece_conf_loc'] == pytest.approx(
        (0.125 / 2 + 0.3125 / 2 + 0.25) / 2)
    # LaECE(cls): conf_cls (.5 .75 .875 1 | .5): the worst box (1.0)
    # comes first but is below tau; .875 (IoU .25) takes the object.
    # class 0: bin [.5, 1] holds all four: |.78125 - .0625|; class 1: .5
    assert m[f'{p}laece_conf_cls'] == pytest.approx(
        (0.78125 - 0.0625 + 0.5) / 2)
    assert m[f'{p}num_candidates'] == 5
    assert m[f'{p}mean_true_iou'] == pytest.approx(2.75 / 5)


def test_object_ranking_by_hand():
    init_default_scope('mmdet')
    images = [
        sample(BOXES, [1, .5, .25, 0], [.8, .6, .4, .2]),
        sample([[0, 0, 10, 10]], [1.], [.9], gt_label=1),
    ]
    p = 'loc_quality/'
    # the object of image 0 owns its candidates of IoU 1 and .5 (the
    # others are under object_iou_thr); image 1's object has one
    m = evaluate(images, reliability_bins=None, min_object_candidates=2)
    # IoU (1, .5): conf_loc (.75, .5), IoU' (1, .5) and final (.8, .6)
    # rank them right, conf_cls (.5, .75) backwards, the constant
    # predicted IoU not at all
    for s, r in (('conf_loc', 1), ('iou_derived', 1), ('conf_final', 1),
                 ('conf_cls', -1)):
        assert m[f'{p}object_spearman_{s}'] == pytest.approx(r)
        assert m[f'{p}num_objects_{s}'] == 1
    assert math.isnan(m[f'{p}object_spearman_pred_iou'])
    assert m[f'{p}num_objects_pred_iou'] == 0
    m = evaluate(images, reliability_bins=None, object_iou_thr=0.25,
                 min_object_candidates=3)
    assert m[f'{p}num_objects_conf_loc'] == 1
    assert m[f'{p}object_spearman_conf_loc'] == pytest.approx(1)
    assert m[f'{p}object_spearman_conf_cls'] == pytest.approx(-1)
    m = evaluate(images, reliability_bins=None)  # 5 candidates per object
    assert m[f'{p}num_objects_conf_loc'] == 0
    assert math.isnan(m[f'{p}object_spearman_conf_loc'])


def test_without_loc_quality_reports_the_rest():
    init_default_scope('mmdet')
    m = evaluate([sample(BOXES, [1, .5, .25, 0], [.8, .6, .4, .2],
                         loc_quality=False)], reliability_bins=None)
    assert 'loc_quality/pearson_pred_iou' not in m
    assert m['loc_quality/pearson_conf_loc'] == pytest.approx(1)


def test_clear_errors_without_candidates():
    init_default_scope('mmdet')
    off = sample(BOXES, [1, .5, .25, 0], [.8, .6, .4, .2])
    del off.pred_candidates
    with pytest.raises(ValueError, match='prenms_candidates'):
        evaluate([off])
    del off.pred_instances.loc_scores  # a plain SSDHead's predictions
    with pytest.raises(ValueError, match='no loc_scores.*SSDHead'):
        evaluate([off])
    empty = sample(torch.zeros(0, 4), [], [])
    with pytest.raises(ValueError, match='score_thr'):
        evaluate([empty])


def small_head(**test_cfg) -> torch.nn.Module:
    """An LEDHead over 2 levels of a 64x64 image, 3 classes."""
    cfg = small_led_head_cfg(
        test_cfg=dict(score_thr_on='cls', **test_cfg), with_train_cfg=False)
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(cfg)).eval()

def head_inputs():
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(2, 8, 4, 4, generator=g),
         torch.randn(2, 16, 2, 2, generator=g))
    metas = [
        dict(img_shape=(64, 64), ori_shape=(128, 96),
             scale_factor=(64 / 96, 64 / 128))
        for _ in range(2)
    ]
    return x, [DetDataSample(metainfo=m) for m in metas]


def test_head_switch_adds_candidates_and_keeps_detections():
    x, off_samples = head_inputs()
    _, on_samples = head_inputs()
    with torch.no_grad():
        off = small_head().predict(x, off_samples, rescale=True)
        on_head = small_head(
            prenms_candidates=dict(topk=30, score_thr=0.04))
        on = on_head.predict(x, on_samples, rescale=True)
    assert all('pred_candidates' not in s for s in off_samples)
    for a, b, s in zip(off, on, on_samples):
        for key in ('bboxes', 'scores', 'labels', 'cls_scores', 'loc_scores'):
            assert torch.equal(a[key], b[key]), key
        c = s.pred_candidates
        assert len(c) == 30  # 3 classes x 80 anchors, most above .04
        assert (c.scores[:-1] >= c.scores[1:]).all()
        assert (c.scores > 0.04).all()  # on the final confidence
        assert torch.allclose(
            c.scores, combine_scores(c.cls_scores, c.loc_scores))
        assert c.loc_quality.shape == (30, 3)
        # original image coordinates (96 x 128, the input 64 x 64)
        assert c.bboxes[:, 2].max() > 64 and c.bboxes[:, 3].max() > 64


def led_model_and_loader(voc_root, num_images: int, topk: int):
    """A randomly initialized CPU LED with the candidate switch on, and a
    test loader over the first real VOC2007 test images."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(REPO / 'configs' / 'led' / CPU_LED)
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.prenms_candidates = dict(topk=topk, score_thr=0.01)
    cfg.test_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.update(
        data_root=f'{voc_root}/', indices=num_images)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    return model, Runner.build_dataloader(cfg.test_dataloader)


@pytest.mark.slow
def test_equals_the_benchmark_calibration(voc_root):
    """Same candidates and same correlations as the benchmark's
    calibration part, on the head's raw outputs of the same pass."""
    model, loader = led_model_and_loader(voc_root, 2, topk=100)
    evaluator = Evaluator([LocQualityMetric(reliability_bins=None)])
    raw = dict(metas=[], outs=[], anns=[])
    cands = []
    outs = []
    hook = model.bbox_head.register_forward_hook(
        lambda module, args, out: outs.append(out))
    with torch.no_grad():
        for batch in loader:
            samples = model.test_step(batch)
            evaluator.process(samples, batch)
            for i, s in enumerate(samples):
                raw['metas'].append(s.metainfo)
                raw['outs'].append([[t[i] for t in kind]
                                    for kind in outs[-1]])
                raw['anns'].append(dict(bboxes=s.gt_instances.bboxes))
                cands.append(s.pred_candidates)
    hook.remove()
    metrics = evaluator.evaluate(len(loader.dataset))
    from benchmarks.harness.analyses.calibration import run_candidates
    from benchmarks.harness.registry import (CALIB_SCORE_THR, CALIB_SIGNALS,
                                             CALIB_TOPK)
    assert (CALIB_TOPK, CALIB_SCORE_THR) == (100, 0.01)
    assert CALIB_SIGNALS == LocQualityMetric.SIGNALS
    ref = run_candidates(
        SimpleNamespace(model=model, raw=raw,
                        test_cfg=model.bbox_head.test_cfg))
    for mine, theirs in zip(cands, ref):
        assert len(mine) == 100
        assert np.array_equal(mine.bboxes.numpy(), theirs['bboxes'])
        assert np.array_equal(mine.scores.numpy(), theirs['conf_final'])
        assert np.array_equal(mine.loc_scores.numpy(), theirs['conf_loc'])
    cat = {
        k: np.concatenate([c[k] for c in ref])
        for k in LocQualityMetric.SIGNALS + ('true_iou', )
    }
    table = correlation_table({s: cat[s]
                               for s in LocQualityMetric.SIGNALS},
                              cat['true_iou'])
    for s in LocQualityMetric.SIGNALS:
        for stat in ('pearson', 'spearman'):
            assert metrics[f'loc_quality/{stat}_{s}'] == table[s][stat]
    assert metrics['loc_quality/num_candidates'] == cat['true_iou'].size
    assert metrics['loc_quality/mean_true_iou'] == pytest.approx(
        cat['true_iou'].mean(), rel=1e-12)


@pytest.mark.slow
def test_tools_test_turns_it_on_with_cfg_options(voc_root, tmp_path):
    """docs/calibration.md's command: a plain tools/test.py run with
    --cfg-options switching the candidates on and the test evaluator to the
    metric."""
    model, _ = led_model_and_loader(voc_root, 4, topk=100)
    ckpt = tmp_path / 'random_led.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    cfg = write_config(
        tmp_path / 'led_voc4.py', CPU_LED,
        'model = dict(backbone=dict(init_cfg=None))\n'
        'test_dataloader = dict(batch_size=2, num_workers=0, '
        'persistent_workers=False, '
        f"dataset=dict(data_root='{voc_root}/', indices=4))\n")
    out = run_tool('tools/test.py', cfg, ckpt, '--work-dir', tmp_path / 'w',
                   '--cfg-options', 'model.test_cfg.prenms_candidates.topk=100',
                   'test_evaluator._delete_=True',
                   'test_evaluator.type=LocQualityMetric')
    found = dict(re.findall(r'loc_quality/(\w+): (\S+)', out))
    signals = LocQualityMetric.SIGNALS
    assert {f'{stat}_{s}' for stat in ('pearson', 'spearman')
            for s in signals} <= set(found)
    for s in signals:
        assert -1 <= float(found[f'pearson_{s}']) <= 1
    for s in LocQualityMetric.LAECE_SIGNALS:
        # NaN where no class has both objects and candidates (random model)
        value = float(found[f'laece_{s}'])
        assert math.isnan(value) or 0 <= value <= 1
    assert int(found['num_candidates']) == 4 * 100
    assert 'mean true IoU (candidates) per bin' in out
