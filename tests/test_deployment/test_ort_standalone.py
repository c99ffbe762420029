"""ort_detector.py runs on its own: copied to a machine with numpy and
onnxruntime only, it imports and unpacks the exported graph's outputs."""
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = """
import importlib.util, sys
import numpy as np
for name in ('torch', 'mmdet', 'mmcv', 'mmengine', 'mmdet_led'):
    sys.modules[name] = None  # importing any of them now fails
spec = importlib.util.spec_from_file_location('ort_detector', sys.argv[1])
ort = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ort)
outputs = {k: np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
           for k in ('boxes', )}
outputs.update({k: np.arange(6, dtype=np.float32).reshape(2, 3)
                for k in ('scores', 'labels', 'cls_scores', 'loc_scores')})
outputs['num_dets'] = np.array([2, 0])
dets = ort.onnx_detections(outputs)
print(len(dets), dets[0]['boxes'].shape, dets[0]['scores'].tolist(),
      dets[1]['labels'].shape, ort.ORTDetector.__name__)
"""


@pytest.mark.slow  # a subprocess
def test_runs_without_torch_and_mmdet():
    proc = subprocess.run([
        sys.executable, '-c', SCRIPT,
        str(REPO / 'mmdet_led' / 'deployment' / 'ort_detector.py')
    ],
                          capture_output=True,
                          text=True,
                          check=True)
    assert proc.stdout.split('\n')[0] == '2 (2, 4) [0.0, 1.0] (0,) ORTDetector'
