"""Findings -> JSON (schema 2; schema 1 still read), Markdown and HTML. Knows no rule logic."""
