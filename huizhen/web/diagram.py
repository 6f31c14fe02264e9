"""The case state diagram as an inline SVG drawn on the server from the one transition table (states/machine.py),
with the current state lit. No JavaScript, no CDN: the page carries the picture itself."""

from __future__ import annotations

from html import escape

from huizhen.labels import STATUS_LABELS, TRIGGER_LABELS
from states.machine import TABLE
from states.status import CaseStatus

WIDTH, HEIGHT = 1140, 340
BOX_W, BOX_H = 150, 48

# Hand-placed like the diagram in DOMAIN.md: the main line across the top, the endings below.
POSITIONS: dict[str, tuple[int, int]] = {
    "drafted": (90, 52),
    "preliminary_review": (310, 52),
    "awaiting_experts": (530, 52),
    "convening": (750, 52),
    "convened": (970, 52),
    "withdrawn": (310, 190),
    "decided": (830, 190),
    "continued_attention": (1045, 190),
    "archived": (935, 295),
}



def edges() -> list[tuple[str, str, str]]:
    """(source, destination, label) for each state change of the table; parallel triggers share one arrow."""
    merged: dict[tuple[str, str], list[str]] = {}
    for row in TABLE:
        if row["dest"] is None:
            continue
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for src in sources:
            labels = merged.setdefault((str(src), str(row["dest"])), [])
            label = TRIGGER_LABELS.get(row["trigger"], row["trigger"])
            if label not in labels:
                labels.append(label)
    return [(s, d, "／".join(labels)) for (s, d), labels in merged.items()]


def _clip(ax: float, ay: float, bx: float, by: float) -> tuple[float, float, float, float]:
    dx, dy = bx - ax, by - ay
    hw, hh = BOX_W / 2 + 2, BOX_H / 2 + 2
    t = min(hw / abs(dx) if dx else float("inf"), hh / abs(dy) if dy else float("inf"))
    return ax + dx * t, ay + dy * t, bx - dx * t, by - dy * t


def render(current: str | None = None) -> str:
    """The SVG markup; `current` (a status) is drawn lit and marked aria-current."""
    parts = [
        f'<svg class="state-diagram" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="diagram-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="diagram-title">案件状态图（当前状态高亮）</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    labelled: set[tuple[str, str]] = set()
    for src, dst, label in edges():
        ax, ay = POSITIONS[src]
        bx, by = POSITIONS[dst]
        x1, y1, x2, y2 = _clip(ax, ay, bx, by)
        parts.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     'marker-end="url(#arrow)"/>')
        if (dst, label) in labelled and dst == "withdrawn":
            continue  # one 撤回 label for the three arrows into withdrawn
        labelled.add((dst, label))
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dy = -7 if abs(y2 - y1) < 1 else 0
        dx = 8 if abs(x2 - x1) < 1 else 0
        anchor = "start" if dx else "middle"
        parts.append(f'<text class="edge-label" x="{mx + dx:.1f}" y="{my + dy:.1f}" '
                     f'text-anchor="{anchor}">{escape(label)}</text>')
    for status in CaseStatus:
        x, y = POSITIONS[str(status)]
        lit = str(status) == current
        cls = "node current" if lit else "node"
        aria = ' aria-current="step"' if lit else ""
        parts.append(f'<g class="{cls}" data-state="{status}"{aria}>'
                     f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
                     f'<text class="node-label" x="{x}" y="{y + 5}" text-anchor="middle">'
                     f'{escape(STATUS_LABELS[str(status)])}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def text_alternative(current: str | None = None) -> str:
    """The diagram in words for those who cannot see it: the current state, then every state with where it may go
    next (the same transition table), the current one marked."""
    onward: dict[str, list[str]] = {}
    for src, dst, label in edges():
        onward.setdefault(src, []).append(f"{label}→{STATUS_LABELS[dst]}")
    now = STATUS_LABELS.get(current or "", "—")
    items = []
    for status in CaseStatus:
        lit = str(status) == current
        nexts = "；".join(onward.get(str(status), [])) or "终止状态"
        mark = ' aria-current="step"' if lit else ""
        items.append(f'<li{mark}>{escape(STATUS_LABELS[str(status)])}'
                     f'{"（当前）" if lit else ""}：{escape(nexts)}</li>')
    return (f'<p class="state-now">当前状态：<b>{escape(now)}</b></p>'
            f'<details class="state-text"><summary>状态图的文字说明</summary>'
            f'<ol class="state-list">{"".join(items)}</ol></details>')


def figure(current: str | None = None) -> str:
    """The picture and its words, for pages."""
    return render(current) + text_alternative(current)
