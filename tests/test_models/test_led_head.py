import copy

import pytest
import torch
from mmdet.models.dense_heads import SSDHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmdet_led  # noqa: F401  (registers LEDHead)
from conftest import small_led_head_cfg
from mmdet_led.models.task_modules import c2f_encode, loc_quality_targets

IMG = 64


def head_cfg(**kwargs) -> ConfigDict:
    """A small SSD-style head: 2 levels on a 64x64 image."""
    return ConfigDict(small_led_head_cfg(**kwargs))

def ssd_head(cfg: ConfigDict) -> SSDHead:
    """An SSDHead with the options of the LEDHead config ``cfg``."""
    return SSDHead(**{k: v for k, v in copy.deepcopy(cfg).items()
                      if k != 'type'})


def led_and_ssd_twin(cfg: ConfigDict):
    """An LEDHead built from ``cfg`` and an SSDHead with the same config and
    the same weights (everything but the LE module)."""
    led = MODELS.build(cfg)
    ssd = ssd_head(cfg)
    missing, unexpected = led.load_state_dict(ssd.state_dict(), strict=False)
    assert not unexpected and all(k.startswith('le_module.') for k in missing)
    return led, ssd


def feats(batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 8, 4, 4, generator=g),
            torch.randn(batch, 16, 2, 2, generator=g))


def samples(batch=2):
    out = []
    for _ in range(batch):
        s = DetDataSample(
            metainfo=dict(
                img_shape=(IMG, IMG), ori_shape=(IMG, IMG), pad_shape=(IMG, IMG),
                scale_factor=(1, 1)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 6., 30., 40.], [30., 20., 60., 60.]]),
            labels=torch.tensor([0, 2]))
        out.append(s)
    return out


@pytest.mark.parametrize('options', [
    dict(),
    dict(stacked_convs=1, feat_channels=8),
    dict(use_depthwise=True, norm_cfg=dict(type='BN')),
    dict(le_module=dict(type='LEModule', richer_features=False,
                        coarse_to_fine=False)),
])
def test_ssd_head_options_train_and_predict(options):
    head = MODELS.build(head_cfg(**options))
    losses = head.loss(feats(), samples())
    assert {'loss_cls', 'loss_bbox'} <= set(losses)
    assert any(k.startswith('loss_le_') for k in losses)
    total = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    head.eval()
    results = head.predict(feats(), samples(), rescale=True)
    assert len(results) == 2
    for r in results:
        assert {'bboxes', 'scores', 'labels', 'cls_scores',
                'loc_scores'} <= set(r.keys())
        assert (r.scores <= r.cls_scores + 1e-6).all()


def test_le_loss_terms_by_phase():
    head = MODELS.build(head_cfg())
    x, s = feats(), samples()
    names = {f'loss_le_{q}_{p}' for q in ('iou', 'iod', 'iog')
             for p in ('coarse', 'fine')}
    head.phase = 'det'
    assert set(head.loss(x, s)) == {'loss_cls', 'loss_bbox'}
    head.phase = 'le'
    le = head.loss(x, s)
    assert set(le) == names
    head.phase = 'joint'
    joint = head.loss(x, s)
    assert set(joint) == names | {'loss_cls', 'loss_bbox'}
    for k in names:  # beta = 1/3 in the joint phase
        assert joint[k].item() == pytest.approx(le[k].item() / 3, rel=1e-5)
    with pytest.raises(ValueError):
        head.phase = 'ssd'
    direct = MODELS.build(head_cfg(le_module=dict(
        type='LEModule', coarse_to_fine=False)))
    direct.phase = 'le'
    assert set(direct.loss(x, s)) == {'loss_le_iou', 'loss_le_iod',
                                      'loss_le_iog'}


def test_le_loss_reaches_cls_and_reg_branches():
    head = MODELS.build(head_cfg())
    head.phase = 'joint'
    losses = head.loss(feats(), samples())
    sum(v for k, v in losses.items() if k.startswith('loss_le_')).backward()
    for convs in (head.cls_convs, head.reg_convs):
        for conv in convs:
            assert conv[-1].weight.grad is not None
            assert conv[-1].weight.grad.abs().sum() > 0


def test_det_phase_gives_le_no_gradient():
    head = MODELS.build(head_cfg())
    head.phase = 'det'
    losses = head.loss(feats(), samples())
    (sum(losses['loss_cls']) + sum(losses['loss_bbox'])).backward()
    assert all(p.grad is None for p in head.le_module.parameters())
    assert head.cls_convs[0][-1].weight.grad is not None


@pytest.mark.parametrize('options', [
    dict(), dict(use_depthwise=True, norm_cfg=dict(type='BN'))])
def test_det_phase_trains_like_ssd_head(options):
    """Step 1 is SSD training: same weights give the same losses and the
    same gradients as SSDHead, so LED and SSD differ there only by the
    random draws of their initialization."""
    led, ssd = led_and_ssd_twin(head_cfg(**options))
    led.phase = 'det'
    led.train(), ssd.train()
    a, b = led.loss(feats(), samples()), ssd.loss(feats(), samples())
    assert set(a) == set(b) == {'loss_cls', 'loss_bbox'}
    for k in a:
        assert torch.equal(torch.stack(a[k]), torch.stack(b[k]))
    sum(sum(v) for v in a.values()).backward()
    sum(sum(v) for v in b.values()).backward()
    led_params = dict(led.named_parameters())
    for name, param in ssd.named_parameters():
        assert torch.equal(led_params[name].grad, param.grad), name


@pytest.mark.parametrize('options', [
    dict(),
    dict(use_depthwise=True, norm_cfg=dict(type='BN')),
    # an init_cfg whose override names one of SSD's layers
    dict(init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform',
                       override=dict(type='Normal', name='cls_convs',
                                     layer='Conv2d', std=0.01))),
])
def test_le_module_leaves_the_random_stream_to_ssd(options):
    """Built and initialized after the same seed, LEDHead and SSDHead hold
    the same SSD weights and leave the global random stream in the same
    state; the LE module is still randomly (Xavier-) initialized."""
    cfg = head_cfg(**options)
    torch.manual_seed(0)
    led = MODELS.build(cfg)
    led.init_weights()
    led_rng = torch.get_rng_state()
    torch.manual_seed(0)
    ssd = ssd_head(cfg)
    ssd.init_weights()
    assert torch.equal(led_rng, torch.get_rng_state())
    led_state = led.state_dict()
    for name, value in ssd.state_dict().items():
        assert torch.equal(led_state[name], value), name
    # module order is kept: the LE module right after SSD's convs
    assert list(led._modules)[:3] == ['cls_convs', 'reg_convs', 'le_module']
    pred = led.le_module.pred_convs[0]
    fan_in, fan_out = pred.weight[0].numel(), pred.weight[:, 0].numel()
    bound = (6 / (fan_in + fan_out))**0.5  # Xavier uniform
    assert pred.weight.abs().max() <= bound
    assert pred.weight.std() > bound / 3  # random, not constant
    assert torch.equal(pred.bias, torch.zeros_like(pred.bias))
    torch.manual_seed(1)
    other = MODELS.build(cfg)
    other.init_weights()
    assert not torch.equal(other.le_module.pred_convs[0].weight, pred.weight)


def test_le_targets_match_decoded_predictions():
    head = MODELS.build(head_cfg())
    x = feats(batch=1)
    cls_scores, bbox_preds, _ = head(x)
    sample = samples(1)[0]
    targets = head.get_le_targets(bbox_preds, [sample.gt_instances],
                                  [sample.metainfo])
    # 4 anchors per location: 4x4 + 2x2 locations
    assert targets.shape == (1, 4 * (16 + 4), 3)
    anchors = torch.cat(head.prior_generator.grid_priors([(4, 4), (2, 2)], device='cpu'))
    deltas = torch.cat([b[0].permute(1, 2, 0).reshape(-1, 4)
                        for b in bbox_preds])
    boxes = head.bbox_coder.decode(anchors, deltas, max_shape=(IMG, IMG))
    assert torch.allclose(
        targets[0], loc_quality_targets(boxes, sample.gt_instances.bboxes))


def test_cls_mode_equals_ssd_head():
    cfg = head_cfg(test_cfg=dict(
        nms_pre=1000, nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0, score_thr=0.02, max_per_img=200, score_mode='cls'))
    led, ssd = led_and_ssd_twin(cfg)
    led.eval(), ssd.eval()
    with torch.no_grad():
        a = led.predict(feats(seed=3), samples(), rescale=True)
        b = ssd.predict(feats(seed=3), samples(), rescale=True)
    for ra, rb in zip(a, b):
        assert len(ra) > 0
        assert torch.equal(ra.bboxes, rb.bboxes)
        assert torch.equal(ra.scores, rb.scores)
        assert torch.equal(ra.labels, rb.labels)


def _c2f_logits(values):
    """C2F predictions (N, 3 qualities, 4 logits + 4 offsets) that decode to
    IoU = v, IoD = 1, IoG = v, so that IoU' = v and conf_loc = v."""
    v = torch.tensor(values)
    quality = torch.stack([v, torch.ones_like(v), v], 1)  # (N, 3)
    bins, fine = c2f_encode(quality)
    pred = torch.full((len(values), 3, 8), -30.0)
    pred.scatter_(2, bins[..., None], 30.0)
    pred.scatter_(2, 4 + bins[..., None], fine[..., None])
    return pred


@pytest.mark.parametrize('mode, survivor', [('cls', 0), ('product', 1),
                                            ('gaussian', 1)])
def test_le_scoring_decides_nms(mode, survivor):
    """Box 0: higher class score, badly localized; box 1: lower class score,
    well localized. They overlap (IoU 1520 / 1680 = 0.90), so NMS keeps one: the cls
    ranking keeps box 0, LE ranking keeps box 1."""
    head = MODELS.build(head_cfg())
    head.eval()
    priors = torch.tensor([[0., 0., 40., 40.], [2., 0., 42., 40.]])
    probs = torch.tensor([[0.9, 0.0, 0.0, 0.1], [0.8, 0.0, 0.0, 0.2]])
    cls_map = probs.log().clamp(min=-50).t().reshape(4, 1, 2)
    le_map = _c2f_logits([0.3, 0.95]).reshape(2, 24).t().reshape(24, 1, 2)
    cfg = copy.deepcopy(head.test_cfg)
    cfg.score_mode = mode
    res = head._predict_by_feat_single(
        [cls_map], [torch.zeros(4, 1, 2)], [le_map], [priors],
        img_meta=dict(img_shape=(64, 64)), cfg=cfg)
    assert len(res) == 1
    assert torch.equal(res.bboxes[0], priors[survivor])
    assert res.cls_scores[0].item() == pytest.approx(
        probs[survivor, 0].item(), rel=1e-5)
    loc = [0.3, 0.95][survivor]
    assert res.loc_scores[0].item() == pytest.approx(loc, abs=1e-5)
    assert 'loc_quality' not in res
    cfg.return_loc_quality = True
    res = head._predict_by_feat_single(
        [cls_map], [torch.zeros(4, 1, 2)], [le_map], [priors],
        img_meta=dict(img_shape=(64, 64)), cfg=cfg)
    assert res.loc_quality[0].tolist() == pytest.approx([loc, 1.0, loc],
                                                        abs=1e-5)
    expected = {'cls': probs[survivor, 0].item(),
                'product': probs[survivor, 0].item() * loc,
                'gaussian': probs[survivor, 0].item() *
                torch.exp(torch.tensor(-(1 - loc)**2)).item()}[mode]
    assert res.scores[0].item() == pytest.approx(expected, rel=1e-5)


def test_score_threshold_applies_to_combined_confidence():
    """A box above score_thr by class score but below it after LE scoring
    must be dropped before NMS (not re-weighted after)."""
    head = MODELS.build(head_cfg())
    priors = torch.tensor([[0., 0., 40., 40.], [20., 20., 60., 60.]])
    probs = torch.tensor([[0.5, 0.0, 0.0, 0.5], [0.5, 0.0, 0.0, 0.5]])
    cls_map = probs.log().clamp(min=-50).t().reshape(4, 1, 2)
    le_map = _c2f_logits([0.05, 0.85]).reshape(2, 24).t().reshape(24, 1, 2)
    cfg = copy.deepcopy(head.test_cfg)
    cfg.score_mode, cfg.score_thr = 'product', 0.1
    res = head._predict_by_feat_single(
        [cls_map], [torch.zeros(4, 1, 2)], [le_map], [priors],
        img_meta=dict(img_shape=(64, 64)), cfg=cfg)
    assert len(res) == 1 and torch.equal(res.bboxes[0], priors[1])


def test_score_threshold_on_class_confidence():
    """score_thr_on='cls': the threshold sees the class confidence, so the
    badly localized box (product 0.5 * 0.05) stays, ranked last; a class
    score at or below the threshold still drops out."""
    head = MODELS.build(head_cfg())
    priors = torch.tensor([[0., 0., 40., 40.], [20., 20., 60., 60.],
                           [0., 40., 20., 60.]])
    probs = torch.tensor([[0.5, 0.0, 0.0, 0.5], [0.5, 0.0, 0.0, 0.5],
                          [0.1, 0.0, 0.0, 0.9]])
    cls_map = probs.log().clamp(min=-50).t().reshape(4, 1, 3)
    le_map = _c2f_logits([0.05, 0.85, 0.95]).reshape(3, 24).t().reshape(
        24, 1, 3)
    cfg = copy.deepcopy(head.test_cfg)
    cfg.score_mode, cfg.score_thr, cfg.score_thr_on = 'product', 0.1, 'cls'
    res = head._predict_by_feat_single(
        [cls_map], [torch.zeros(4, 1, 3)], [le_map], [priors],
        img_meta=dict(img_shape=(64, 64)), cfg=cfg)
    assert len(res) == 2
    assert torch.equal(res.bboxes, priors[[1, 0]])
    assert res.scores.tolist() == pytest.approx([0.5 * 0.85, 0.5 * 0.05],
                                                abs=1e-5)
    cfg.score_thr_on = 'box'
    with pytest.raises(ValueError, match='score_thr_on'):
        head._predict_by_feat_single(
            [cls_map], [torch.zeros(4, 1, 3)], [le_map], [priors],
            img_meta=dict(img_shape=(64, 64)), cfg=cfg)


def test_former_le_mining_key_still_works():
    """train_cfg.le_mining (the sampler's arguments) builds the same
    LocQualitySampler as le_sampler, with a warning naming the new key;
    both keys at once are refused."""
    new = head_cfg()
    old = copy.deepcopy(new)
    old.train_cfg.pop('le_sampler')
    old.train_cfg.le_mining = dict(min_per_range=2)
    with pytest.warns(UserWarning, match='le_sampler'):
        torch.manual_seed(0)
        old_head = MODELS.build(old)
    torch.manual_seed(0)
    new_head = MODELS.build(new)
    assert repr(old_head.le_sampler) == repr(new_head.le_sampler)
    assert old_head.le_sampler.min_per_range == 2
    old_head.phase = new_head.phase = 'le'
    a, b = old_head.loss(feats(), samples()), new_head.loss(feats(), samples())
    assert all(torch.equal(a[k], b[k]) for k in b)
    both = copy.deepcopy(new)
    both.train_cfg.le_mining = dict(min_per_range=2)
    with pytest.raises(ValueError, match='le_sampler'):
        MODELS.build(both)
