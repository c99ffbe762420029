"""Every config under configs/led parses and builds; the paper's settings."""
import glob
import os.path as osp

import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import mmdet_led  # noqa: F401

from conftest import PAPER_LR_MILESTONES as MILESTONES
from conftest import PAPER_LR_VALUES as VALUES
from conftest import REPO

CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs', 'led', '**', '*.py'),
                         recursive=True)
    if '_base_' not in f)
register_all_modules()


def load(name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', 'led', name))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert 'mmdet_led' in cfg.custom_imports['imports']
    for part in ('backbone', 'neck', 'bbox_head'):
        if part in cfg.model:
            assert MODELS.get(cfg.model[part].type) is not None, part
    # LED's three steps on every iteration-based LED config, ending with
    # the training; the epoch-based R50-FPN LED configs train jointly from
    # the start; plain heads have no phases
    phases = [
        h for h in cfg.get('custom_hooks', []) if h.type == 'LEDPhaseHook'
    ]
    if (cfg.model.bbox_head.type.startswith('LED')
            and cfg.train_cfg.type == 'IterBasedTrainLoop'):
        assert len(phases) == 1
        assert phases[0].phases[-1]['end'] == cfg.train_cfg.max_iters
    else:
        assert phases == []


@pytest.mark.slow  # builds every model (~0.4 s of CPU each)
@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    # random init: no download of pretrained weights in tests
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert type(model.bbox_head).__name__ == cfg.model.bbox_head.type


def test_ssd300_paper_settings():
    cfg = load('ssd300_vgg16_voc0712.py')
    assert cfg.train_dataloader.batch_size == 28
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 1e-3,
                                                                  0.9, 5e-4)
    assert cfg.train_cfg.max_iters == 120000
    (sched, ) = cfg.param_scheduler
    assert sched.milestones == [80000, 100000] and sched.gamma == 0.1
    assert cfg.model.bbox_head.anchor_generator.input_size == 300
    assert cfg.val_evaluator.eval_mode == '11points'
    assert cfg.model.backbone.init_cfg.checkpoint == 'open-mmlab://vgg16_caffe'


@pytest.mark.parametrize('name', ['led300_vgg16_voc0712.py',
                                  'ssd300_vgg16_240k_voc0712.py'])
def test_240k_schedule_is_the_papers(name):
    cfg = load(name)
    assert cfg.train_cfg.max_iters == 240000
    (sched, ) = cfg.param_scheduler
    assert sched.type == 'PiecewiseConstantLR'
    assert sched.milestones == MILESTONES and sched['values'] == VALUES
    assert cfg.train_dataloader.batch_size == 28


def test_led300_steps_and_scoring():
    cfg = load('led300_vgg16_voc0712.py')
    (hook, ) = [h for h in cfg.custom_hooks if h.type == 'LEDPhaseHook']
    assert hook.phases == [
        dict(name='det', end=120000),
        dict(name='le', end=160000),
        dict(name='joint', end=240000)
    ]
    head = cfg.model.bbox_head
    assert (head.alpha, head.beta) == (1.0, 1 / 3)
    assert cfg.model.test_cfg.score_mode == 'gaussian'
    assert (cfg.model.test_cfg.loc_lambda, cfg.model.test_cfg.loc_sigma) == (
        0.6, 1.0)


def test_led300_voc_is_an_alias_of_led300():
    alias = load('led300_voc.py')
    assert alias.to_dict() == load('led300_vgg16_voc0712.py').to_dict()
    with open(osp.join(REPO, 'configs', 'led', 'led300_voc.py')) as f:
        code = [line for line in f if not line.startswith('#')]
    assert code == ["_base_ = './led300_vgg16_voc0712.py'\n"]


def test_table2_rows_are_cumulative_and_end_at_led300():
    rows = [
        'led300-base-direct-l2-product', 'led300-rf-direct-l2-product',
        'led300-rf-c2f-l2-product', 'led300-rf-c2f-sharpl2-product',
        'led300-rf-c2f-sharpl2-gaussian'
    ]
    settings = []
    for row in rows:
        cfg = load(f'ablation/{row}_vgg16_240k_voc0712.py')
        head = cfg.model.bbox_head
        settings.append((head.le_module.richer_features,
                         head.le_module.coarse_to_fine,
                         head.loss_le_fine.sharp,
                         cfg.model.test_cfg.score_mode))
    assert settings == [(False, False, False, 'product'),
                        (True, False, False, 'product'),
                        (True, True, False, 'product'),
                        (True, True, True, 'product'),
                        (True, True, True, 'gaussian')]
    assert cfg.model.to_dict() == load('led300_vgg16_voc0712.py').model.to_dict()


def test_cpu_recipe_keeps_the_step_proportions():
    # the paper's steps end at 120k, 160k, 240k and start at relative lr
    # 1, 0.1, 0.1 (its LR table at 0, 120k and 160k)
    step_ends = [120000, 160000, 240000]
    start_lrs = [VALUES[0]] + [
        VALUES[sum(m <= e for m in MILESTONES)] for e in step_ends[:-1]
    ]
    for name in ('ledlite_mobilenetv2_192_voc07_cpu.py',
                 'ssdlite_mobilenetv2_192_voc07_cpu.py',
                 'ledlite_efficientnetlite0_192_voc07_cpu.py',
                 'ssdlite_efficientnetlite0_192_voc07_cpu.py'):
        cfg = load(name)
        unit = cfg.unit
        assert cfg.train_cfg.max_iters == 24 * unit
        assert [p['end'] for p in cfg.led_3step_phases] == [
            e // 10000 * unit for e in step_ends]
        # the CPU recipe's phases: step 1, then joint to the end
        assert cfg.led_phases == [
            dict(name='det', end=12 * unit),
            dict(name='joint', end=24 * unit)]
        cosine = cfg.param_scheduler[-1]
        restarts = [cosine.begin + sum(cosine.periods[:i + 1])
                    for i in range(len(cosine.periods))]
        assert restarts == [p['end'] for p in cfg.led_3step_phases]
        assert cosine.end == cfg.train_cfg.max_iters
        assert cosine.restart_weights == pytest.approx(
            [v / VALUES[0] for v in start_lrs])


def test_cpu_led_speeds_up_only_the_le_module():
    """The benchmark's LED gives its LE module 10x the LR and every other
    parameter the SSD's, so LED's step 1 stays SSD's."""
    from mmengine.optim import build_optim_wrapper
    register_all_modules()
    cfg = load('ledlite_efficientnetlite0_192_voc07_cpu.py')
    model = MODELS.build(cfg.model)
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    base = cfg.optim_wrapper.optimizer.lr
    lr_of = {id(p): g['lr'] for g in optim.param_groups for p in g['params']}
    le = fast = 0
    for name, param in model.named_parameters():
        if not param.requires_grad:  # frozen stages: not in the optimizer
            assert id(param) not in lr_of, name
            continue
        in_le = name.startswith('bbox_head.le_module.')
        assert lr_of[id(param)] == pytest.approx(base * (10 if in_le else 1))
        le += in_le
        fast += lr_of[id(param)] > base
    assert le == fast > 0
    assert 'paramwise_cfg' not in load(
        'ssdlite_efficientnetlite0_192_voc07_cpu.py').optim_wrapper
