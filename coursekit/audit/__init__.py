"""The audit of an assignment's hidden tests: mutants, equivalence, grading, input coverage."""
from __future__ import annotations

from coursekit.audit.run import Audit, FunctionAudit, audit

__all__ = ["Audit", "FunctionAudit", "audit"]
