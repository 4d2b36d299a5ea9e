"""jinjiang-dsl: rules as code for subsidy policy.

A policy is written in a ``.pol`` file, parsed (:mod:`.syntax`), checked
(:mod:`.check`), and evaluated against applications.
"""

__version__ = "0.2.0"  # first: the decisions carry it in every output

from .api import Policy, check_source, load_policy, policy_from_source  # noqa: E402
from .diagnostics import Diagnostic, PolicyError  # noqa: E402
from .inputs import DocumentError  # noqa: E402

__all__ = ["Diagnostic", "DocumentError", "Policy", "PolicyError", "check_source", "load_policy", "policy_from_source"]
