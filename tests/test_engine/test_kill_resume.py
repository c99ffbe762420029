"""Kill anywhere: a training process SIGKILLed in the middle of step 2
('le') and again in the middle of step 3 ('joint'), each time resumed with
``tools/train.py --resume`` (auto-resume from ``last_checkpoint``), ends with
the weights and optimizer state of an uninterrupted run, bit for bit.

The CPU LED config as it is (random augmentation included) on toy data,
2 iterations per phase, a checkpoint after every iteration."""
import os
import re
import signal
import subprocess
import sys

import pytest
import torch

from conftest import REPO, write_config

pytestmark = pytest.mark.slow

BODY = """
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}/', indices=6))
train_cfg = dict(max_iters=6, val_interval=100)
val_dataloader = None
val_cfg = None
val_evaluator = None
param_scheduler = []
custom_hooks = [
    dict(type='LEDPhaseHook', phases=[dict(name='det', end=2),
                                      dict(name='le', end=4),
                                      dict(name='joint', end=6)])
]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=-1))
randomness = dict(seed=0)
"""


def train(cfg, work, *extra, kill_after=None) -> str:
    """Run tools/train.py; with ``kill_after`` SIGKILL it as soon as the
    log line of that iteration (1-based) appears, i.e. while the next
    iteration runs."""
    cmd = [sys.executable, 'tools/train.py', str(cfg), '--work-dir',
           str(work), *extra]
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if kill_after is not None and f'Iter(train) [{kill_after}/6]' in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=600)
    out = ''.join(lines)
    if kill_after is None:
        assert proc.returncode == 0, out[-4000:]
    else:
        assert proc.returncode == -signal.SIGKILL, out[-4000:]
    return out


def final_state(work) -> dict:
    return torch.load(work / 'iter_6.pth', map_location='cpu',
                      weights_only=False)


def test_sigkill_mid_le_and_mid_joint_resumes_bit_identical(toy_voc,
                                                            tmp_path):
    cfg = write_config(tmp_path / 'led_kill.py',
                       'ledlite_mobilenetv2_192_voc07_cpu.py',
                       BODY.format(root=toy_voc))
    train(cfg, tmp_path / 'full')

    work = tmp_path / 'killed'
    train(cfg, work, kill_after=3)  # killed in iteration 4 of 6 ('le')
    out = train(cfg, work, '--resume', kill_after=5)  # in 6 ('joint')
    resumed = int(re.search(r'resumed epoch: \d+, iter: (\d+)',
                            out).group(1))
    assert resumed in (2, 3)  # the last checkpoint written before the kill
    assert 'phase 2/3 "le"' in out
    out = train(cfg, work, '--resume')
    resumed = int(re.search(r'resumed epoch: \d+, iter: (\d+)',
                            out).group(1))
    assert resumed in (4, 5)
    assert 'phase 3/3 "joint"' in out

    full, killed = final_state(tmp_path / 'full'), final_state(work)
    assert full['meta']['iter'] == killed['meta']['iter'] == 6
    assert full['state_dict'].keys() == killed['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(value, killed['state_dict'][key]), key
    a, b = full['optimizer']['state'], killed['optimizer']['state']
    assert a.keys() == b.keys()
    for index in a:
        for name, value in a[index].items():
            assert torch.equal(value, b[index][name]), (index, name)
