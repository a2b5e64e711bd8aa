"""Operator tools: the `forum` command, the server, the embedded PostgreSQL and data seeding."""
