"""Reproducibility record: CPU, kernel ISAs, threads, torch version."""
import json

import pytest
import torch

from mmdet_led.utils.env_info import (collect_env_info, env_summary,
                                      parse_cpuinfo, parse_onednn_verbose,
                                      parse_torch_config)

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse2 avx avx2 avx512f avx512bw amx_tile amx_int8

processor\t: 1
model name\t: other
flags\t\t: fpu
"""

VERBOSE = '\n'.join([
    'onednn_verbose,v1,info,oneDNN v3.12.0 (commit 80afa71)',
    'onednn_verbose,v1,info,cpu,runtime:OpenMP,nthr:2',
    'onednn_verbose,v1,info,cpu,isa:Intel AVX2',
    'onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src,,8x8,7.2',
    'onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx2,'
    'forward_training,src,alg,mb16,1.0',
    'onednn_verbose,v1,primitive,exec,cpu,convolution,jit_dw:avx2,'
    'forward_training,src,alg,mb16,1.0',
])

CONFIG = '\n'.join([
    'PyTorch built with:',
    '  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build '
    '20240605 for Intel(R) 64 architecture applications',
    '  - Intel(R) MKL-DNN v3.12.0 (Git Hash '
    '80afa71049cd69a3df32adcccb623b12cd7baa22)',
    '  - CPU capability usage: AVX512',
])


def test_parse_cpuinfo_first_block():
    info = parse_cpuinfo(CPUINFO)
    assert info['cpu_model'] == (
        'Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz')
    assert info['isa_flags'] == dict(
        avx2=True, avx512f=True, avx512_bf16=False, amx_tile=True,
        amx_bf16=False, amx_int8=True)
    assert parse_cpuinfo('')['cpu_model'] is None


def test_parse_onednn_verbose():
    assert parse_onednn_verbose(VERBOSE) == dict(
        isa='Intel AVX2', conv_kernels=['jit:avx2', 'jit_dw:avx2'])
    assert parse_onednn_verbose('no output') == dict(isa=None,
                                                     conv_kernels=[])


def test_parse_torch_config():
    assert parse_torch_config(CONFIG) == dict(
        onednn_version='v3.12.0',
        mkl_version='2024.2-Product Build 20240605',
        cpu_capability_usage='AVX512')


@pytest.mark.slow
def test_collect_env_info_on_this_machine(monkeypatch):
    """The live record: JSON-serializable, torch's own answers, and the
    oneDNN probe obeys ONEDNN_MAX_CPU_ISA (run in a fresh interpreter)."""
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'SSE41')
    info = collect_env_info()
    json.dumps(info)
    assert info['torch'] == torch.__version__
    assert info['torch_threads'] == torch.get_num_threads()
    assert info['aten_cpu_capability'] == (
        torch.backends.cpu.get_cpu_capability())
    assert info['kernel_env']['ONEDNN_MAX_CPU_ISA'] == 'SSE41'
    assert set(info['isa_flags']) == {
        'avx2', 'avx512f', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8'
    }
    if torch.backends.mkldnn.is_available():
        assert info['onednn']['isa'] == 'Intel SSE4.1'
        assert info['onednn']['conv_kernels']
        assert all('avx' not in k for k in info['onednn']['conv_kernels'])
    line = env_summary(info)
    assert 'ONEDNN_MAX_CPU_ISA=SSE41' in line and torch.__version__ in line
    assert collect_env_info(onednn=False)['onednn'] is None
