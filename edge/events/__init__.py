"""Where a node's events are made: analytics results become typed events (``emit``), stamped with the node's
identity (``factory``) and numbered (``sequence``). The contract they follow is the top-level ``contract`` package."""
