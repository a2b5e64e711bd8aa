"""The web face: the app factory, middlewares, pages and thin handlers.

Everything that knows about HTTP lives here; it calls the domain packages (members, groups,
posting, moderation), which never import aiohttp.
"""
