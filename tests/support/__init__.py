"""Helpers and data files the tests share, kept out of the production package."""
