# The two set-up commands of the README:
#   make demo   sets up .venv if needed, trains a CPU-sized LED model,
#               evaluates it and prints a results table
#   make test   sets up .venv if needed and runs the test suite (CI runs this)
PY := .venv/bin/python

.PHONY: setup demo test toy-data benchmark
setup:
	bash tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py

test: setup
	$(PY) -m pytest -q

toy-data: setup
	$(PY) tools/make_toy_voc.py --out data/toy_voc
