"""Measure onnxruntime vs PyTorch detections of an exported detector.

For each score mode, exports the model (batch 1, ``export_onnx``), feeds
PyTorch and onnxruntime the same preprocessed tensor of every image and
compares their detections (same count, same labels, boxes within
``--box-tol`` px, scores, cls_scores and loc_scores within
``--score-tol``), in order and as sets (exact score ties may be listed in
either order); ``close in order`` also counts images whose detections agree
in order within ``--loose-tol`` (float rounding of the network by the two
engines), the rest differ in which boxes survive. Without a checkpoint the weights are random; ``--init lsuv``
(default) rescales them to unit-variance outputs on the images first
(:func:`~mmdet_led.deployment.parity.lsuv_rescale`), ``--init config`` keeps
the config's initialization (near-constant scores: many exact ties).

Example (50 VOC2007 test images, the CPU LED, three score modes)::

    python tools/deployment/onnx_parity.py \\
        configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py \\
        --img-dir ../shared/data/voc2007/VOCdevkit/VOC2007/JPEGImages \\
        --ids ../shared/data/voc2007/VOCdevkit/VOC2007/ImageSets/Main/test.txt \\
        --num 50 --out parity.json
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List

import mmdet_led  # noqa: F401,I001 - first: registers LED's modules
import torch
from mmengine.config import Config
from tabulate import tabulate

from mmdet_led.deployment.onnx_export import export_onnx, init_cpu_detector
from mmdet_led.deployment.ort_detector import ORTDetector
from mmdet_led.deployment.parity import (compare_engines, lsuv_rescale,
                                         preprocess)

IMG_EXTS = ('.jpg', '.jpeg', '.png')


def image_paths(img_dir: str, ids_file: str, num: int) -> List[str]:
    """The first ``num`` images of ``ids_file`` (or of the sorted folder)."""
    files = {osp.splitext(f)[0]: f for f in sorted(os.listdir(img_dir))
             if f.lower().endswith(IMG_EXTS)}
    if ids_file:
        with open(ids_file) as f:
            ids = [line.split()[0] for line in f if line.strip()]
    else:
        ids = list(files)
    paths = [osp.join(img_dir, files[i]) for i in ids if i in files]
    return paths[:num] if num > 0 else paths


def measure_mode(model, onnx_file: str, inputs: torch.Tensor, samples,
                 box_tol: float, score_tol: float,
                 loose: tuple) -> Dict[str, object]:
    """Compare PyTorch and onnxruntime image by image for one export.

    ``close`` counts the images whose detections agree as sets, or in
    order within the ``loose`` (box, score) tolerances: the same
    detections, off only by the engines' float rounding of the network; the
    others differ in which boxes survive (near-ties in the top-k or in NMS).
    The largest differences are taken position by position over the images
    that agree in order within ``loose``.
    """
    ort = ORTDetector(onnx_file, threads=2)
    rows = [
        compare_engines(model, ort, inputs[i:i + 1], samples[i:i + 1],
                        box_tol, score_tol)[0][0]
        for i in range(inputs.size(0))
    ]
    n = len(rows)
    for r in rows:
        r['close_in_order'] = (r['count_ref'] == r['count_test'] > 0
                               and r['max_box_diff'] <= loose[0]
                               and r['max_score_diff'] <= loose[1])
    in_order = [r for r in rows if r['close_in_order']]
    close = [r for r in rows if r['as_set'] or r['close_in_order']]
    counted = [r for r in rows if r['count_ref'] == r['count_test']]
    return dict(
        images=n,
        count_equal=len(counted),
        in_order=sum(r['in_order'] for r in rows),
        as_set=sum(r['as_set'] for r in rows),
        mismatch_rate=1 - sum(r['as_set'] for r in rows) / n,
        close=len(close),
        different_rate=1 - len(close) / n,
        detections=sum(r['count_ref'] for r in rows),
        # position by position, where the detections agree in order
        max_box_diff=max((r['max_box_diff'] for r in in_order),
                         default=float('nan')),
        max_score_diff=max((r['max_score_diff'] for r in in_order),
                           default=float('nan')),
        per_image=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='trained weights (else random)')
    parser.add_argument('--img-dir', required=True)
    parser.add_argument('--ids', help='image-id list (e.g. a VOC split)')
    parser.add_argument('--num', type=int, default=50)
    parser.add_argument('--score-modes', nargs='+',
                        default=['cls', 'product', 'gaussian'])
    parser.add_argument('--init', choices=['lsuv', 'config'], default='lsuv',
                        help='random weights: as the config initializes '
                        'them, then (lsuv) rescaled to unit-variance outputs')
    parser.add_argument('--lsuv-images', type=int, default=8,
                        help='images the LSUV rescaling looks at')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--box-tol', type=float, default=1e-3)
    parser.add_argument('--score-tol', type=float, default=1e-5)
    parser.add_argument(
        '--loose-tol', type=float, nargs=2, default=[0.01, 1e-4],
        metavar=('BOX', 'SCORE'),
        help='tolerances under which in-order detections count as the '
        'same boxes with float-rounding differences')
    parser.add_argument('--out', help='write the results as JSON')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    model = init_cpu_detector(cfg, args.checkpoint)
    paths = image_paths(args.img_dir, args.ids, args.num)
    inputs, samples = preprocess(model, cfg.test_dataloader.dataset.pipeline,
                                 paths)
    if args.checkpoint is None and args.init == 'lsuv':
        lsuv_rescale(model, inputs[:args.lsuv_images])
    head = model.bbox_head
    modes = args.score_modes if hasattr(head, 'le_module') else ['cls']
    shape = tuple(inputs.shape[-2:])
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        weights=args.checkpoint or f'random ({args.init}, seed {args.seed})',
        input_shape=list(shape),
        images=[osp.basename(p) for p in paths],
        box_tol=args.box_tol,
        score_tol=args.score_tol,
        loose_tol=args.loose_tol,
        torch_threads=torch.get_num_threads(),
        load_avg=os.getloadavg()[0],
        modes={})
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            if hasattr(head, 'le_module'):
                head.test_cfg.score_mode = mode
            onnx_file = osp.join(tmp, f'{mode}.onnx')
            t = time.perf_counter()
            export_onnx(model, onnx_file, shape)
            export_s = time.perf_counter() - t
            res = measure_mode(model, onnx_file, inputs, samples,
                               args.box_tol, args.score_tol,
                               tuple(args.loose_tol))
            res['export_s'] = export_s
            results['modes'][mode] = res
            table.append([
                mode, res['images'], res['detections'], res['count_equal'],
                res['in_order'], res['as_set'], f'{res["mismatch_rate"]:.3f}',
                f'{res["max_box_diff"]:.1e}', f'{res["max_score_diff"]:.1e}',
                res['close'], f'{res["different_rate"]:.3f}'
            ])
    print(f'{args.config} | weights: {results["weights"]} | input '
          f'{shape[0]}x{shape[1]} | {len(paths)} images')
    print(tabulate(table, headers=[
        'score mode', 'images', 'dets (PyTorch)', 'same count',
        'equal in order', 'equal as set', 'mismatch rate', 'max |box diff|',
        'max |score diff|', 'close in order', 'different-boxes rate'
    ]))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
