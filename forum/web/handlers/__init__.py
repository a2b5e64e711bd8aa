"""Thin handlers: parse the request, call storage or domain code, choose the response."""
