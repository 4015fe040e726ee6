"""Plain-text rendering of an Explanation (`careerbot ask --explain`). Pure."""

from __future__ import annotations

from retrieval.models import Explanation, PartExplanation


def _part(title: str, part: PartExplanation) -> list[str]:
    lines = [f"{title}: {part.text}", f"  cleaned:     {part.cleaned or '(nothing left)'}"]
    if part.removed:
        lines.append("  removed:     " + ", ".join(part.removed))
    if part.rewritten:
        lines.append("  rewritten:   " + ", ".join(f"{a} -> {b}" for a, b in part.rewritten))
    if part.corrections:
        lines.append("  corrected:   " + ", ".join(f"{a} -> {b}" for a, b in part.corrections))
    lines.append("  concepts (weight = information in general English; idf = in these documents):")
    for c in part.concepts:
        idf = f"idf {c.idf:.2f}" if c.idf is not None else "not in the documents"
        lines.append(f"    {c.label:<28} {c.kind:<7} weight {c.weight:5.2f}  {idf}")
    g = part.gate
    lines.append(
        f"  gate:        best passage holds {g.held_share:.0%} of the known information "
        f"({g.held_concepts} of {g.known_concepts} concepts); words the documents lack: {g.absent_share:.0%}"
    )
    lines.append(f"  verdict:     {'answer' if g.answerable else 'no answer'} ({g.reason})")
    return lines


def format_explanation(explanation: Explanation) -> str:
    """The question's cleaning, corrections, weighted concepts and the gate's figures."""
    lines = _part("question", explanation.whole)
    for n, part in enumerate(explanation.parts, 1):
        lines.append("")
        lines.extend(_part(f"part {n}", part))
    return "\n".join(lines)
