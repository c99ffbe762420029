import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / 'shared' / 'data'
VOC_ROOT = SHARED_DATA / 'voc2007' / 'VOCdevkit'


def pytest_configure(config) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto``) each worker, and
    every tool it starts, gets its share of the cores: N workers with the
    machine's thread count each would oversubscribe the CPU."""
    workers = os.environ.get('PYTEST_XDIST_WORKER_COUNT')
    if workers:
        threads = str(max(1, (os.cpu_count() or 1) // int(workers)))
        os.environ['OMP_NUM_THREADS'] = os.environ['MKL_NUM_THREADS'] = threads
        import torch
        torch.set_num_threads(int(threads))


#: LED300's 240k-iteration LR table (LED paper 3.1: steps det, le, joint).
PAPER_LR_MILESTONES = [80000, 100000, 120000, 140000, 160000, 200000]
PAPER_LR_VALUES = [1e-3, 1e-4, 1e-5, 1e-4, 1e-5, 1e-4, 1e-5]


@pytest.fixture(scope='session')
def repo() -> Path:
    return REPO


@pytest.fixture(scope='session')
def voc_root() -> Path:
    """The genuine VOC2007 subset beside the repository (read-only)."""
    if not (VOC_ROOT / 'VOC2007' / 'ImageSets').is_dir():
        pytest.skip(f'real VOC2007 not found at {VOC_ROOT}')
    return VOC_ROOT


def load_tool(name: str) -> ModuleType:
    """Import ``tools/<name>.py`` as a module (``tools/`` is no package)."""
    spec = importlib.util.spec_from_file_location(
        f'led_tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_toy_voc(root: str, *args, **kwargs) -> str:
    """``tools/make_toy_voc.py``'s generated VOC-format set at ``root``."""
    return load_tool('make_toy_voc').make_toy_voc(root, *args, **kwargs)


@pytest.fixture(scope='session')
def toy_voc(tmp_path_factory) -> Path:
    """A small generated VOC-format set (24 trainval, 8 test images)."""
    return Path(make_toy_voc(str(tmp_path_factory.mktemp('toy_voc')), 24, 8))


def run_tool(*args, timeout: int = 600) -> str:
    """Run ``tools/<script>`` with this interpreter from the repo root."""
    proc = subprocess.run([sys.executable, *map(str, args)],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out


def voc_metrics(output: str) -> dict:
    """Last reported ``pascal_voc/*`` metrics in a tool's output."""
    found = {}
    for key, value in re.findall(r'pascal_voc/(\w+): ([0-9.]+)', output):
        found[key] = float(value)
    return found


def write_config(path: Path, base: str, body: str) -> Path:
    """A config file inheriting ``configs/led/<base>`` plus ``body``."""
    path.write_text(
        f"_base_ = '{osp.join(REPO, 'configs', 'led', base)}'\n" + body)
    return path


def small_led_head_cfg(test_cfg: Optional[dict] = None,
                       with_train_cfg: bool = True,
                       **kwargs) -> dict:
    """A small ``LEDHead`` config: 2 SSD levels of a 64x64 image, 3 classes.

    ``test_cfg`` updates the default test settings; ``kwargs`` update the
    head's own keys.
    """
    cfg = dict(
        type='LEDHead',
        num_classes=3,
        in_channels=(8, 16),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            strides=[16, 32],
            ratios=[[2], [2]],
            min_sizes=[16, 32],
            max_sizes=[32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        test_cfg=dict(
            nms_pre=1000,
            nms=dict(type='nms', iou_threshold=0.45),
            min_bbox_size=0,
            score_thr=0.02,
            max_per_img=200))
    cfg['test_cfg'].update(test_cfg or {})
    if with_train_cfg:
        cfg['train_cfg'] = dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.,
                ignore_iof_thr=-1,
                gt_max_assign_all=False),
            sampler=dict(type='PseudoSampler'),
            smoothl1_beta=1.,
            allowed_border=-1,
            pos_weight=-1,
            neg_pos_ratio=3,
            debug=False,
            le_sampler=dict(type='LocQualitySampler', min_per_range=2))
    cfg.update(kwargs)
    return cfg


def random_norm_stats(module: 'torch.nn.Module') -> None:
    """Non-trivial BatchNorm statistics and norm affine parameters."""
    from torch import nn
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
        if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
