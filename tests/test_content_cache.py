"""Content is parsed and validated once per process, and an edited file is read again at once."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from toolkit_course import content, show


@pytest.fixture
def validations(monkeypatch):
    """Counts every schema validation, whatever asks for it."""
    counted: list[str] = []
    real = jsonschema.Draft202012Validator.iter_errors

    def counting(self, instance, *args, **kwargs):
        counted.append(self.schema.get("title", "?") if isinstance(self.schema, dict) else "?")
        return real(self, instance, *args, **kwargs)

    monkeypatch.setattr(jsonschema.Draft202012Validator, "iter_errors", counting)
    content._loaded.clear()
    return counted


def test_displaying_the_classifier_validates_each_file_once(validations):
    classifier = show.classifier("01-trafficking-and-smuggling")
    classifier.static_html()
    classifier.analyse()
    show.classifier("01-trafficking-and-smuggling").static_html()
    # legal-elements.yaml and the module's cases.yaml, each once, however often the analysis asks.
    assert len(validations) == 2, validations


def _quiz_file(tmp_path, prompt):
    sample = content.load("01-trafficking-and-smuggling", "quiz")
    # Start from a real file so the sample always matches the current schema; change one prompt.
    sample["questions"] = sample["questions"][:1]
    sample["questions"][0]["prompt"] = prompt
    path = tmp_path / "quiz.yaml"
    path.write_text(yaml.safe_dump(sample, allow_unicode=True), encoding="utf-8")
    return path


def test_an_edited_file_is_read_again_in_the_same_process(tmp_path, validations):
    path = _quiz_file(tmp_path, "First wording?")
    assert content.load_file(path, "quiz")["questions"][0]["prompt"] == "First wording?"
    assert content.load_file(path, "quiz")["questions"][0]["prompt"] == "First wording?"
    before = len(validations)
    # Same length, written at once: a size or coarse-clock check alone would miss this edit.
    _quiz_file(tmp_path, "Other wording?")
    assert content.load_file(path, "quiz")["questions"][0]["prompt"] == "Other wording?"
    assert len(validations) == before + 1


def test_a_caller_cannot_change_what_the_next_caller_gets():
    first = content.legal_elements()
    next(iter(first.values()))["elements"].clear()
    assert next(iter(content.legal_elements().values()))["elements"]


def test_a_broken_edit_is_reported_even_after_a_good_load(tmp_path):
    path = _quiz_file(tmp_path, "Fine?")
    content.load_file(path, "quiz")
    path.write_text(path.read_text(encoding="utf-8").replace("correct: true", "correct: false"), encoding="utf-8")
    with pytest.raises(content.ContentError, match="no option is marked correct"):
        content.load_file(path, "quiz")
