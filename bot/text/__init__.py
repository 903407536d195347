"""The text engine: one normaliser and one Aho-Corasick matcher for every feature."""
