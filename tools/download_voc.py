"""Download PASCAL VOC2007 (trainval + test) and VOC2012 (trainval) into
data/VOCdevkit, the layout the VOC configs expect (data_root='data/VOCdevkit/').

    python tools/download_voc.py [--out data] [--years 2007 2012]

Archives are fetched from the official mirror (about 3.6 GB in all), kept in
``<out>/downloads`` (a re-run skips what is complete) and extracted in place.
Where ``<out>/VOCdevkit`` is a link (``make setup`` links the shared VOC2007
subset there), it stops before downloading: remove the link first.
"""
import argparse
import os
import os.path as osp
import sys
import tarfile
import urllib.error
import urllib.request
from typing import List, Optional

BASE = 'http://host.robots.ox.ac.uk/pascal/VOC/'
ARCHIVES = {
    '2007': [BASE + 'voc2007/VOCtrainval_06-Nov-2007.tar',
             BASE + 'voc2007/VOCtest_06-Nov-2007.tar'],
    '2012': [BASE + 'voc2012/VOCtrainval_11-May-2012.tar'],
}


def fetch(url: str, dest: str) -> None:
    """Download ``url`` to ``dest`` unless a complete copy is there."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        size = int(resp.headers.get('Content-Length', 0))
        if osp.exists(dest) and size and osp.getsize(dest) == size:
            print(f'[voc] {osp.basename(dest)} already downloaded')
            return
        done = 0
        with open(dest + '.part', 'wb') as f:
            while chunk := resp.read(1 << 20):
                f.write(chunk)
                done += len(chunk)
                if size:
                    print(f'\r[voc] {osp.basename(dest)}: '
                          f'{100 * done / size:5.1f}%', end='', flush=True)
        print()
    os.replace(dest + '.part', dest)


def linked_target(out: str) -> Optional[str]:
    """Why the archives cannot be extracted into ``out``, if they cannot:
    ``out/VOCdevkit`` is a link (``make setup`` links the shared subset
    there), which a safe extraction will not write through."""
    devkit = osp.join(out, 'VOCdevkit')
    if osp.islink(devkit):
        target = os.readlink(devkit)
        return (f'{devkit} is a link to {target}; extraction does not write '
                f'through links: remove the link (rm {devkit}) to download '
                f'into {out}, or pass --out with the folder that holds '
                f'{target}')
    return None


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data', help='parent of VOCdevkit')
    parser.add_argument('--years', nargs='+', default=['2007', '2012'],
                        choices=list(ARCHIVES))
    args = parser.parse_args(argv)
    problem = linked_target(args.out)
    if problem:
        sys.exit(f'download_voc: {problem}')
    downloads = osp.join(args.out, 'downloads')
    os.makedirs(downloads, exist_ok=True)
    for year in args.years:
        for url in ARCHIVES[year]:
            dest = osp.join(downloads, osp.basename(url))
            try:
                fetch(url, dest)
            except (urllib.error.URLError, OSError) as e:
                sys.exit(f'download_voc: cannot reach {url} ({e}); check the '
                         'network, or put VOCdevkit in data/ by hand')
            print(f'[voc] extracting {osp.basename(dest)}')
            with tarfile.open(dest) as tar:
                tar.extractall(args.out, filter='data')
    print(f'[voc] done: {osp.join(args.out, "VOCdevkit")}')


if __name__ == '__main__':
    main()
