"""The twin tests' synthetic lakes (duplicates, a damaged file) serve the rollup tests too."""

from tests.cloud.twin.conftest import clean_lake, messy_lake

__all__ = ["clean_lake", "messy_lake"]
