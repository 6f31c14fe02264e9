"""Time on the command line: the calendar, the scheduler, reminders and the inbox (filled in by the time issue)."""
