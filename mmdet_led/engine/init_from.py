"""Start an LED training from an SSD checkpoint at the end of LED's step 1.

LED's first training step (the ``'det'`` phase of ``LEDPhaseHook``) trains
exactly the SSD detector: same config but for the head's LE parts, which no
step-1 loss reaches and which draw from their own random stream. An LED run
can therefore resume from its SSD twin's checkpoint at that iteration
instead of repeating step 1. This module checks that the two configs agree
on step 1 (:func:`twin_mismatch`) and writes the resumable LED checkpoint
(:func:`make_init_checkpoint`), re-indexing the optimizer state (and, with
a ``paramwise_cfg`` that touches only LE parameters, the optimizer groups
and LR scheduler states) for the LED model's larger parameter list.
"""
import copy
import json
import os
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config

#: Settings that decide step 1 and must be equal in both configs of an
#: ``init_from`` pair.
TWIN_EQUAL = ('model.type', 'model.data_preprocessor', 'model.backbone',
              'model.neck', 'train_dataloader', 'train_cfg', 'optim_wrapper',
              'param_scheduler', 'randomness')
#: Dicts of which only the keys both configs have must agree (LED's head
#: and train_cfg add LE settings to SSD's).
TWIN_COMMON_KEYS = ('model.bbox_head', 'model.train_cfg')
#: Per-group hyper-parameters that ``paramwise_cfg`` multiplies, with the
#: optimizer default each is relative to (``initial_lr`` is the LR
#: schedulers' copy of ``lr``).
GROUP_MULT_KEYS = dict(lr='lr', initial_lr='lr', weight_decay='weight_decay')


def _jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON types (config dicts compare by value)."""
    return json.loads(json.dumps(obj, default=str))


def step1_iter(cfg: Config) -> int:
    """Last iteration of LED's step 1 in ``cfg``.

    Args:
        cfg (Config): An LED training config with an ``LEDPhaseHook``
            whose first phase is ``'det'``.

    Returns:
        int: The end of that phase, where an ``init_from`` run takes over.
    """
    for hook in cfg.get('custom_hooks', None) or []:
        if hook.get('type') == 'LEDPhaseHook':
            first = hook.phases[0]
            if first['name'] != 'det':
                raise ValueError('init_from needs LED phases that start with '
                                 f'"det", got {first["name"]!r}')
            return int(first['end'])
    raise ValueError('init_from needs a config with an LEDPhaseHook')


def twin_mismatch(src_cfg: Config, dst_cfg: Config) -> List[str]:
    """Step-1 settings in which ``dst_cfg`` (LED) differs from ``src_cfg``.

    ``optim_wrapper.paramwise_cfg`` is left out: LED may give its LE module,
    which no step-1 loss reaches, its own learning rate;
    :func:`make_init_checkpoint` checks on the built optimizers that every
    parameter the SSD has keeps the SSD's hyper-parameters.

    Args:
        src_cfg (Config): The SSD config the LED run starts from.
        dst_cfg (Config): The LED config.

    Returns:
        list[str]: Dotted keys that differ; empty when LED may start from
        the SSD's step-1 checkpoint.
    """

    def get(cfg, key):
        for k in key.split('.'):
            cfg = cfg.get(k) if cfg is not None else None
        if key == 'optim_wrapper' and cfg is not None:
            cfg = {k: v for k, v in cfg.items() if k != 'paramwise_cfg'}
        return _jsonable(cfg)

    bad = [k for k in TWIN_EQUAL if get(src_cfg, k) != get(dst_cfg, k)]
    for key in TWIN_COMMON_KEYS:
        src, dst = get(src_cfg, key) or {}, get(dst_cfg, key) or {}
        bad += [
            f'{key}.{k}' for k in sorted(set(src) & set(dst))
            if k != 'type' and src[k] != dst[k]
        ]
    return bad


def group_mults(groups: Sequence[dict],
                defaults: Dict[str, float]) -> List[Dict[str, float]]:
    """Each group's :data:`GROUP_MULT_KEYS` as multiples of the defaults.

    Args:
        groups (Sequence[dict]): ``param_groups`` of a freshly built
            optimizer (or of its ``state_dict()``).
        defaults (dict): The optimizer's ``defaults``.

    Returns:
        list[dict]: Per group, ``{key: multiple}``; 1.0 where the default
        is 0 or missing.
    """

    def mult(group, key):
        base = defaults.get(key) or 0.0
        return group.get(key, base) / base if base else 1.0

    return [{k: mult(g, base) for k, base in GROUP_MULT_KEYS.items()}
            for g in groups]


def remap_optimizer_state(state: dict,
                          src_names: Sequence[str],
                          dst_names: Sequence[str],
                          dst_groups: Optional[Sequence[dict]] = None,
                          mults: Optional[Sequence[dict]] = None) -> dict:
    """An optimizer ``state_dict`` re-indexed for a model with more params.

    Every parameter keeps its state (e.g. Adam's moments and step); the
    added ones start with none. The source needs one parameter group over
    all parameters (MMEngine's default constructor without
    ``paramwise_cfg``).

    Args:
        state (dict): The source optimizer's ``state_dict``.
        src_names (Sequence[str]): Source parameter names in
            ``model.parameters()`` order.
        dst_names (Sequence[str]): Destination parameter names (a superset)
            in the order the destination groups' ``params`` index.
        dst_groups (Sequence[dict], optional): For a destination built with
            ``paramwise_cfg``, its ``state_dict()['param_groups']``
            (MMEngine leaves frozen parameters out; they have no state).
            Default: one group over ``dst_names``.
        mults (Sequence[dict], optional): The :func:`group_mults` of
            ``dst_groups``; each group takes the source group's current
            values times its multiples, which must be 1 for every parameter
            the source has (else the source's step 1 was another).

    Returns:
        dict: The destination optimizer's ``state_dict``.
    """
    groups = state['param_groups']
    if len(groups) != 1 or list(groups[0]['params']) != list(
            range(len(src_names))):
        raise ValueError('init_from needs an optimizer with one parameter '
                         'group over all parameters (no paramwise_cfg)')
    index = {name: i for i, name in enumerate(dst_names)}
    stateful = [src_names[int(i)] for i in state['state']]
    missing = [n for n in stateful if n not in index]
    if missing or (dst_groups is None and not set(src_names) <= set(index)):
        missing = missing or [n for n in src_names if n not in index]
        raise ValueError(f'parameters missing from the new model: '
                         f'{missing[:3]}')
    if dst_groups is None:
        dst_groups = [dict(params=list(range(len(dst_names))))]
        mults = [{}]
    src_set = set(src_names)
    new_groups = []
    for group, mult in zip(dst_groups, mults):
        if any(m != 1.0 for m in mult.values()):
            shared = [dst_names[i] for i in group['params']
                      if dst_names[i] in src_set]
            if shared:
                raise ValueError(f'paramwise_cfg changes {shared[0]}, a '
                                 'parameter of the step-1 model')
        new = dict(groups[0], params=list(group['params']))
        for key, m in mult.items():
            if key in new:
                new[key] = new[key] * m
        new_groups.append(new)
    return dict(
        state={index[src_names[int(i)]]: v
               for i, v in state['state'].items()},
        param_groups=new_groups)


def remap_scheduler_state(state: dict, mults: Sequence[dict]) -> dict:
    """A parameter scheduler's ``state_dict`` for several optimizer groups.

    Args:
        state (dict): The source scheduler's ``state_dict`` (one group).
        mults (Sequence[dict]): :func:`group_mults` of the new groups.

    Returns:
        dict: The state with its per-group lists (``base_values``,
        ``_last_value``) repeated per group, times the group's multiple of
        the scheduled hyper-parameter.
    """
    key = state.get('param_name', 'lr')
    out = dict(state)
    for name in ('base_values', '_last_value'):
        values = state.get(name)
        if isinstance(values, list):
            if len(values) != 1:
                raise ValueError(f'{name}: expected one parameter group, '
                                 f'got {len(values)}')
            out[name] = [values[0] * m.get(key, 1.0) for m in mults]
    return out


def make_init_checkpoint(src_ckpt: str,
                         src_cfg: Config,
                         dst_cfg: Config,
                         out_path: str,
                         src_name: Optional[str] = None) -> None:
    """Write the resumable checkpoint an LED run starts from.

    ``src_ckpt`` (an SSD run of ``src_cfg`` at :func:`step1_iter`) with the
    optimizer state (and, when LED's optimizer has several parameter
    groups, the LR schedulers' states) re-indexed for the ``dst_cfg`` (LED)
    model. The LE weights are left out, so on resuming (non-strict) they
    keep LED's own initialization.

    Args:
        src_ckpt (str): The SSD checkpoint.
        src_cfg (Config): The config it was trained with.
        dst_cfg (Config): The LED config that will resume from the output.
        out_path (str): Where to write the LED checkpoint (atomically).
        src_name (str, optional): How ``meta.init_from`` names the source.
            Default: ``src_ckpt``.
    """
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS

    bad = twin_mismatch(src_cfg, dst_cfg)
    if bad:
        raise ValueError('init_from: the configs differ in step 1 '
                         f'settings {bad}')
    init_default_scope(dst_cfg.get('default_scope', 'mmdet'))
    src_names = [n for n, _ in MODELS.build(src_cfg.model).named_parameters()]
    model = MODELS.build(dst_cfg.model)
    ckpt = torch.load(src_ckpt, map_location='cpu', weights_only=True)
    if dst_cfg.optim_wrapper.get('paramwise_cfg'):
        wrapper = build_optim_wrapper(model,
                                      copy.deepcopy(dst_cfg.optim_wrapper))
        optim = wrapper.optimizer
        name_of = {id(p): n for n, p in model.named_parameters()}
        dst_names = [name_of[id(p)] for g in optim.param_groups
                     for p in g['params']]
        groups = optim.state_dict()['param_groups']
        mults = group_mults(groups, optim.defaults)
        src_group = ckpt['optimizer']['param_groups'][0]
        ckpt['optimizer'] = remap_optimizer_state(
            ckpt['optimizer'], src_names, dst_names, groups, mults)
        if wrapper.base_param_settings is not None:
            # MMEngine's extra group of a multi-group wrapper, which the
            # schedulers step last and the log shows as base_lr
            ckpt['optimizer']['base_param_settings'] = dict(
                src_group, params=wrapper.base_param_settings['params'])
            mults = mults + [{}]
        scheds = ckpt.get('param_schedulers') or []
        ckpt['param_schedulers'] = [
            remap_scheduler_state(s, mults) for s in scheds]
    else:
        dst_names = [n for n, _ in model.named_parameters()]
        ckpt['optimizer'] = remap_optimizer_state(ckpt['optimizer'],
                                                  src_names, dst_names)
    ckpt['meta']['init_from'] = src_ckpt if src_name is None else src_name
    tmp = out_path + '.tmp'
    torch.save(ckpt, tmp)
    os.replace(tmp, out_path)
