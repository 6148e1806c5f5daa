"""Chapter quizzes: ``data/quizzes/NN.json`` shown with jupyterquiz (works offline).

Simplifies: multiple-choice questions only (jupyterquiz's ``multiple_choice`` type), one
correct answer each, validated here before display. jupyterquiz inlines its JavaScript and
CSS into the output, so the quiz works in Jupyter and in the static HTML book without a CDN.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

QUIZ_ENV = "BERTCORE_QUIZZES"  # optional override of the quiz folder


def quiz_dir() -> Path:
    """Folder holding the quiz files, e.g. ``quiz_dir() / '01.json'``."""
    return Path(os.environ.get(QUIZ_ENV) or Path(__file__).resolve().parent.parent / "data" / "quizzes")


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
        raise FileNotFoundError(f"no quiz file {path}: create it (format in chapters/AUTHORING.md)")
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    return validate(questions, str(path))


def quiz(chapter: str, *, shuffle_answers: bool = True) -> None:
    """Display the quiz of a chapter, e.g. ``quiz("01")`` (click an option to see its feedback)."""
    from jupyterquiz import display_quiz

    display_quiz(load(chapter), shuffle_answers=shuffle_answers, preserve_responses=False,
                 max_width=700, colors="fdsp")
