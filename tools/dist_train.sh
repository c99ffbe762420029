#!/usr/bin/env bash
# Distributed training with torchrun, one process per GPU:
#   tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# PYTHON picks the interpreter (default: python on PATH). tools/dist_test.sh
# runs tools/test.py through this script (LED_TOOL=test.py).
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$(dirname "$0")/${LED_TOOL:-train.py}" "$CONFIG" "$@" --launcher pytorch
