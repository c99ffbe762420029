"""The evidence benchmark's harness, one concern per module.

- :mod:`.registry`: the runs and settings (edit here);
- :mod:`.graph`: runs, parts, dependencies and their status;
- :mod:`.train`, :mod:`.evaluate`, :mod:`.speed`: the per-run parts;
- :mod:`.analyses`: the aggregate parts (sweep, scoring, calibration,
  ablation, ci);
- :mod:`.meta`: the provenance fields of every result;
- :mod:`.jobs`: running parts in order or side by side;
- :mod:`.summary`, :mod:`.figures`, :mod:`.report`: summary.json, plots and
  the README (``templates/report.md.j2``);
- :mod:`.cli`: the command line (``python -m benchmarks.harness`` or
  ``tools/benchmark.py``).
"""
