"""PyTorch vs onnxruntime detections on the same preprocessed images.

Pure comparison functions plus the helpers that feed both sides the same
tensor (the config's test pipeline and the model's data preprocessor).
"""
from typing import TYPE_CHECKING, Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from torch import Tensor, nn

from .ort_detector import FIELDS

if TYPE_CHECKING:
    from .ort_detector import ORTDetector

#: The compared fields that are scores (``FIELDS``' others: boxes, labels).
SCORE_FIELDS = ('scores', 'cls_scores', 'loc_scores')


def preprocess(model: nn.Module, pipeline_cfg: Sequence[dict],
               img_paths: Sequence[str]) -> Tuple[Tensor, list]:
    """The detector's input tensor and data samples for some images.

    Args:
        model (nn.Module): The detector (its ``data_preprocessor`` is used).
        pipeline_cfg (Sequence[dict]): The test pipeline.
        img_paths (Sequence[str]): Image files.

    Returns:
        tuple: ``inputs`` (N, 3, H, W) and the data samples.
    """
    pipeline = Compose(pipeline_cfg)
    data = [pipeline(dict(img_path=p, img_id=i))
            for i, p in enumerate(img_paths)]
    batch = model.data_preprocessor(pseudo_collate(data), False)
    return batch['inputs'], batch['data_samples']


@torch.no_grad()
def lsuv_rescale(model: nn.Module, inputs: Tensor) -> None:
    """Scale every conv so that its output varies with unit std on
    ``inputs``.

    One forward pass in execution order, each conv's weight divided by the
    std of its output without the bias at its first call (layer-sequential
    unit variance, Mishkin and Matas 2016; a conv shared across FPN levels
    is scaled once, on the first level); biases stay, so e.g. a focal-loss
    head keeps its prior-probability bias. A randomly initialized SSD head
    outputs near-constant scores (std 1e-4 on the CPU config), whose many
    exact ties make exported-vs-PyTorch comparisons meaningless; after this
    the random network scores like a trained one (logit std around 1).
    """
    scaled = set()

    def hook(module: nn.Module, args: tuple, out: Tensor) -> Tensor:
        if module in scaled:  # later calls already use the scaled weight
            return out
        scaled.add(module)
        bias = 0 if module.bias is None else module.bias.view(1, -1, 1, 1)
        std = (out - bias).std().clamp(min=1e-12)
        module.weight.div_(std)
        return bias + (out - bias) / std

    handles = [
        m.register_forward_hook(hook) for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    try:
        model._forward(inputs)
    finally:
        for h in handles:
            h.remove()


def torch_detections(results: Sequence) -> List[Dict[str, np.ndarray]]:
    """``model.predict`` results as dicts of :data:`FIELDS` arrays; a plain
    host's results have no ``cls_scores``/``loc_scores``, nor the dicts."""
    dets = []
    for sample in results:
        inst = sample.pred_instances
        dets.append({
            key: inst[name].cpu().numpy()
            for key, name in zip(FIELDS, ('bboxes', *FIELDS[1:]))
            if name in inst
        })
    return dets


def _close(a: Dict[str, np.ndarray], i: int, b: Dict[str, np.ndarray],
           j: int, box_tol: float, score_tol: float) -> bool:
    return (a['labels'][i] == b['labels'][j]
            and np.abs(a['boxes'][i] - b['boxes'][j]).max() <= box_tol
            and all(abs(a[k][i] - b[k][j]) <= score_tol
                    for k in _score_keys(a, b)))


def _score_keys(a: Dict[str, np.ndarray],
                b: Dict[str, np.ndarray]) -> List[str]:
    return [k for k in SCORE_FIELDS if k in a and k in b]


def compare_detections(ref: Dict[str, np.ndarray],
                       test: Dict[str, np.ndarray],
                       box_tol: float = 1e-3,
                       score_tol: float = 1e-5) -> Dict[str, object]:
    """Whether two detection lists of one image agree.

    ``in_order``: same count and, position by position (both lists are in
    decreasing score order), same label, boxes within ``box_tol`` pixels and
    every score field both have within ``score_tol``. ``as_set``: the same
    but each detection may match any unused one (exact score ties may be
    listed in either order).

    Returns:
        dict: ``count_ref``, ``count_test``, ``in_order``, ``as_set`` and,
        over the positions compared in order, ``max_box_diff``,
        ``max_score_diff`` (NaN when the counts differ or are 0).
    """
    n, m = len(ref['scores']), len(test['scores'])
    out = dict(count_ref=n, count_test=m, in_order=False, as_set=False,
               max_box_diff=float('nan'), max_score_diff=float('nan'))
    if n != m:
        return out
    if n:
        out['max_box_diff'] = float(np.abs(ref['boxes'] - test['boxes']).max())
        out['max_score_diff'] = float(
            max(np.abs(ref[k] - test[k]).max()
                for k in _score_keys(ref, test)))
    out['in_order'] = bool(
        np.array_equal(ref['labels'], test['labels'])
        and (not n or (out['max_box_diff'] <= box_tol
                       and out['max_score_diff'] <= score_tol)))
    if out['in_order']:
        out['as_set'] = True
        return out
    unused = list(range(m))
    for i in range(n):
        match = next((j for j in unused
                      if _close(ref, i, test, j, box_tol, score_tol)), None)
        if match is None:
            return out
        unused.remove(match)
    out['as_set'] = True
    return out


def compare_engines(
    model: nn.Module,
    session: 'ORTDetector',
    inputs: Tensor,
    samples: Sequence,
    box_tol: float = 1e-3,
    score_tol: float = 1e-5
) -> Tuple[List[Dict[str, object]], List[Dict[str, np.ndarray]]]:
    """``model.predict`` vs the exported model on one batch.

    Args:
        model (nn.Module): The detector (eval mode, CPU).
        session (ORTDetector): Its export in onnxruntime.
        inputs (Tensor): Preprocessed images (N, 3, H, W), one run of each
            engine on the whole batch.
        samples (Sequence): Their data samples.
        box_tol (float): As in :func:`compare_detections`.
        score_tol (float): As in :func:`compare_detections`.

    Returns:
        tuple: Per image, :func:`compare_detections` with PyTorch as the
        reference; onnxruntime's detections.
    """
    with torch.no_grad():
        ref = torch_detections(model.predict(inputs, samples, rescale=False))
    test = session.detections(inputs.numpy())
    return [
        compare_detections(r, t, box_tol, score_tol)
        for r, t in zip(ref, test)
    ], test
