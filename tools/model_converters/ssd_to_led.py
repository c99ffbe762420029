"""Convert an SSD checkpoint at the end of LED's step 1 into an LED one.

LED's step 1 trains exactly its SSD twin, so an LED run can resume from
the SSD's checkpoint at that iteration instead of repeating it. This writes
the resumable LED checkpoint (optimizer state and, with a ``paramwise_cfg``
on the LE module, LR schedules re-mapped; LE weights from LED's own
initialization on resuming):

    python tools/model_converters/ssd_to_led.py SSD_CFG SSD_CKPT LED_CFG OUT
    python tools/train.py LED_CFG --resume OUT

It refuses configs that differ in step 1 and checkpoints of another
iteration than the end of LED's step 1.
"""
import argparse
import os.path as osp
import sys

import mmdet_led  # noqa: F401  (registers LED; stack patches)
from mmdet_led.engine import make_init_checkpoint, step1_iter


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_config', help='the SSD training config')
    parser.add_argument('src_checkpoint', help='its checkpoint at the end of '
                        "LED's step 1 (e.g. iter_576.pth)")
    parser.add_argument('dst_config', help='the LED training config')
    parser.add_argument('out', help='the LED checkpoint to write')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    import torch
    from mmengine.config import Config
    args = parse_args(argv)
    src_cfg = Config.fromfile(args.src_config)
    dst_cfg = Config.fromfile(args.dst_config)
    step = step1_iter(dst_cfg)
    meta = torch.load(args.src_checkpoint, map_location='cpu',
                      weights_only=True).get('meta', {})
    if meta.get('iter') != step:
        raise SystemExit(f'{args.src_checkpoint} is at iteration '
                         f'{meta.get("iter")}, LED\'s step 1 ends at {step}')
    make_init_checkpoint(args.src_checkpoint, src_cfg, dst_cfg, args.out)
    print(f'wrote {args.out}: resume with tools/train.py '
          f'{args.dst_config} --resume {osp.abspath(args.out)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
