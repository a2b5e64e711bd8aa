"""Groups: their settings (one parse for the CLI and the admin forms), administration, and what
a group page says about itself."""
