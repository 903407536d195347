"""Welcome messages: templates chosen by channel, staff member or default, with time slots."""
