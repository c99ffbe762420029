"""onnxruntime sessions of detectors' exports for latency benchmarks.

Used by ``tools/benchmark_speed.py --onnx``, which times them in the same
interleaved rounds as the PyTorch models
(:func:`~mmdet_led.utils.benchmark.time_pair_on_images`).
"""
import os.path as osp
from typing import Dict, Tuple

from torch import nn

from .onnx_export import export_onnx
from .ort_detector import ORTDetector


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
