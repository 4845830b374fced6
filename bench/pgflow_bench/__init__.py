"""``python -m pgflow_bench``: throughput and latency of pgflow against the machine's floor."""
