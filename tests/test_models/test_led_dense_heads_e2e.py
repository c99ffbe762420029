"""Each new LED head's CPU config through tools/train.py and tools/test.py
on generated VOC data: three phases, a resume in the middle of step 2."""
import re

import pytest
from mmengine.config import Config

from conftest import REPO, run_tool, voc_metrics

pytestmark = pytest.mark.slow

CONFIGS = {
    name: f'{name}/led-{name}_efficientnetlite0_fpn_192_voc07_cpu.py'
    for name in ('retinanet', 'fcos', 'atss')
}


def tiny_config(name: str, toy_voc, work_dir) -> Config:
    """The LED CPU config at 4 iterations of batch 2 (random backbone, no
    workers): 'det' to 1, 'le' to 3, 'joint' to 4, a checkpoint each."""
    cfg = Config.fromfile(REPO / 'configs/led' / CONFIGS[name])
    cfg.model.backbone.init_cfg = None
    cfg.train_cfg.update(max_iters=4, val_interval=10**6)
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=4)
    ]
    cfg.custom_hooks[0].phases = [
        dict(name='det', end=1), dict(name='le', end=3),
        dict(name='joint', end=4)
    ]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0,
                           persistent_workers=False)
        cfg[loader].dataset.data_root = f'{toy_voc}/'
    cfg.test_dataloader.dataset.indices = 4
    return cfg


def lr_at(log: str, iteration: int, max_iters: int) -> str:
    """The lr logged at ``iteration`` (after base_lr, with lr_mult)."""
    pattern = rf'Iter\(train\) \[{iteration}/{max_iters}\].*? lr: (\S+)'
    return re.search(pattern, log).group(1)


def losses_at(log: str, iteration: int) -> set:
    """Names of the losses logged at ``iteration``."""
    line = re.search(rf'Iter\(train\) \[ ?{iteration}/\d+\].*', log).group(0)
    return set(re.findall(r'(loss_\w+):', line))


@pytest.mark.parametrize('name', list(CONFIGS))
def test_led_head_three_phases_resume_and_test(name, toy_voc, tmp_path):
    cfg = tiny_config(name, toy_voc, tmp_path / 'work')
    cfg_file = tmp_path / f'{name}.py'
    cfg.dump(str(cfg_file))
    out = run_tool('tools/train.py', cfg_file)
    work = tmp_path / 'work'
    for ckpt in ('phase1_det_iter_1', 'phase2_le_iter_3',
                 'phase3_joint_iter_4'):
        assert (work / f'{ckpt}.pth').is_file(), ckpt
    assert not any(k.startswith('loss_le') for k in losses_at(out, 1))
    assert losses_at(out, 3) and all(
        k.startswith('loss_le') for k in losses_at(out, 3))
    joint = losses_at(out, 4)
    assert 'loss_cls' in joint and any(k.startswith('loss_le') for k in joint)
    # resume after iteration 2, inside step 2: same phase, same lr
    lr_3 = lr_at(out, 3, 4)
    resumed = run_tool('tools/train.py', cfg_file, '--resume',
                       work / 'iter_2.pth', '--work-dir',
                       tmp_path / 'resumed', '--cfg-options',
                       'train_cfg.max_iters=3')
    assert 'iteration 2: phase 2/3 "le"' in resumed
    assert lr_at(resumed, 3, 3) == lr_3
    test_out = run_tool('tools/test.py', cfg_file,
                        work / 'phase3_joint_iter_4.pth', '--work-dir',
                        tmp_path / 'test')
    assert 'mAP' in voc_metrics(test_out)
