import math

import pytest
import torch

from mmdet_led.models.losses import SharpL2Loss, sharp_l2_loss


@pytest.mark.parametrize('x, value, slope', [
    (0.0, 0.0, 0.0),
    (0.5, 0.125, 0.5),
    (-0.5, 0.125, -0.5),
    (0.999999, 0.5 * 0.999999**2, 0.999999),
    (1.0, 0.5, 1.0),  # 1/3 + 1/6 = 0.5 = 0.5 * 1**2: continuous value
    (2.0, 8 / 3 + 1 / 6, 4.0),
    (-3.0, 9 + 1 / 6, -9.0),
])
def test_sharp_l2_value_and_gradient(x, value, slope):
    pred = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    loss = sharp_l2_loss(pred, torch.zeros(1, dtype=torch.float64),
                         reduction='sum')
    loss.backward()
    assert loss.item() == pytest.approx(value, abs=1e-12)
    assert pred.grad.item() == pytest.approx(slope, abs=1e-12)


def test_sharp_l2_slope_continuous_at_one():
    for eps in (1e-4, -1e-4):
        pred = torch.tensor([1.0 + eps], dtype=torch.float64,
                            requires_grad=True)
        sharp_l2_loss(pred, torch.zeros(1, dtype=torch.float64),
                      reduction='sum').backward()
        assert pred.grad.item() == pytest.approx(1.0, abs=3e-4)


def test_plain_l2_option():
    pred, target = torch.tensor([0.5, 2.0, -3.0]), torch.zeros(3)
    loss = SharpL2Loss(sharp=False, reduction='none')(pred, target)
    assert torch.allclose(loss, torch.tensor([0.125, 2.0, 4.5]))


def test_reductions_weight_and_avg_factor():
    pred = torch.tensor([0.5, 2.0, 0.0, -1.0])
    target = torch.zeros(4)
    per = torch.tensor([0.125, 8 / 3 + 1 / 6, 0.0, 0.5])
    loss = SharpL2Loss(loss_weight=2.0)
    assert loss(pred, target).item() == pytest.approx(2 * per.mean().item())
    assert loss(pred, target, reduction_override='sum').item() == \
        pytest.approx(2 * per.sum().item())
    assert loss(pred, target, avg_factor=10).item() == \
        pytest.approx(2 * per.sum().item() / 10)
    weight = torch.tensor([1.0, 0.0, 1.0, 1.0])
    assert loss(pred, target, weight, avg_factor=2).item() == \
        pytest.approx(2 * (0.125 + 0.5) / 2)
    assert torch.allclose(
        loss(pred, target, reduction_override='none'), 2 * per)
    assert not math.isnan(loss(pred[:0], target[:0]).item())
