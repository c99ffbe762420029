"""ONNX export of LED detectors (and their plain hosts) without mmdeploy."""
from .box_decoding import decode_boxes
from .detection_graph import DETECTION_OUTPUTS, DetectionGraph, RawHeadGraph
from .onnx_export import (classes_from_cfg, export_onnx, init_cpu_detector,
                          input_shape_from_cfg, read_metadata)
from .onnx_nms import ONNXNonMaxSuppression, onnx_nms
from .ort_detector import ORTDetector, onnx_detections
from .parity import (compare_detections, compare_engines, lsuv_rescale,
                     preprocess, torch_detections)

__all__ = [
    'DETECTION_OUTPUTS', 'DetectionGraph', 'ONNXNonMaxSuppression',
    'ORTDetector', 'RawHeadGraph', 'classes_from_cfg', 'compare_detections',
    'compare_engines', 'decode_boxes', 'export_onnx', 'init_cpu_detector',
    'input_shape_from_cfg', 'lsuv_rescale', 'onnx_detections', 'onnx_nms',
    'preprocess', 'read_metadata', 'torch_detections'
]
