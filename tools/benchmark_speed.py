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

Optional extras (new flags; without them the output is unchanged):

* ``--train-step``: time of one training step (forward, losses, backward,
  SGD step) of SSD and LED on the same synthetic batch, interleaved, LED in
  its ``'joint'`` phase (all losses, everything trainable); medians of
  ``--train-runs`` after ``--train-warmup`` and the LED/SSD ratio;
* ``--count-ops``: aten ops per image of the head forward and of the
  post-processing (see :func:`count_ops`): what batch-1 GPU time follows;
* ``--memory``: peak memory of ``--memory-passes`` inference passes per
  model and batch size, each model in a fresh subprocess: on CPU the
  process's peak RSS (Linux ``VmHWM``, reset after the imports;
  ``ru_maxrss`` is recorded too but after fork + exec it also counts the
  parent's RSS at the fork), also over the RSS after the imports; on CUDA
  ``torch.cuda.max_memory_allocated``;
* ``--onnx``: batch-1 latency of both models exported to ONNX (with their
  whole post-processing) on onnxruntime (CPU, ``--onnx-threads``) next to
  PyTorch's ``predict``, all four interleaved in this process
  (:func:`mmdet_led.deployment.speed.time_onnx_vs_torch`), and the LED/SSD
  ratio on each engine.

Example::

    python tools/benchmark_speed.py --pairs vgg16 cpu --batch-sizes 1 8 \
        --runs 30 --out benchmarks/results/speed_cpu.json
    python tools/benchmark_speed.py --pairs vgg16 cpu --batch-sizes 1 8 \
        --runs 30 --train-step --train-batch 8 --train-runs 10 --memory \
        --out benchmarks/results/speed.json
    python tools/benchmark_speed.py --pairs cpu --batch-sizes 1 --runs 30 \
        --onnx --out benchmarks/results/speed_onnx.json
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

import mmdet_led  # noqa: F401,I001 - first: NMS fallback for mmcv-lite
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config


ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = {
    'vgg16': ('configs/led/ssd300_vgg16_voc0712.py',
              'configs/led/led300_vgg16_voc0712.py', 300),
    'cpu': ('configs/led/ssdlite_efficientnetlite0_192_voc07_cpu.py',
            'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py', 192),
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


def dummy_batch(batch: int, size: int,
                device: str) -> Tuple[torch.Tensor, List[DetDataSample]]:
    """Random images and the data samples (metas) ``predict`` needs."""
    inputs = torch.randn(batch, 3, size, size, device=device)
    samples = [
        DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.))) for _ in range(batch)
    ]
    return inputs, samples


def time_pair(models: Dict[str, nn.Module], size: int, batch: int,
              runs: int, warmup: int, device: str) -> Dict[str, dict]:
    """Interleaved timings (seconds) of ``net`` and ``full`` per model."""
    inputs, samples = dummy_batch(batch, size, device)
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


#: aten ops that only make a view (no kernel runs for them on a GPU).
VIEW_OPS = frozenset({
    'aten::view', 'aten::reshape', 'aten::slice', 'aten::select',
    'aten::unsqueeze', 'aten::squeeze', 'aten::detach', 'aten::permute',
    'aten::expand', 'aten::as_strided', 'aten::t', 'aten::transpose',
    'aten::alias', 'aten::unbind', 'aten::split', 'aten::chunk',
    'aten::narrow', 'aten::_unsafe_view', 'aten::lift_fresh'
})


def count_ops(models: Dict[str, nn.Module], size: int,
              device: str) -> Dict[str, dict]:
    """Top-level aten ops of the head's forward and of its post-processing
    (``predict_by_feat``: decoding, scoring, NMS) for one image.

    At batch 1 on a GPU both are launch-bound: their time follows the
    number of ops (kernel launches), not the MACs. ``compute`` leaves out
    the ops that only make a view. Deterministic for a given torch build.
    """
    from torch.profiler import ProfilerActivity, profile
    inputs, samples = dummy_batch(1, size, device)
    metas = [s.metainfo for s in samples]
    out = {}
    with torch.no_grad():
        for name, model in models.items():
            head = model.bbox_head
            feats = model.extract_feat(inputs)
            outs = head(feats)
            counts = {}
            for part, fn in (('head_forward', lambda: head(feats)),
                             ('post', lambda: head.predict_by_feat(
                                 *outs, batch_img_metas=metas))):
                fn()  # warm-up
                with profile(activities=[ProfilerActivity.CPU]) as prof:
                    fn()
                ops = [e.name for e in prof.events()
                       if e.cpu_parent is None and e.name.startswith('aten::')]
                counts[part] = dict(
                    all=len(ops),
                    compute=sum(1 for o in ops if o not in VIEW_OPS))
            out[name] = counts
    for part in ('head_forward', 'post'):
        out[f'ratio_{part}'] = (out['led'][part]['compute'] /
                                out['ssd'][part]['compute'])
    return out


def synthetic_batch(batch: int, size: int, device: str,
                    seed: int = 0) -> tuple:
    """Random images and 1-4 random ground-truth boxes per image."""
    from mmengine.structures import InstanceData
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, size, size, generator=gen).to(device)
    samples = []
    for _ in range(batch):
        num = int(torch.randint(1, 5, (1, ), generator=gen))
        xy = torch.rand(num, 2, generator=gen) * size * 0.6
        wh = (0.1 + 0.3 * torch.rand(num, 2, generator=gen)) * size
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                pad_shape=(size, size),
                batch_input_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, (xy + wh).clamp(max=size)], 1).to(device),
            labels=torch.randint(0, 20, (num, ), generator=gen).to(device))
        samples.append(sample)
    return inputs, samples


def time_train_step(models: Dict[str, nn.Module], size: int, batch: int,
                    runs: int, warmup: int, device: str) -> Dict[str, dict]:
    """Interleaved timings (seconds) of one SGD training step per model.

    A step is ``model.loss`` (forward + losses; LED in the 'joint' phase),
    ``parse_losses``, ``backward`` and ``optimizer.step``, on the same
    synthetic batch for both models. The learning rate is tiny so that the
    weights (and hence the timings) stay put.
    """
    inputs, samples = synthetic_batch(batch, size, device)
    optims = {}
    for name, model in models.items():
        model.train()
        head = getattr(model, 'bbox_head', None)
        if head is not None and hasattr(head, 'phase'):
            head.phase = 'joint'
        optims[name] = torch.optim.SGD(
            model.parameters(), lr=1e-8, momentum=0.9)
    times = {name: [] for name in models}
    names = list(models)
    for r in range(warmup + runs):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            model, optim = models[name], optims[name]
            sync(device)
            t = time.perf_counter()
            losses = model.loss(inputs, samples)
            loss, _ = model.parse_losses(losses)
            loss.backward()
            optim.step()
            optim.zero_grad()
            sync(device)
            if r >= warmup:
                times[name].append(time.perf_counter() - t)
    for model in models.values():
        model.eval()
    out = {
        name: dict(
            step_ms=1e3 * statistics.median(t),
            step_ms_min=1e3 * min(t),
            step_ms_max=1e3 * max(t))
        for name, t in times.items()
    }
    out['ratio'] = out['led']['step_ms'] / out['ssd']['step_ms']
    out['batch'] = batch
    out['runs'] = runs
    out['warmup'] = warmup
    return out


def _status_mb(key: str) -> Optional[float]:
    """``VmRSS``/``VmHWM`` of this process from /proc, in MiB (Linux)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def memory_child(config: str, size: int, batch: int, passes: int,
                 device: str) -> dict:
    """Peak memory of ``passes`` inference passes (run in a fresh process).

    On Linux the peak RSS is read from ``VmHWM``: ``ru_maxrss`` of a
    process started with fork + exec also counts the parent's RSS at the
    fork (here: a parent holding two models), so it is only reported as
    ``ru_maxrss_mb``. The peak is reset after the imports where Linux
    allows it (``/proc/self/clear_refs``): ``peak_rss_mb`` is then the
    process's peak RSS from there on (interpreter and imports resident,
    plus model and inference; transient import-time peaks excluded) and
    ``peak_over_import_mb`` that peak minus the RSS after the imports
    (model weights plus inference buffers). Otherwise ``peak_rss_mb`` is
    the lifetime peak.
    """
    register_all_modules()
    rss_import = _status_mb('VmRSS')
    reset = _reset_peak_rss()
    torch.manual_seed(0)
    model = build(config, device)
    rss_build = _status_mb('VmRSS')
    inputs, samples = dummy_batch(batch, size, device)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    with torch.no_grad():
        for _ in range(passes):
            model.predict(inputs, samples, rescale=False)
    hwm = _status_mb('VmHWM')
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = dict(
        peak_rss_mb=hwm if hwm is not None and not reset else None,
        rss_after_import_mb=rss_import,
        rss_after_build_mb=rss_build,
        peak_over_import_mb=(hwm - rss_import
                             if reset and hwm is not None else None),
        ru_maxrss_mb=ru_maxrss,
        passes=passes)
    if reset and hwm is not None:
        # the reset dropped the import-time peak; the RSS after the imports
        # is the floor of the whole-process peak
        out['peak_rss_mb'] = max(hwm, rss_import)
    if out['peak_rss_mb'] is None:
        out['peak_rss_mb'] = ru_maxrss
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        out.update(
            cuda_max_allocated_mb=torch.cuda.max_memory_allocated() / 2**20,
            cuda_weights_mb=base / 2**20)
    return out


def measure_memory(config: str, size: int, batch: int, passes: int,
                   device: str) -> dict:
    """Run :func:`memory_child` in a fresh interpreter and parse its JSON."""
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--memory-child', config,
        str(size),
        str(batch),
        str(passes), '--device', device
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [l for l in proc.stdout.splitlines() if l.startswith('{')]
    if proc.returncode or not lines:
        raise RuntimeError(f'memory child failed ({proc.returncode}):\n'
                           f'{proc.stdout[-2000:]}{proc.stderr[-2000:]}')
    return json.loads(lines[-1])


def onnx_latency(pair: str, models: Dict[str, nn.Module], size: int,
                 args: argparse.Namespace) -> dict:
    """Batch-1 PyTorch vs onnxruntime latency of SSD and LED, printed."""
    import tempfile

    from mmdet_led.deployment.speed import time_onnx_vs_torch
    with tempfile.TemporaryDirectory() as tmp:
        t = time_onnx_vs_torch(models, size, args.runs, args.warmup, tmp,
                               args.onnx_threads)
    print(f'[{pair} onnx b1] PyTorch SSD {t["torch_ssd"]["median_ms"]:.1f} '
          f'ms, LED {t["torch_led"]["median_ms"]:.1f} ms (LED/SSD '
          f'{t["ratio_torch"]:.3f}) | onnxruntime SSD '
          f'{t["ort_ssd"]["median_ms"]:.1f} ms, LED '
          f'{t["ort_led"]["median_ms"]:.1f} ms (LED/SSD {t["ratio_ort"]:.3f})'
          f' | load {t["load_avg_before"]:.1f} -> {t["load_avg_after"]:.1f}',
          flush=True)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--pairs', nargs='+', default=['vgg16', 'cpu'],
                        choices=list(PAIRS))
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument(
        '--train-step',
        action='store_true',
        help='also time a training step (LED in its joint phase)')
    parser.add_argument('--train-batch', type=int, default=8)
    parser.add_argument('--train-runs', type=int, default=10)
    parser.add_argument('--train-warmup', type=int, default=3)
    parser.add_argument(
        '--memory',
        action='store_true',
        help='also measure peak inference memory, one fresh process per '
        'model and batch size')
    parser.add_argument('--memory-passes', type=int, default=10)
    parser.add_argument(
        '--count-ops',
        action='store_true',
        help='also count the aten ops of the head forward and the '
        'post-processing per image (what launch-bound GPU time follows)')
    parser.add_argument(
        '--onnx',
        action='store_true',
        help='also time both models exported to ONNX on onnxruntime vs '
        'PyTorch at batch 1 (CPU), interleaved')
    parser.add_argument('--onnx-threads', type=int, default=2)
    parser.add_argument(
        '--memory-child', nargs=4, help=argparse.SUPPRESS,
        metavar=('CONFIG', 'SIZE', 'BATCH', 'PASSES'))
    args = parser.parse_args()
    if args.memory_child:
        config, size, batch, passes = args.memory_child
        print(json.dumps(
            memory_child(config, int(size), int(batch), int(passes),
                         args.device)), flush=True)
        return
    register_all_modules()
    torch.manual_seed(0)
    results = dict(
        device=(torch.cuda.get_device_name()
                if args.device.startswith('cuda') else
                f'cpu ({torch.get_num_threads()} threads)'),
        torch=torch.__version__,
        runs=args.runs,
        warmup=args.warmup,
        threads=torch.get_num_threads(),
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
        if args.count_ops:
            c = count_ops(models, size, args.device)
            entry['ops'] = c
            print(f'[{pair} ops/image] head forward SSD '
                  f'{c["ssd"]["head_forward"]["compute"]}, LED '
                  f'{c["led"]["head_forward"]["compute"]} | post-processing '
                  f'SSD {c["ssd"]["post"]["compute"]}, LED '
                  f'{c["led"]["post"]["compute"]} (non-view aten ops)',
                  flush=True)
        if args.train_step:
            t = time_train_step(models, size, args.train_batch,
                                args.train_runs, args.train_warmup,
                                args.device)
            entry['train_step'] = t
            print(f'[{pair} train b{args.train_batch}] SSD step '
                  f'{t["ssd"]["step_ms"]:.1f} ms | LED step (joint) '
                  f'{t["led"]["step_ms"]:.1f} ms | LED/SSD '
                  f'{t["ratio"]:.3f}', flush=True)
        if args.memory:
            entry['memory'] = {}
            for batch in args.batch_sizes:
                mem = {
                    name: measure_memory(cfg, size, batch,
                                         args.memory_passes, args.device)
                    for name, cfg in (('ssd', ssd_cfg), ('led', led_cfg))
                }
                key = ('cuda_max_allocated_mb' if args.device.startswith(
                    'cuda') else 'peak_rss_mb')
                mem['metric'] = key
                mem['ratio'] = mem['led'][key] / mem['ssd'][key]
                if mem['ssd'].get('peak_over_import_mb'):
                    mem['ratio_over_import'] = (
                        mem['led']['peak_over_import_mb'] /
                        mem['ssd']['peak_over_import_mb'])
                entry['memory'][str(batch)] = mem
                print(f'[{pair} memory b{batch}] {key}: SSD '
                      f'{mem["ssd"][key]:.0f} MiB | LED '
                      f'{mem["led"][key]:.0f} MiB | LED/SSD '
                      f'{mem["ratio"]:.3f} (over imports: '
                      f'{mem.get("ratio_over_import", float("nan")):.3f})',
                      flush=True)
        if args.onnx:
            entry['onnx'] = onnx_latency(pair, models, size, args)
        results['pairs'][pair] = entry
    if args.out:
        import os
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
