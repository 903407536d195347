"""Scripts (话术) and product cards: model, Redis store, search, import/export (issue 5)."""
