"""Chapter pages put a picture of the idea first and keep the short answer short (issue 16)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
MAX_SHORT_ANSWER_SENTENCES = 4
_ROLE = re.compile(r"\{\w+(?::\w+)?\}`[^`]*`")  # {cite}`...`, {term}`...`
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[(*\"'])")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code_cells(path):
    """Code cells after the Colab setup cell."""
    return [c for c in _cells(path) if c["cell_type"] == "code"
            and "colab-setup" not in c.get("metadata", {}).get("tags", [])]


def short_answer_sentences(markdown: str) -> list[str]:
    """The sentences of the ``**Short answer.**`` paragraph, with roles, maths and code taken out."""
    match = re.search(r"\*\*Short answer\.\*\*(.*?)(?:\n\s*\n|\Z)", markdown, re.S)
    assert match, "no **Short answer.** paragraph"
    text = _ROLE.sub("X", match[1])
    text = re.sub(r"\$[^$]*\$", "X", text)
    text = re.sub(r"`[^`]*`", "X", text)
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def test_sentence_counter():
    md = ("**Short answer.** BERT reads both ways {cite}`devlin2019bert`. It uses e.g. masks. "
          "Is it $p = 0.15$? Yes! [CLS] comes first.\n\nNext paragraph. Not counted.")
    assert len(short_answer_sentences(md)) == 5  # "e.g. masks" does not end a sentence


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem[:2])
def test_short_answer_has_at_most_four_sentences(path):
    sentences = short_answer_sentences("".join(_cells(path)[0]["source"]))
    assert len(sentences) <= MAX_SHORT_ANSWER_SENTENCES, sentences


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem[:2])
def test_concept_diagram_comes_before_the_first_measurement(path):
    """The second code cell (after the imports) draws the chapter's concept diagram, folded, with alt text."""
    code = _code_cells(path)
    diagrams = [i for i, c in enumerate(code) if "concept-diagram" in c.get("metadata", {}).get("tags", [])]
    assert diagrams and diagrams[0] == 1, f"concept diagram cell at code cell {diagrams}, expected 1"
    cell = code[diagrams[0]]
    source = "".join(cell["source"])
    assert "hide-input" in cell["metadata"]["tags"]
    assert "bc.new_diagram(" in source and re.search(r"bc\.show_figure\(\s*fig,\s*alt=", source)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem[:2])
def test_every_figure_goes_through_show_figure(path):
    """plt.show() would give the page an image whose only description is its file name."""
    for cell in _code_cells(path):
        source = "".join(cell["source"])
        assert "plt.show(" not in source and "fig.show(" not in source, source[:200]
