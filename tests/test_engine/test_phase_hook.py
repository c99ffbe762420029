"""Tests of :class:`LEDPhaseHook`: phase lookup, freezing in 'le', phase
checkpoints and resume, on a toy detector-like model."""
import os.path as osp
import uuid
from types import SimpleNamespace
from typing import Dict, List, Optional

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmdet_led  # noqa: F401  (registers the components, compat fixes)
from mmdet_led.engine.hooks import LEDPhaseHook

LE = 'bbox_head.le_module.'


# --------------------------------------------------------------------- #
# A toy detector-like model
# --------------------------------------------------------------------- #
class ToyLEModule(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 1)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.fc(self.bn(self.conv(feat)).relu().mean((2, 3)))


class ToyHead(nn.Module):
    """'det' trains det_conv, 'le' only le_module, 'joint' both; the LE
    branch reads the (not detached) features, so without freezing the
    backbone would get gradients in 'le'."""

    def __init__(self) -> None:
        super().__init__()
        self.phase = 'det'
        self.det_conv = nn.Conv2d(4, 2, 3, padding=1)
        self.gn = nn.GroupNorm(2, 2)
        self.le_module = ToyLEModule()

    def loss(self, feat: torch.Tensor,
             target: torch.Tensor) -> Dict[str, torch.Tensor]:
        losses = {}
        if self.phase in ('det', 'joint'):
            pred = self.gn(self.det_conv(feat)).mean((2, 3))
            losses['loss_det'] = ((pred - target)**2).mean()
        if self.phase in ('le', 'joint'):
            quality = self.le_module(feat)
            losses['loss_le'] = ((quality - target[:, :1])**2).mean()
        return losses


class ToyDetector(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),  # backbone.0: frozen on purpose
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU())
        self.bbox_head = ToyHead()
        for p in self.backbone[0].parameters():
            p.requires_grad_(False)

    def forward(self,
                inputs: torch.Tensor,
                target: Optional[torch.Tensor] = None,
                mode: str = 'tensor'):
        feat = self.backbone(inputs)
        if mode == 'loss':
            return self.bbox_head.loss(feat, target)
        return feat


ON_PURPOSE = {'backbone.0.weight', 'backbone.0.bias'}
BN_OUTSIDE = ['backbone.1', 'backbone.4']


class ToyDataset(Dataset):

    def __init__(self, num: int = 8) -> None:
        g = torch.Generator().manual_seed(1)
        self.inputs = torch.randn(num, 3, 6, 6, generator=g)
        self.targets = torch.randn(num, 2, generator=g)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, idx: int) -> dict:
        return dict(inputs=self.inputs[idx], target=self.targets[idx])


def snapshot(model: nn.Module) -> Dict[str, torch.Tensor]:
    """Parameters and buffers (BN running stats), cloned."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def phases(det: int, le: int, joint: int) -> List[dict]:
    return [
        dict(name='det', end=det),
        dict(name='le', end=le),
        dict(name='joint', end=joint)
    ]


# --------------------------------------------------------------------- #
# Phase lookup and arguments
# --------------------------------------------------------------------- #
def test_phase_of_iteration():
    hook = LEDPhaseHook(phases(4, 8, 12))
    expected = {
        0: 'det',
        3: 'det',
        4: 'le',
        7: 'le',
        8: 'joint',
        11: 'joint',
        12: 'joint',
        1000: 'joint'
    }
    for i, name in expected.items():
        assert hook.phase_of(i) == name, i
    assert [hook.phase_index(i) for i in (0, 3, 4, 8, 12, 99)] == \
        [0, 0, 1, 2, 2, 2]

    paper = LEDPhaseHook(phases(120000, 160000, 240000))
    assert paper.phase_of(119999) == 'det'
    assert paper.phase_of(120000) == 'le'
    assert paper.phase_of(159999) == 'le'
    assert paper.phase_of(160000) == 'joint'
    assert paper.phase_of(240000) == 'joint'


@pytest.mark.parametrize('bad', [
    [],
    [dict(name='det', end=4), dict(name='le', end=4)],
    [dict(name='det', end=8), dict(name='le', end=4)],
    [dict(name='LE', end=4)],
    [dict(name='det', end=0)],
    [dict(name='det', end=4.0)],
    [dict(name='det')],
    [dict(name='det', end=4, begin=0)],
])
def test_invalid_phases(bad):
    with pytest.raises(ValueError):
        LEDPhaseHook(bad)


def test_registered_under_mmdet_scope():
    from mmengine.registry import HOOKS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        hook = HOOKS.build(dict(type='LEDPhaseHook', phases=phases(1, 2, 3)))
    assert isinstance(hook, LEDPhaseHook)


def test_missing_le_module_is_reported():
    hook = LEDPhaseHook(phases(1, 2, 3), le_module_name='bbox_head.nope')
    runner = SimpleNamespace(model=ToyDetector())
    with pytest.raises(AttributeError, match='bbox_head.nope'):
        hook.before_train(runner)


# --------------------------------------------------------------------- #
# Freezing, driven step by step like mmengine's IterBasedTrainLoop
# --------------------------------------------------------------------- #
def make_fake_runner(model: nn.Module, accumulative_counts: int = 1):
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    optim_wrapper = OptimWrapper(
        optimizer, accumulative_counts=accumulative_counts)
    optim_wrapper.initialize_count_status(model, 0, 100)
    return SimpleNamespace(
        model=model,
        optim_wrapper=optim_wrapper,
        iter=0,
        epoch=0,
        logger=MMLogger.get_current_instance(),
        message_hub=MessageHub.get_current_instance(),
        work_dir='unused')


def train_iter(hook: LEDPhaseHook,
               runner,
               batch: dict,
               zero_kwargs: Optional[dict] = None,
               after_hook=None) -> None:
    """One iteration the way IterBasedTrainLoop + BaseModel.train_step run
    it: model.train(), before_train_iter hooks, forward, update_params."""
    runner.model.train()
    hook.before_train_iter(runner, runner.iter, batch)
    if after_hook is not None:
        after_hook()
    losses = runner.model(**batch, mode='loss')
    loss, _ = runner.model.parse_losses(losses)
    runner.optim_wrapper.update_params(loss, zero_kwargs=zero_kwargs)
    runner.iter += 1


BATCH = dict(inputs=ToyDataset().inputs[:4], target=ToyDataset().targets[:4])


@pytest.mark.parametrize(
    'set_to_none,accumulative_counts', [(True, 1), (False, 1), (False, 2)],
    ids=['grads-freed', 'grads-zeroed', 'grads-zeroed-accumulated'])
def test_freeze_in_le_phase(set_to_none, accumulative_counts):
    """'det' (3 iters) -> 'le' (4 iters) -> 'joint' (3 iters).

    'det' ends at 3, so with accumulative_counts=2 the backbone holds a
    gradient accumulated in iteration 2 (not yet applied) when 'le' starts.
    """
    model = ToyDetector()
    runner = make_fake_runner(model, accumulative_counts)
    optimizer = runner.optim_wrapper.optimizer
    hook = LEDPhaseHook(phases(3, 7, 10))
    hook.before_train(runner)
    zero_kwargs = dict(set_to_none=set_to_none)
    params = dict(model.named_parameters())
    trainable_outside = [
        n for n in params if not n.startswith(LE) and n not in ON_PURPOSE
    ]
    init = snapshot(model)

    # ---- 'det'
    for _ in range(3):
        train_iter(hook, runner, BATCH, zero_kwargs)
        assert model.bbox_head.phase == 'det'
    det_end = snapshot(model)
    for n in params:
        if n.startswith(LE) or n in ON_PURPOSE:
            assert torch.equal(det_end[n], init[n]), n
        else:
            assert not torch.equal(det_end[n], init[n]), n
    # the optimizer carries non-zero momentum into 'le'
    for n in trainable_outside:
        assert optimizer.state[params[n]]['momentum_buffer'].abs().sum() > 0
    if not set_to_none:  # stale (zero or accumulated) gradients are left
        assert all(params[n].grad is not None for n in trainable_outside)
    if accumulative_counts == 2:
        assert params['backbone.3.weight'].grad.abs().sum() > 0

    # ---- 'le'
    for k in range(4):
        if k == 2:  # a gradient appearing after before_train_iter (e.g.
            # filled by a DDP wrapper) is dropped before optimizer.step()
            def fill():
                params['backbone.3.weight'].grad = torch.ones_like(
                    params['backbone.3.weight'])
        else:
            fill = None
        train_iter(hook, runner, BATCH, zero_kwargs, after_hook=fill)
        assert model.bbox_head.phase == 'le'
        now = snapshot(model)
        for key in now:  # params and BN running stats outside LE
            if not key.startswith(LE):
                assert torch.equal(now[key], det_end[key]), (k, key)
        for name in BN_OUTSIDE:
            assert not model.get_submodule(name).training
        assert model.bbox_head.le_module.bn.training
        assert model.bbox_head.le_module.training
        for n, p in params.items():
            assert p.requires_grad == (n.startswith(LE)), n
    le_end = snapshot(model)
    for key in le_end:
        if key.startswith(LE) and not key.endswith('num_batches_tracked'):
            assert not torch.equal(le_end[key], det_end[key]), key
    # momentum of the frozen parameters was dropped on entering 'le'
    for n in trainable_outside:
        assert params[n] not in optimizer.state, n
    assert MessageHub.get_current_instance().get_info('phase') == 'le'

    # ---- 'joint'
    for k in range(3):
        runner.model.train()
        hook.before_train_iter(runner, runner.iter, BATCH)
        assert model.bbox_head.phase == 'joint'
        for name in BN_OUTSIDE:
            assert model.get_submodule(name).training
        losses = model(**BATCH, mode='loss')
        assert set(losses) == {'loss_det', 'loss_le'}
        loss, _ = model.parse_losses(losses)
        runner.optim_wrapper.backward(loss)
        if runner.optim_wrapper.should_update():
            for n, p in params.items():
                if n in ON_PURPOSE:
                    assert not p.requires_grad and p.grad is None, n
                else:
                    assert p.requires_grad, n
                    assert p.grad is not None and p.grad.abs().sum() > 0, n
            runner.optim_wrapper.step()
            runner.optim_wrapper.zero_grad(**zero_kwargs)
        runner.iter += 1
    joint_end = snapshot(model)
    for n in params:
        if n in ON_PURPOSE:
            assert torch.equal(joint_end[n], init[n]), n
        else:
            assert not torch.equal(joint_end[n], le_end[n]), n

    hook.after_train(runner)
    assert {n for n, p in params.items() if not p.requires_grad} == \
        ON_PURPOSE


def test_requires_grad_alone_would_not_freeze():
    """Sanity check of the test above: with zeroed (not freed) gradients,
    ``requires_grad=False`` alone lets momentum and weight decay move the
    'frozen' parameters. (This is what the hook guards against.)"""
    model = ToyDetector()
    runner = make_fake_runner(model)
    model.bbox_head.phase = 'det'
    for _ in range(2):
        loss, _ = model.parse_losses(model(**BATCH, mode='loss'))
        runner.optim_wrapper.update_params(
            loss, zero_kwargs=dict(set_to_none=False))
    before = snapshot(model)
    model.bbox_head.phase = 'le'
    for n, p in model.named_parameters():
        if not n.startswith(LE):
            p.requires_grad_(False)
    loss, _ = model.parse_losses(model(**BATCH, mode='loss'))
    runner.optim_wrapper.update_params(
        loss, zero_kwargs=dict(set_to_none=False))
    assert not torch.equal(model.backbone[3].weight,
                           before['backbone.3.weight'])


def test_resume_in_le_freezes_at_once():
    """A fresh hook at iteration 5 (as after a resume) freezes before the
    first iteration; the state is derived from runner.iter alone."""
    model = ToyDetector()
    runner = make_fake_runner(model)
    runner.iter = 5
    hook = LEDPhaseHook(phases(4, 8, 12))
    hook.before_train(runner)
    before = snapshot(model)
    train_iter(hook, runner, BATCH)
    assert model.bbox_head.phase == 'le'
    after = snapshot(model)
    for key in after:
        if not key.startswith(LE):
            assert torch.equal(after[key], before[key]), key
    assert not torch.equal(after[LE + 'fc.weight'], before[LE + 'fc.weight'])


# --------------------------------------------------------------------- #
# With a real Runner: 3 phases of 4 iterations
# --------------------------------------------------------------------- #
MILESTONES = [2, 4, 6, 8, 10]
VALUES = [0.05, 0.02, 0.01, 0.03, 0.01, 0.02]
PHASES = phases(4, 8, 12)


class RecorderHook(Hook):
    """Records, right before each iteration's forward, the phase, the LR and
    which parameters are trainable."""
    priority = 'LOWEST'

    def __init__(self) -> None:
        self.records: Dict[int, dict] = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = runner.model
        self.records[runner.iter] = dict(
            phase=model.bbox_head.phase,
            lr=runner.optim_wrapper.get_lr()['lr'][0],
            trainable={
                n
                for n, p in model.named_parameters() if p.requires_grad
            },
            bn_outside_training=[
                model.get_submodule(n).training for n in BN_OUTSIDE
            ])


class StopHook(Hook):
    """Interrupts training after iteration ``stop_after`` (like a killed
    job), leaving the config, hence the schedulers' ``end``, unchanged."""
    priority = 'LOWEST'

    def __init__(self, stop_after: int) -> None:
        self.stop_after = stop_after

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.stop_after:
            runner.train_loop.stop_training = True


def build_runner(work_dir: str,
                 recorder: RecorderHook,
                 load_from: Optional[str] = None,
                 resume: bool = False,
                 stop_after: Optional[int] = None) -> Runner:
    custom_hooks = [dict(type='LEDPhaseHook', phases=PHASES), recorder]
    if stop_after is not None:
        custom_hooks.append(StopHook(stop_after))
    return Runner(
        model=ToyDetector(),
        work_dir=work_dir,
        experiment_name=f'led_phase_{uuid.uuid4().hex}',
        default_scope='mmdet',
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=12),
        optim_wrapper=dict(
            type='OptimWrapper',
            optimizer=dict(
                type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)),
        param_scheduler=[
            dict(
                type='PiecewiseConstantLR',
                by_epoch=False,
                milestones=MILESTONES,
                values=VALUES)
        ],
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                interval=3,
                by_epoch=False,
                max_keep_ckpts=2),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=custom_hooks,
        randomness=dict(seed=0),
        load_from=load_from,
        resume=resume)


def expected_lr(i: int) -> float:
    return VALUES[sum(m <= i for m in MILESTONES)]


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    """An uninterrupted 12-iteration run."""
    work_dir = str(tmp_path_factory.mktemp('full'))
    recorder = RecorderHook()
    runner = build_runner(work_dir, recorder)
    init = snapshot(runner.model)
    runner.train()
    return SimpleNamespace(
        work_dir=work_dir,
        recorder=recorder,
        init=init,
        final=snapshot(runner.model))


@pytest.mark.slow
def test_runner_phase_switch(full_run):
    rec = full_run.recorder.records
    assert sorted(rec) == list(range(12))
    all_params = set(dict(ToyDetector().named_parameters()))
    le_params = {n for n in all_params if n.startswith(LE)}
    for i in range(12):
        phase = ['det', 'le', 'joint'][i // 4]
        assert rec[i]['phase'] == phase, i
        assert rec[i]['lr'] == expected_lr(i), i
        if phase == 'le':
            assert rec[i]['trainable'] == le_params, i
            assert rec[i]['bn_outside_training'] == [False, False], i
        else:
            assert rec[i]['trainable'] == all_params - ON_PURPOSE, i
            assert rec[i]['bn_outside_training'] == [True, True], i


@pytest.mark.slow
def test_runner_phase_checkpoints(full_run):
    work_dir = full_run.work_dir
    names = [
        'phase1_det_iter_4.pth', 'phase2_le_iter_8.pth',
        'phase3_joint_iter_12.pth'
    ]
    ckpts = {}
    for name, end in zip(names, (4, 8, 12)):
        path = osp.join(work_dir, name)
        assert osp.isfile(path), name
        ckpts[end] = torch.load(path, map_location='cpu', weights_only=False)
        assert ckpts[end]['meta']['iter'] == end
        assert 'optimizer' in ckpts[end] and 'param_schedulers' in ckpts[end]
        # scheduler state saved after ParamSchedulerHook stepped it
        assert ckpts[end]['param_schedulers'][0]['_global_step'] == end
        assert ckpts[end]['message_hub']['runtime_info']['phase'] == \
            ['det', 'le', 'joint'][end // 4 - 1]
    # CheckpointHook's own bookkeeping is untouched: max_keep_ckpts=2
    # kept iter_9/iter_12 only, and last_checkpoint points to its own file
    assert not osp.exists(osp.join(work_dir, 'iter_6.pth'))
    assert osp.isfile(osp.join(work_dir, 'iter_12.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work_dir, 'iter_12.pth')
    # in 'le' nothing outside the LE module moved, BN stats included
    sd4, sd8, sd12 = (ckpts[e]['state_dict'] for e in (4, 8, 12))
    for key in sd4:
        if key.startswith(LE):
            if not key.endswith('num_batches_tracked'):
                assert not torch.equal(sd4[key], sd8[key]), key
        else:
            assert torch.equal(sd4[key], sd8[key]), key
            assert torch.equal(sd4[key], full_run.init[key]) == \
                (key in ON_PURPOSE), key
    for key in sd12:
        if key in ON_PURPOSE:
            assert torch.equal(sd12[key], full_run.init[key]), key
        elif not key.endswith('num_batches_tracked'):
            assert not torch.equal(sd12[key], sd8[key]), key
        assert torch.equal(sd12[key], full_run.final[key]), key


@pytest.mark.slow
@pytest.mark.parametrize('ckpt', ['iter_6.pth', 'phase1_det_iter_4.pth'])
def test_runner_resume(full_run, tmp_path, ckpt):
    """Resume (``resume=True, load_from=...``) from the interval checkpoint
    in the middle of 'le', or from the phase-1 checkpoint: same phases,
    same frozen parameters, same LRs and bit-identical final weights."""
    # iter_6.pth of the full run was removed by max_keep_ckpts; rerun the
    # first 6 iterations with the same config to get it
    if ckpt == 'iter_6.pth':
        first = tmp_path / 'first'
        runner = build_runner(str(first), RecorderHook(), stop_after=6)
        runner.train()
        assert runner.iter == 6
        src = str(first / ckpt)
        start = 6
    else:
        src = osp.join(full_run.work_dir, ckpt)
        start = 4
    recorder = RecorderHook()
    runner = build_runner(
        str(tmp_path / 'resumed'), recorder, load_from=src, resume=True)
    runner.train()
    assert runner.iter == 12
    assert sorted(recorder.records) == list(range(start, 12))
    for i in range(start, 12):
        full = full_run.recorder.records[i]
        for key in ('phase', 'lr', 'trainable', 'bn_outside_training'):
            assert recorder.records[i][key] == full[key], (i, key)
    final = snapshot(runner.model)
    for key, value in full_run.final.items():
        assert torch.equal(final[key], value), key


@pytest.mark.slow
def test_phase_checkpoint_loads_weights_only(full_run):
    """Resuming with torch's default ``weights_only=True`` works with only
    the compat fixes of ``import mmdet_led``."""
    path = osp.join(full_run.work_dir, 'phase1_det_iter_4.pth')
    ckpt = torch.load(path, map_location='cpu')
    assert ckpt['meta']['iter'] == 4
