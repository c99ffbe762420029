"""A checkpoint that cannot be loaded names itself and says why, through
MMEngine's loader (``load_from``, ``--resume`` and ``tools/test.py`` all use
it); refused pickles stay refused, without advice to turn the check off."""
import os
import pickle
import re

import pytest
import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint

import mmdet_led  # noqa: F401  (applies the patch)
from conftest import REPO
from mmdet_led.patches.checkpoint_errors import (CheckpointLoadError,
                                                 checkpoint_file_problem,
                                                 refused_global)

UNSAFE_ADVICE = 'weights_only` set to `False`'


@pytest.fixture
def good(tmp_path):
    path = tmp_path / 'good.pth'
    torch.save({'meta': {}, 'state_dict': nn.Linear(3, 2).state_dict()},
               path)
    return path


def load_error(path) -> str:
    with pytest.raises(CheckpointLoadError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(info.value)
    assert message.startswith(f'cannot load checkpoint {path}: ')
    assert UNSAFE_ADVICE not in message
    return message


def test_good_checkpoint_loads(good):
    assert checkpoint_file_problem(str(good)) is None
    model = nn.Linear(3, 2)
    load_checkpoint(model, str(good), map_location='cpu')  # as load_from
    assert torch.equal(model.weight, torch.load(good)['state_dict']['weight'])


def test_zero_byte_checkpoint(tmp_path):
    path = tmp_path / 'zero.pth'
    path.write_bytes(b'')
    assert 'the file is empty (0 bytes' in load_error(path)


def test_random_bytes_checkpoint(tmp_path):
    path = tmp_path / 'random.pth'
    path.write_bytes(bytes(range(7, 256)) * 16)
    assert ('the file is not a PyTorch checkpoint: neither the zip archive '
            "torch.save writes nor a legacy pickle (3984 bytes starting with "
            "b'\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e')") in load_error(path)


def test_truncated_checkpoint(tmp_path, good):
    path = tmp_path / 'truncated.pth'
    data = good.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    assert ('the file is truncated or corrupt: the zip archive that '
            f'torch.save writes has no central directory ({len(data) // 2} '
            'bytes') in load_error(path)


def test_load_from_names_the_file_too(tmp_path):
    path = tmp_path / 'zero.pth'
    path.write_bytes(b'')
    with pytest.raises(CheckpointLoadError, match=re.escape(str(path))):
        load_checkpoint(nn.Linear(3, 2), str(path), map_location='cpu')


def test_malicious_pickle_stays_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'hook': os.system}, path)
    message = load_error(path)
    assert re.search(r'refused: it pickles (posix|nt)\.system, which '
                     'weights-only loading does not allow', message)
    assert 'Do not turn weights_only off' in message


def test_refused_global_parsing():
    err = pickle.UnpicklingError(
        'Weights only load failed. ... Unsupported global: GLOBAL '
        'pytest.approx was not an allowed global by default.')
    assert refused_global(err) == 'pytest.approx'
    assert refused_global(ValueError('GLOBAL x')) is None
    assert refused_global(pickle.UnpicklingError('invalid load key')) is None


def test_missing_checkpoint_keeps_mmengine_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


@pytest.mark.slow
def test_tools_test_with_truncated_checkpoint(tmp_path, good):
    """tools/test.py, as a user runs it, names the file and the problem."""
    import subprocess
    import sys
    path = tmp_path / 'iter_100.pth'
    data = good.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    proc = subprocess.run(
        [sys.executable, 'tools/test.py',
         'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py', str(path),
         '--work-dir', str(tmp_path / 'work')],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (f'CheckpointLoadError: cannot load checkpoint {path}: the file is '
            'truncated or corrupt') in out, out[-3000:]
