"""Scripts that measure the API against realistic data; run with `python -m benchmarks.<name>`."""
