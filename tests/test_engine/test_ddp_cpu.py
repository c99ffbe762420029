"""Distributed training of LED through MMEngine/PyTorch DDP on CPU (gloo),
with the scripts users run (tools/dist_train.sh, tools/dist_test.sh).

One tiny LED (the CPU config with GroupNorm, SGD) is trained for three
iterations, one per phase ('det', 'le', 'joint'), by 2 processes x batch 2
and by 1 process x batch 4 on the same four images; every rank dumps its
weights after each iteration (``led_ddp_probe``).

Why the two must agree, and to what tolerance: DDP averages the ranks'
gradients, and SSD/LED normalise each rank's loss by that rank's number of
positive anchors (SSD) and of LE samples, as mmdet's SSDHead does. The
average of the ranks' gradients equals the batch-4 gradient only if those
normalisers are equal on both ranks, so the four images carry the same boxes
(anchor matching depends on the boxes only) and the LE sampler keeps every
prior (``min_per_range`` above the number of priors). GroupNorm instead of
BatchNorm keeps the statistics per image (SyncBN needs GPUs). What remains is
float32 rounding: the sums run in another order (per-rank sums averaged by
gloo, convolutions on batch 2 instead of 4), measured at a relative 3e-7 of
the update in step 1, 1e-6 in step 2 and 6e-5 in step 3 (the weights then
differ slightly, so later gradients are taken at slightly different points).
The tolerance, 1e-3 of the update's norm, is 15x above that; the update of
one rank's images alone differs from the batch-4 update by 0.21.
"""
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import REPO, make_toy_voc, voc_metrics, write_config

pytestmark = pytest.mark.slow

PROBE_DIR = Path(__file__).resolve().parent
LE = 'bbox_head.le_module.'
TOL = 1e-3

CONFIG = """
custom_imports = dict(imports=['mmdet_led', 'led_ddp_probe'],
                      allow_failed_imports=False)
gn = dict(_delete_=True, type='GN', num_groups=1)
model = dict(
    backbone=dict(norm_cfg=gn),
    neck=dict(norm_cfg=gn),
    bbox_head=dict(norm_cfg=gn, num_classes=3),
    train_cfg=dict(le_sampler=dict(min_per_range=100000)))
classes = ('car', 'person', 'dog')
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ValidatedVOCDataset', data_root='{root}/',
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=classes), pipeline=pipeline))
test_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{root}/', metainfo=dict(classes=classes)))
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_iters=3, val_interval=100)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9,
                   weight_decay=1e-4))
param_scheduler = []
custom_hooks = [
    dict(type='LEDPhaseHook', phases=[dict(name='det', end=1),
                                      dict(name='le', end=2),
                                      dict(name='joint', end=3)]),
    dict(type='RankWeightsDumpHook')
]
default_hooks = dict(logger=dict(interval=1), checkpoint=None)
randomness = dict(seed=0)
"""


def free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def run(*args) -> str:
    env = dict(os.environ, PYTHON=sys.executable, PORT=free_port(),
               OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [str(PROBE_DIR), os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([str(a) for a in args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ddp')
    root = Path(make_toy_voc(str(tmp / 'toy'), 4, 5))
    # the same boxes in every training image (see the module docstring)
    ann = root / 'VOC2007' / 'Annotations'
    ref = (ann / '000000.xml').read_text()
    for i in range(1, 4):
        (ann / f'{i:06d}.xml').write_text(
            ref.replace('000000.jpg', f'{i:06d}.jpg'))
    cfg = write_config(tmp / 'led_ddp.py',
                       'ledlite_mobilenetv2_192_voc07_cpu.py',
                       CONFIG.replace('{root}', str(root)))
    work = {k: tmp / k for k in ('ddp', 'single', 'resumed')}
    logs = {}
    logs['ddp'] = run('tools/dist_train.sh', cfg, 2, '--work-dir',
                      work['ddp'])
    logs['single'] = run(sys.executable, 'tools/train.py', cfg, '--work-dir',
                         work['single'], '--cfg-options',
                         'train_dataloader.batch_size=4')
    logs['resumed'] = run('tools/dist_train.sh', cfg, 2, '--work-dir',
                          work['resumed'], '--resume',
                          work['ddp'] / 'phase1_det_iter_1.pth')
    ckpt = work['ddp'] / 'phase3_joint_iter_3.pth'
    logs['test_ddp'] = run('tools/dist_test.sh', cfg, ckpt, 2, '--work-dir',
                           tmp / 'test_ddp', '--out', tmp / 'ddp.pkl')
    logs['test_single'] = run(sys.executable, 'tools/test.py', cfg, ckpt,
                              '--work-dir', tmp / 'test_single', '--out',
                              tmp / 'single.pkl')
    return tmp, work, logs


def weights(work: Path, rank: int, iteration: int) -> dict:
    return torch.load(work / 'ranks' / f'rank{rank}_iter{iteration}.pth')


def update(work: Path, rank: int, iteration: int) -> dict:
    before, after = (weights(work, rank, i)
                     for i in (iteration - 1, iteration))
    return {k: after[k] - before[k] for k in after
            if after[k].is_floating_point()}


def relative_difference(a: dict, b: dict) -> float:
    num = sum(float((a[k] - b[k]).norm()**2) for k in a)
    den = sum(float(b[k].norm()**2) for k in b)
    return (num / den)**0.5


def test_gloo_ddp_ran_all_three_phases(runs):
    _, work, logs = runs
    assert 'distributed training uses the gloo backend' in logs['ddp']
    for name in ('det', 'le', 'joint'):
        assert f'"{name}" done' in logs['ddp']
    assert sorted(p.name for p in (work['ddp'] / 'ranks').iterdir()) == [
        f'rank{r}_iter{i}.pth' for r in (0, 1) for i in range(4)]


def test_ranks_hold_the_same_weights(runs):
    _, work, _ = runs
    for i in range(4):
        w0, w1 = weights(work['ddp'], 0, i), weights(work['ddp'], 1, i)
        assert all(torch.equal(w0[k], w1[k]) for k in w0), i


@pytest.mark.parametrize('iteration,phase', [(1, 'det'), (2, 'le'),
                                             (3, 'joint')])
def test_two_by_two_equals_one_by_four(runs, iteration, phase):
    _, work, _ = runs
    if iteration == 1:  # the same start
        w_ddp, w_single = weights(work['ddp'], 0, 0), weights(
            work['single'], 0, 0)
        assert all(torch.equal(w_ddp[k], w_single[k]) for k in w_ddp)
    ddp, single = update(work['ddp'], 0, iteration), update(
        work['single'], 0, iteration)
    assert relative_difference(ddp, single) < TOL, phase
    moved = {k for k, v in single.items() if v.abs().max() > 0}
    if phase == 'det':  # the LE module is not used, nothing moves it
        assert moved and not any(k.startswith(LE) for k in moved)
    elif phase == 'le':
        assert moved and all(k.startswith(LE) for k in moved)
    else:
        assert any(k.startswith(LE) for k in moved) and any(
            not k.startswith(LE) for k in moved)


def test_frozen_set_does_not_move_on_any_rank(runs):
    _, work, _ = runs
    for rank in (0, 1):
        step = update(work['ddp'], rank, 2)  # the 'le' iteration
        frozen = [k for k in step if not k.startswith(LE)]
        assert len(frozen) > 100
        assert all(torch.equal(step[k], torch.zeros_like(step[k]))
                   for k in frozen), rank
        assert any(step[k].abs().max() > 0 for k in step if k.startswith(LE))


def test_resume_is_bit_identical(runs):
    _, work, logs = runs
    assert 'resumed epoch: 0, iter: 1' in logs['resumed']
    for rank in (0, 1):
        full, resumed = (weights(work[k], rank, 3)
                         for k in ('ddp', 'resumed'))
        assert all(torch.equal(full[k], resumed[k]) for k in full), rank
    a, b = (torch.load(work[k] / 'phase3_joint_iter_3.pth',
                       weights_only=False)['optimizer']['state']
            for k in ('ddp', 'resumed'))
    assert a.keys() == b.keys() and all(
        torch.equal(a[i][n], b[i][n]) for i in a for n in a[i])


def test_dist_test_equals_single_process_test(runs):
    tmp, _, logs = runs
    ddp, single = (voc_metrics(logs[k]) for k in ('test_ddp', 'test_single'))
    assert 'mAP' in ddp and ddp == single
    with open(tmp / 'ddp.pkl', 'rb') as f:
        a = pickle.load(f)
    with open(tmp / 'single.pkl', 'rb') as f:
        b = pickle.load(f)
    # 5 images on 2 ranks: the sampler pads rank 1, the results do not
    assert [r['img_id'] for r in a] == [r['img_id'] for r in b] and len(a) == 5
    for ra, rb in zip(a, b):
        pa, pb = ra['pred_instances'], rb['pred_instances']
        assert len(pa['scores']) == len(pb['scores']) > 0
        torch.testing.assert_close(pa['bboxes'], pb['bboxes'])
        torch.testing.assert_close(pa['scores'], pb['scores'])
