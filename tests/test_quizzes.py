"""Every quiz file follows the book's rules, and every chapter shows its quiz.

Rules (chapters/AUTHORING.md): 3-5 multiple-choice questions per chapter, 3-4 options per
question with exactly one correct, feedback for every option, and the correct option not
always in the same position; a chapter NN shows data/quizzes/NN.json from a code cell tagged
``remove-input`` whose whole source is ``bc.quiz("NN")``.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
QUIZZES = sorted((ROOT / "data" / "quizzes").glob("*.json"))
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
quizmod = importlib.import_module("bertcore.support.quiz")


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", QUIZZES, ids=_ids(QUIZZES))
def test_quiz_file_follows_the_rules(path):
    questions = json.loads(path.read_text(encoding="utf-8"))
    quizmod.validate(questions, path.name)  # format, one correct answer, feedback everywhere
    assert 3 <= len(questions) <= 5, f"{path.name}: {len(questions)} questions, expected 3-5"
    positions = []
    for i, q in enumerate(questions, 1):
        answers = q["answers"]
        assert 3 <= len(answers) <= 4, f"{path.name} question {i}: {len(answers)} options, expected 3-4"
        texts = [a["answer"].strip().lower() for a in answers]
        assert len(set(texts)) == len(texts), f"{path.name} question {i}: two options are the same"
        positions.append(next(j for j, a in enumerate(answers) if a["correct"]))
    assert len(set(positions)) > 1, (
        f"{path.name}: the correct answer is always option {positions[0] + 1}; vary its position")


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_shows_its_quiz(path):
    number = path.name[:2]
    assert (ROOT / "data" / "quizzes" / f"{number}.json").is_file(), \
        f"{path.name} has no quiz file data/quizzes/{number}.json"
    nb = nbformat.read(path, as_version=4)
    wanted = {f'bc.quiz("{number}")', f"bc.quiz('{number}')"}
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip() in wanted]
    assert cells, f'{path.name}: no code cell containing exactly bc.quiz("{number}")'
    assert all("remove-input" in c.metadata.get("tags", []) for c in cells), \
        f'{path.name}: the bc.quiz("{number}") cell must be tagged remove-input'


def test_every_quiz_belongs_to_a_chapter():
    numbers = {p.name[:2] for p in CHAPTERS}
    orphans = [p.name for p in QUIZZES if p.stem not in numbers]
    assert not orphans, f"quiz files without a chapter notebook: {orphans}"
