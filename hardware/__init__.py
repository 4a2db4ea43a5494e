"""The hardware lab: device profiles and facts, provisioning, and the benchmark's result files and report.

``citytwin bench`` (``edge.bench``) measures the edge path on a device; this
package knows the devices (profiles, inventory, facts, sensors, compute peak),
turns a profile into an installed node's settings, and keeps, validates and
compares what the benchmark wrote under ``hardware/results/``.
"""
