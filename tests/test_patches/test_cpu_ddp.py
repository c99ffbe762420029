"""mmdet_led.patches.cpu_ddp, in one process (world size 1, gloo), and
SyncBN on the LED model: converted everywhere, frozen in 'le' like BN.

The 2-process runs are in tests/test_engine/test_ddp_cpu.py."""
import socket

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.dist import init_dist
from mmengine.model import MMDistributedDataParallel, convert_sync_batchnorm

import mmdet_led  # noqa: F401  (applies the patch)
from conftest import REPO
from mmdet_led.engine.hooks import LEDPhaseHook

LE = 'bbox_head.le_module'


@pytest.fixture
def process_group(monkeypatch):
    """A one-process group started the way ``--launcher pytorch`` does."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    # MMDetection's env_cfg asks for nccl; mmengine also calls
    # torch.cuda.set_device, which fails without CUDA
    init_dist('pytorch', backend='nccl')
    yield
    dist.destroy_process_group()


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only patch')
def test_pytorch_launcher_starts_gloo_on_cpu(process_group):
    assert dist.is_initialized() and dist.get_backend() == 'gloo'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only patch')
def test_ddp_wraps_a_cpu_module_with_device_ids(process_group):
    # what Runner.wrap_model passes; PyTorch alone refuses it for CPU
    model = MMDistributedDataParallel(
        module=nn.Linear(3, 2), device_ids=[0], broadcast_buffers=False,
        find_unused_parameters=True)
    assert model.device_ids is None
    out = model(torch.ones(4, 3))
    out.sum().backward()


def led_model() -> nn.Module:
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(
        str(REPO / 'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py'))
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg.model)


def test_sync_bn_reaches_every_bn_of_led_and_is_frozen_in_le():
    model = led_model()
    bn = {n for n, m in model.named_modules()
          if isinstance(m, nn.BatchNorm2d)}
    assert any(n.startswith(LE) for n in bn)
    assert any(n.startswith('bbox_head.') and not n.startswith(LE)
               for n in bn)
    model = convert_sync_batchnorm(model, 'torch')  # cfg.sync_bn='torch'
    sync = {n for n, m in model.named_modules()
            if isinstance(m, nn.SyncBatchNorm)}
    assert sync == bn
    model.train()
    hook = LEDPhaseHook([dict(name='le', end=1)])
    hook._set_norms_eval(model)
    for name in sync:
        assert model.get_submodule(name).training == name.startswith(LE)


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only patch')
def test_sync_bn_on_cpu_is_refused_with_the_reason(process_group):
    module = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
    with pytest.raises(RuntimeError, match=r'SyncBN needs GPUs \(1 '
                       r'SyncBatchNorm layers, e\.g\. 1\)'):
        MMDistributedDataParallel(module=module, device_ids=[0])


def test_the_patch_is_applied_once():
    import mmengine.dist.utils as dist_utils
    from mmdet_led.patches import enable_cpu_ddp
    before = (dist_utils._init_dist_pytorch,
              MMDistributedDataParallel.__init__)
    enable_cpu_ddp()
    assert (dist_utils._init_dist_pytorch,
            MMDistributedDataParallel.__init__) == before
