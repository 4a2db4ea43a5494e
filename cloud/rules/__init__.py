"""Decide and act: rules turn the twin's state into alerts with suggested actions."""
