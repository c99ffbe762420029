"""Inference cost of LED's LE module: each plain detector against its LED
twin, side by side in one process.

For each (plain config, LED config) pair -- SSD300-VGG16/LED300, the CPU
SSDLite/LEDLite and the CPU FPN heads RetinaNet, FCOS and ATSS with their
LED versions -- builds both detectors with random weights, then times them
*interleaved* (alternating order each round) after a warm-up, and reports
medians (:mod:`mmdet_led.utils.benchmark` does the measuring):

* ``net``: the network forward (backbone, neck, head incl. the LE module);
* ``full``: forward + post-processing (decoding, LE scoring, NMS), what
  ``tools/test.py`` runs per batch;
* ``post``: the post-processing alone (``full - net`` per run);
* parameters and conv multiply-accumulates (MACs) per image of both models
  and of the LE module (hooks on every conv, every call counted), and the
  MAC floor ``led / plain``: the ratio the LE module's arithmetic alone
  would give.

The plain model's results are under the key ``ssd`` (read by the
benchmark harness), the LED model's under ``led``.

Optional extras:

* ``--compile``: also the network compiled with ``torch.compile``
  (inductor; CUDA graphs on CUDA), compiled once per model and batch size
  before the timed rounds (``compile_s``), timed in the same rounds as the
  eager runs. ``predict`` graph-breaks on NMS and the post-processing's
  data-dependent shapes (counted per model: ``predict_graph_breaks``), so
  the compiled ``full`` is the compiled network + the eager
  ``predict_by_feat``; ``--freezing`` compiles with inductor's ``freezing``
  (CPU: weights folded and prepacked as constants);
* ``--checkpoints PLAIN LED`` (one pair): instead of the above, both
  models with their trained weights and their configs' own test settings,
  timed at batch 1 on the first ``--images`` test images (interleaved,
  medians over images and rounds): the post-processing's load as testing
  has it, where random weights at score threshold 0 load it fully; with
  ``--onnx`` both models' exports on onnxruntime in the same rounds;
* ``--count-ops``: aten ops per image of the head forward and of the
  post-processing at every batch size (see
  :func:`~mmdet_led.utils.benchmark.count_ops`): what batch-1 GPU time
  follows;
* ``--train-step``: time of one training step (forward, losses, backward,
  SGD step), interleaved, LED in its ``'joint'`` phase; medians of
  ``--train-runs`` after ``--train-warmup`` and the LED/plain ratio;
* ``--memory``: peak memory of ``--memory-passes`` inference passes per
  model and batch size, each model in a fresh subprocess: on CPU the
  process's peak RSS (Linux ``VmHWM``, reset after the imports;
  ``ru_maxrss`` is recorded too but after fork + exec it also counts the
  parent's RSS at the fork), also over the RSS after the imports; on CUDA
  ``torch.cuda.max_memory_allocated``;
* ``--unfused``: also the same LED (same weights) with its LE module's
  per-branch layers at inference (``fused_inference=False``), in the same
  interleaved rounds: what the fused inference path saves;
* ``--onnx``: batch-1 latency of both models exported to ONNX on
  onnxruntime (CPU, ``--onnx-threads``): ``net`` the export of the raw
  head maps, ``full`` the whole detection graph (network, post-processing
  and NMS); PyTorch's ``net`` and ``full`` timed in the same interleaved
  rounds, on one random image (under ``batches['1']['onnx']``, shaped
  like ``--checkpoints``' results, which it extends to the test images);
* ``--markdown FILE``: the results as markdown tables, one per batch size
  and engine measured (eager, LE per-branch, compiled, onnxruntime and
  the eager timings of its rounds, trained weights eager and on
  onnxruntime); ``--render JSON`` writes them from an earlier ``--out``
  without measuring.

Example (the LE cost benchmark's commands, ``benchmarks/le_cost.md``)::

    python tools/benchmark_speed.py --batch-sizes 1 8 --runs 30 \
        --warmup 5 --count-ops --unfused \
        --out benchmarks/results/le_cost_eager.json \
        --markdown le_cost_eager.md
    python tools/benchmark_speed.py --batch-sizes 1 --runs 30 --warmup 5 \
        --compile --out benchmarks/results/le_cost_compiled.json
    python tools/benchmark_speed.py --batch-sizes 1 --runs 30 --warmup 5 \
        --onnx --out benchmarks/results/le_cost_onnx.json
    python tools/benchmark_speed.py --pairs cpu --images 50 --runs 10 \
        --warmup 2 --onnx --checkpoints PLAIN.pth LED.pth
    python tools/benchmark_speed.py --pairs vgg16 cpu --batch-sizes 1 8 \
        --runs 30 --train-step --train-batch 8 --train-runs 10 --memory \
        --out speed.json
    python tools/benchmark_speed.py --render le_cost_eager.json \
        --markdown le_cost_eager.md
"""
import argparse
import copy
import datetime
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn

import mmdet_led  # noqa: F401,I001 - first: NMS fallback for mmcv-lite
from mmdet.utils import register_all_modules
from tabulate import tabulate

from mmdet_led.utils.benchmark import (COMPILED_FULL, build_detector,
                                       conv_macs, count_ops, dummy_batch,
                                       load_test_images,
                                       predict_graph_breaks, time_pair,
                                       time_pair_on_images, time_train_step)
from mmdet_led.utils.memory import inference_peak_memory

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Pair name -> (plain config, LED config, input size).
PAIRS = {
    'vgg16': ('configs/led/ssd300_vgg16_voc0712.py',
              'configs/led/led300_vgg16_voc0712.py', 300),
    'cpu': ('configs/led/ssdlite_efficientnetlite0_192_voc07_cpu.py',
            'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py', 192),
    **{
        head: (f'configs/led/{head}/{head}_efficientnetlite0_fpn_192_voc07'
               '_cpu.py', f'configs/led/{head}/led-{head}_efficientnetlite0'
               '_fpn_192_voc07_cpu.py', 192)
        for head in ('retinanet', 'fcos', 'atss')
    }
}
#: Cell of a number not measured.
MISSING = '—'


def build(config: str, device: str) -> nn.Module:
    """The detector of ``config`` (relative to the repository), random
    weights, eval mode."""
    return build_detector(osp.join(ROOT, config), device)


def memory_child(config: str, size: int, batch: int, passes: int,
                 device: str) -> dict:
    """:func:`~mmdet_led.utils.memory.inference_peak_memory` of
    ``config`` in this (fresh) process, its modules registered first."""
    register_all_modules()
    return inference_peak_memory(
        osp.join(ROOT, config), size, batch, passes, device)


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


def time_on_images(models: Dict[str, nn.Module], images: list,
                   args: argparse.Namespace, onnx: bool) -> dict:
    """:func:`~mmdet_led.utils.benchmark.time_pair_on_images` of
    ``models`` on ``images`` with ``args``' rounds, with (``onnx``) their
    exports on onnxruntime in the same rounds."""
    with tempfile.TemporaryDirectory() as tmp:
        sessions = None
        if onnx:
            from mmdet_led.deployment.speed import ort_sessions
            sessions = ort_sessions(models, tuple(images[0][0].shape[-2:]),
                                    tmp, args.onnx_threads)
        return time_pair_on_images(models, images, args.runs, args.warmup,
                                   args.device, sessions)


def onnx_latency(pair: str, models: Dict[str, nn.Module], size: int,
                 args: argparse.Namespace) -> dict:
    """Batch-1 latency of plain and LED exported to onnxruntime and in
    PyTorch, all in the same rounds on one random image, printed."""
    t = time_on_images(models, [dummy_batch(1, size, args.device)], args,
                       onnx=True)
    _print_batch(pair, 1, dict(onnx=t))
    return t


#: The engine row of ``--unfused``: LED with its LE module's per-branch
#: layers (``fused_inference=False``), eager.
UNFUSED = 'eager, LE per-branch (unfused)'
#: The eager timings in the rounds of ``--onnx`` (random weights).
ONNX_ROUNDS = 'eager, in the onnxruntime rounds'
#: The engine rows of ``--checkpoints``: trained weights on test images,
#: eager and (``--onnx``) on onnxruntime.
TRAINED = 'eager, trained weights, test images'
TRAINED_ORT = 'onnxruntime, trained weights, test images'
#: Engines whose timings sit under their own keys of a batch's results.
NESTED = {
    'compiled': ('compiled', ),
    'onnxruntime': ('onnx', 'onnxruntime'),
    ONNX_ROUNDS: ('onnx', ),
    TRAINED: ('trained', ),
    TRAINED_ORT: ('trained', 'onnxruntime')
}
#: Engines that run no aten ops (no ops cell).
ORT_ENGINES = ('onnxruntime', TRAINED_ORT)


def _ops_cell(ops: Optional[dict], led: str = 'led') -> str:
    """``plain / LED`` non-view aten ops per image, head forward + post."""
    if not ops:
        return MISSING
    total = [
        ops[m]['head_forward']['compute'] + ops[m]['post']['compute']
        for m in ('ssd', led)
    ]
    return ' / '.join(f'{n:g}' for n in total)


def _engine_rows(results: dict, batch: str, engine: str) -> List[list]:
    """Table rows of one batch size and engine (pairs without it left
    out)."""
    rows = []
    for pair, e in results['pairs'].items():
        t = e['batches'].get(batch)
        floor = f'{e["mac_floor"]:.3f}' if 'mac_floor' in e else MISSING
        if t is None:
            continue
        led, suffix = 'led', ''
        if engine == UNFUSED:
            led, suffix = 'led_unfused', '_unfused'
        r = t
        for key in NESTED.get(engine, ()):
            r = r.get(key) or {}
        if led not in r:
            continue
        rows.append([
            pair, f'{r["ssd"]["net_ms"]:.1f} / {r["ssd"]["full_ms"]:.1f}',
            f'{r[led]["net_ms"]:.1f} / {r[led]["full_ms"]:.1f}',
            f'{r["ratio_net" + suffix]:.3f}',
            f'{r["ratio_full" + suffix]:.3f}',
            _ops_cell(None if engine in ORT_ENGINES else t.get('ops'), led),
            floor
        ])
    return rows


def render_markdown(results: dict) -> str:
    """The results as markdown: one table per (batch size, engine).

    Columns: pair, plain and LED latency (``net / full`` medians, ms),
    LED/plain ratios of both, non-view aten ops per image (head forward +
    post-processing; PyTorch only) and the MAC floor. Ends with the
    measuring conditions and, when the device was no GPU, the line
    ``GPU: not measured since <date of the results>``.

    Args:
        results (dict): What ``--out`` writes.

    Returns:
        str: The markdown text, newline-terminated.
    """
    header = ['pair', 'plain ms', 'LED ms', 'ratio net', 'ratio full',
              'ops plain/LED', 'MAC floor']
    batches = sorted({b for e in results['pairs'].values()
                      for b in e['batches']}, key=int)
    parts = []
    for batch in batches:
        for engine in ('eager', UNFUSED, 'compiled', 'onnxruntime',
                       ONNX_ROUNDS, TRAINED, TRAINED_ORT):
            rows = _engine_rows(results, batch, engine)
            if rows:
                parts.append(f'**batch {batch}, {engine}**\n\n' + tabulate(
                    rows, header, tablefmt='github', disable_numparse=True))
    date = results.get('date', MISSING)[:10]
    notes = [
        f'{results["device"]}, torch {results["torch"]}, {date}: medians of '
        f'{results["runs"]} interleaved runs after {results["warmup"]} '
        'warm-up. ms: network forward / full predict (forward + '
        'post-processing); ratio: LED / plain; ops: non-view aten ops per '
        'image, head forward + post-processing; MAC floor: LED / plain conv '
        'MACs per image.'
    ]
    if any('compiled' in t for e in results['pairs'].values()
           for t in e['batches'].values()):
        notes.append(f'compiled: torch.compile (inductor); full = '
                     f'{COMPILED_FULL}.')
    trained = [t['trained'] for e in results['pairs'].values()
               for t in e['batches'].values() if 'trained' in t]
    if trained:
        notes.append(
            f'trained: the pair\'s checkpoints with its configs\' test '
            f'settings on the first {trained[0]["images"]} test images, one '
            'per call; medians over images and rounds; full = predict '
            'rescaled to the original image, as in testing.')
    if any('onnxruntime' in t.get(k, {}) for e in results['pairs'].values()
           for t in e['batches'].values() for k in ('onnx', 'trained')):
        notes.append(
            'onnxruntime: the exported models in CPU sessions; net = the '
            'raw head maps\' export, full = the whole detection graph '
            '(post-processing and NMS in the graph, boxes in input pixels).')
    if results['device'].startswith('cpu'):
        notes.append(f'GPU: not measured since {date}')
    return '\n\n'.join(parts + notes) + '\n'


def _print_batch(pair: str, batch: int, t: dict) -> None:
    """One console line per engine of a pair's batch."""
    for tag, r in (('', t), (' compiled', t.get('compiled')),
                   (' onnxruntime', t.get('onnx', {}).get('onnxruntime')),
                   (' eager, onnxruntime rounds', t.get('onnx')),
                   (' trained', t.get('trained')),
                   (' trained onnxruntime',
                    t.get('trained', {}).get('onnxruntime'))):
        if r and 'ssd' in r:
            print(f'[{pair} b{batch}{tag}] plain net {r["ssd"]["net_ms"]:.1f}'
                  f' ms, full {r["ssd"]["full_ms"]:.1f} ms | LED net '
                  f'{r["led"]["net_ms"]:.1f} ms, full {r["led"]["full_ms"]:.1f}'
                  f' ms | LED/plain net {r["ratio_net"]:.3f}, full '
                  f'{r["ratio_full"]:.3f}', flush=True)
    c = t.get('ops')
    if c:
        print(f'[{pair} b{batch} ops/image] head forward plain '
              f'{c["ssd"]["head_forward"]["compute"]:g}, LED '
              f'{c["led"]["head_forward"]["compute"]:g} | post-processing '
              f'plain {c["ssd"]["post"]["compute"]:g}, LED '
              f'{c["led"]["post"]["compute"]:g} (non-view aten ops)',
              flush=True)


def measure_trained(pair: str, args: argparse.Namespace) -> dict:
    """Batch-1 latency of one pair with its trained weights on the first
    ``--images`` test images of its config (the configs' own test
    settings), printed."""
    plain_cfg, led_cfg, _ = PAIRS[pair]
    models = {
        name: build_detector(osp.join(ROOT, cfg), args.device, ckpt)
        for name, cfg, ckpt in zip(('ssd', 'led'), (plain_cfg, led_cfg),
                                   args.checkpoints)
    }
    images = load_test_images(models['ssd'], osp.join(ROOT, led_cfg),
                              args.images)
    batch = dict(trained=time_on_images(models, images, args, args.onnx))
    _print_batch(pair, 1, batch)
    t = batch['trained']
    print(f'[{pair} b1 trained] {t["images"]} test images, detections per '
          f'image plain {t["ssd"]["detections"]:.1f}, LED '
          f'{t["led"]["detections"]:.1f}', flush=True)
    return dict(ssd_config=plain_cfg, led_config=led_cfg,
                checkpoints=list(args.checkpoints), batches={'1': batch})


def measure_pair(pair: str, args: argparse.Namespace) -> dict:
    """Every measurement the flags ask for of one pair."""
    plain_cfg, led_cfg, size = PAIRS[pair]
    twins = dict(ssd=build(plain_cfg, args.device),
                 led=build(led_cfg, args.device))
    models = dict(twins)
    x = torch.randn(1, 3, size, size, device=args.device)
    macs = {name: conv_macs(m, x) for name, m in models.items()}
    le_macs = sum(v for k, v in macs['led'].items() if '.le_module.' in k)
    led = models['led']
    if args.unfused:
        # the same LED (same weights) with its LE module's per-branch
        # layers at inference too: what the fused path saves
        models['led_unfused'] = copy.deepcopy(led)
        models['led_unfused'].bbox_head.le_module.fused_inference = False
    entry: Dict[str, Any] = dict(
        ssd_config=plain_cfg,
        led_config=led_cfg,
        heads={n: type(m.bbox_head).__name__ for n, m in models.items()},
        input_size=size,
        params=dict(
            ssd=sum(p.numel() for p in models['ssd'].parameters()),
            led=sum(p.numel() for p in led.parameters()),
            le_module=sum(
                p.numel() for p in led.bbox_head.le_module.parameters())),
        gmacs=dict(
            ssd=sum(macs['ssd'].values()) / 1e9,
            led=sum(macs['led'].values()) / 1e9,
            le_module=le_macs / 1e9),
        batches={})
    entry['mac_floor'] = entry['gmacs']['led'] / entry['gmacs']['ssd']
    if args.compile:
        # before any compilation: explain resets dynamo's caches
        entry['predict_graph_breaks'] = {
            n: predict_graph_breaks(m, size, args.device)
            for n, m in models.items()
        }
    for batch in args.batch_sizes:
        t = time_pair(models, size, batch, args.runs, args.warmup,
                      args.device, compile=args.compile,
                      freezing=args.freezing)
        if args.count_ops:
            t['ops'] = count_ops(models, size, args.device, batch)
        entry['batches'][str(batch)] = t
        _print_batch(pair, batch, t)
    if args.count_ops:
        # the harness report reads the per-image counts of batch 1 here
        first = entry['batches'].get('1') or next(
            iter(entry['batches'].values()))
        entry['ops'] = first['ops']
    print(f'[{pair}] LE module: {entry["params"]["le_module"] / 1e6:.2f} M '
          f'params, {entry["gmacs"]["le_module"]:.3f} of '
          f'{entry["gmacs"]["led"]:.3f} GMACs per image (plain '
          f'{entry["gmacs"]["ssd"]:.3f}: MAC floor '
          f'{entry["mac_floor"]:.3f})', flush=True)
    if args.train_step:
        # training runs the per-branch layers: led_unfused would be led
        t = time_train_step(twins, size, args.train_batch, args.train_runs,
                            args.train_warmup, args.device)
        entry['train_step'] = t
        print(f'[{pair} train b{args.train_batch}] plain step '
              f'{t["ssd"]["step_ms"]:.1f} ms | LED step (joint) '
              f'{t["led"]["step_ms"]:.1f} ms | LED/plain '
              f'{t["ratio"]:.3f}', flush=True)
    if args.memory:
        entry['memory'] = {
            str(batch): memory_pair(pair, plain_cfg, led_cfg, size, batch,
                                    args)
            for batch in args.batch_sizes
        }
    if args.onnx:
        entry['batches'].setdefault('1', {})['onnx'] = onnx_latency(
            pair, twins, size, args)
    return entry


def memory_pair(pair: str, plain_cfg: str, led_cfg: str, size: int,
                batch: int, args: argparse.Namespace) -> dict:
    """Peak inference memory of both models at ``batch``, printed."""
    mem: Dict[str, Any] = {
        name: measure_memory(cfg, size, batch, args.memory_passes,
                             args.device)
        for name, cfg in (('ssd', plain_cfg), ('led', led_cfg))
    }
    key = ('cuda_max_allocated_mb'
           if args.device.startswith('cuda') else 'peak_rss_mb')
    mem['metric'] = key
    mem['ratio'] = mem['led'][key] / mem['ssd'][key]
    if mem['ssd'].get('peak_over_import_mb'):
        mem['ratio_over_import'] = (mem['led']['peak_over_import_mb'] /
                                    mem['ssd']['peak_over_import_mb'])
    print(f'[{pair} memory b{batch}] {key}: plain {mem["ssd"][key]:.0f} MiB'
          f' | LED {mem["led"][key]:.0f} MiB | LED/plain {mem["ratio"]:.3f} '
          f'(over imports: {mem.get("ratio_over_import", float("nan")):.3f})',
          flush=True)
    return mem


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--pairs', nargs='+', default=list(PAIRS),
                        choices=list(PAIRS))
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='also time the torch.compile-d network (inductor; CUDA graphs '
        'on CUDA) and full predict with it')
    parser.add_argument(
        '--freezing',
        action='store_true',
        help='with --compile: compile with inductor\'s freezing (CPU)')
    parser.add_argument(
        '--markdown', help='write the results as markdown tables')
    parser.add_argument(
        '--render',
        metavar='JSON',
        help='measure nothing: render the results of an earlier --out '
        'into --markdown')
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
        help='also count the aten ops per image of the head forward and '
        'the post-processing at every batch size')
    parser.add_argument(
        '--onnx',
        action='store_true',
        help='also time both models exported to ONNX on onnxruntime '
        '(CPU), interleaved with PyTorch at batch 1: on one random image, '
        'or with --checkpoints on its test images')
    parser.add_argument('--onnx-threads', type=int, default=2)
    parser.add_argument(
        '--unfused',
        action='store_true',
        help='also time the same LED with its LE module\'s per-branch '
        'layers at inference (fused_inference=False), interleaved')
    parser.add_argument(
        '--checkpoints',
        nargs=2,
        metavar=('PLAIN', 'LED'),
        help='instead of random weights: time the one pair of --pairs with '
        'these trained weights on real test images (batch 1, the configs\' '
        'own score thresholds)')
    parser.add_argument(
        '--images',
        type=int,
        default=50,
        help='test images of --checkpoints (default 50)')
    parser.add_argument(
        '--memory-child', nargs=4, help=argparse.SUPPRESS,
        metavar=('CONFIG', 'SIZE', 'BATCH', 'PASSES'))
    return parser.parse_args()


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path``, creating its folder."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    print(f'wrote {path}')


def main() -> None:
    args = parse_args()
    if args.memory_child:
        config, size, batch, passes = args.memory_child
        print(json.dumps(
            memory_child(config, int(size), int(batch), int(passes),
                         args.device)), flush=True)
        return
    if args.render:
        with open(args.render) as f:
            results = json.load(f)
        if not args.markdown:
            raise SystemExit('--render needs --markdown FILE')
        write_text(args.markdown, render_markdown(results))
        return
    register_all_modules()
    torch.manual_seed(0)
    results = dict(
        device=(torch.cuda.get_device_name()
                if args.device.startswith('cuda') else
                f'cpu ({torch.get_num_threads()} threads)'),
        torch=torch.__version__,
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        runs=args.runs,
        warmup=args.warmup,
        threads=torch.get_num_threads(),
        pairs={})
    if args.checkpoints and len(args.pairs) != 1:
        raise SystemExit('--checkpoints needs exactly one pair in --pairs')
    for pair in args.pairs:
        results['pairs'][pair] = (
            measure_trained(pair, args)
            if args.checkpoints else measure_pair(pair, args))
    if args.out:
        write_text(args.out, json.dumps(results, indent=2))
    if args.markdown:
        write_text(args.markdown, render_markdown(results))


if __name__ == '__main__':
    main()
