"""Shared pytest plugins: live brokers and the recorded media fixtures."""

pytest_plugins = ["tests.support.brokers", "tests.support.media", "tests.support.frost"]
