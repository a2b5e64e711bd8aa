"""Moderation: queues, the audit log, live events and crisis escalation (issues 4 and 5).

Sits between the handlers and storage: handlers call it, it calls `forum.storage`.
"""
