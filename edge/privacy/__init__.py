"""Privacy on the node: only metadata leaves, unless anonymised snapshots are enabled."""
