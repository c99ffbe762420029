"""Inference cost of LED's LE module: SSD vs LED side by side in one process.

For each (SSD config, LED config) pair, builds both detectors with random
weights, then times them *interleaved* (alternating order each round) after a
warm-up, and reports medians:

* ``net``: the network forward (backbone, neck, head incl. the LE module);
* ``full``: forward + post-processing (decoding, LE scoring, NMS), what
  ``tools/test.py`` runs per batch;
* ``post``: the post-processing alone (``full - net`` per run);
* parameters and conv multiply-accumulates (MACs) of the whole model and
  of the LE module (counted with hooks on every conv).

Example::

    python tools/benchmark_speed.py --pairs vgg16 cpu --batch-sizes 1 8 \
        --runs 30 --out benchmarks/results/speed_cpu.json
"""
import argparse
import json
import os.path as osp
import statistics
import time
from typing import Dict, List

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config

import mmdet_led  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = {
    'vgg16': ('configs/led/ssd300_vgg16_voc0712.py',
              'configs/led/led300_vgg16_voc0712.py', 300),
    'cpu': ('configs/led/ssdlite_mobilenetv2_192_voc07_cpu.py',
            'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py', 192),
}


def build(config: str, device: str) -> nn.Module:
    """The detector of ``config``, random init, eval mode."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    return model.to(device).eval()


def conv_macs(model: nn.Module, inputs: torch.Tensor) -> Dict[str, int]:
    """Multiply-accumulates of every conv, by module name, for one forward."""
    macs = {}

    def hook(name):

        def fn(module, args, out):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs[name] = out.numel() // out.shape[0] * k * (
                module.in_channels // module.groups)

        return fn

    handles = [
        m.register_forward_hook(hook(n)) for n, m in model.named_modules()
        if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        model._forward(inputs[:1])
    for h in handles:
        h.remove()
    return macs


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_pair(models: Dict[str, nn.Module], size: int, batch: int,
              runs: int, warmup: int, device: str) -> Dict[str, dict]:
    """Interleaved timings (seconds) of ``net`` and ``full`` per model."""
    inputs = torch.randn(batch, 3, size, size, device=device)
    samples = [
        DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.))) for _ in range(batch)
    ]
    times = {name: dict(net=[], full=[]) for name in models}
    names = list(models)
    with torch.no_grad():
        for r in range(warmup + runs):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                model = models[name]
                for kind in ('net', 'full'):
                    sync(device)
                    t = time.perf_counter()
                    if kind == 'net':
                        model._forward(inputs)
                    else:
                        model.predict(inputs, samples, rescale=False)
                    sync(device)
                    if r >= warmup:
                        times[name][kind].append(time.perf_counter() - t)
    out = {}
    for name, t in times.items():
        post = [f - n for f, n in zip(t['full'], t['net'])]
        out[name] = dict(
            net_ms=1e3 * statistics.median(t['net']),
            full_ms=1e3 * statistics.median(t['full']),
            post_ms=1e3 * statistics.median(post),
            net_ms_min=1e3 * min(t['net']),
            net_ms_max=1e3 * max(t['net']))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--pairs', nargs='+', default=['vgg16', 'cpu'],
                        choices=list(PAIRS))
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the results as JSON')
    args = parser.parse_args()
    register_all_modules()
    torch.manual_seed(0)
    results = dict(
        device=(torch.cuda.get_device_name()
                if args.device.startswith('cuda') else
                f'cpu ({torch.get_num_threads()} threads)'),
        torch=torch.__version__,
        runs=args.runs,
        warmup=args.warmup,
        pairs={})
    for pair in args.pairs:
        ssd_cfg, led_cfg, size = PAIRS[pair]
        models = dict(
            ssd=build(ssd_cfg, args.device), led=build(led_cfg, args.device))
        led = models['led']
        macs = conv_macs(led, torch.randn(1, 3, size, size,
                                          device=args.device))
        le_macs = sum(v for k, v in macs.items() if '.le_module.' in k)
        entry = dict(
            ssd_config=ssd_cfg,
            led_config=led_cfg,
            input_size=size,
            params=dict(
                ssd=sum(p.numel() for p in models['ssd'].parameters()),
                led=sum(p.numel() for p in led.parameters()),
                le_module=sum(
                    p.numel() for p in led.bbox_head.le_module.parameters())),
            gmacs=dict(led=sum(macs.values()) / 1e9, le_module=le_macs / 1e9),
            batches={})
        for batch in args.batch_sizes:
            t = time_pair(models, size, batch, args.runs, args.warmup,
                          args.device)
            t['ratio_net'] = t['led']['net_ms'] / t['ssd']['net_ms']
            t['ratio_full'] = t['led']['full_ms'] / t['ssd']['full_ms']
            entry['batches'][str(batch)] = t
            print(f'[{pair} b{batch}] SSD net {t["ssd"]["net_ms"]:.1f} ms, '
                  f'full {t["ssd"]["full_ms"]:.1f} ms | LED net '
                  f'{t["led"]["net_ms"]:.1f} ms, full {t["led"]["full_ms"]:.1f}'
                  f' ms | LED/SSD net {t["ratio_net"]:.3f}, full '
                  f'{t["ratio_full"]:.3f}', flush=True)
        print(f'[{pair}] LE module: {entry["params"]["le_module"] / 1e6:.2f} M '
              f'params, {entry["gmacs"]["le_module"]:.3f} of '
              f'{entry["gmacs"]["led"]:.2f} GMACs per image', flush=True)
        results['pairs'][pair] = entry
    if args.out:
        import os
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
