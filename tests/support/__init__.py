"""Helpers only tests need, kept out of the production package."""
