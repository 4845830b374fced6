"""Part ``fuzz``: hostile arguments for every SQL entry point of schema pgflow."""
