"""Reads of the supervision domain and its access gates, one module per part.

``scope`` answers whom a staff member may supervise; every part's gate starts there.
"""

from .scope import SupervisionScope, authority_for, supervision_scope_for

__all__ = ["SupervisionScope", "authority_for", "supervision_scope_for"]
