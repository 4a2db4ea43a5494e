"""Counts checked against people's own: a hand tally of a recorded video and the node's events on it."""
