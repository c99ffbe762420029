"""mmdet_led.evaluation.raw_outputs: the head's outputs kept by a forward
hook (the same data a wrapped predict_by_feat sees), re-scoring that
reproduces the test pass bit for bit, and the pre-NMS candidates."""
import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import bbox_overlaps
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

import mmdet_led  # noqa: F401
from conftest import REPO
from mmdet_led.evaluation.raw_outputs import (capture_head_outputs, plain,
                                              prenms_candidates,
                                              record_test_pass, rescore)
from mmdet_led.models.utils.le_scoring import derived_iou


class TwoLevelHead(nn.Module):
    """Per-level maps of three kinds, the last one None (like LED's
    le_preds in its 'det' phase)."""

    def forward(self, x):
        return [x, 2 * x[:, :, ::2]], [x + 1, x[:, :1]], None


def test_capture_splits_the_batch_per_image():
    model = nn.Module()
    model.bbox_head = TwoLevelHead()
    x = torch.arange(2 * 3 * 4.).reshape(2, 3, 4)
    with capture_head_outputs(model) as outs:
        model.bbox_head(x)
        model.bbox_head(x[:1])
    assert len(outs) == 3  # images of both calls, in order
    first = outs[0]
    assert len(first) == 2  # the None kind is left out
    assert torch.equal(first[0][0], x[0])
    assert torch.equal(first[0][1], 2 * x[0, :, ::2])
    assert torch.equal(first[1][1], x[0, :1])
    assert torch.equal(outs[1][1][0], x[1] + 1)
    assert outs[0][0][0].data_ptr() != x.data_ptr()  # copies
    model.bbox_head(x)
    assert len(outs) == 3  # the hook is gone


def test_plain_values():
    meta = dict(shape=torch.tensor([2, 3]), s=np.float32(0.5),
                a=np.array([[1, 2]]), t=(np.int64(3), [np.float64(1)]))
    assert plain(meta) == dict(shape=[2, 3], s=0.5, a=[[1, 2]], t=(3, [1.0]))
    assert type(plain(meta)['s']) is float


def toy_model_and_loader(toy_voc, config, batch_size=3):
    cfg = Config.fromfile(REPO / 'configs' / 'led' / config)
    cfg.model.backbone.init_cfg = None
    cfg.test_dataloader.update(batch_size=batch_size, num_workers=0,
                               persistent_workers=False)
    cfg.test_dataloader.dataset.data_root = f'{toy_voc}/'
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    return model, Runner.build_dataloader(cfg.test_dataloader)


def reference_pass(model, loader):
    """What a wrapped ``predict_by_feat`` receives, per image."""
    head, seen = model.bbox_head, []
    original = head.predict_by_feat

    def wrapped(*outs, batch_img_metas, **kwargs):
        for i, meta in enumerate(batch_img_metas):
            seen.append((dict(meta), [[t[i].clone() for t in kind]
                                      for kind in outs if kind is not None]))
        return original(*outs, batch_img_metas=batch_img_metas, **kwargs)

    head.predict_by_feat = wrapped
    try:
        with torch.no_grad():
            for batch in loader:
                model.test_step(batch)
    finally:
        del head.predict_by_feat
    return seen


@pytest.mark.slow
@pytest.mark.parametrize('config', ['ledlite_mobilenetv2_192_voc07_cpu.py',
                                    'ssdlite_mobilenetv2_192_voc07_cpu.py'])
def test_record_and_rescore_reproduce_the_test_pass(toy_voc, config):
    model, loader = toy_model_and_loader(toy_voc, config)
    raw = record_test_pass(model, loader)
    n = len(loader.dataset)
    assert len(raw['metas']) == len(raw['outs']) == len(raw['anns']) == n
    assert raw['classes'] == list(loader.dataset.metainfo['classes'])
    assert raw['img_ids'] == [m['img_id'] for m in raw['metas']]
    # the hook keeps what predict_by_feat is given
    for (meta, outs), m, o in zip(reference_pass(model, loader),
                                  raw['metas'], raw['outs']):
        assert plain(meta) == m
        assert len(outs) == len(o) == (3 if 'led' in config else 2)
        for ref_kind, kind in zip(outs, o):
            assert all(torch.equal(a, b) for a, b in zip(ref_kind, kind))
    # re-scoring the stored outputs gives the test pass's detections
    for res, pred in zip(
            rescore(model.bbox_head, raw, model.bbox_head.test_cfg),
            raw['preds']):
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(getattr(res, key), pred[key])
    assert sum(len(p['scores']) for p in raw['preds']) > 0


@pytest.mark.slow
def test_prenms_candidates(toy_voc):
    model, loader = toy_model_and_loader(
        toy_voc, 'ledlite_mobilenetv2_192_voc07_cpu.py')
    raw = record_test_pass(model, loader)
    head = model.bbox_head
    cands = prenms_candidates(head, raw, head.test_cfg, 0.01, 50)
    cfg = head.test_cfg.copy()
    cfg.update(score_thr=0.01, score_thr_on='conf')
    prenms = rescore(head, raw, cfg, with_nms=False)
    for c, ann, all_c in zip(cands, raw['anns'], prenms):
        k = len(c['conf_final'])
        assert k == min(50, len(all_c))
        assert (np.diff(c['conf_final']) <= 0).all()
        assert (c['conf_final'] > 0.01).all()
        np.testing.assert_array_equal(
            c['conf_final'], np.sort(all_c.scores.numpy())[::-1][:k])
        gts = ann['bboxes'].numpy()
        np.testing.assert_allclose(
            c['true_iou'], bbox_overlaps(c['bboxes'], gts).max(1),
            atol=1e-6)
        np.testing.assert_allclose(
            c['iou_derived'],
            derived_iou(torch.from_numpy(c['pred_iod']),
                        torch.from_numpy(c['pred_iog'])).numpy())
        assert set(c) >= {'conf_cls', 'conf_loc', 'pred_iou', 'true_iod',
                          'true_iog'}
    # without ground truth the true values are 0
    empty = [torch.zeros(0, 4) for _ in cands]
    none = prenms_candidates(head, raw, head.test_cfg, gt_bboxes=empty)
    assert all((c['true_iou'] == 0).all() for c in none)


@pytest.mark.slow
@pytest.mark.parametrize('config, options', [
    ('ledlite_mobilenetv2_192_voc07_cpu.py', {}),
    # an FPN head with a centerness map before the LE maps
    ('fcos/led-fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
     dict(centerness='replace')),
])
def test_rescore_with_true_quality(toy_voc, config, options):
    """The LE's estimates replaced by every prior's true IoU/IoD/IoG: each
    detection carries the true values of its own box (IoU, IoD and IoG
    keep under the per-axis rescaling to the original image), and its
    conf_loc is its true IoU (IoU' of the true IoD and IoG is the IoU)."""
    from mmdet_led.evaluation.raw_outputs import rescore_with_true_quality
    from mmdet_led.models.task_modules import loc_quality_targets
    model, loader = toy_model_and_loader(toy_voc, config)
    raw = record_test_pass(model, loader)
    head = model.bbox_head
    cfg = head.test_cfg.copy()
    cfg.update(score_mode='product', return_loc_quality=True, **options)
    results = rescore_with_true_quality(head, raw, cfg, with_nms=False)
    assert 'decode' not in vars(head.le_module)  # the estimates are back
    checked = 0
    for res, ann, meta in zip(results, raw['anns'], raw['metas']):
        assert meta['scale_factor'][0] != meta['scale_factor'][1]
        true = loc_quality_targets(res.bboxes, ann['bboxes'].float())
        torch.testing.assert_close(res.loc_quality, true, atol=1e-4,
                                   rtol=0)
        torch.testing.assert_close(res.loc_scores, true[:, 0], atol=1e-4,
                                   rtol=0)
        torch.testing.assert_close(res.scores,
                                   res.cls_scores * res.loc_scores)
        checked += int((true[:, 0] > 0).sum())
    assert checked > 0  # some boxes overlap an object
    # the LE's own estimates differ
    own = rescore(head, raw, cfg, with_nms=False)
    assert not torch.allclose(own[0].loc_quality, results[0].loc_quality)


def test_decoded_as_nests_and_restores():
    from mmdet_led.evaluation.raw_outputs import decoded_as

    class LE(nn.Module):

        def decode(self, le_pred):
            return le_pred + 1

    le, x = LE(), torch.zeros(2)
    with decoded_as(le, torch.ones(2)):
        with decoded_as(le, torch.full((2, ), 5.)):
            assert le.decode(x).tolist() == [5, 5]
        assert le.decode(x).tolist() == [1, 1]  # the outer one is back
    assert 'decode' not in vars(le) and le.decode(x).tolist() == [1, 1]
    with pytest.raises(RuntimeError):
        with decoded_as(le, torch.ones(2)):
            raise RuntimeError
    assert 'decode' not in vars(le)


def test_true_quality_needs_an_eval_head():
    from mmdet_led.evaluation.raw_outputs import rescore_with_true_quality
    head = nn.Module().train()
    with pytest.raises(ValueError, match='training mode'):
        rescore_with_true_quality(head, dict(metas=[], outs=[], anns=[]),
                                  None)
