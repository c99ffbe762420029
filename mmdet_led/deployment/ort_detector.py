"""Run an exported detector with onnxruntime.

Needs only numpy and onnxruntime: on a machine without PyTorch and
MMDetection, copy this one file and import it on its own.
"""
import json
from typing import Dict, List, Optional

import numpy as np

#: Per-detection outputs of the exported graph (``boxes`` in input pixels).
FIELDS = ('boxes', 'scores', 'labels', 'cls_scores', 'loc_scores')


def onnx_detections(outputs: Dict[str, np.ndarray]
                    ) -> List[Dict[str, np.ndarray]]:
    """Per-image detections from the padded outputs of the exported graph."""
    dets = []
    for b, num in enumerate(outputs['num_dets']):
        dets.append({k: outputs[k][b, :int(num)] for k in FIELDS})
    return dets


class ORTDetector:
    """An ONNX file from ``export_onnx.py`` in an onnxruntime CPU session.

    Args:
        onnx_file (str): The exported model.
        threads (int, optional): Intra-op threads; onnxruntime's default
            (all cores) when None.
        spinning (bool): Let the session's idle threads spin for work
            (onnxruntime's default: lower latency for one model). Off,
            they sleep, and sessions run in turns (a benchmark) do not
            take each other's cores.
    """

    def __init__(self,
                 onnx_file: str,
                 threads: Optional[int] = None,
                 spinning: bool = True) -> None:
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        if not spinning:
            for pool in ('intra_op', 'inter_op'):
                options.add_session_config_entry(
                    f'session.{pool}.allow_spinning', '0')
        self.session = ort.InferenceSession(
            onnx_file, options, providers=['CPUExecutionProvider'])
        self.output_names = [o.name for o in self.session.get_outputs()]

    @property
    def metadata(self) -> Dict[str, object]:
        """The metadata the export stored (input shape, normalization,
        classes, ...), decoded; read from the session, not the file."""
        meta = self.session.get_modelmeta().custom_metadata_map
        return {key: json.loads(value) for key, value in meta.items()}

    def __call__(self, inputs: np.ndarray) -> Dict[str, np.ndarray]:
        """All outputs by name for a (B, 3, H, W) float32 batch."""
        outputs = self.session.run(
            None, {'input': np.ascontiguousarray(inputs, dtype=np.float32)})
        return dict(zip(self.output_names, outputs))

    def detections(self, inputs: np.ndarray) -> List[Dict[str, np.ndarray]]:
        """Per-image detections (boxes in input-tensor pixels)."""
        return onnx_detections(self(inputs))
