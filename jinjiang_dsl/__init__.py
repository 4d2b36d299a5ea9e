"""jinjiang-dsl: rules as code for subsidy policy.

A policy is written in a ``.pol`` file, parsed (:mod:`.syntax`), checked
(:mod:`.check`), and evaluated against applications.
"""

from .api import Policy, check_source, load_policy
from .diagnostics import Diagnostic, PolicyError

__all__ = ["Diagnostic", "Policy", "PolicyError", "check_source", "load_policy"]
__version__ = "0.1.0"
