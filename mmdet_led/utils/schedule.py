"""Rescale a ``unit``-based training schedule to another length.

The CPU configs write every iteration count of their schedule as a multiple
of a ``unit`` variable (iterations per 10k of the paper's schedule), but
MMEngine evaluates those products when the base file is parsed. This module
rescales the parsed numbers, so one config serves any schedule length
(``tools/benchmark.py --unit``).
"""
from mmengine.config import Config

#: Scheduler ``begin``/``end`` values at or above this are "until the end"
#: sentinels (MMEngine's ``INF``), which are left as they are.
_OPEN_END = 10**8


def scale_schedule(cfg: Config, unit: int) -> None:
    """Rescale, in place, every iteration count of a ``unit``-based config.

    Multiplies each iteration-valued field by ``unit / cfg.unit``: the
    loop's ``max_iters`` and ``val_interval``, the parameter schedulers'
    ``begin``/``end``/``milestones``/``periods``, the ends of the
    ``LEDPhaseHook`` phases (and of the ``led_phases``/``led_3step_phases``
    variables the hook may share its dicts with, each rescaled once) and
    the checkpoint interval. Counts stay at least 1, scheduler bounds are
    rounded.

    Args:
        cfg (Config): A config with a ``unit`` variable; ``cfg.unit`` and
            ``cfg.max_iters`` are updated too.
        unit (int): The new number of iterations per unit.
    """
    old = cfg.get('unit')
    if not old:
        raise ValueError('--unit needs a config with a `unit` variable')
    factor = unit / old

    def count(x: float) -> int:
        return max(1, int(round(x * factor)))

    cfg.train_cfg.max_iters = count(cfg.train_cfg.max_iters)
    if cfg.train_cfg.get('val_interval'):
        cfg.train_cfg.val_interval = count(cfg.train_cfg.val_interval)
    for sched in cfg.get('param_scheduler', None) or []:
        for key in ('begin', 'end'):
            if key in sched and sched[key] < _OPEN_END:
                sched[key] = int(round(sched[key] * factor))
        if 'milestones' in sched:
            sched.milestones = [count(m) for m in sched.milestones]
        if 'periods' in sched:
            sched.periods = [count(p) for p in sched.periods]
    phases = [
        p for hook in cfg.get('custom_hooks', None) or []
        if hook.get('type') == 'LEDPhaseHook' for p in hook.phases
    ] + list(cfg.get('led_phases', None) or []) + list(
        cfg.get('led_3step_phases', None) or [])
    seen = set()
    for phase in phases:
        if id(phase) not in seen:
            seen.add(id(phase))
            phase['end'] = count(phase['end'])
    ckpt = cfg.get('default_hooks', {}).get('checkpoint')
    if ckpt and ckpt.get('interval'):
        ckpt.interval = count(ckpt.interval)
    cfg.max_iters = cfg.train_cfg.max_iters
    cfg.unit = unit
