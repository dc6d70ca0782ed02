"""The reports stage."""
