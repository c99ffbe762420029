"""LEDPhaseHook keeps the training log honest: each phase logs only the
losses it trains, in an uninterrupted and in a resumed run alike."""
import re
import uuid
from pathlib import Path
from typing import Dict, Optional

import pytest
from mmengine.runner import Runner

import mmdet_led  # noqa: F401  (registers the components)
from test_phase_hook import ToyDataset, ToyDetector

PHASES = [
    dict(name='det', end=2),
    dict(name='le', end=4),
    dict(name='joint', end=6)
]


def run(work_dir: Path, resume_from: Optional[str] = None) -> Runner:
    runner = Runner(
        model=ToyDetector(),
        work_dir=str(work_dir),
        experiment_name=f'led_logs_{uuid.uuid4().hex}',
        default_scope='mmdet',
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=6),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=1, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(by_epoch=False),
        custom_hooks=[dict(type='LEDPhaseHook', phases=PHASES)],
        randomness=dict(seed=0),
        load_from=resume_from,
        resume=resume_from is not None)
    runner.train()
    return runner


def logged_losses(runner: Runner) -> Dict[int, Dict[str, str]]:
    """``{iteration: {loss name: printed value}}`` of the train log."""
    text = Path(runner.log_dir, f'{runner.timestamp}.log').read_text()
    found = {}
    for line in text.splitlines():
        it = re.search(r'Iter\(train\) \[\s*(\d+)/', line)
        if it:
            found[int(it.group(1))] = dict(
                re.findall(r'(loss\w*): ([-0-9.e+]+)', line))
    return found


@pytest.mark.slow
def test_each_phase_logs_only_its_losses(tmp_path):
    full = logged_losses(run(tmp_path / 'full'))
    assert sorted(full) == [1, 2, 3, 4, 5, 6]
    names = {i: set(v) for i, v in full.items()}
    assert names[1] == names[2] == {'loss', 'loss_det'}
    # 'le': no loss_det frozen at its last 'det' value
    assert names[3] == names[4] == {'loss', 'loss_le'}
    assert names[5] == names[6] == {'loss', 'loss_det', 'loss_le'}
    # the total restarts with the phase: at iteration 3 it is loss_le alone
    assert full[3]['loss'] == full[3]['loss_le']

    # resumed at the 'det' -> 'le' boundary (the checkpoint's message hub
    # holds the 'det' losses) and in the middle of 'le': the same log
    for start in (2, 3):
        resumed = logged_losses(
            run(tmp_path / f'from{start}',
                str(tmp_path / 'full' / f'iter_{start}.pth')))
        assert resumed == {i: full[i] for i in range(start + 1, 7)}, start
