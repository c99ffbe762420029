"""mmengine 0.10.7 cannot start distributed training on CPU.

``torchrun ... tools/train.py CFG --launcher pytorch`` on a machine without
GPUs (or with ``CUDA_VISIBLE_DEVICES=-1``) fails twice in mmengine:

* ``mmengine.dist.utils._init_dist_pytorch`` calls
  ``torch.cuda.set_device(local_rank)`` unconditionally, which raises
  (``_cuda_setDevice``) without CUDA; and the ``nccl`` backend that
  MMDetection's ``env_cfg`` names needs GPUs too.
* ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to
  ``MMDistributedDataParallel``, which PyTorch refuses for a module on the
  CPU ("device_ids ... only work with single-device/multiple-device GPU
  modules").

The fix, only where MMEngine's device is the CPU: the process group starts
without ``set_device``, on ``gloo`` when ``nccl`` was asked for (gloo is
PyTorch's CPU backend); and ``MMDistributedDataParallel`` is built without
``device_ids``/``output_device`` for a CPU module, as PyTorch documents for
CPU training. GPU, NPU and MLU runs are untouched. SyncBN needs GPUs
(PyTorch has no CPU kernels for its statistics, so its first forward would
fail): a CPU module with SyncBatchNorm layers is refused when it is wrapped,
with that reason; single-process runs revert SyncBN to BN as before.
"""
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.logging import print_log

_PATCHED = '_mmdet_led_cpu_ddp'


def _cpu_init_dist_pytorch(original):
    """Wrap ``_init_dist_pytorch`` so that it starts CPU process groups."""

    def init_dist_pytorch(backend, init_backend='torch', **kwargs) -> None:
        if get_device() != 'cpu' or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            print_log(
                'No GPU: distributed training uses the gloo backend instead '
                'of nccl (mmdet_led.patches.cpu_ddp).',
                logger='current')
            backend = 'gloo'
        torch_dist.init_process_group(backend=backend, **kwargs)

    setattr(init_dist_pytorch, _PATCHED, True)
    return init_dist_pytorch


def _cpu_ddp_init(original):
    """Wrap ``MMDistributedDataParallel.__init__``: no ``device_ids`` for a
    module whose parameters are all on the CPU."""

    def __init__(self, module, *args, **kwargs) -> None:
        devices = {p.device.type for p in module.parameters()}
        if devices == {'cpu'}:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            sync_bn = [
                name for name, m in module.named_modules()
                if type(m).__name__ == 'SyncBatchNorm'
            ]
            if sync_bn:
                raise RuntimeError(
                    f'SyncBN needs GPUs ({len(sync_bn)} SyncBatchNorm '
                    f'layers, e.g. {sync_bn[0]}): PyTorch has no CPU '
                    'kernels for its cross-process statistics. For CPU '
                    "runs leave out sync_bn (or norm_cfg type='SyncBN').")
        original(self, module, *args, **kwargs)

    setattr(__init__, _PATCHED, True)
    return __init__


def enable_cpu_ddp() -> None:
    """Let MMEngine run ``--launcher pytorch`` on CPU (idempotent)."""
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    if not getattr(dist_utils._init_dist_pytorch, _PATCHED, False):
        dist_utils._init_dist_pytorch = _cpu_init_dist_pytorch(
            dist_utils._init_dist_pytorch)
    if not getattr(MMDistributedDataParallel.__init__, _PATCHED, False):
        MMDistributedDataParallel.__init__ = _cpu_ddp_init(
            MMDistributedDataParallel.__init__)

