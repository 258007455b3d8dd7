"""The schema revision this code works with: the head of db/migrations.

Kept as a constant so that every command can tell a current database from one query, without importing alembic
or reading the migration scripts. Bump it with each new migration; tests/test_startup.py fails until it equals
alembic's head.
"""

from __future__ import annotations

HEAD = "0006"
