"""What a CPU result depends on beyond code, config and seed.

The same training retrains bit for bit only on the same CPU kind with the
same thread count: PyTorch's own kernels dispatch on the CPU capability
(DEFAULT/AVX2/AVX512) and oneDNN/MKL pick JIT kernels per ISA (AVX2,
AVX-512, AMX), and each sums in a different order. :func:`collect_env_info`
records those choices, so a result file says where it was made.
"""
import functools
import os
import platform
import re
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

import torch

#: /proc/cpuinfo flags that change which kernels oneDNN/MKL/ATen pick.
ISA_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_tile', 'amx_bf16',
             'amx_int8')
#: Environment variables that cap or pin those kernels, or set threads.
KERNEL_ENV = ('ONEDNN_MAX_CPU_ISA', 'DNNL_MAX_CPU_ISA', 'ATEN_CPU_CAPABILITY',
              'MKL_CBWR', 'MKL_ENABLE_INSTRUCTIONS', 'OMP_NUM_THREADS',
              'MKL_NUM_THREADS')
#: Seconds the oneDNN probe may take (a torch import and two convolutions).
PROBE_TIMEOUT_S = 120
#: Run in a fresh interpreter with ONEDNN_VERBOSE=1: a strided and a
#: depthwise float32 convolution (the detector's two kinds), both of which
#: PyTorch hands to oneDNN.
_ONEDNN_PROBE = (
    'import torch\n'
    'x = torch.randn(16, 32, 32, 32)\n'
    'torch.nn.functional.conv2d(x, torch.randn(32, 32, 3, 3), stride=2)\n'
    'torch.nn.functional.conv2d(x, torch.randn(32, 1, 3, 3), groups=32)\n')


def parse_cpuinfo(text: str) -> Dict[str, object]:
    """CPU model and the :data:`ISA_FLAGS` it has, from /proc/cpuinfo text
    (its first processor block).

    Returns:
        dict: ``cpu_model`` (str or None) and ``isa_flags`` (dict of flag
        name -> bool).
    """
    model, flags = None, set()
    for line in text.splitlines():
        key, _, value = line.partition(':')
        key = key.strip()
        if key == 'model name' and model is None:
            model = value.strip()
        elif key == 'flags' and not flags:
            flags = set(value.split())
    return dict(
        cpu_model=model, isa_flags={f: f in flags
                                    for f in ISA_FLAGS})


def parse_onednn_verbose(text: str) -> Dict[str, object]:
    """oneDNN's CPU ISA and the convolution kernels it ran, from
    ``ONEDNN_VERBOSE=1`` output.

    Returns:
        dict: ``isa`` (e.g. 'Intel AVX2', or None) and ``conv_kernels``
        (sorted implementation names, e.g. ['jit:avx2', 'jit_dw:avx2']).
    """
    isa = None
    kernels = set()
    for line in text.splitlines():
        fields = line.split(',')
        if not fields or fields[0] != 'onednn_verbose':
            continue
        if 'info' in fields and any(f.startswith('isa:') for f in fields):
            isa = next(f for f in fields if f.startswith('isa:'))[4:]
        elif 'exec' in fields and 'convolution' in fields:
            idx = fields.index('convolution')
            if idx + 1 < len(fields):
                kernels.add(fields[idx + 1])
    return dict(isa=isa, conv_kernels=sorted(kernels))


def parse_torch_config(text: str) -> Dict[str, Optional[str]]:
    """oneDNN and MKL versions and the ATen CPU capability it was built to
    use, from ``torch.__config__.show()``."""

    def find(pattern: str) -> Optional[str]:
        match = re.search(pattern, text)
        return match.group(1).strip() if match else None

    return dict(
        onednn_version=find(r'(?:MKL-DNN|oneDNN) (v[0-9.]+)'),
        mkl_version=find(r'Math Kernel Library Version ([^\n]+?) for'),
        cpu_capability_usage=find(r'CPU capability usage: ([^\n]+)'))


def probe_onednn() -> Dict[str, object]:
    """Run :data:`_ONEDNN_PROBE` in a fresh interpreter (this process's
    environment) and parse its oneDNN verbose output.

    oneDNN prints its ISA once per process, so it is asked in a new one;
    the answer is cached per setting of the :data:`KERNEL_ENV` variables.

    Returns:
        dict: :func:`parse_onednn_verbose`'s dict, plus ``error`` if the
        probe failed.
    """
    return dict(_probe(tuple(os.environ.get(k) for k in KERNEL_ENV)))


@functools.lru_cache(maxsize=None)
def _probe(kernel_env: Tuple[Optional[str], ...]) -> Dict[str, object]:
    """:func:`probe_onednn` for one setting ``kernel_env`` (the cache key)."""
    env = dict(os.environ, ONEDNN_VERBOSE='1', DNNL_VERBOSE='1')
    try:
        proc = subprocess.run([sys.executable, '-c', _ONEDNN_PROBE],
                              env=env, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        return dict(isa=None, conv_kernels=[], error=repr(err))
    info = parse_onednn_verbose(proc.stdout)
    if proc.returncode:
        info['error'] = '\n'.join(proc.stderr.strip().splitlines()[-1:])
    return info


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ''


def collect_env_info(onednn: bool = True) -> Dict[str, object]:
    """The CPU, its kernel ISAs and thread count that a result depends on.

    Args:
        onednn (bool): Also run :func:`probe_onednn` (a second or two, once
            per process) to record the ISA oneDNN actually uses. Defaults
            to True.

    Returns:
        dict: ``cpu_model``, ``isa_flags`` (from /proc/cpuinfo),
        ``aten_cpu_capability`` (``torch.backends.cpu.get_cpu_capability``),
        ``mkldnn_available``/``mkldnn_enabled``, the build's oneDNN/MKL
        versions and capability (:func:`parse_torch_config`), ``onednn``
        (:func:`probe_onednn`; None if skipped), ``kernel_env`` (the set
        :data:`KERNEL_ENV` variables), ``torch_threads``,
        ``torch_interop_threads``, ``cpu_count``, ``torch``, ``python``,
        ``machine``.
    """
    cpu = parse_cpuinfo(_read('/proc/cpuinfo'))
    if cpu['cpu_model'] is None:
        cpu['cpu_model'] = platform.processor() or None
    info: Dict[str, object] = dict(cpu)
    info.update(
        aten_cpu_capability=torch.backends.cpu.get_cpu_capability(),
        mkldnn_available=torch.backends.mkldnn.is_available(),
        mkldnn_enabled=bool(torch.backends.mkldnn.enabled))
    info.update(parse_torch_config(torch.__config__.show()))
    info['onednn'] = probe_onednn() if onednn else None
    info.update(
        kernel_env={k: os.environ[k]
                    for k in KERNEL_ENV if k in os.environ},
        torch_threads=torch.get_num_threads(),
        torch_interop_threads=torch.get_num_interop_threads(),
        cpu_count=os.cpu_count(),
        torch=torch.__version__,
        python=platform.python_version(),
        machine=platform.machine())
    return info


def env_summary(info: Dict[str, object]) -> str:
    """One line for a report: CPU model, oneDNN ISA, ATen capability,
    threads and torch version."""
    onednn = info.get('onednn') or {}
    parts: List[str] = [
        str(info.get('cpu_model')),
        f"oneDNN ISA {onednn.get('isa')}",
        f"ATen {info.get('aten_cpu_capability')}",
        f"{info.get('torch_threads')} threads",
        f"torch {info.get('torch')}",
    ]
    env = info.get('kernel_env') or {}
    if env:
        parts.append(' '.join(f'{k}={v}' for k, v in sorted(env.items())))
    return '; '.join(parts)
