"""`cart837 serve`: the local review page (DESIGN.md, Review and decisions). Needs the `review` extra."""
