"""Running an edge node: the per-frame loop, its statistics and its lifecycle."""
