"""Revision files, one per schema change, hand-written with ``upgrade`` and ``downgrade``."""
