"""Root pytest configuration: the examples written in policies/*.pol are tests too."""

from jinjiang_dsl.pytest_plugin import pytest_collect_file  # noqa: F401
