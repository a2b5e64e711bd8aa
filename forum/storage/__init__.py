"""SQL, and only SQL: each module takes a connection and returns frozen dataclasses.

Nothing here knows about HTTP; handlers call these functions and choose the response.
"""
