"""Chapter quizzes: ``data/quizzes/NN.json`` (shipped with the package) shown with jupyterquiz, offline.

Simplifies: multiple-choice questions only (jupyterquiz's ``multiple_choice`` type), one
correct answer each, validated here before display. The output is what jupyterquiz's
``display_quiz`` produces (its JavaScript and CSS inlined, so the quiz works in Jupyter and
in the static HTML book without a CDN), minus its fallback that loads MathJax from a CDN.
"""
from __future__ import annotations

import json
import os
import uuid
from importlib import resources
from pathlib import Path

from bertcore.support.data import book_data

QUIZ_ENV = "BERTCORE_QUIZZES"  # optional override of the quiz folder


def quiz_dir() -> Path:
    """Folder holding the quiz files (shipped with the package), e.g. ``quiz_dir() / '01.json'``."""
    if os.environ.get(QUIZ_ENV):
        return Path(os.environ[QUIZ_ENV])
    with resources.as_file(book_data() / "quizzes") as folder:  # a real folder for an installed wheel
        return Path(folder)


def validate(questions, source: str = "quiz") -> list:
    """Check the jupyterquiz format and the book's rules; return the questions or raise ValueError."""
    if not isinstance(questions, list) or not questions:
        raise ValueError(f"{source}: expected a non-empty JSON list of questions")
    for i, q in enumerate(questions, 1):
        where = f"{source}, question {i}"
        if not isinstance(q, dict):
            raise ValueError(f"{where}: expected an object with question, type, answers")
        if not isinstance(q.get("question"), str) or not q["question"].strip():
            raise ValueError(f"{where}: 'question' must be a non-empty string")
        if q.get("type") != "multiple_choice":
            raise ValueError(f"{where}: 'type' must be 'multiple_choice', got {q.get('type')!r}")
        answers = q.get("answers")
        if not isinstance(answers, list) or len(answers) < 3:
            raise ValueError(f"{where}: needs a list of at least 3 answers")
        for j, a in enumerate(answers, 1):
            if not isinstance(a, dict) or not isinstance(a.get("answer"), str) or not a["answer"].strip():
                raise ValueError(f"{where}, answer {j}: 'answer' must be a non-empty string")
            if not isinstance(a.get("correct"), bool):
                raise ValueError(f"{where}, answer {j}: 'correct' must be true or false")
            if not isinstance(a.get("feedback"), str) or not a["feedback"].strip():
                raise ValueError(f"{where}, answer {j}: every option needs non-empty 'feedback'")
        n_correct = sum(a["correct"] for a in answers)
        if n_correct != 1:
            raise ValueError(f"{where}: exactly one answer must be correct, found {n_correct}")
    return questions


def load(chapter: str) -> list:
    """Read and validate ``data/quizzes/{chapter}.json``, e.g. ``load("01")``."""
    if not isinstance(chapter, str) or not chapter.strip() or "/" in chapter or "\\" in chapter:
        raise ValueError(f'chapter must be a file stem such as "01", got {chapter!r}')
    path = quiz_dir() / f"{chapter}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in quiz_dir().glob("*.json")))
        raise FileNotFoundError(f"no quiz file {path}: use a chapter that has one ({known or 'none yet'}), "
                                "or create it (format in chapters/AUTHORING.md)")
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    return validate(questions, str(path))


# Two patches to jupyterquiz's script, for pages whose MathJax is still loading when the quiz
# is drawn (the page's MathJax then typesets the quiz itself once it has loaded):
# its fallback that fetches MathJax from a CDN is disabled, and its delayed typesetting
# call no longer fails on a MathJax config object that has no version yet.
_PATCHES = [
    ("window.MathJax = {", "window.__bertcoreUnusedMathJax = {"),
    ("script.src = 'https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js';", "return;"),
    ("console.log('After sleep, MathJax version', version);",
     "console.log('After sleep, MathJax version', version); if (!version) { return; }"),
]
COLORS = {  # jupyterquiz's CSS variables: the book's palette
    "--jq-multiple-choice-bg": "#345995", "--jq-mc-button-bg": "#fafafa",
    "--jq-mc-button-border": "#e0e0e0e0", "--jq-mc-button-inset-shadow": "#555555",
    "--jq-many-choice-bg": "#e26d5a", "--jq-numeric-bg": "#5bc0eb",
    "--jq-numeric-input-bg": "#c0c0c0", "--jq-numeric-input-label": "#101010",
    "--jq-numeric-input-shadow": "#999999", "--jq-string-bg": "#861657",
    "--jq-incorrect-color": "#a3151e", "--jq-correct-color": "#1b7a2e",
    "--jq-text-color": "#fafafa", "--jq-link-color": "#9abafa",
}


def quiz_html(chapter: str, *, shuffle_answers: bool = True) -> tuple[str, str]:
    """The quiz of a chapter as (HTML with inline CSS, JavaScript), e.g. ``quiz_html("01")``."""
    from jupyterquiz.dynamic.loader import load_questions_script
    from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

    questions = load(chapter)
    div_id = "quiz" + uuid.uuid4().hex[:12]
    prefix, static, url = load_questions_script(questions, div_id)
    html = render_div(div_id, False, shuffle_answers, False, 1_000_000, 700, 10, "left")
    html += build_styles(div_id, COLORS)
    js = build_script(prefix, static, url, div_id, True)
    for old, new in _PATCHES:
        if old not in js:
            raise RuntimeError(f"jupyterquiz's script changed ({old!r} not found); bertcore supports 2.9.6.4")
        js = js.replace(old, new)
    return html, js


def quiz(chapter: str, *, shuffle_answers: bool = True) -> None:
    """Display the quiz of a chapter, e.g. ``quiz("01")`` (click an option to see its feedback)."""
    from IPython.display import HTML, Javascript, display

    html, js = quiz_html(chapter, shuffle_answers=shuffle_answers)
    display(HTML(html), Javascript(js))

