"""Generate the small VOC-format data set used when real VOC is absent."""
import argparse

from mmdet_led.utils.toy_voc import make_toy_voc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/toy_voc', help='output root')
    parser.add_argument('--trainval', type=int, default=400)
    parser.add_argument('--test', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    root = make_toy_voc(args.out, args.trainval, args.test, args.seed)
    print(f'wrote {args.trainval} trainval + {args.test} test images '
          f'to {root}/VOC2007')


if __name__ == '__main__':
    main()
