"""Customer profiles: kept from events and API reads, served to the sidebar and the CLI."""
