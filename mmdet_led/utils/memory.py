"""Peak memory of a detector's inference passes (``tools/benchmark_speed.py
--memory``), measured in a fresh process."""
import resource
from typing import Optional

import torch

from .benchmark import build_detector, dummy_batch


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


def inference_peak_memory(config: str, size: int, batch: int, passes: int,
                          device: str) -> dict:
    """Peak memory of ``passes`` inference passes of ``config``'s detector
    (random weights) at ``batch`` images, to run in a fresh process whose
    imports (and module registration) are done.

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
    rss_import = _status_mb('VmRSS')
    reset = _reset_peak_rss()
    torch.manual_seed(0)
    model = build_detector(config, device)
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
