"""Time for the consultations: the Chinese working-day calendar, reminders, the sweep and its daemon.

Counting follows 《民法典》 Art. 201–203 (the start day never counts; day N is the N-th working day after the
start; the period ends at 24:00 Beijing time of day N, or at the configured close of business). Working days come
from ``chinese_calendar`` for the years it covers, from official year files loaded by admins for later years
(``scheduler.yearfiles``), and otherwise from a provisional estimate built on 《全国年节及纪念日放假办法》
(``scheduler.estimate``); ``scheduler.tables`` precomputes each year and ``scheduler.calendar`` counts over them.
"""
