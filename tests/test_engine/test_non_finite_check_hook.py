"""NonFiniteCheckHook: a diverging training stops loudly at the first
non-finite loss and no checkpoint with non-finite weights is written or named
by ``last_checkpoint``."""
import math
import os
import os.path as osp
import re
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

import mmdet_led  # noqa: F401  (registers the hook)
from conftest import REPO, write_config
from mmdet_led.engine.hooks import NonFiniteCheckHook
from mmdet_led.engine.hooks.non_finite_check_hook import (batch_image_files,
                                                          non_finite_tensors,
                                                          non_finite_terms)

# ----------------------------------------------------------- the helpers


def test_non_finite_terms():
    assert non_finite_terms(dict(loss=1.0, loss_a=0.5)) == []
    assert non_finite_terms(
        dict(loss=math.nan, loss_a=0.5, loss_b=math.inf,
             loss_c=-math.inf)) == ['loss', 'loss_b', 'loss_c']


def test_non_finite_tensors():
    tensors = dict(
        a=torch.ones(3),
        b=torch.tensor([1., math.nan]),
        c=torch.tensor([math.inf]),
        steps=torch.tensor(3),  # integer tensors cannot be non-finite
        note='text')
    assert non_finite_tensors(tensors) == ['b', 'c']


def test_batch_image_files():
    samples = [
        BaseDataElement(metainfo=dict(img_path='a.jpg')),
        BaseDataElement(metainfo=dict())
    ]
    assert batch_image_files(dict(data_samples=samples)) == ['a.jpg', '?']
    assert batch_image_files(dict(inputs=[])) == []
    assert batch_image_files(None) == []


# ---------------------------------------------- the hook on a fake runner


def fake_runner(iteration: int = 4):
    return SimpleNamespace(iter=iteration)


def test_after_train_iter_names_iteration_terms_and_images():
    hook = NonFiniteCheckHook()
    batch = dict(data_samples=[
        BaseDataElement(metainfo=dict(img_path='x/000005.jpg')),
        BaseDataElement(metainfo=dict(img_path='x/000007.jpg'))
    ])
    finite = dict(loss=torch.tensor(2.), loss_cls=torch.tensor(1.5),
                  loss_bbox=torch.tensor(0.5))
    hook.after_train_iter(fake_runner(), 4, batch, finite)  # no error
    # a non-loss output (e.g. an accuracy) is not checked
    hook.after_train_iter(fake_runner(), 4, batch,
                          dict(finite, acc=torch.tensor(math.nan)))
    bad = dict(loss=torch.tensor(math.inf), loss_cls=torch.tensor(1.5),
               loss_bbox=torch.tensor(math.inf))
    with pytest.raises(FloatingPointError) as info:
        hook.after_train_iter(fake_runner(), 4, batch, bad)
    message = str(info.value)
    assert message.startswith('Non-finite loss at iteration 5;')
    assert ('non-finite loss, loss_bbox (loss=inf, loss_cls=1.5, '
            'loss_bbox=inf); batch images: x/000005.jpg, x/000007.jpg'
            ) in message


def test_before_save_checkpoint_refuses_non_finite_state():
    hook = NonFiniteCheckHook()
    good = dict(
        meta=dict(iter=8),
        state_dict={'w': torch.ones(2)},
        optimizer=dict(state={0: dict(momentum_buffer=torch.ones(2))},
                       param_groups=[]))
    hook.before_save_checkpoint(fake_runner(), good)
    weights = dict(good, state_dict={'w': torch.tensor([1., math.nan])})
    with pytest.raises(FloatingPointError,
                       match=r'at iteration 8: 1 tensor\(s\) hold NaN.*\(w\)'):
        hook.before_save_checkpoint(fake_runner(), weights)
    momentum = dict(
        good, optimizer=dict(
            state={0: dict(momentum_buffer=torch.tensor([math.inf]))}))
    with pytest.raises(FloatingPointError,
                       match='optimizer state 0.momentum_buffer'):
        hook.before_save_checkpoint(fake_runner(), momentum)
    NonFiniteCheckHook(check_checkpoints=False).before_save_checkpoint(
        fake_runner(), weights)


# ------------------------------------- a real diverging training (toy)


class LinearRegressor(BaseModel):
    """y = w.x by SGD: with a huge learning rate every step multiplies the
    error by about ``-2 lr |x|^2``, so the loss overflows to inf after a
    few iterations and turns NaN after that."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, inputs, target=None, data_samples=None, mode='tensor'):
        pred = self.fc(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss_mse=((pred - torch.stack(target))**2).mean())
        return pred


class RegressionSet(Dataset):

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(8, 4, generator=g)
        self.y = torch.randn(8, 1, generator=g)

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict:
        return dict(
            inputs=self.x[i],
            target=self.y[i],
            data_samples=BaseDataElement(metainfo=dict(img_path=f'{i}.jpg')))


def diverging_runner(work_dir, nan_hook, custom_hooks=()) -> Runner:
    default_hooks = dict(
        checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
        logger=dict(type='LoggerHook', interval=1))
    if nan_hook is not None:
        default_hooks['non_finite_check'] = nan_hook
    return Runner(
        model=LinearRegressor(),
        work_dir=str(work_dir),
        experiment_name=f'nan_{uuid.uuid4().hex}',
        train_dataloader=dict(
            dataset=RegressionSet(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=30),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=300.)),
        default_hooks=default_hooks,
        custom_hooks=list(custom_hooks),
        randomness=dict(seed=0),
        default_scope='mmdet')


def saved_checkpoints(work_dir):
    names = [n for n in sorted(work_dir.iterdir()) if n.suffix == '.pth']
    return {n.name: torch.load(n, weights_only=False) for n in names}


@pytest.mark.slow
def test_diverging_training_stops_before_a_nan_checkpoint(tmp_path):
    runner = diverging_runner(tmp_path / 'ours',
                              dict(type='NonFiniteCheckHook'))
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    found = re.search(r'Non-finite loss at iteration (\d+);', str(info.value))
    assert found, str(info.value)
    failed = int(found.group(1))
    assert 2 < failed < 30
    assert re.search(r'non-finite loss, loss_mse .*batch images: \d\.jpg, '
                     r'\d\.jpg', str(info.value))
    ckpts = saved_checkpoints(tmp_path / 'ours')
    # every iteration before the failing one was saved, that one was not
    assert sorted(ckpts) == sorted(f'iter_{i}.pth' for i in range(1, failed))
    for name, ckpt in ckpts.items():
        assert non_finite_tensors(ckpt['state_dict']) == [], name
    last = (tmp_path / 'ours' / 'last_checkpoint').read_text().strip()
    assert osp.basename(last) == f'iter_{failed - 1}.pth'

    # The control: MMEngine's CheckInvalidLossHook as the VGG16 configs had
    # it (VERY_LOW, after CheckpointHook) stops the same run one checkpoint
    # too late: the failing iteration's checkpoint is written and named by
    # last_checkpoint, and auto-resume would continue from it.
    runner = diverging_runner(
        tmp_path / 'theirs', None,
        [dict(type='CheckInvalidLossHook', interval=1, priority='VERY_LOW')])
    with pytest.raises(AssertionError):  # mmdet's hook, no message
        runner.train()
    last = (tmp_path / 'theirs' / 'last_checkpoint').read_text().strip()
    assert osp.basename(last) == f'iter_{failed}.pth'


# ------------------------------ end to end: the LED config through tools


@pytest.mark.slow
def test_led_training_with_huge_lr_stops_loudly(toy_voc, tmp_path):
    """tools/train.py with the CPU LED config on toy data at a learning
    rate of 1e30: a non-zero exit naming the iteration, the loss terms and
    the batch's images; no checkpoint with non-finite weights."""
    cfg = write_config(
        tmp_path / 'led_diverge.py', 'ledlite_mobilenetv2_192_voc07_cpu.py',
        f"""
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{toy_voc}/', indices=4))
train_cfg = dict(max_iters=8, val_interval=100)
val_dataloader = None
val_cfg = None
val_evaluator = None
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=1e30))
param_scheduler = []
custom_hooks = [dict(type='LEDPhaseHook', phases=[dict(name='det', end=8)])]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
""")
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir',
         str(work)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    found = re.search(
        r'FloatingPointError: Non-finite loss at iteration (\d+);.*\n'
        r'non-finite (.*) \(loss=.*\); batch images: (.*)', out)
    assert found, out[-3000:]
    failed = int(found.group(1))
    assert {'loss_cls', 'loss_bbox'} & set(found.group(2).split(', '))
    images = found.group(3).split(', ')
    assert len(images) == 2 and all(
        i.startswith(f'{toy_voc}/VOC2007/JPEGImages/') for i in images)
    ckpts = saved_checkpoints(work)
    assert f'iter_{failed}.pth' not in ckpts
    for name, ckpt in ckpts.items():
        assert non_finite_tensors(ckpt['state_dict']) == [], name
    if ckpts:
        last = (work / 'last_checkpoint').read_text().strip()
        assert osp.basename(last) == f'iter_{failed - 1}.pth'
