"""LERankingLoss: pairs within each object, by hand; in an LED head, a
loss term whose gradient orders an object's priors by their true IoU."""
import math

import pytest
import torch
from mmdet.registry import MODELS

import mmdet_led  # noqa: F401
from mmdet_led.models.losses import LERankingLoss, within_object_ranking_loss
from mmdet_led.models.task_modules import loc_quality_targets
from test_led_head import feats, head_cfg, samples


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_pairs_within_each_object_by_hand():
    # object 0: priors 0 (IoU .9) and 1 (.6), ranked the wrong way round by
    # .6 (pred .2 vs .8): softplus(.6 / .1); priors 2-3 of object 1, right
    # way round by .1: softplus(-.1 / .1); prior 4: no object
    pred = torch.tensor([0.2, 0.8, 0.5, 0.4, 0.9], requires_grad=True)
    target = torch.tensor([0.9, 0.6, 0.7, 0.65, 0.95])
    objects = torch.tensor([0, 0, 1, 1, -1])
    loss, num = within_object_ranking_loss(pred, target, objects, 0.1)
    assert num == 2
    assert loss.item() == pytest.approx(softplus(6) + softplus(-1), rel=1e-6)
    loss.backward()
    # the gradient lifts the better prior of each pair, lowers the other
    assert pred.grad[0] < 0 < pred.grad[1]
    assert pred.grad[2] < 0 < pred.grad[3]
    assert pred.grad[4] == 0


def test_ties_and_lone_priors_make_no_pairs():
    pred = torch.tensor([0.3, 0.7, 0.5], requires_grad=True)
    # equal true IoU in object 0; object 1 has one prior
    loss, num = within_object_ranking_loss(pred, torch.tensor([.8, .8, .9]),
                                           torch.tensor([0, 0, 1]))
    assert num == 0 and loss.item() == 0
    loss.backward()  # the graph is kept
    assert torch.equal(pred.grad, torch.zeros(3))


def test_module_filters_by_iou_and_averages_over_the_batch():
    loss = LERankingLoss(temperature=0.1, min_iou=0.5, loss_weight=2.0)
    # image 0: one pair (IoU .9 over .6, pred gap -.6); the IoU-.4 prior
    # of the same object is left out; image 1: one pair (gap +.3)
    pred = torch.tensor([[0.2, 0.8, 0.0], [0.7, 0.4, 0.1]])
    target = torch.tensor([[0.9, 0.6, 0.4], [0.8, 0.5, 0.3]])
    objects = torch.tensor([[0, 0, 0], [1, 1, -1]])
    expected = 2.0 * (softplus(6) + softplus(-3)) / 2
    assert loss(pred, target, objects).item() == pytest.approx(expected,
                                                               rel=1e-6)
    assert loss(pred, target, objects, avg_factor=4).item() == \
        pytest.approx(expected / 2, rel=1e-6)
    assert loss(pred, target, torch.full_like(objects, -1)).item() == 0


def test_loc_quality_targets_return_the_ground_truth_index():
    boxes = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.],
                          [50., 50., 60., 60.]])
    gts = torch.tensor([[20., 0., 30., 10.], [0., 0., 10., 5.]])
    targets, index = loc_quality_targets(boxes, gts, return_index=True)
    assert index.tolist() == [1, 0, 0]  # the third overlaps none: argmax 0
    assert torch.equal(targets, loc_quality_targets(boxes, gts))
    _, index = loc_quality_targets(boxes, gts[:0], return_index=True)
    assert index.tolist() == [-1, -1, -1]


def test_led_head_adds_the_ranking_term():
    cfg = head_cfg(loss_le_rank=dict(type='LERankingLoss', min_iou=0.3))
    head = MODELS.build(cfg)
    plain = MODELS.build(head_cfg())
    plain.load_state_dict(head.state_dict())
    head.phase = plain.phase = 'le'
    x, s = feats(), samples()
    losses, reference = head.loss(x, s), plain.loss(x, s)
    assert set(losses) == set(reference) | {'loss_le_rank'}
    for k, v in reference.items():  # the other terms are unchanged
        assert torch.equal(losses[k], v)
    # the term by hand from the head's own outputs
    _, bbox_preds, le_preds = head(x)
    targets, objects = head.get_le_targets(
        bbox_preds, [d.gt_instances for d in s], [d.metainfo for d in s],
        return_index=True)
    quality = head.le_module.decode(
        torch.cat([head.le_module.flatten(p) for p in le_preds], 1))
    conf_loc = 0.6 * quality[..., 0] + 0.4 * (
        quality[..., 1] * quality[..., 2] /
        (quality[..., 1] + quality[..., 2] - quality[..., 1] *
         quality[..., 2]).clamp(min=1e-6))
    expected = LERankingLoss(min_iou=0.3)(conf_loc.clamp(0, 1),
                                          targets[..., 0], objects)
    assert expected.item() > 0
    assert losses['loss_le_rank'].item() == pytest.approx(expected.item(),
                                                          rel=1e-5)
    losses['loss_le_rank'].backward()
    assert head.le_module.pred_convs[0].weight.grad.abs().sum() > 0
