"""``python -m pgflow.bench``: throughput and latency of pgflow against the machine's floor."""
