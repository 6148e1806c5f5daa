"""Sentences that state a result, checked against that result where it is computed.

A chapter's numbers come from its run, so the sentence that reads them must come from the run
too. ``claim(holds, text)`` shows ``text`` (Markdown, with the numbers put in by an f-string)
after checking ``holds``, the condition that makes the sentence true:

    claim(acc_ft > acc_probe + spread, f"Fine-tuning beats the probe: {acc_ft:.3f} vs {acc_probe:.3f}.")

With the book's packaged model a claim that does not hold raises ``ClaimError``, so the build
fails instead of printing a sentence its own output contradicts. With another model
(``$BERTCORE_MODEL``) the numbers may differ: the sentence is shown with a visible note that it
does not hold for that model, and the notebook goes on.
"""
from __future__ import annotations

import os

from bertcore._checks import check_str
from bertcore.support.loading import ENV_VAR


class ClaimError(AssertionError):
    """A sentence of the book is contradicted by the result it describes."""


def claim(holds, text: str) -> None:
    """Show ``text`` if ``holds``; otherwise fail (packaged model) or flag it (another model)."""
    check_str("text", text, "write the sentence as one f-string")
    if hasattr(holds, "item") and getattr(holds, "ndim", 0) == 0:
        holds = holds.item()  # a numpy or torch scalar from a comparison
    if not isinstance(holds, bool):
        raise TypeError(f"holds must be a bool (the condition that makes the sentence true), got "
                        f"{type(holds).__name__}; compare numbers, e.g. claim(a > b, ...), and reduce "
                        "tensors with .all() or .item()")
    from IPython.display import Markdown, display

    if holds:
        display(Markdown(text))
        return  # nothing returned: a cell ending in a claim shows the sentence only
    model = os.environ.get(ENV_VAR)
    if not model:
        raise ClaimError(f"the book says {text!r}, but its own result contradicts it: rewrite the sentence "
                         "or its condition so that they agree with the output")
    display(Markdown(f"{text}\n\n> **Note:** with `{model}` instead of the packaged model, this result "
                     "does not hold: the sentence above was written for the packaged model."))
