"""mmengine reads mmdet's metafiles once per process, and parses the same."""
import os.path as osp

from mmengine.config import Config
from mmengine.config import utils as config_utils
from mmengine.utils import get_installed_path

import mmdet_led  # noqa: F401

from conftest import REPO


def test_metafiles_are_loaded_once():
    index = osp.join(get_installed_path('mmdet'), '.mim', 'model-index.yml')
    first = config_utils.load(index)
    assert 'Import' in first
    assert config_utils.load(index) is first


def test_configs_parse_as_without_the_cache(monkeypatch):
    path = str(REPO / 'configs' / 'led' / 'ssd300_vgg16_voc0712.py')
    cached = Config.fromfile(path).to_dict()
    monkeypatch.setattr(config_utils, 'load', config_utils.load.__wrapped__)
    assert Config.fromfile(path).to_dict() == cached
