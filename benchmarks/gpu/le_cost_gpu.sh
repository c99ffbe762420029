#!/usr/bin/env bash
# The LE cost benchmark's GPU column, in minutes of a lent GPU machine:
# every LED head against its plain twin (tools/benchmark_speed.py, all five
# pairs) eager at batch 1 and 8 with op counts, then SSD300-VGG16 vs LED300
# compiled (inductor with CUDA graphs) at batch 1, the pair the GPU target
# is about. Compiling every pair would take most of a short lease.
#
#   bash benchmarks/gpu/le_cost_gpu.sh [OUT_DIR]
#
# Run from the repository root. Environment: PYTHON (python3), DEVICE
# (cuda), RUNS (30), WARMUP (5), COMPILE_PAIRS ("vgg16"; empty: no compiled run).
# Results: OUT_DIR (default work_dirs/le_cost_gpu) gets le_cost_gpu_eager
# .json/.md, le_cost_gpu_compiled.json/.md and the log; copy the JSONs to
# benchmarks/results/ and the tables into benchmarks/le_cost.md.
#
# Packages: the machine's python3 and torch; if mmdet is missing, the wheels
# in .whl/ (see benchmarks/gpu/run_vgg16_pair.sh for the download command;
# .whl/ is git-ignored, so carry it to the machine).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-work_dirs/le_cost_gpu}
py=${PYTHON:-python3}
device=${DEVICE:-cuda}
runs=${RUNS:-30}
warmup=${WARMUP:-5}
compile_pairs=${COMPILE_PAIRS-vgg16}
mkdir -p "$out"
exec > >(tee -a "$out/le_cost_gpu.log") 2>&1

echo "[le-cost] $(date -u)"
source benchmarks/gpu/prepare.sh

$py tools/benchmark_speed.py --device "$device" \
    --pairs vgg16 cpu retinanet fcos atss --batch-sizes 1 8 \
    --runs "$runs" --warmup "$warmup" --count-ops \
    --out "$out/le_cost_gpu_eager.json" \
    --markdown "$out/le_cost_gpu_eager.md"
echo "[le-cost] eager exit $?"
if [ -n "$compile_pairs" ]; then
    $py tools/benchmark_speed.py --device "$device" --pairs $compile_pairs \
        --batch-sizes 1 --runs "$runs" --warmup "$warmup" --compile \
        --out "$out/le_cost_gpu_compiled.json" \
        --markdown "$out/le_cost_gpu_compiled.md"
    echo "[le-cost] compiled exit $?"
fi
ls -la "$out"
