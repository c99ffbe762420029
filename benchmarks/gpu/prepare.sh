# Sourced by the GPU scripts from the repository root, with $py set: names
# the GPU, installs the wheels in .whl/ if mmdet is missing (the lent
# machine has no network) and puts the repository on PYTHONPATH.
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
$py -c 'import mmdet' 2>/dev/null ||
    $py -m pip install -q --no-index --no-deps .whl/*.whl
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
