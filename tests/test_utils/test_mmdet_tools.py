"""tools/train.py and tools/test.py run MMDetection's packaged tools."""
import os.path as osp

import mmdet
import pytest

from mmdet_led.utils import mmdet_tool_path, run_mmdet_tool

from conftest import REPO, run_tool


@pytest.mark.parametrize('name', ['train.py', 'test.py'])
def test_packaged_tool_is_found(name):
    path = mmdet_tool_path(name)
    assert osp.isfile(path)
    assert path.startswith(osp.dirname(osp.abspath(mmdet.__file__)))


def test_missing_tool_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(mmdet, '__file__', str(tmp_path / 'mmdet' /
                                               '__init__.py'))
    with pytest.raises(FileNotFoundError, match='pip install mmdet'):
        mmdet_tool_path('train.py')


def test_run_passes_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_mmdet_tool('test.py', ['--help'])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert 'config' in out and 'checkpoint' in out and '--tta' in out


def test_wrappers_hold_no_mmdet_code():
    """The wrappers only import mmdet_led and hand over to mmdet's tool."""
    for name in ('train.py', 'test.py'):
        text = (REPO / 'tools' / name).read_text()
        assert 'OpenMMLab' not in text and 'argparse' not in text
        assert f"run_mmdet_tool('{name}')" in text


@pytest.mark.slow
@pytest.mark.parametrize('name,options', [
    ('train.py', ['--resume', '--amp', '--cfg-options', '--launcher']),
    ('test.py', ['--out', '--show-dir', '--tta', '--cfg-options']),
])
def test_wrapper_help(name, options):
    out = run_tool(f'tools/{name}', '--help')
    assert out.startswith(f'usage: {name}')
    for option in options:
        assert option in out
