"""Date-effective code tables (RULES.md §2). Knows no X12."""
