"""The case, as the rest of huizhen imports it: `from states import case as domain; domain.submit(...)`.

The domain of one consultation lives in rooms of a readable size; this module only gathers their public names so
that callers keep one import:
- states.aggregate     the `Case` aggregate, `Deadline`, the snapshot and its version
- states.events        the stored `Event` envelope, one spec per event type, schema versions and upcasters
- states.fold          `apply` and `replay`: events are facts, folded without checking a rule
- states.commands      the command catalogue (one row per command) and `register`
- states.guards        the regulation's guards, by name
- states.machine       the one `transitions` machine built from the catalogue, and the tables derived from it
- states.casecommands  the commands: state, inputs and guards first, then one event
- states.panelcommands nominations, the experts' answers and declarations, keeping a conflicted expert (Art. 8(1))
- states.casefile      the case file (YAML) and its validation
"""

from __future__ import annotations

from states.aggregate import SNAPSHOT_VERSION, Case, Deadline, DeadlinePlanner, upcast_snapshot
from states.casecommands import (
    appraise_disposal,
    archive,
    attach,
    blocked,
    cancel_meeting,
    chase,
    check,
    conclude,
    concur,
    convene,
    correct_fee,
    correct_minutes,
    decide,
    dispatch,
    draft_minutes,
    edit,
    ensure_allowed,
    ensure_allowed_in,
    form_panel,
    issue_minutes,
    open_case,
    place_hold,
    recompute_deadlines,
    record_absence,
    record_analysis,
    record_attendance,
    record_delivery,
    record_fee,
    record_opinion,
    record_statement,
    refer,
    release_hold,
    reopen,
    run,
    schedule_meeting,
    submit,
    track,
    verify,
    withdraw,
)
from states.casefile import BASIS_KEYS, CASE_FILE_KEYS, PRODUCT_FIELDS, SOURCES, parse_case_file
from states.events import SPECS, Event, UnreadableEvent, upcast
from states.fold import apply, replay
from states.panelcommands import keep_expert, nominate, respond, withdraw_nomination

# The event types there are (the web's labels test reads it by this name).
MUTATORS = SPECS

__all__ = [
    "BASIS_KEYS", "CASE_FILE_KEYS", "MUTATORS", "PRODUCT_FIELDS", "SNAPSHOT_VERSION", "SOURCES", "Case", "Deadline",
    "DeadlinePlanner", "Event", "UnreadableEvent", "appraise_disposal", "apply", "archive", "attach", "blocked",
    "cancel_meeting", "chase", "check", "conclude", "concur", "convene", "correct_fee", "decide", "dispatch", "edit",
    "ensure_allowed",
    "ensure_allowed_in", "form_panel", "issue_minutes", "open_case", "parse_case_file", "place_hold",
    "recompute_deadlines", "record_absence", "record_analysis", "record_delivery", "record_fee", "record_opinion",
    "refer", "release_hold", "reopen", "replay", "run", "schedule_meeting", "submit", "track", "upcast", "upcast_snapshot",
    "verify", "withdraw",
    "keep_expert", "nominate", "respond", "withdraw_nomination",
    "correct_minutes", "draft_minutes", "record_attendance", "record_statement",
]
