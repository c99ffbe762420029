#!/usr/bin/env bash
# Distributed testing with torchrun, one process per GPU:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options]
# Same launcher settings as tools/dist_train.sh (NNODES, NODE_RANK,
# MASTER_ADDR, PORT, PYTHON), which it calls.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
LED_TOOL=test.py exec "$(dirname "$0")/dist_train.sh" \
    "$CONFIG" "$GPUS" "$CHECKPOINT" "$@"
