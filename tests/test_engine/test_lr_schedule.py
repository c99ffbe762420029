"""Tests of :class:`PiecewiseConstantLR` against the LED300 schedule.

The paper trains LED300 for 240k iterations (batch 28, SGD, momentum 0.9,
weight decay 5e-4):

- step 1 ('det'):   1e-3 for 80k, 1e-4 for 20k, 1e-5 for 20k (to 120k);
- step 2 ('le'):    1e-4 for 20k, 1e-5 for 20k               (to 160k);
- step 3 ('joint'): 1e-4 for 40k, 1e-5 for 40k               (to 240k).
"""
import io
import warnings
from typing import List

import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.optim.scheduler import LinearLR
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import DefaultScope

import mmdet_led  # noqa: F401  (registers the components, compat fixes)
from mmdet_led.engine.schedulers import PiecewiseConstantLR

from conftest import PAPER_LR_MILESTONES as MILESTONES
from conftest import PAPER_LR_VALUES as VALUES

MAX_ITERS = 240000
# The paper's schedule written out independently of the scheduler:
# (number of iterations, lr) per segment.
PAPER_SEGMENTS = [
    (80000, 1e-3),
    (20000, 1e-4),
    (20000, 1e-5),  # step 1
    (20000, 1e-4),
    (20000, 1e-5),  # step 2
    (40000, 1e-4),
    (40000, 1e-5)
]  # step 3


def paper_lr(iteration: int) -> float:
    """The paper's LR for 0-based iteration ``iteration``."""
    start = 0
    for length, lr in PAPER_SEGMENTS:
        if iteration < start + length:
            return lr
        start += length
    raise ValueError(iteration)


# Each boundary b (and the last iteration), tested at b - 1, b, b + 1.
BOUNDARY_ITERS = sorted({i
                         for b in MILESTONES
                         for i in (b - 1, b, b + 1)}
                        | {0, 1, MAX_ITERS - 2, MAX_ITERS - 1})


def make_optimizer(lr: float = 1e-3) -> torch.optim.SGD:
    param = nn.Parameter(torch.ones(3))
    return torch.optim.SGD([param], lr=lr, momentum=0.9, weight_decay=5e-4)


def make_scheduler(optimizer, **kwargs) -> PiecewiseConstantLR:
    cfg = dict(by_epoch=False, milestones=MILESTONES, values=VALUES)
    cfg.update(kwargs)
    return PiecewiseConstantLR(optimizer, **cfg)


def run_schedule(optimizer,
                 schedulers,
                 num_iters: int,
                 start: int = 0) -> List[float]:
    """Step like mmengine's train loop: iteration ``i`` runs with the
    current LR (recorded), then ``optimizer.step()`` and, in
    ``ParamSchedulerHook.after_train_iter``, every ``scheduler.step()``.

    The optimizer has no gradients, so its step would be a no-op; it is
    called once only (it is what dominates the run time), which is all that
    mmengine's "scheduler.step() before optimizer.step()" check looks at.
    """
    lrs = []
    optimizer.step()
    for _ in range(start, num_iters):
        lrs.append(optimizer.param_groups[0]['lr'])
        for scheduler in schedulers:
            scheduler.step()
    return lrs


def test_paper_table():
    assert sum(n for n, _ in PAPER_SEGMENTS) == MAX_ITERS
    assert len(VALUES) == len(MILESTONES) + 1
    scheduler = make_scheduler(make_optimizer())
    for i in BOUNDARY_ITERS:
        assert scheduler.value_at(i) == paper_lr(i), i


def test_paper_schedule_stepped_for_real():
    """All 240k steps with a real SGD optimizer (~0.3 s)."""
    optimizer = make_optimizer(lr=0.5)  # the optimizer's own lr is ignored
    scheduler = make_scheduler(optimizer)
    lrs = run_schedule(optimizer, [scheduler], MAX_ITERS)
    for i in BOUNDARY_ITERS:
        assert lrs[i] == paper_lr(i), i
    expected = [lr for n, lr in PAPER_SEGMENTS for _ in range(n)]
    assert lrs == expected
    # past the end of the table the last value holds
    assert run_schedule(optimizer, [scheduler], 3) == [1e-5] * 3


def test_small_scale_real_training_steps():
    """A scaled-down schedule (1/1000) with real updates and an
    OptimWrapper, as the Runner builds it."""
    param = nn.Parameter(torch.ones(4))
    optim_wrapper = OptimWrapper(
        torch.optim.SGD([param], lr=1e-3, momentum=0.9, weight_decay=5e-4))
    scheduler = PiecewiseConstantLR(
        optim_wrapper,
        by_epoch=False,
        milestones=[m // 1000 for m in MILESTONES],
        values=VALUES)
    lrs = []
    for i in range(MAX_ITERS // 1000):
        lrs.append(optim_wrapper.get_lr()['lr'][0])
        optim_wrapper.update_params((param**2).sum())
        scheduler.step()
    assert lrs == [paper_lr(i * 1000) for i in range(MAX_ITERS // 1000)]
    assert lrs[79:82] == [1e-3, 1e-4, 1e-4]
    assert lrs[159:161] == [1e-5, 1e-4]  # 160: step 3 starts at 1e-4
    assert not torch.equal(param.detach(), torch.ones(4))


@pytest.mark.parametrize('i', BOUNDARY_ITERS)
def test_last_step_fast_path(i):
    """Building with ``last_step=i - 1`` (resume without a state dict)
    gives the LR of iteration ``i`` at once."""
    optimizer = make_optimizer()
    optimizer.param_groups[0]['initial_lr'] = 1e-3
    make_scheduler(optimizer, last_step=i - 1)
    assert optimizer.param_groups[0]['lr'] == paper_lr(i)


@pytest.mark.parametrize('resume_at', [130000, 150000])
def test_resume_mid_phase_2(resume_at):
    """State-dict round trip (through a weights-only ``torch.load``, as
    torch >= 2.6 loads checkpoints) in the middle of step 2 continues with
    exactly the LRs of an uninterrupted run."""
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    uninterrupted = run_schedule(optimizer, [scheduler], MAX_ITERS)

    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    before = run_schedule(optimizer, [scheduler], resume_at)
    buf = io.BytesIO()
    torch.save(
        dict(
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict()), buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)

    # Runner.resume order: optimizer and schedulers are built anew (which
    # sets the LR of step 0), then the optimizer and the schedulers load
    # their states.
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    assert optimizer.param_groups[0]['lr'] == 1e-3
    optimizer.load_state_dict(ckpt['optimizer'])
    scheduler.load_state_dict(ckpt['scheduler'])
    assert optimizer.param_groups[0]['lr'] == paper_lr(resume_at)
    after = run_schedule(optimizer, [scheduler], MAX_ITERS, start=resume_at)
    assert before + after == uninterrupted
    assert scheduler.last_step == MAX_ITERS


def test_resume_with_longer_training():
    """Step 1 trained alone (MMEngine then sets ``end=max_iters=120000``),
    resumed with the full 240k config: the LR follows the full table from
    iteration 120000 on (1e-4 there, not the 1e-5 left in the optimizer)."""
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    uninterrupted = run_schedule(optimizer, [scheduler], MAX_ITERS)

    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer, end=120000)
    before = run_schedule(optimizer, [scheduler], 120000)
    assert optimizer.param_groups[0]['lr'] == 1e-5  # frozen at its end
    ckpt = dict(
        optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict())

    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer, end=MAX_ITERS)
    optimizer.load_state_dict(ckpt['optimizer'])
    scheduler.load_state_dict(ckpt['scheduler'])
    assert scheduler.end == MAX_ITERS
    assert optimizer.param_groups[0]['lr'] == 1e-4 == paper_lr(120000)
    after = run_schedule(optimizer, [scheduler], MAX_ITERS, start=120000)
    assert before + after == uninterrupted


def test_warmup_then_table():
    """LinearLR warm-up for the first 5 iterations, then the table from
    ``begin=5``: the warm-up scales the optimizer's lr (= values[0]), the
    table takes over at 5 and ignores what the warm-up left."""
    optimizer = make_optimizer(lr=1e-3)
    warmup = LinearLR(
        optimizer, start_factor=0.1, by_epoch=False, begin=0, end=5)
    table = PiecewiseConstantLR(
        optimizer,
        by_epoch=False,
        begin=5,
        milestones=[8, 10],
        values=[1e-3, 1e-4, 1e-5])
    lrs = run_schedule(optimizer, [warmup, table], 12)
    # mmengine LinearLR reaches end_factor at its last step (end - 1)
    expected_warmup = [1e-3 * (0.1 + 0.9 * i / 4) for i in range(5)]
    assert lrs[:5] == pytest.approx(expected_warmup, rel=1e-12)
    assert lrs[0] < lrs[1] < lrs[3] < lrs[4] == pytest.approx(1e-3)
    assert lrs[5:] == [1e-3] * 3 + [1e-4] * 2 + [1e-5] * 2


def test_begin_end_respected():
    optimizer = make_optimizer(lr=0.5)
    scheduler = PiecewiseConstantLR(
        optimizer,
        by_epoch=False,
        begin=2,
        end=6,
        milestones=[4],
        values=[1e-3, 1e-4])
    lrs = run_schedule(optimizer, [scheduler], 8)
    # untouched before begin; frozen at the last value from end on
    assert lrs == [0.5, 0.5, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4]


def test_param_group_ratios_kept():
    """``paramwise_cfg`` lr_mult (here a bias group with 2x lr) survives."""
    w = nn.Parameter(torch.ones(2))
    b = nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD(
        [dict(params=[w]), dict(params=[b], lr=2e-3)], lr=1e-3, momentum=0.9)
    scheduler = PiecewiseConstantLR(
        optimizer, by_epoch=False, milestones=[2], values=[1e-3, 1e-4])
    lrs = []
    for _ in range(4):
        lrs.append([g['lr'] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    assert lrs == [[1e-3, 2e-3]] * 2 + [[1e-4, 2e-4]] * 2


def test_by_epoch_and_conversion():
    optimizer = make_optimizer()
    scheduler = PiecewiseConstantLR(
        optimizer, milestones=[2, 3], values=[1e-3, 1e-4, 1e-5])
    assert scheduler.by_epoch
    assert run_schedule(optimizer, [scheduler], 4) == [1e-3, 1e-3, 1e-4, 1e-5]

    optimizer = make_optimizer()
    scheduler = PiecewiseConstantLR.build_iter_from_epoch(
        optimizer,
        milestones=[2, 3],
        values=[1e-3, 1e-4, 1e-5],
        epoch_length=10)
    assert not scheduler.by_epoch
    assert scheduler.milestones == [20, 30]
    lrs = run_schedule(optimizer, [scheduler], 31)
    assert lrs[19:22] == [1e-3, 1e-4, 1e-4]
    assert lrs[29:31] == [1e-4, 1e-5]


def test_built_from_config():
    """Resolves as ``type='PiecewiseConstantLR'`` under default_scope mmdet
    (as the Runner builds ``param_scheduler``), with
    ``convert_to_iter_based`` too."""
    optimizer = make_optimizer()
    with DefaultScope.overwrite_default_scope('mmdet'):
        scheduler = MMENGINE_PARAM_SCHEDULERS.build(
            dict(
                type='PiecewiseConstantLR',
                by_epoch=False,
                milestones=MILESTONES,
                values=VALUES),
            default_args=dict(optimizer=optimizer))
        assert isinstance(scheduler, PiecewiseConstantLR)
        converted = MMENGINE_PARAM_SCHEDULERS.build(
            dict(
                type='PiecewiseConstantLR',
                milestones=[1],
                values=[1e-3, 1e-4],
                convert_to_iter_based=True),
            default_args=dict(optimizer=make_optimizer(), epoch_length=7))
        assert converted.milestones == [7] and not converted.by_epoch


@pytest.mark.parametrize('milestones,values', [
    ([10, 20], [1e-3, 1e-4]),
    ([10, 20], [1e-3, 1e-4, 1e-5, 1e-6]),
    ([20, 10], [1e-3, 1e-4, 1e-5]),
    ([10, 10], [1e-3, 1e-4, 1e-5]),
])
def test_invalid_table(milestones, values):
    with pytest.raises(ValueError):
        PiecewiseConstantLR(
            make_optimizer(), milestones=milestones, values=values)


def test_no_warnings_in_normal_use():
    optimizer = make_optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        scheduler = make_scheduler(optimizer)
        run_schedule(optimizer, [scheduler], 3)
