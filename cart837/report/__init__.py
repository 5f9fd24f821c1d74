"""Findings -> JSON (schema 1), Markdown and HTML. Knows no rule logic."""
