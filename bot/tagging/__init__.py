"""Keyword auto-tagging: rules, the matcher, the corp tag cache and the tagging itself."""
