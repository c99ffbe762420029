"""tools/model_converters/ssd_to_led.py: an SSD checkpoint at the end of
LED's step 1 becomes a resumable LED checkpoint (optimizer state and LR
schedules re-mapped for the LE module's own LR)."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from conftest import REPO, load_tool
from mmdet_led.engine import step1_iter

pytestmark = pytest.mark.slow  # builds and converts the CPU models

SSD = REPO / 'configs/led/ssdlite_efficientnetlite0_192_voc07_cpu.py'
LED = REPO / 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'


def ssd_checkpoint(path, iteration):
    """An SSD checkpoint with AdamW state after one step, at ``iteration``."""
    cfg = Config.fromfile(SSD)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    loss = sum(p.square().sum() for p in model.parameters()
               if p.requires_grad)
    loss.backward()
    optim.step()
    group = optim.state_dict()['param_groups'][0]
    sched = dict(param_name='lr', base_values=[group['lr']],
                 _last_value=[group['lr'] / 2], last_step=iteration)
    torch.save(
        dict(state_dict=model.state_dict(), optimizer=optim.state_dict(),
             param_schedulers=[sched], meta=dict(iter=iteration)), path)
    return model, optim


def test_converts_an_ssd_step1_checkpoint(tmp_path):
    tool = load_tool('model_converters/ssd_to_led')
    led_cfg = Config.fromfile(LED)
    step = step1_iter(led_cfg)
    src = tmp_path / 'ssd.pth'
    ssd, optim = ssd_checkpoint(src, step)
    out = tmp_path / 'led.pth'
    assert tool.main([str(SSD), str(src), str(LED), str(out)]) == 0
    ckpt = torch.load(out, map_location='cpu', weights_only=True)
    assert ckpt['meta']['init_from'] == str(src)
    groups = ckpt['optimizer']['param_groups']
    mult = led_cfg.optim_wrapper.paramwise_cfg.custom_keys[
        'bbox_head.le_module'].lr_mult
    assert {g['lr'] / groups[0]['lr'] for g in groups} == {1.0, mult}
    assert [s['base_values'][0] for s in ckpt['param_schedulers']] == [
        groups[0]['lr']]
    assert len(ckpt['param_schedulers'][0]['base_values']) == len(groups) + 1
    # every SSD parameter keeps its Adam state, the LE ones have none
    led = MODELS.build(led_cfg.model)
    wrapper = build_optim_wrapper(led, led_cfg.optim_wrapper)
    name_of = {id(p): n for n, p in led.named_parameters()}
    dst_names = [name_of[id(p)] for g in wrapper.optimizer.param_groups
                 for p in g['params']]
    src_state = optim.state_dict()['state']
    src_names = [n for n, _ in ssd.named_parameters()]
    for i, state in ckpt['optimizer']['state'].items():
        j = src_names.index(dst_names[i])
        assert torch.equal(state['exp_avg'], src_state[j]['exp_avg'])
    assert not any('le_module' in dst_names[i]
                   for i in ckpt['optimizer']['state'])
    assert len(ckpt['optimizer']['state']) == len(src_state)


def test_refuses_another_iteration(tmp_path):
    tool = load_tool('model_converters/ssd_to_led')
    src = tmp_path / 'ssd.pth'
    ssd_checkpoint(src, 7)
    with pytest.raises(SystemExit, match='iteration 7'):
        tool.main([str(SSD), str(src), str(LED), str(tmp_path / 'led.pth')])
