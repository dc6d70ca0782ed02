"""Helpers and data files the tests share (not tests themselves), kept out of the production package."""
