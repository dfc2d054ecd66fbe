"""Speed and memory benchmarks, run by hand: `.venv/bin/python -m bench.<name>`."""
