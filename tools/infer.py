"""Run an LED (or any MMDetection) checkpoint on an image, a folder or a video.

Writes ``OUT_DIR/vis/<name>.jpg``, the image with its detections drawn by
MMDetection's visualizer (labels ``class conf (cls x / loc y)`` for LED),
and ``OUT_DIR/preds/<name>.json`` with ``bboxes`` (original-image pixels),
``labels``, ``scores`` (the final, LE-combined confidence), ``cls_scores``,
``loc_scores`` and, with ``--with-quality``, the predicted
``pred_iou``/``pred_iod``/``pred_iog`` of each box scoring above
``--score-thr``. A video gives one drawn frame and one JSON per frame
(``00000000.jpg``, ...) and the drawn video ``OUT_DIR/<name>_vis.mp4``.
Built on MMDetection's ``DetInferencer`` (:class:`LEDInferencer`).

Example::

    python tools/infer.py \\
        configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py \\
        work_dirs/demo/iter_1152.pth \\
        data/VOCdevkit/VOC2007/JPEGImages \\
        --out-dir outputs/infer --score-thr 0.3 --with-quality
"""
import argparse
import os.path as osp

import mmdet_led  # noqa: F401,I001 - first: registers LED's modules
import mmcv
from mmengine.config import Config
from mmengine.utils import ProgressBar

from mmdet_led.apis import LEDInferencer

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='an image, a folder of images or a '
                        f'video ({", ".join(VIDEO_EXTS)})')
    parser.add_argument('--out-dir', default='outputs/infer')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='least score of a drawn and saved detection')
    parser.add_argument('--with-quality', action='store_true',
                        help='also save the predicted IoU/IoD/IoG (LED)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=1)
    return parser.parse_args()


def build_inferencer(args: argparse.Namespace) -> LEDInferencer:
    """:class:`LEDInferencer` for the config, asking LED for its IoU/IoD/IoG
    when ``--with-quality`` is given."""
    cfg = Config.fromfile(args.config)
    if args.with_quality:
        cfg.model.test_cfg.return_loc_quality = True
    inferencer = LEDInferencer(cfg, args.checkpoint, device=args.device)
    inferencer.score_thr = args.score_thr
    return inferencer


def infer_video(inferencer: LEDInferencer, video_file: str,
                out_dir: str, score_thr: float) -> str:
    """Frame by frame, with a progress bar; returns the drawn video's path."""
    video = mmcv.VideoReader(video_file)
    inferencer.show_progress = False
    bar = ProgressBar(len(video))
    frames = 0
    for frame in video:
        inferencer(
            frame, out_dir=out_dir, no_save_pred=False,
            pred_score_thr=score_thr)
        frames += 1
        bar.update()
    name = osp.splitext(osp.basename(video_file))[0]
    out_file = osp.join(out_dir, f'{name}_vis.mp4')
    mmcv.frames2video(
        osp.join(out_dir, 'vis'),
        out_file,
        fps=video.fps,
        fourcc='mp4v',
        filename_tmpl='{:08d}.jpg',
        end=frames,
        show_progress=False)
    return out_file


def main() -> None:
    args = parse_args()
    inferencer = build_inferencer(args)
    if args.input.lower().endswith(VIDEO_EXTS):
        out = infer_video(inferencer, args.input, args.out_dir,
                          args.score_thr)
        print(f'\nwrote {out} and per-frame drawings and JSON under '
              f'{args.out_dir}')
        return
    inferencer(
        args.input,
        batch_size=args.batch_size,
        out_dir=args.out_dir,
        no_save_pred=False,
        pred_score_thr=args.score_thr)
    print(f'wrote drawings to {osp.join(args.out_dir, "vis")} and JSON to '
          f'{osp.join(args.out_dir, "preds")}')


if __name__ == '__main__':
    main()
