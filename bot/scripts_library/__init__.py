"""The script library (话术库) and the product catalogue that staff send from."""
