import math

import pytest
import torch
from mmdet.registry import TASK_UTILS

from mmdet_led.models.task_modules import (LocQualitySampler, c2f_decode,
                                           c2f_encode, le_hard_mining,
                                           loc_quality_targets, value_to_bin)
from mmdet_led.models.utils import (combine_scores, derived_iou,
                                    keep_above, loc_confidence, power_scores)


def test_iou_iod_iog_hand_computed():
    det = torch.tensor([[0., 0., 10., 10.],    # half inside gt 0
                        [0., 0., 20., 20.],    # contains gt 0 and gt 1
                        [2., 2., 4., 4.],      # inside gt 0
                        [100., 100., 110., 110.]])  # touches nothing
    gt = torch.tensor([[5., 0., 15., 10.], [0., 0., 4., 4.]])
    t = loc_quality_targets(det, gt)
    # det0: inter with gt0 = 50, union 150; with gt1 16, union 100 -> gt0
    assert t[0].tolist() == pytest.approx([1 / 3, 0.5, 0.5])
    # det1 (400): gt0 inside (100), IoU 0.25; gt1 inside (16), 0.04 -> gt0
    assert t[1].tolist() == pytest.approx([0.25, 0.25, 1.0])
    # det2 (4): IoU with gt0 = 4/100, with gt1 = 4/16 -> gt1
    assert t[2].tolist() == pytest.approx([0.25, 1.0, 0.25])
    assert t[3].tolist() == [0.0, 0.0, 0.0]


def test_derived_iou_is_exact_iou():
    torch.manual_seed(0)
    xy = torch.rand(200, 2) * 50
    det = torch.cat([xy, xy + torch.rand(200, 2) * 40 + 1], 1).double()
    gt = torch.tensor([[10., 10., 40., 30.]], dtype=torch.float64)
    iou, iod, iog = loc_quality_targets(det, gt).unbind(1)
    overlapping = iou > 0
    assert overlapping.sum() > 50
    assert torch.allclose(derived_iou(iod, iog)[overlapping],
                          iou[overlapping], atol=1e-9)
    assert torch.equal(derived_iou(torch.zeros(3), torch.zeros(3)),
                       torch.zeros(3))


def test_degenerate_boxes_and_no_gt_are_finite():
    det = torch.tensor([[5., 5., 5., 5.], [3., 3., 1., 1.], [0., 0., 4., 4.]])
    gt = torch.tensor([[0., 0., 10., 10.], [2., 2., 2., 8.]])
    t = loc_quality_targets(det, gt)
    assert torch.isfinite(t).all()
    assert t[0].tolist() == [0.0, 0.0, 0.0]
    assert t[1].tolist() == [0.0, 0.0, 0.0]
    assert t[2].tolist() == pytest.approx([0.16, 1.0, 0.16])
    assert torch.equal(loc_quality_targets(det, torch.zeros(0, 4)),
                       torch.zeros(3, 3))


def test_value_bins_and_fine_targets():
    v = torch.tensor([0.0, 0.05, 0.0999, 0.1, 0.25, 0.4, 0.7, 0.85, 1.0])
    bins, fine = c2f_encode(v)
    assert bins.tolist() == [0, 0, 0, 1, 1, 2, 3, 3, 3]
    assert torch.equal(value_to_bin(v), bins)
    assert fine.tolist() == pytest.approx(
        [-1, 0, 0.998, -1, 0, -1, -1, 0, 1], abs=1e-5)


def test_c2f_decode_hand_set():
    # uniform coarse probabilities, zero offsets: the mean of the anchors
    v = c2f_decode(torch.zeros(1, 4), torch.zeros(1, 4))
    assert v.item() == pytest.approx((0.05 + 0.25 + 0.55 + 0.85) / 4)
    # probabilities (0, 0.5, 0.5, 0) via logits (-inf, 0, 0, -inf),
    # offsets +1 / -1 -> 0.5 * (0.25 + 0.15) + 0.5 * (0.55 - 0.15)
    logits = torch.tensor([[-1e9, 0., 0., -1e9]])
    v = c2f_decode(logits, torch.tensor([[5., 1., -1., 5.]]))
    assert v.item() == pytest.approx(0.4)


def test_c2f_round_trip():
    v = torch.linspace(0, 1, 101, dtype=torch.float64)
    bins, fine = c2f_encode(v)
    logits = torch.full((101, 4), -1e4, dtype=torch.float64)
    logits.scatter_(1, bins[:, None], 0.0)
    offsets = torch.zeros(101, 4, dtype=torch.float64)
    offsets.scatter_(1, bins[:, None], fine[:, None])
    assert torch.allclose(c2f_decode(logits, offsets), v, atol=1e-12)


def test_le_hard_mining_ratio_and_hardest():
    bins = torch.tensor([0] * 100 + [1] * 10 + [2] * 5 + [3] * 3)
    losses = torch.arange(len(bins), dtype=torch.float).flip(0)
    mask = le_hard_mining(losses, bins, min_per_range=2)
    counts = torch.bincount(bins[mask], minlength=4).tolist()
    assert counts == [9, 3, 3, 3]  # 3:1:1:1, unit = the 3 high samples
    # the highest-loss samples of each range (losses fall with the index)
    assert mask[:9].all() and not mask[9:100].any()
    assert mask[100:103].all() and not mask[103:110].any()
    assert mask[110:113].all() and mask[115:].all()


def test_le_hard_mining_empty_ranges():
    bins = torch.tensor([0] * 50 + [1] * 8 + [2] * 4)
    mask = le_hard_mining(torch.rand(len(bins)), bins, min_per_range=2)
    assert torch.bincount(bins[mask], minlength=4).tolist() == [12, 4, 4, 0]
    # nothing overlaps: only background, min_per_range sets the unit
    bins = torch.zeros(50, dtype=torch.long)
    mask = le_hard_mining(torch.rand(50), bins, min_per_range=4)
    assert mask.sum().item() == 12
    # floor at min_per_range: a range with fewer samples gives all it has
    bins = torch.tensor([0] * 60 + [1] * 30 + [2] * 2 + [3] * 1)
    mask = le_hard_mining(torch.rand(len(bins)), bins, min_per_range=8)
    assert torch.bincount(bins[mask], minlength=4).tolist() == [24, 8, 2, 1]


def test_scoring_formulas():
    iou, iod, iog = torch.tensor([0.6]), torch.tensor([0.8]), torch.tensor(
        [0.5])
    # IoU' = 0.4 / (0.8 + 0.5 - 0.4) = 4/9
    assert loc_confidence(iou, iod, iog, lam=0.6).item() == pytest.approx(
        0.36 + 0.4 * 4 / 9)
    assert loc_confidence(iou, iod, iog, lam=1.0).item() == pytest.approx(0.6)
    cls = torch.tensor([[0.8, 0.1]])
    loc = torch.tensor([[0.5]])
    assert combine_scores(cls, loc, 'product').tolist()[0] == pytest.approx(
        [0.4, 0.05])
    # eq. 4: cls * exp(-(1 - loc)^2 / sigma)
    assert combine_scores(cls, loc, 'gaussian', sigma=1.0).tolist()[0] == \
        pytest.approx([0.8 * math.exp(-0.25), 0.1 * math.exp(-0.25)])
    assert combine_scores(cls, loc, 'gaussian', sigma=0.5)[0, 0].item() == \
        pytest.approx(0.8 * math.exp(-0.5))
    assert torch.equal(combine_scores(cls, loc, 'cls'), cls)
    with pytest.raises(ValueError):
        combine_scores(cls, loc, 'sum')


def test_power_scoring_exact():
    """conf = cls ** (1 - a) * loc ** a, values chosen to be exact in
    float64: 0.64 ** 0.5 * 0.25 ** 0.5 = 0.8 * 0.5."""
    cls = torch.tensor([[0.64, 0.04]], dtype=torch.float64)
    loc = torch.tensor([[0.25]], dtype=torch.float64)
    assert combine_scores(cls, loc, 'power', power=0.5).tolist() == [[
        0.4, 0.1
    ]]
    # a = 0: the class confidence alone; a = 1: the loc confidence alone
    assert torch.equal(power_scores(cls, loc, 0.0), cls)
    assert power_scores(cls, loc, 1.0).tolist() == [[0.25, 0.25]]
    # cls 2**-4, loc 2**-8, a 0.25: 2 ** (-4 * 0.75 - 8 * 0.25) = 2 ** -5
    assert power_scores(
        torch.tensor([2.0**-4], dtype=torch.float64),
        torch.tensor([2.0**-8], dtype=torch.float64),
        0.25).item() == 2.0**-5
    with pytest.raises(ValueError, match='loc_power'):
        power_scores(cls, loc, 1.5)


def test_keep_above_is_the_class_score_mask():
    conf = torch.tensor([[0.3, 0.02, 0.7], [0.05, 0.0, 1.0]])
    cls = torch.tensor([[0.5, 0.05, 0.9], [0.0500001, 0.0, 1.0]])
    # cls == thr drops out, the next float above it stays
    assert torch.equal(keep_above(conf, cls, 0.05),
                       torch.tensor([[0.3, -1., 0.7], [0.05, -1., 1.0]]))
    assert torch.equal(keep_above(conf, cls, 0.0),
                       torch.tensor([[0.3, 0.02, 0.7], [0.05, -1., 1.0]]))
    # the same as masked_fill, bit for bit, on every float near thr
    torch.manual_seed(0)
    thr = 0.05
    cls = torch.cat([torch.rand(1000),
                     torch.full((1, ), thr).nextafter(torch.tensor(1.)),
                     torch.full((1, ), thr).nextafter(torch.tensor(0.)),
                     torch.full((1, ), thr)])
    conf = torch.rand(cls.shape)
    assert torch.equal(keep_above(conf, cls, thr),
                       conf.masked_fill(cls <= thr, -1))


def test_loc_quality_sampler_is_le_hard_mining_by_iou_range():
    """The registered sampler bins by the IoU target (C2F ranges) and
    keeps what le_hard_mining keeps."""
    sampler = TASK_UTILS.build(
        dict(type='LocQualitySampler', ratios=(3, 1, 1, 1), min_per_range=2))
    assert isinstance(sampler, LocQualitySampler)
    ious = torch.tensor([0.0] * 100 + [0.2] * 10 + [0.5] * 5 + [0.9] * 3)
    losses = torch.arange(len(ious), dtype=torch.float).flip(0)
    mask = sampler.sample(losses, ious)
    assert torch.equal(
        mask, le_hard_mining(losses, value_to_bin(ious), min_per_range=2))
    assert torch.bincount(value_to_bin(ious)[mask]).tolist() == [9, 3, 3, 3]
    with pytest.raises(ValueError, match='ratios'):
        LocQualitySampler(ratios=(3, 1, 1))
