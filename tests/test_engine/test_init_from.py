"""mmdet_led.engine.init_from: the optimizer and LR-scheduler state of an
SSD checkpoint re-mapped for the LED model that starts from it."""
import copy

import pytest

from mmdet_led.engine import (group_mults, remap_optimizer_state,
                              remap_scheduler_state)


def test_optimizer_state_is_reindexed_for_the_larger_model():
    """AdamW continues on the LED model exactly as on the SSD model."""
    import torch
    import torch.nn as nn

    def model(with_le):
        torch.manual_seed(0)
        mods = dict(a=nn.Linear(3, 2), b=nn.Linear(2, 2))
        if with_le:  # registered between the two SSD layers
            mods = dict(a=mods['a'], le=nn.Linear(2, 1), b=mods['b'])
        return nn.ModuleDict(mods)

    def step(m, opt, x):
        opt.zero_grad()
        m['b'](m['a'](x)).square().sum().backward()
        opt.step()

    x = torch.arange(6.).reshape(2, 3)
    ssd, led = model(False), model(True)
    opt = torch.optim.AdamW(ssd.parameters(), lr=0.1)
    step(ssd, opt, x)
    names = [[n for n, _ in m.named_parameters()] for m in (ssd, led)]
    assert names[1] == ['a.weight', 'a.bias', 'le.weight', 'le.bias',
                        'b.weight', 'b.bias']
    # a copy, as from a checkpoint file (state_dict() shares the moments)
    state = remap_optimizer_state(
        copy.deepcopy(opt.state_dict()), *names)
    assert sorted(state['state']) == [0, 1, 4, 5]
    assert state['param_groups'][0]['params'] == list(range(6))
    led.load_state_dict(ssd.state_dict(), strict=False)
    opt_led = torch.optim.AdamW(led.parameters(), lr=0.1)
    opt_led.load_state_dict(state)
    step(ssd, opt, x)
    step(led, opt_led, x)
    for key, value in ssd.state_dict().items():
        assert torch.equal(led.state_dict()[key], value), key
    with pytest.raises(ValueError, match='missing'):
        remap_optimizer_state(opt.state_dict(), names[0], ['a.weight'])
    two = dict(opt.state_dict(), param_groups=[
        dict(opt.state_dict()['param_groups'][0], params=[0, 1]),
        dict(opt.state_dict()['param_groups'][0], params=[2, 3])])
    with pytest.raises(ValueError, match='one parameter'):
        remap_optimizer_state(two, *names)
    # one group per parameter (paramwise_cfg): the LE layer at 10x the LR
    # is fine, a layer of the step-1 model at another LR is not
    groups = [dict(params=[i], lr=0.1 * (10 if 'le' in n else 1),
                   weight_decay=0.01) for i, n in enumerate(names[1])]
    mults = group_mults(groups, dict(lr=0.1, weight_decay=0.01))
    assert [m['lr'] for m in mults] == [1, 1, 10, 10, 1, 1]
    assert mults[2]['initial_lr'] == 10 and mults[2]['weight_decay'] == 1
    src = copy.deepcopy(opt.state_dict())
    src['param_groups'][0]['initial_lr'] = 0.1
    state = remap_optimizer_state(src, names[0], names[1], groups, mults)
    assert [g['params'] for g in state['param_groups']] == [[i]
                                                            for i in range(6)]
    assert [g['lr'] for g in state['param_groups']] == pytest.approx(
        [0.1, 0.1, 1.0, 1.0, 0.1, 0.1])
    assert state['param_groups'][2]['initial_lr'] == pytest.approx(1.0)
    assert state['param_groups'][2]['betas'] == (0.9, 0.999)
    sched = remap_scheduler_state(
        dict(param_name='lr', base_values=[0.1], _last_value=[0.01],
             last_step=3), mults)
    assert sched['base_values'] == pytest.approx([0.1, 0.1, 1, 1, 0.1, 0.1])
    assert sched['_last_value'][2] == pytest.approx(0.1)
    assert sched['last_step'] == 3
    bad = [dict(m, lr=10.0) for m in mults]
    with pytest.raises(ValueError, match='a.weight'):
        remap_optimizer_state(src, names[0], names[1], groups, bad)
