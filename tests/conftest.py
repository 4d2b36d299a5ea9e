"""Shared test setup: Hypothesis profiles.

Profiles (choose with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (default): few examples, so the whole suite runs in seconds;
- ``thorough``: 2000 examples per property, for a long run before a release.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Generated policies can be large and slow to produce; that is the point, not a problem.
_quiet = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=_quiet)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_quiet)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
