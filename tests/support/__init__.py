"""Helpers and data files the tests share (not tests themselves)."""
