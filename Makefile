# The commands of the README:
#   make demo   sets up .venv if needed, trains a CPU-sized LED model,
#               evaluates it and prints a results table (seeded: SEED=0
#               by default, `make demo SEED=1` for another draw)
#   make test   sets up .venv if needed and runs the test suite (CI runs this)
#               in TEST_WORKERS processes (pytest-xdist, a test file per
#               worker; each gets its share of the cores)
#   make test-fast  the same without the end-to-end/subprocess/training tests
#               (pytest -m "not slow", under a minute)
#   make toy-data   a generated VOC-format set in data/toy_voc
#   make benchmark  the CPU SSD/LED evidence benchmark (tools/benchmark.py
#               --jobs 2, about 3 h on 2 cores; resumable)
# PYTHON=python3.x overrides the interpreter tools/setup_env.sh builds .venv from.
PY := .venv/bin/python
SEED ?= 0
TEST_WORKERS ?= 2

.PHONY: setup demo test test-fast toy-data benchmark
setup:
	bash tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py --seed $(SEED)

test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

toy-data: setup
	$(PY) tools/make_toy_voc.py --out data/toy_voc

benchmark: setup
	$(PY) tools/benchmark.py --jobs 2
