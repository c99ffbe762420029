"""LE on MMDetection's FPN heads: LEDRetinaHead, LEDFCOSHead, LEDATSSHead.

Each LED head is checked against its plain twin (the mmdet head built from
the same config without the LE keys), on small heads over a 64x64 image.
"""
import copy
import math

import pytest
import torch
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmdet_led  # noqa: F401  (registers the LED heads)
from mmdet_led.models.task_modules import c2f_encode, loc_quality_targets

IMG = 64
GN = dict(type='GN', num_groups=4, requires_grad=True)
FOCAL = dict(
    type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)
LE_TRAIN = dict(le_sampler=dict(type='LocQualitySampler', min_per_range=2))
TEST_CFG = dict(
    nms_pre=100,
    min_bbox_size=0,
    score_thr=0.0,
    nms=dict(type='nms', iou_threshold=0.5),
    max_per_img=50)
LE_KEYS = ('le_module', 'loss_le_coarse', 'loss_le_fine', 'alpha', 'beta',
           'phase', 'le_on_outputs', 'le_per_level', 'le_box_features')
LE_LOSSES = {f'loss_le_{q}_{p}' for q in ('iou', 'iod', 'iog')
             for p in ('coarse', 'fine')}


def head_cfg(kind: str, strides=(8, 16), **kwargs) -> ConfigDict:
    """A small LED head of ``kind``: 8 channels, 2 convs per tower."""
    strides = list(strides)
    common = dict(num_classes=3, in_channels=8, feat_channels=8,
                  stacked_convs=2, test_cfg=copy.deepcopy(TEST_CFG))
    if kind == 'retina':
        cfg = dict(
            type='LEDRetinaHead',
            anchor_generator=dict(
                type='AnchorGenerator', octave_base_scale=4,
                scales_per_octave=1, ratios=[0.5, 1.0], strides=strides),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                            target_means=[0.] * 4, target_stds=[1.] * 4),
            loss_cls=FOCAL,
            loss_bbox=dict(type='L1Loss', loss_weight=1.0),
            train_cfg=dict(
                assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                              neg_iou_thr=0.4, min_pos_iou=0,
                              ignore_iof_thr=-1),
                sampler=dict(type='PseudoSampler'), allowed_border=-1,
                pos_weight=-1, debug=False, **LE_TRAIN))
    elif kind in ('fcos', 'fcos_norm'):
        ranges = [(-1, 32), (32, 1e8)][:len(strides)]
        ranges[-1] = (ranges[-1][0], 1e8)
        cfg = dict(type='LEDFCOSHead', strides=strides,
                   regress_ranges=tuple(ranges), norm_cfg=GN,
                   train_cfg=dict(**LE_TRAIN))
        if kind == 'fcos_norm':  # FCOS's "center-normbbox-centeronreg-giou"
            cfg.update(norm_on_bbox=True, centerness_on_reg=True,
                       center_sampling=True,
                       loss_bbox=dict(type='GIoULoss', loss_weight=1.0))
    elif kind == 'atss':
        cfg = dict(
            type='LEDATSSHead', norm_cfg=GN,
            anchor_generator=dict(
                type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                scales_per_octave=1, strides=strides),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=FOCAL,
            loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
            train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9),
                           allowed_border=-1, pos_weight=-1, debug=False,
                           **LE_TRAIN))
    cfg.update(common)
    cfg.update(kwargs)
    return ConfigDict(cfg)


KINDS = ['retina', 'fcos', 'fcos_norm', 'atss']
PLAIN = dict(LEDRetinaHead='RetinaHead', LEDFCOSHead='FCOSHead',
             LEDATSSHead='ATSSHead')


def plain_cfg(cfg: ConfigDict) -> ConfigDict:
    """The config of the plain mmdet twin of an LED head config."""
    plain = copy.deepcopy(cfg)
    plain.type = PLAIN[cfg.type]
    for key in LE_KEYS:
        plain.pop(key, None)
    return plain


def build_pair(kind: str, **kwargs):
    """An LED head and its plain twin, each built and initialized after
    seed 0, and the random state each left behind."""
    cfg = head_cfg(kind, **kwargs)
    heads, states = [], []
    for c in (cfg, plain_cfg(cfg)):
        torch.manual_seed(0)
        head = MODELS.build(c)
        head.init_weights()
        heads.append(head)
        states.append(torch.get_rng_state())
    return heads, states


def feats(seed: int = 0, batch: int = 2):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 8, 8, 8, generator=g),
            torch.randn(batch, 8, 4, 4, generator=g))


def samples():
    out = []
    for b in ([[4., 6., 30., 40.], [30., 20., 60., 60.]],
              [[10., 8., 50., 44.]]):
        s = DetDataSample(metainfo=dict(
            img_shape=(IMG, IMG), ori_shape=(IMG, IMG), pad_shape=(IMG, IMG),
            scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(bboxes=torch.tensor(b),
                                      labels=torch.arange(len(b)))
        out.append(s)
    return out


def total(losses: dict, keys=None) -> torch.Tensor:
    return sum((torch.stack(v) if isinstance(v, list) else v).sum()
               for k, v in losses.items() if keys is None or k in keys)


@pytest.mark.parametrize('kind', KINDS)
def test_twin_weights_and_random_stream(kind):
    """Built after the same seed, the LED head holds its twin's weights and
    leaves the random stream where the twin does; the LE module is shared
    across levels and randomly initialized."""
    (led, plain), (led_rng, plain_rng) = build_pair(kind)
    assert torch.equal(led_rng, plain_rng)
    led_state = led.state_dict()
    assert set(plain.state_dict()) == {
        k for k in led_state if not k.startswith('le_module.')}
    for name, value in plain.state_dict().items():
        assert torch.equal(led_state[name], value), name
    assert led.le_module.shared_levels
    assert len(led.le_module.pred_convs) == 1
    assert led.le_module.pred_convs[0].weight.std() > 0


@pytest.mark.parametrize('kind', KINDS)
def test_loss_keys_per_phase(kind):
    (led, plain), _ = build_pair(kind)
    host = set(plain.loss(feats(), samples()))
    for phase, keys in (('det', host), ('le', LE_LOSSES),
                        ('joint', host | LE_LOSSES)):
        led.phase = phase
        losses = led.loss(feats(), samples())
        assert set(losses) == keys, phase
        assert torch.isfinite(total(losses)), phase


@pytest.mark.parametrize('kind', KINDS)
def test_det_phase_is_the_plain_heads_training(kind):
    """Same weights, same input: 'det' gives the twin's losses and
    gradients exactly, and the LE module gets no gradient."""
    (led, plain), _ = build_pair(kind)
    led.phase = 'det'
    a, b = led.loss(feats(), samples()), plain.loss(feats(), samples())
    for key in b:
        va, vb = a[key], b[key]
        if isinstance(vb, list):
            va, vb = torch.stack(va), torch.stack(vb)
        assert torch.equal(va, vb), key
    total(a).backward()
    total(b).backward()
    led_params = dict(led.named_parameters())
    for name, param in plain.named_parameters():
        if param.grad is None:
            assert led_params[name].grad is None, name
        else:
            assert torch.equal(led_params[name].grad, param.grad), name
    assert all(p.grad is None for p in led.le_module.parameters())


@pytest.mark.parametrize('kind', KINDS)
def test_le_gradients_reach_both_towers_in_joint(kind):
    (led, _), _ = build_pair(kind)
    led.phase = 'joint'
    losses = led.loss(feats(), samples())
    total(losses, LE_LOSSES).backward()
    for tower in (led.cls_convs, led.reg_convs):
        grad = tower[-1].conv.weight.grad
        assert grad is not None and grad.abs().sum() > 0
    assert all(p.grad is not None for p in led.le_module.parameters())


def le_inputs(led, training: bool) -> tuple:
    """The LE module's inputs (x, cls maps, reg maps) in one forward."""
    seen = []
    handle = led.le_module.register_forward_pre_hook(
        lambda _, args: seen.append(args))
    led.train(training)
    with torch.set_grad_enabled(training):
        outs = led(feats())
    handle.remove()
    return seen[0], outs


@pytest.mark.parametrize('kind', KINDS)
def test_le_on_outputs_reads_the_host_output_maps(kind):
    """``le_on_outputs=True``: the LE's RF branches get the host's class
    and box maps of every level (the tensors the host returns in training,
    at the same scale at inference: FCOS's ``norm_on_bbox`` maps in
    strides), and the LE loss reaches the host's final convs, whose inputs
    feed LE otherwise."""
    (led, _), _ = build_pair(kind, le_on_outputs=True)
    led.phase = 'joint'
    (_, cls_maps, reg_maps), outs = le_inputs(led, training=True)
    for got, host in zip((cls_maps, reg_maps), outs[:2]):
        assert len(got) == len(host) == 2
        assert all(g is h for g, h in zip(got, host))
    (_, _, eval_reg_maps), _ = le_inputs(led, training=False)
    for train_map, eval_map in zip(reg_maps, eval_reg_maps):
        torch.testing.assert_close(eval_map, train_map.detach())
    led.train()
    total(led.loss(feats(), samples()), LE_LOSSES).backward()
    for name in type(led).le_feature_layers:
        assert getattr(led, name).weight.grad.abs().sum() > 0, name


@pytest.mark.parametrize('kind', KINDS)
def test_le_per_level_gives_every_level_its_own_le_convs(kind):
    """``le_per_level=True``: one set of LE convs per level (two here);
    changing the second level's prediction conv changes that level's LE
    maps only."""
    (led, _), _ = build_pair(kind, le_per_level=True)
    assert not led.le_module.shared_levels
    assert len(led.le_module.pred_convs) == 2
    led.eval()
    with torch.no_grad():
        before = led(feats())[-1]
        led.le_module.pred_convs[1].bias.add_(1.0)
        after = led(feats())[-1]
    assert torch.equal(before[0], after[0])
    assert torch.allclose(after[1], before[1] + 1.0, atol=1e-5)


@pytest.mark.parametrize('kind', ['fcos', 'fcos_norm', 'atss'])
def test_le_box_features_read_at_the_predicted_box(kind):
    """``le_box_features=True``: the LE regression branch gets the reg
    tower's last features at 9 points of each location's box. With the
    regression conv zeroed every box is centred on its location (ATSS: its
    anchor; FCOS: 1 px each way, exp(0); with ``norm_on_bbox``: the point
    itself): the centre point reads the location's own features, and with
    ``norm_on_bbox`` so does every point."""
    (led, _), _ = build_pair(kind, le_box_features=True)
    reg_layer = getattr(led, type(led).le_feature_layers[1])
    torch.nn.init.zeros_(reg_layer.weight)
    torch.nn.init.zeros_(reg_layer.bias)
    towers = []
    reg_layer.register_forward_pre_hook(lambda _, args: towers.append(args))
    (_, _, reg_maps), _ = le_inputs(led, training=False)
    for sampled, (tower, ) in zip(reg_maps, towers):
        points = sampled.unflatten(1, (9, tower.shape[1]))
        torch.testing.assert_close(points[:, 4], tower)
        if kind == 'fcos_norm':
            torch.testing.assert_close(points,
                                       tower[:, None].expand_as(points))


@pytest.mark.parametrize('training', [True, False])
def test_le_box_features_top_left_corner_one_stride_away(training):
    """FCOS with ``norm_on_bbox``, every distance one stride (the
    regression conv's bias 1, its weights 0; scaled by the stride in
    training by :meth:`le_decodable_bbox_preds`, in the forward outside):
    each box's top-left corner is the location up and left of its own, and
    zero padding on the first row and column."""
    (led, _), _ = build_pair('fcos_norm', le_box_features=True)
    torch.nn.init.zeros_(led.conv_reg.weight)
    torch.nn.init.ones_(led.conv_reg.bias)
    towers = []
    led.conv_reg.register_forward_pre_hook(
        lambda _, args: towers.append(args[0].detach()))
    (_, _, reg_maps), _ = le_inputs(led, training)
    for sampled, tower in zip(reg_maps, towers):
        corner = sampled.detach().unflatten(1, (9, tower.shape[1]))[:, 0]
        torch.testing.assert_close(corner[:, :, 1:, 1:],
                                   tower[:, :, :-1, :-1])
        assert not corner[:, :, 0].any() and not corner[:, :, :, 0].any()


def test_le_box_features_need_one_prior_per_location():
    with pytest.raises(ValueError, match='one prior per location'):
        build_pair('retina', le_box_features=True)


@pytest.mark.parametrize('kind', KINDS)
def test_detached_le_inputs_leave_the_host_to_its_own_losses(kind):
    """``le_module.detach_inputs``: in 'joint' the host's gradients are
    the plain twin's exactly and the LE loss reaches the LE module alone."""
    (led, plain), _ = build_pair(
        kind, le_module=dict(type='LEModule', detach_inputs=True))
    led.phase = 'joint'
    a, b = led.loss(feats(), samples()), plain.loss(feats(), samples())
    total(a, set(b)).backward()
    total(b).backward()
    led_params = dict(led.named_parameters())
    for name, param in plain.named_parameters():
        if param.grad is not None:
            assert torch.equal(led_params[name].grad, param.grad), name
    led.zero_grad(set_to_none=True)
    total(led.loss(feats(), samples()), LE_LOSSES).backward()
    assert all(p.grad is None for n, p in led.named_parameters()
               if not n.startswith('le_module.'))
    assert all(p.grad is not None for p in led.le_module.parameters())


@pytest.mark.parametrize('kind', KINDS)
def test_cls_mode_equals_the_plain_twin(kind):
    """score_mode='cls' gives the plain head's detections on the same
    weights (FCOS/ATSS: centerness combined as mmdet does)."""
    (led, plain), _ = build_pair(kind)
    led.test_cfg.score_mode = 'cls'
    led.eval(), plain.eval()
    with torch.no_grad():
        a = led.predict(feats(seed=3), samples(), rescale=True)
        b = plain.predict(feats(seed=3), samples(), rescale=True)
    for ra, rb in zip(a, b):
        assert len(ra) > 0
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(ra.get(key), rb.get(key)), key


@pytest.mark.parametrize('kind', KINDS)
def test_predictions_carry_le_fields(kind):
    (led, _), _ = build_pair(kind)
    led.test_cfg.update(score_mode='product', return_loc_quality=True,
                        centerness='replace')
    led.eval()
    with torch.no_grad():
        results = led.predict(feats(seed=3), samples(), rescale=True)
    for res in results:
        assert len(res) > 0
        assert {'cls_scores', 'loc_scores', 'loc_quality'} <= set(res.keys())
        # product of the two confidences, no host factor ('replace')
        assert torch.allclose(res.scores, res.cls_scores * res.loc_scores)
        assert ((res.loc_quality >= 0) & (res.loc_quality <= 1)).all()


@pytest.mark.parametrize('kind', ['fcos', 'atss'])
def test_centerness_combine_or_replace(kind):
    """'combine' multiplies the centerness in after the top-k as the host
    does; 'replace' leaves it out."""
    (led, _), _ = build_pair(kind)
    led.eval()
    led.test_cfg.update(score_mode='cls', max_per_img=1000,
                        nms=dict(type='nms', iou_threshold=1.0))
    with torch.no_grad():
        outs = led(feats(seed=3))
        centerness = torch.cat([c[0].permute(1, 2, 0).reshape(-1)
                                for c in outs[2]]).sigmoid()
        meta = [samples()[0].metainfo]
        combined = led.predict_by_feat(*outs, batch_img_metas=meta)[0]
        led.test_cfg.centerness = 'replace'
        replaced = led.predict_by_feat(*outs, batch_img_metas=meta)[0]
        led.test_cfg.centerness = 'ignore'
        with pytest.raises(ValueError, match='centerness'):
            led.predict_by_feat(*outs, batch_img_metas=meta)
    assert torch.equal(replaced.scores, replaced.cls_scores)
    # same candidates, scores times the centerness of their prior
    assert len(combined) == len(replaced) > 0
    order_c = torch.argsort(combined.cls_scores, descending=True)
    order_r = torch.argsort(replaced.cls_scores, descending=True)
    ratio = combined.scores[order_c] / combined.cls_scores[order_c]
    assert (ratio < 1).all() and (ratio > 0).all()
    assert torch.equal(combined.bboxes[order_c], replaced.bboxes[order_r])
    gap = (ratio[:, None] - centerness[None]).abs().min(1).values
    assert (gap < 1e-6).all()


def test_fcos_le_targets_decode_training_boxes_like_inference():
    """With norm_on_bbox FCOS scales its regression by the stride only
    outside training; the LE targets of a training forward are those of
    the boxes inference decodes."""
    (led, _), _ = build_pair('fcos_norm')
    sample = samples()[0]
    x = feats(batch=1)
    led.train()
    train_preds = led(x)[1]
    targets = led.get_le_targets(train_preds, [sample.gt_instances],
                                 [sample.metainfo])
    led.eval()
    with torch.no_grad():
        test_preds = led(x)[1]
    # the maps differ by the stride, the decoded boxes do not
    assert torch.allclose(test_preds[1], train_preds[1].detach() * 16)
    points = torch.cat(led.prior_generator.grid_priors(
        [p.shape[-2:] for p in test_preds], device='cpu'))
    dists = torch.cat([p[0].permute(1, 2, 0).reshape(-1, 4)
                       for p in test_preds])
    boxes = led.bbox_coder.decode(points, dists, max_shape=(IMG, IMG))
    expected = loc_quality_targets(boxes, sample.gt_instances.bboxes)
    assert torch.allclose(targets[0], expected, atol=1e-6)
    assert (expected[:, 0] > 0).any()


# ---------------------------------------------------------------------- #
# A constructed case: two boxes of one level, box 0 with the higher class
# score but badly localized (conf_loc 0.3), box 1 lower (0.8) but well
# localized (0.95), overlapping more than NMS allows.
# ---------------------------------------------------------------------- #
PROBS = (0.9, 0.8)
LOCS = (0.3, 0.95)


def c2f_prediction(values) -> torch.Tensor:
    """C2F predictions (N, 3 * 8) that decode to IoU = v, IoD = 1,
    IoG = v, so that IoU' = v and conf_loc = v."""
    v = torch.tensor(values)
    quality = torch.stack([v, torch.ones_like(v), v], 1)
    bins, fine = c2f_encode(quality)
    pred = torch.full((len(values), 3, 8), -30.0)
    pred.scatter_(2, bins[..., None], 30.0)
    pred.scatter_(2, 4 + bins[..., None], fine[..., None])
    return pred.reshape(len(values), -1)


def two_box_outputs(head):
    """Forward outputs of one 1x2 level (one prior per location) holding the
    two boxes: class 0 at PROBS, conf_loc at LOCS, host centerness 0.5."""
    logits = torch.full((1, 3, 1, 2), -30.0)
    logits[0, 0, 0] = torch.tensor([math.log(p / (1 - p)) for p in PROBS])
    if head.bbox_coder.__class__.__name__ == 'DistancePointBBoxCoder':
        # points (4, 4) and (12, 4): boxes [0, 0, 40, 40], [2, 0, 42, 40]
        bbox = torch.tensor([[4., 4., 36., 36.], [10., 4., 30., 36.]])
        bbox = bbox.t().reshape(1, 4, 1, 2)
    else:  # the priors themselves (anchors overlapping by IoU >= 0.67)
        bbox = torch.zeros(1, 4, 1, 2)
    le = c2f_prediction(LOCS).t().reshape(1, 24, 1, 2)
    outs = [[logits], [bbox]]
    if head.with_host_score_factor:
        outs.append([torch.zeros(1, 1, 1, 2)])
    return outs + [[le]]


def one_level_head(kind: str):
    head = MODELS.build(head_cfg(kind, strides=(8, )))
    head.eval()
    return head


def survivors(head, outs, **test_cfg):
    cfg = copy.deepcopy(head.test_cfg)
    cfg.update(score_thr=0.05, **test_cfg)
    res = head.predict_by_feat(
        *outs, batch_img_metas=[dict(img_shape=(IMG, IMG))], cfg=cfg)[0]
    return sorted(round(s, 4) for s in res.cls_scores.tolist())


@pytest.mark.parametrize('kind', ['retina', 'fcos', 'atss'])
def test_better_localized_box_survives_nms_only_with_le(kind):
    head = one_level_head(kind)
    outs = two_box_outputs(head)
    assert survivors(head, outs, score_mode='cls') == [0.9]
    for mode in ('product', 'gaussian', 'power'):
        assert survivors(head, outs, score_mode=mode) == [0.8], mode
    # without NMS both boxes are there: NMS made the choice
    assert survivors(head, outs, score_mode='cls',
                     nms=dict(type='nms', iou_threshold=1.0)) == [0.8, 0.9]


@pytest.mark.parametrize('kind', ['retina', 'fcos', 'atss'])
def test_better_localized_box_survives_topk_because_le_ranks_first(kind):
    """nms_pre=1 keeps one candidate. LE ranks before the top-k and keeps
    the better-localized box; the same loc confidence as an mmdet score
    factor (multiplied in after the top-k) cannot save it."""
    head = one_level_head(kind)
    outs = two_box_outputs(head)
    no_nms = dict(nms=dict(type='nms', iou_threshold=1.0), nms_pre=1)
    assert survivors(head, outs, score_mode='cls', **no_nms) == [0.9]
    assert survivors(head, outs, score_mode='product', **no_nms) == [0.8]
    # BaseDenseHead's score_factors path with conf_loc as the factor
    cfg = copy.deepcopy(head.test_cfg)
    cfg.update(score_thr=0.05, **no_nms)
    loc_logit = torch.tensor([math.log(v / (1 - v)) for v in LOCS])
    res = BaseDenseHead._predict_by_feat_single(
        head, [outs[0][0][0]], [outs[1][0][0]], [loc_logit.reshape(1, 1, 2)],
        head.prior_generator.grid_priors([(1, 2)], device='cpu'),
        img_meta=dict(img_shape=(IMG, IMG)), cfg=cfg)
    assert len(res) == 1
    assert res.scores.item() == pytest.approx(PROBS[0] * LOCS[0], rel=1e-5)
