"""Export an LED checkpoint (or its plain host's) to ONNX, without mmdeploy.

Any LED head (SSD, RetinaNet, ATSS, FCOS hosts) or plain host. The graph
holds the network and the head's whole post-processing (box decoding,
softmax/sigmoid, LE decoding, conf_loc, the score mode, the per-level
pre-NMS top-k ranked by the combined confidence, the host's centerness, NMS
as ONNX ``NonMaxSuppression`` with ``batched_nms``'s class offset,
``max_per_img``) and outputs final detections per image: ``boxes`` (in
input pixels), ``scores``, ``labels``, ``cls_scores``, ``loc_scores``,
``loc_quality`` (predicted IoU, IoD, IoG), padded to ``max_per_img``, and
``num_dets``. ``--raw-outputs`` exports the head's raw maps instead.

Example::

    python tools/deployment/export_onnx.py \\
        configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py \\
        work_dirs/led/iter_24000.pth --out led.onnx --check demo.jpg
"""
import argparse
import os.path as osp
import sys

import mmdet_led  # noqa: F401,I001 - first: registers LED's modules
from mmengine.config import Config, DictAction

from mmdet_led.deployment.onnx_export import (export_onnx, init_cpu_detector,
                                              input_shape_from_cfg)
from mmdet_led.deployment.ort_detector import ORTDetector
from mmdet_led.deployment.parity import compare_engines, preprocess
from mmdet_led.models.utils.le_scoring import SCORE_MODES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' (random)")
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument(
        '--shape', type=int, nargs=2, metavar=('H', 'W'),
        help="input shape (default: the test pipeline's Resize)")
    parser.add_argument('--dynamic-batch', action='store_true',
                        help='free batch dimension (default: batch 1)')
    parser.add_argument('--raw-outputs', action='store_true',
                        help="export the head's raw maps, not detections")
    parser.add_argument('--score-mode', choices=list(SCORE_MODES),
                        help="override the config's test_cfg.score_mode")
    parser.add_argument(
        '--check', metavar='IMG',
        help='compare onnxruntime with PyTorch on this image afterwards')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.score_mode:
        cfg.model.test_cfg.score_mode = args.score_mode
    ckpt = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_cpu_detector(cfg, ckpt)
    shape = tuple(args.shape) if args.shape else input_shape_from_cfg(cfg)
    names = export_onnx(model, args.out, shape, args.dynamic_batch,
                        args.raw_outputs)
    print(f'wrote {args.out} ({osp.getsize(args.out) / 2**20:.1f} MiB), '
          f'input (N, 3, {shape[0]}, {shape[1]}), outputs {", ".join(names)}')
    if not args.check or args.raw_outputs:
        return 0
    pipeline = cfg.test_dataloader.dataset.pipeline
    inputs, samples = preprocess(model, pipeline, [args.check])
    if tuple(inputs.shape[-2:]) != shape:
        print(f'--check: the pipeline gives {tuple(inputs.shape[-2:])}, '
              f'not the exported {shape}; skipped')
        return 0
    res = compare_engines(model, ORTDetector(args.out), inputs,
                          samples)[0][0]
    print(f'--check {args.check}: PyTorch {res["count_ref"]} / onnxruntime '
          f'{res["count_test"]} detections, max |box diff| '
          f'{res["max_box_diff"]:.2e} px, max |score diff| '
          f'{res["max_score_diff"]:.2e}, equal: {res["as_set"]}')
    return 0 if res['as_set'] else 1


if __name__ == '__main__':
    sys.exit(main())
