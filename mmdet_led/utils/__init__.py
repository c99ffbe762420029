from .env_info import (collect_env_info, env_summary, parse_cpuinfo,
                       parse_onednn_verbose, parse_torch_config,
                       probe_onednn)
from .mmdet_tools import mmdet_tool_path, run_mmdet_tool

__all__ = [
    'collect_env_info', 'env_summary', 'parse_cpuinfo',
    'parse_onednn_verbose', 'parse_torch_config', 'probe_onednn',
    'mmdet_tool_path', 'run_mmdet_tool'
]
