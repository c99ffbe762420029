import importlib.util
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / 'shared' / 'data'
VOC_ROOT = SHARED_DATA / 'voc2007' / 'VOCdevkit'
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
