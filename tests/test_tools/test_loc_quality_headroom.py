"""tools/analysis_tools/loc_quality_headroom.py on real VOC images with a
random-weights LED: its tables, its JSON, and its refusal of plain heads."""
import json

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmdet_led  # noqa: F401
from conftest import REPO, run_tool, write_config

pytestmark = pytest.mark.slow

TOOL = 'tools/analysis_tools/loc_quality_headroom.py'


def random_checkpoint(tmp_path, voc_root, base):
    cfg = write_config(
        tmp_path / base, base,
        'model = dict(backbone=dict(init_cfg=None))\n'
        f"test_dataloader = dict(dataset=dict(data_root='{voc_root}/'))\n")
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cfg).model)
    ckpt = tmp_path / f'{base}.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return cfg, ckpt


def test_tables_and_json(voc_root, tmp_path):
    cfg, ckpt = random_checkpoint(tmp_path, voc_root,
                                  'ledlite_mobilenetv2_192_voc07_cpu.py')
    out = run_tool(REPO / TOOL, cfg, ckpt, '--num', '3', '--cfg-options',
                   'model.test_cfg.score_thr=0', '--out',
                   tmp_path / 'h.json')
    result = json.loads((tmp_path / 'h.json').read_text())
    assert result['images'] == 3 and result['num'] == 3
    assert result['split'] is None
    assert [r['ranking'] for r in result['aps']] == [
        'class confidence (cls)', 'LE estimates, gaussian',
        'LE estimates, product', 'true quality, gaussian',
        'true quality, product'
    ]
    for row in result['aps']:
        assert set(row) == {'ranking', 'mAP50', 'AP70', 'AP'}
        assert all(0 <= row[k] <= 100 for k in ('mAP50', 'AP70', 'AP'))
        assert f"| {row['ranking']}" in out
    assert set(result['object_ranking']) == {'conf_cls', 'conf_loc',
                                             'conf_final', 'pred_iou'}
    assert 'within-object Spearman' in out
    spread = result['object_spread']
    assert set(spread) == {'true_iou_sd', 'pred_iou_sd', 'le_error_sd',
                           'objects'}
    assert 'within-object SD of the true IoU' in out


def test_refuses_a_head_without_le(voc_root, tmp_path):
    cfg, ckpt = random_checkpoint(tmp_path, voc_root,
                                  'ssdlite_mobilenetv2_192_voc07_cpu.py')
    with pytest.raises(AssertionError, match='has no LE module'):
        run_tool(REPO / TOOL, cfg, ckpt, '--num', '1')
