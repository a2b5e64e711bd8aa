"""Live plumbing: the one reconnecting LISTEN loop and the background jobs every process runs.

Nothing here imports aiohttp: the web layer feeds its live streams and runs these jobs through
plain callbacks.
"""
