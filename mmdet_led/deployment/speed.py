"""Batch-1 latency of exported detectors on onnxruntime vs PyTorch.

Used by ``tools/benchmark_speed.py --onnx``: every model runs in the same
process, the runners (PyTorch and onnxruntime for each model)
interleaved in an order that rotates every round, so that a load change on
a shared machine hits them alike.
"""
import os
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
from mmdet.structures import DetDataSample
from torch import nn

from .onnx_export import export_onnx
from .ort_detector import ORTDetector


def interleaved_medians(runners: Dict[str, Callable[[], object]], runs: int,
                        warmup: int) -> Dict[str, Dict[str, float]]:
    """Median/min/max wall time (ms) of each runner over ``runs`` rounds.

    Each round calls every runner once, the order rotated by one each
    round; the first ``warmup`` rounds are not timed.
    """
    names = list(runners)
    times: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(warmup + runs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t = time.perf_counter()
            runners[name]()
            if r >= warmup:
                times[name].append(1e3 * (time.perf_counter() - t))
    return {
        n: dict(median_ms=statistics.median(t), min_ms=min(t), max_ms=max(t))
        for n, t in times.items()
    }


def ort_sessions(models: Dict[str, nn.Module], input_shape: Tuple[int, int],
                 work_dir: str,
                 threads: int = 2) -> Dict[str, Dict[str, ORTDetector]]:
    """Each model exported twice and loaded in onnxruntime CPU sessions
    whose idle threads sleep instead of spinning: on a 2-core host the
    threads of one session spinning after its run slowed the next
    session down (the plain SSDLite network interleaved with LEDLite's:
    8.5 ms spinning, 5.1 ms not; 3.4-3.6 ms run alone).

    Args:
        models (dict): Name -> detector (eval mode, CPU).
        input_shape (tuple[int, int]): (H, W) of the preprocessed input.
        work_dir (str): Where the ONNX files are written.
        threads (int): onnxruntime intra-op threads.

    Returns:
        dict: Name -> ``net`` (the raw head maps: the network alone) and
        ``full`` (the whole :class:`DetectionGraph`, post-processing and
        NMS included) sessions.
    """
    sessions: Dict[str, Dict[str, ORTDetector]] = {}
    for name, model in models.items():
        sessions[name] = {}
        for kind in ('net', 'full'):
            onnx_file = osp.join(work_dir, f'{name}_{kind}.onnx')
            export_onnx(model, onnx_file, input_shape,
                        raw_outputs=kind == 'net')
            sessions[name][kind] = ORTDetector(
                onnx_file, threads=threads, spinning=False)
    return sessions


def time_onnx_vs_torch(models: Dict[str, nn.Module], size: int, runs: int,
                       warmup: int, work_dir: str,
                       threads: int = 2) -> Dict[str, object]:
    """Batch-1 latency of each model's whole inference, PyTorch vs ORT.

    PyTorch: ``model.predict`` (network + post-processing with NMS), as
    ``time_pair``'s ``full``; onnxruntime: the exported
    :class:`DetectionGraph` (the same work in one graph) and the exported
    raw head maps (the network alone, ``ortnet``), in CPU sessions with
    ``threads`` intra-op threads (:func:`ort_sessions`). All get the same
    random image.

    Args:
        models (dict): Name -> detector (eval mode, CPU), e.g. ssd and led.
        size (int): Square input size.
        runs (int): Timed rounds; ``warmup`` rounds before them.
        work_dir (str): Where the ONNX files are written.
        threads (int): onnxruntime intra-op threads.

    Returns:
        dict: Per runner (``torch_<name>``, ``ort_<name>``,
        ``ortnet_<name>``) the timings,
        the LED/SSD ratio of each engine when both names are given, the
        torch thread count and the 1-minute load average before and after.
    """
    inputs = torch.randn(1, 3, size, size)
    samples = [
        DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.)))
    ]
    array = inputs.numpy()
    runners = {}
    sessions = ort_sessions(models, (size, size), work_dir, threads)
    for name, model in models.items():

        def run_torch(model=model):
            with torch.no_grad():
                model.predict(inputs, samples, rescale=False)

        runners[f'torch_{name}'] = run_torch
        for kind, tag in (('full', 'ort'), ('net', 'ortnet')):
            runners[f'{tag}_{name}'] = (
                lambda session=sessions[name][kind]: session(array))
    load_before = os.getloadavg()[0]
    out: Dict[str, object] = dict(interleaved_medians(runners, runs, warmup))
    out.update(
        ort_threads=threads,
        torch_threads=torch.get_num_threads(),
        runs=runs,
        warmup=warmup,
        load_avg_before=load_before,
        load_avg_after=os.getloadavg()[0])
    if {'ssd', 'led'} <= set(models):
        for engine in ('torch', 'ort', 'ortnet'):
            out[f'ratio_{engine}'] = (out[f'{engine}_led']['median_ms'] /
                                      out[f'{engine}_ssd']['median_ms'])
    return out
