"""Helpers shared by the tests: real local servers and databases."""
