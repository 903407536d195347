"""SOP reminders: rules, their steps in the scheduler, delivery to staff and completion."""
