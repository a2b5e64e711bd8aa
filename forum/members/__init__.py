"""Members: accounts, passwords, rate limits and reading preferences."""
