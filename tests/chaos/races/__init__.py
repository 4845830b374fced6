"""Part ``races``: state transitions racing on real connections."""
