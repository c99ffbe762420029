#!/usr/bin/env bash
# Create .venv with the pinned mmdet-led stack, in the order that works on a
# CPU machine, and link the shared data sets when they are present.
#
# Idempotent: a second run only checks a stamp and the data links (seconds).
# GPU users: create .venv yourself, install your CUDA build of torch==2.13.0
# into it first, then run this script; it never replaces an installed torch.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
VENV=.venv
STAMP=$VENV/.mmdet-led-stack
# The stamp records the requirement files, so editing a pin re-runs the install.
want=$(cat requirements/*.txt pyproject.toml | sha1sum | cut -d' ' -f1)

link_data() {
    mkdir -p data
    local voc=../shared/data/voc2007/VOCdevkit kitti=../shared/data/kitti_mini
    if [ -d "$voc" ] && [ ! -e data/VOCdevkit ]; then
        ln -s "../$voc" data/VOCdevkit && echo "[setup] linked data/VOCdevkit -> $voc"
    fi
    if [ -d "$kitti" ] && [ ! -e data/kitti_mini ]; then
        ln -s "../$kitti" data/kitti_mini && echo "[setup] linked data/kitti_mini -> $kitti"
    fi
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    link_data
    echo "[setup] $VENV is up to date"
    exit 0
fi

[ -x "$VENV/bin/python" ] || { echo "[setup] creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }

# 1. torch: keep whatever build is installed (a user's CUDA or CPU-only build), else the pinned version from the pip index.
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    echo "[setup] installing torch"
    pip install -q "$(grep '^torch==' requirements/runtime.txt)"
fi
# 2. build tools, then mmcv from source with its compiled ops (~9 min the first
#    time on 2 cores; pip caches the wheel, so later installs take seconds).
if ! "$VENV/bin/python" -c 'from mmcv.ops import batched_nms' 2>/dev/null; then
    echo "[setup] building mmcv with ops (first time: ~10 min)"
    pip install -q -r requirements/build.txt
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} pip install -q --no-build-isolation \
        "$(grep '^mmcv==' requirements/runtime.txt)"
fi
# 3. the rest of the pins, with torch and mmcv held at what is installed.
pip freeze | grep -iE '^(torch|mmcv)==' > "$VENV/constraints.txt"
pip install -q -c "$VENV/constraints.txt" -c requirements/constraints.txt \
    -r requirements/runtime.txt -r requirements/tests.txt
pip install -q -c "$VENV/constraints.txt" --no-build-isolation --no-deps -e .

"$VENV/bin/python" - <<'PY'
import torch, mmcv, mmdet, mmengine
from mmcv.ops import batched_nms
import mmdet_led
print(f'[setup] torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmdet_led {mmdet_led.__version__}')
PY
echo "$want" > "$STAMP"
link_data
