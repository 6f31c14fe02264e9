"""A refusal in the CLI's words: the input it is about by its flag or argument (`--reason`, `EXPERT_ID`, `NAME`),
and, where the fix is another command, that command. Below the shell an error names neither (decision 11)."""

from __future__ import annotations

from collections.abc import Sequence

from states.errors import DomainError

# A field's CLI name where it is not `--field-name`.
FLAGS: dict[str, str] = {
    "experts": "EXPERT_ID",
    "name": "NAME",
    "file": "FILE",
    "password": "PASSWORD",
    "token": "TOKEN",
    "attendees": "--attendee",
    "date": "DATE",
    "case": "CASE",
}
# Per command (its words on the command line), where a field reads differently there.
COMMAND_FLAGS: dict[tuple[str, ...], dict[str, str]] = {
    ("report", "year"): {"year": "YEAR"},
    ("retention", "destruction-list"): {"batch": "BATCH"},
    ("audit", "dossier-verify"): {"file": "FILE"},
    ("experts", "edit"): {"expert": "EXPERT_ID"},
    ("experts", "deactivate"): {"expert": "EXPERT_ID"},
    ("experts", "activate"): {"expert": "EXPERT_ID"},
    # --- i12-panel ---
    ("case", "nominate"): {"expert": "EXPERT_ID"},
    ("case", "withdraw-nomination"): {"expert": "EXPERT_ID"},
    ("case", "respond"): {"relation_text": "--relation", "answer": "--accept/--decline"},
}
# Commands whose input is a YAML file: a field is a path in that file ("product.name", "sources[0]"), as typed.
FILE_COMMANDS: frozenset[tuple[str, ...]] = frozenset({("case", "new"), ("case", "edit"), ("case", "opinion"),
                                                      ("form", "check")})

# Where the way out is another command, the CLI says which (the web shows its own button instead).
HINTS: dict[str, str] = {
    "verification_missing": " (huizhen case verify)",
    "concurrence_missing": " (another institution's liaison: huizhen case concur)",
    "materials_missing": " (huizhen case attach)",
    "minutes_missing": " (huizhen case minutes)",
    "user_unknown": " (an admin adds users with: huizhen users add)",
    "fee_not_recorded": " (huizhen fee record)",
    "expert_user_needs_expert": " (huizhen experts add)",
    # --- i12-panel ---
    "panel_expert_declined": " (replace them: huizhen case panel)",
    "conflict_unresolved": " (huizhen case keep-expert, or replace them: huizhen case panel)",
}
# Whole lines that name the environment.
LINES: dict[str, str] = {
    "actor_missing": "HUIZHEN_USER is not set: say who is acting",
}


def flag(field: str, command: Sequence[str] = ()) -> str:
    """The CLI's name of an input: `reason` → `--reason`, `experts` → `EXPERT_ID`, `product.name` as is."""
    key = tuple(command[:2])
    if key in FILE_COMMANDS and field != "file":
        return field
    per_command = COMMAND_FLAGS.get(key, {})
    if field in per_command:
        return per_command[field]
    if field in FLAGS:
        return FLAGS[field]
    if "." in field or "[" in field:
        return field
    return "--" + field.replace("_", "-")


def cli_message(exc: DomainError, command: Sequence[str] = ()) -> str:
    """The stderr line (without the `huizhen: ` prefix)."""
    if exc.key in LINES:
        return LINES[exc.key]
    text = exc.message + HINTS.get(exc.key, "")
    if exc.field:
        return f"{flag(exc.field, command)}: {text}"
    return text


def command_words(argv: Sequence[str]) -> tuple[str, ...]:
    """The command's words from the arguments (`case panel` of `case panel C-1 E1 --reason x`)."""
    words = []
    for arg in argv:
        if arg.startswith("-"):
            break
        words.append(arg)
        if len(words) == 2:
            break
    return tuple(words)
