"""The evidence benchmark of LED against SSD (``benchmarks.harness``) and
its committed results (``benchmarks/results``, ``benchmarks/README.md``)."""
