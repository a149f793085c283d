"""Alembic migrations for the tuneloop database, shipped in the package and run by
:mod:`tuneloop.store.migrate` (no ``alembic.ini`` needed). A package so wheels include it."""
