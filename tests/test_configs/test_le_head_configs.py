"""Configs of LE on MMDetection's FPN heads: the one type= change on mmdet's
own configs, and each LED config against its plain twin."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config

import mmdet_led  # noqa: F401  (registers the LED heads)
from conftest import REPO

LED = REPO / 'configs' / 'led'
LE_HEAD_KEYS = ('le_module', 'loss_le_coarse', 'loss_le_fine', 'alpha',
                'beta')
LE_TEST_KEYS = ('score_mode', 'loc_lambda', 'loc_sigma', 'score_thr_on')
#: Top-level keys an LED config may add to its twin: the LE base's
#: variables, the DDP setting it needs, and the CPU recipe's phase hook and
#: LE learning rate.
LE_TOP_KEYS = {
    'le_keys', 'led_head', 'led_retina_head', 'led_fcos_head',
    'led_atss_head', 'le_module_lite', 'led_retina_head_lite',
    'led_fcos_head_lite', 'led_atss_head_lite', 'led_train_cfg', 'led_test_cfg', 'model_wrapper_cfg',
    'custom_hooks', 'optim_wrapper', 'custom_imports'
}
PLAIN_TYPE = dict(LEDRetinaHead='RetinaHead', LEDFCOSHead='FCOSHead',
                  LEDATSSHead='ATSSHead')
CPU = '_efficientnetlite0_fpn_192_voc07_cpu.py'
PAIRS = [
    ('retinanet/led-retinanet_r50_fpn_1x_coco.py',
     'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'),
    ('retinanet/led-retinanet_r50_fpn_1x_voc0712.py',
     'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'),
    ('fcos/led-fcos_r50-caffe_fpn_gn-head_1x_coco.py',
     'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'),
    ('fcos/led-fcos_r50-caffe_fpn_gn-head_1x_voc0712.py',
     LED / 'fcos/fcos_r50-caffe_fpn_gn-head_1x_voc0712.py'),
    (f'retinanet/led-retinanet{CPU}', LED / f'retinanet/retinanet{CPU}'),
    (f'fcos/led-fcos{CPU}', LED / f'fcos/fcos{CPU}'),
    (f'atss/led-atss{CPU}', LED / f'atss/atss{CPU}'),
]


def load(path) -> Config:
    """A config from a file or an ``mmdet::`` name (inherited as a user's
    config would inherit it)."""
    if str(path).startswith('mmdet::'):
        return Config.fromstring(f"_base_ = '{path}'\n", '.py')
    return Config.fromfile(path)


def small_input(size: int = 256):
    """One image large enough for a 2x2 P7 (GN over 1x1 maps fails)."""
    sample = DetDataSample(metainfo=dict(
        img_shape=(size, size), ori_shape=(size, size),
        pad_shape=(size, size), scale_factor=(1., 1.)))
    return torch.randn(1, 3, size, size), [sample]


@pytest.mark.slow  # builds and runs three ResNet-50 detectors
@pytest.mark.parametrize('base, led_type', [
    ('retinanet/retinanet_r50_fpn_1x_coco.py', 'LEDRetinaHead'),
    ('fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py', 'LEDFCOSHead'),
    ('atss/atss_r50_fpn_1x_coco.py', 'LEDATSSHead'),
])
def test_one_type_change_on_mmdet_config_builds_led(base, led_type):
    cfg = load(f'mmdet::{base}')
    cfg.model.bbox_head.type = led_type
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    head = model.bbox_head
    assert type(head).__name__ == led_type
    assert head.le_module.shared_levels
    assert head.num_classes == 80
    inputs, samples = small_input()
    with torch.no_grad():
        pred = model.predict(inputs, samples)[0].pred_instances
    assert {'scores', 'cls_scores', 'loc_scores'} <= set(pred.keys())


def _without_le(model: dict) -> dict:
    """An LED model config with the LE parts taken out."""
    model = copy.deepcopy(model)
    head = model['bbox_head']
    head['type'] = PLAIN_TYPE[head['type']]
    for key in LE_HEAD_KEYS:
        head.pop(key)
    model['train_cfg'].pop('le_sampler')
    if not model['train_cfg']:
        model.pop('train_cfg')
    for key in LE_TEST_KEYS:
        model['test_cfg'].pop(key)
    return model


@pytest.mark.parametrize('led, plain', PAIRS)
def test_led_config_is_its_twin_plus_le(led, plain):
    led_cfg = Config.fromfile(LED / led).to_dict()
    plain_cfg = load(plain).to_dict()
    plain_model = plain_cfg['model']
    if plain_model.get('train_cfg') == {}:  # FCOS trains without one
        plain_model.pop('train_cfg')
    assert _without_le(led_cfg['model']) == plain_model
    assert led_cfg['model']['train_cfg']['le_sampler'] == dict(
        type='LocQualitySampler', ratios=(3, 1, 1, 1), min_per_range=16)
    assert led_cfg['model']['test_cfg']['score_thr_on'] == 'cls'
    added = set(led_cfg) - set(plain_cfg)
    assert added <= LE_TOP_KEYS
    for key in set(plain_cfg) - LE_TOP_KEYS - {'model'}:
        value = copy.deepcopy(led_cfg[key])
        if key == 'default_hooks' and 'non_finite_check' not in plain_cfg[
                key]:  # mmdet-led's NaN check on top of mmdet's runtime
            value.pop('non_finite_check')
        assert value == plain_cfg[key], key
    if 'cpu' in led:  # the CPU LED recipe: det, then joint, LE at 10x
        assert led_cfg['custom_hooks'][0]['type'] == 'LEDPhaseHook'
        assert [p['name'] for p in led_cfg['custom_hooks'][0]['phases']
                ] == ['det', 'joint']
        assert led_cfg['optim_wrapper']['paramwise_cfg'] == dict(
            custom_keys={'bbox_head.le_module': dict(lr_mult=10.0)})
    else:  # joint from the start
        assert 'custom_hooks' not in added


def test_cpu_rivals_share_backbone_neck_data_and_schedule():
    """RetinaNet, FCOS, ATSS and GFL on the CPU backbone differ in the head
    (and what it trains and tests with) and FPN's extra levels only."""
    names = ['retinanet/retinanet', 'fcos/fcos', 'atss/atss', 'gfl/gfl']
    cfgs = [Config.fromfile(LED / f'{n}{CPU}').to_dict() for n in names]
    ssd = Config.fromfile(
        LED / 'ssdlite_efficientnetlite0_192_voc07_cpu.py').to_dict()
    types = [c['model']['bbox_head']['type'] for c in cfgs]
    assert types == ['RetinaHead', 'FCOSHead', 'ATSSHead', 'GFLHead']
    for cfg in cfgs:
        model = cfg['model']
        assert model['backbone'] == dict(
            ssd['model']['backbone'], out_indices=(3, 5, 8))
        assert model['data_preprocessor']['mean'] == [127.0] * 3
        neck = {k: v for k, v in model['neck'].items()
                if k not in ('add_extra_convs', 'relu_before_extra_convs')}
        assert neck == {k: v for k, v in cfgs[0]['model']['neck'].items()
                        if k != 'add_extra_convs'}
        head = model['bbox_head']
        assert (head['num_classes'], head['in_channels'],
                head['feat_channels'], head['stacked_convs']) == (20, 64, 64,
                                                                  2)
        for key in ('train_dataloader', 'test_dataloader', 'param_scheduler',
                    'optim_wrapper', 'train_cfg', 'test_evaluator'):
            assert cfg[key] == ssd[key], key
