"""mmdet_led.utils.schedule.scale_schedule: every iteration count of a
unit-based schedule rescaled, values by hand."""
import pytest
from mmengine.config import Config

from mmdet_led.utils.schedule import scale_schedule


def unit_config() -> Config:
    """A schedule written for unit 4 (as a parsed config holds it)."""
    cfg = Config(
        dict(
            unit=4,
            max_iters=96,
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=96,
                           val_interval=48),
            param_scheduler=[
                dict(type='LinearLR', begin=0, end=2),
                dict(type='CosineRestartLR', periods=[46, 16, 32],
                     restart_weights=[1, 0.1, 0.1], begin=2, end=96),
                dict(type='ConstantLR', begin=48, end=10**9),
                dict(type='MultiStepLR', milestones=[64, 80], begin=0,
                     end=96),
            ],
            custom_hooks=[
                dict(type='LEDPhaseHook',
                     phases=[dict(name='det', end=48),
                             dict(name='joint', end=96)])
            ],
            led_3step_phases=[dict(name='det', end=48),
                              dict(name='le', end=64),
                              dict(name='joint', end=96)],
            default_hooks=dict(checkpoint=dict(interval=12))))
    # the hook's phases are the very dicts of a variable, as in the configs
    cfg.led_phases = cfg.custom_hooks[0].phases
    return cfg


def test_scales_every_iteration_count():
    cfg = unit_config()
    scale_schedule(cfg, 1)
    assert (cfg.unit, cfg.max_iters, cfg.train_cfg.max_iters) == (1, 24, 24)
    assert cfg.train_cfg.val_interval == 12
    linear, cosine, constant, steps = cfg.param_scheduler
    assert (linear.begin, linear.end) == (0, 0)  # rounded, may reach 0
    assert cosine.periods == [12, 4, 8]  # 11.5 rounds to even: 12
    assert (cosine.begin, cosine.end) == (0, 24)
    assert (constant.begin, constant.end) == (12, 10**9)  # open end kept
    assert steps.milestones == [16, 20]
    # shared dicts are rescaled once
    assert [p['end'] for p in cfg.custom_hooks[0].phases] == [12, 24]
    assert [p['end'] for p in cfg.led_phases] == [12, 24]
    assert [p['end'] for p in cfg.led_3step_phases] == [12, 16, 24]
    assert cfg.default_hooks.checkpoint.interval == 3


def test_counts_stay_positive_and_scale_up():
    cfg = unit_config()
    scale_schedule(cfg, 48)
    assert cfg.train_cfg.max_iters == 1152
    assert cfg.param_scheduler[1].periods == [552, 192, 384]
    assert cfg.default_hooks.checkpoint.interval == 144
    tiny = unit_config()
    scale_schedule(tiny, 0.01)
    assert tiny.train_cfg.max_iters == 1
    assert tiny.param_scheduler[1].periods == [1, 1, 1]
    assert [p['end'] for p in tiny.led_3step_phases] == [1, 1, 1]


def test_needs_a_unit_variable():
    with pytest.raises(ValueError, match='unit'):
        scale_schedule(Config(dict(train_cfg=dict(max_iters=10))), 2)
