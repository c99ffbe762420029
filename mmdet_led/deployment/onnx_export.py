"""Export an LED detector (or its plain host) to ONNX, without mmdeploy.

Uses PyTorch's TorchScript-based exporter (``torch.onnx.export(...,
dynamo=False)``), which turns :class:`ONNXNonMaxSuppression` into the
standard ``NonMaxSuppression`` node; the file runs on onnxruntime alone.
"""
import copy
import io
import json
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from .detection_graph import DETECTION_OUTPUTS, DetectionGraph, RawHeadGraph

#: ONNX opset of the exported graphs.
OPSET = 17


def input_shape_from_cfg(cfg) -> Tuple[int, int]:
    """(H, W) of the test pipeline's fixed-size ``Resize``.

    Raises:
        ValueError: If the test pipeline has no ``Resize`` to a fixed size
            (``keep_ratio=False``); pass the shape explicitly then.
    """
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] in ('Resize', 'mmdet.Resize') and not step.get(
                'keep_ratio', False):
            scale = step['scale']
            w, h = (scale, scale) if isinstance(scale, int) else scale
            return int(h), int(w)
    raise ValueError('the test pipeline has no fixed-size Resize; '
                     'give the input shape (--shape H W)')


def classes_from_cfg(cfg) -> List[str]:
    """Class names of the config's test dataset (its metainfo), for a
    model whose checkpoint does not carry them (random weights)."""
    from mmdet.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg['lazy_init'] = True
    return list(DATASETS.build(dataset_cfg).metainfo['classes'])


def init_cpu_detector(cfg: Config,
                      checkpoint: Optional[str] = None) -> nn.Module:
    """``mmdet.apis.init_detector`` on the CPU (eval mode).

    Without a checkpoint the weights are random, initialized as the config
    says (``init_weights``; ``init_detector`` already drops the backbone's
    pretrained ``init_cfg``): some layers hold uninitialized memory until
    then (mmdet's ``L2Norm`` weight), which would make the model depend on
    whatever ran before. The class names are then the config's test
    dataset's, not COCO's, as the exported metadata should say.
    """
    from mmdet.apis import init_detector
    model = init_detector(cfg, checkpoint, device='cpu')
    if checkpoint is None:
        model.init_weights()
        model.dataset_meta = dict(classes=classes_from_cfg(cfg))
    return model


def deploy_metadata(detector: nn.Module, input_shape: Tuple[int, int],
                    test_cfg: Optional[Dict], raw_outputs: bool) -> Dict[str,
                                                                          str]:
    """What a user of the ONNX file needs besides the graph.

    The input is the detector's preprocessed tensor: the image resized to
    ``input_shape``, channels converted (``bgr_to_rgb``) and normalized by
    ``mean``/``std``, as ``model.data_preprocessor`` does.

    Returns:
        dict[str, str]: Metadata entries (JSON strings), stored in the
        ONNX model's ``metadata_props``.
    """
    pre = detector.data_preprocessor
    head = detector.bbox_head
    meta = dict(
        input_shape=list(input_shape),
        mean=pre.mean.flatten().tolist() if pre._enable_normalize else None,
        std=pre.std.flatten().tolist() if pre._enable_normalize else None,
        bgr_to_rgb=bool(pre._channel_conversion),
        raw_outputs=raw_outputs,
        test_cfg=dict(head.test_cfg if test_cfg is None else test_cfg))
    classes = (getattr(detector, 'dataset_meta', None) or {}).get('classes')
    if classes is not None:
        meta['classes'] = list(classes)
    return {k: json.dumps(v) for k, v in meta.items()}


def export_onnx(detector: nn.Module,
                out_file: str,
                input_shape: Tuple[int, int],
                dynamic_batch: bool = False,
                raw_outputs: bool = False,
                test_cfg: Optional[Dict] = None,
                opset: int = OPSET) -> List[str]:
    """Write ``detector`` (eval mode, CPU) as an ONNX file.

    Args:
        detector (nn.Module): A single-stage detector: LED (any
            ``LEHeadMixin`` head) or its plain host (SSD, RetinaNet, ATSS,
            FCOS).
        out_file (str): Path of the ``.onnx`` file.
        input_shape (tuple[int, int]): (H, W) of the preprocessed input.
        dynamic_batch (bool): Leave the batch dimension free; else 1.
        raw_outputs (bool): Export only the head's raw maps
            (:class:`RawHeadGraph`) instead of final detections
            (:class:`DetectionGraph`).
        test_cfg (dict, optional): Post-processing settings overriding the
            head's ``test_cfg`` (e.g. another ``score_mode``).
        opset (int): ONNX opset. Defaults to :data:`OPSET`.

    Returns:
        list[str]: The output names.
    """
    import onnx
    detector = detector.eval()
    dummy = torch.zeros(1, 3, *input_shape,
                        device=next(detector.parameters()).device)
    if raw_outputs:
        graph = RawHeadGraph(detector)
        with torch.no_grad():
            output_names = graph.output_names(graph.head_outputs(dummy))
    else:
        graph = DetectionGraph(detector, input_shape, test_cfg).eval()
        output_names = list(DETECTION_OUTPUTS)
        with torch.no_grad():
            # a first run builds what the model caches at inference (the LE
            # module's level-batched weights), so the trace holds them as
            # constants (the raw branch's run above did the same)
            graph(dummy)
    graph.eval()
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {n: {0: 'batch'} for n in ['input', *output_names]}
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            graph, (dummy, ),
            buffer,
            input_names=['input'],
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False)
    model = onnx.load_model_from_string(buffer.getvalue())
    for key, value in deploy_metadata(detector, input_shape, test_cfg,
                                      raw_outputs).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, out_file)
    return output_names


def read_metadata(onnx_file: str) -> Dict[str, object]:
    """The metadata :func:`deploy_metadata` stored, decoded."""
    import onnx
    model = onnx.load(onnx_file, load_external_data=False)
    return {p.key: json.loads(p.value) for p in model.metadata_props}
