"""The playground's routes, one module per page (flows, runs, actions, events)."""
