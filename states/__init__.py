"""The domain, pure: statuses, the one shared state machine, the form rules, the vote and the replay fold.

No I/O, no clock, no logging: everything time-dependent arrives as an argument or inside an event.
"""
