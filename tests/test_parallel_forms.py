"""The pre-test (form A) and post-test (form B) are parallel: same objectives, same designed difficulty.

The simulation (src/toolkit_course/parallel_forms.py) uses the authors' design estimates of item
difficulty, not a calibration on real learners; the book says so. These tests check the design file
against the two forms, show the forms give the same mean and spread for learners of the same
ability, and show that the check fails when one form is made much harder.
"""

from __future__ import annotations

import numpy as np

from toolkit_course import content, parallel_forms


def test_the_design_pairs_every_item_of_each_form_with_one_twin():
    spec = parallel_forms.design()
    ids_a = [item["id"] for item in content.load(spec["forms"]["a"], "assessment")["items"]]
    ids_b = [item["id"] for item in content.load(spec["forms"]["b"], "assessment")["items"]]
    assert [p["a"]["item"] for p in spec["pairs"]] == ids_a
    assert [p["b"]["item"] for p in spec["pairs"]] == ids_b
    assert len({p["objective"] for p in spec["pairs"]}) == len(spec["pairs"]), "one pair per objective"
    published = set(content.published_slugs())
    for pair in spec["pairs"]:
        assert set(pair["modules"]) <= published, pair["objective"]
        assert abs(pair["a"]["difficulty"] - pair["b"]["difficulty"]) <= parallel_forms.MAX_TWIN_GAP + 1e-9, (
            f"{pair['objective']}: twins designed more than {parallel_forms.MAX_TWIN_GAP} logits apart")


def test_the_forms_cover_modules_01_to_12_and_the_guessing_floor_matches_the_options():
    spec = parallel_forms.design()
    covered = {slug for pair in spec["pairs"] for slug in pair["modules"]}
    assert {s for s in content.published_slugs() if "01" <= s[:2] <= "12"} <= covered
    options = {len(item["options"]) for slug in spec["forms"].values()
               for item in content.load(slug, "assessment")["items"]}
    assert options == {4} and spec["guessing"] == 0.25


def test_the_two_forms_give_the_same_mean_and_spread_for_learners_of_the_same_ability():
    result = parallel_forms.check_design()  # fixed seed
    tolerance = parallel_forms.TOLERANCE_POINTS
    assert len(result.cohorts) == 3
    for cohort in result.cohorts:
        assert abs(cohort.mean_a - cohort.mean_b) <= tolerance, cohort
        assert abs(cohort.sd_a - cohort.sd_b) <= tolerance, cohort
    assert result.curve_gap <= tolerance
    assert result.holds


def test_the_check_fails_when_one_form_is_made_much_harder():
    spec = parallel_forms.design()
    b_a, b_b = parallel_forms.difficulties(spec)
    harder = parallel_forms.simulate(b_a, b_b + 1.0, spec["guessing"])  # every form-B item one logit harder
    assert not harder.holds
    assert all(cohort.mean_b < cohort.mean_a - parallel_forms.TOLERANCE_POINTS for cohort in harder.cohorts)
    # ... and when only a third of the items are made much harder.
    lopsided = b_b.copy()
    lopsided[:4] += 2.0
    assert not parallel_forms.simulate(b_a, lopsided, spec["guessing"]).holds


def test_the_simulated_scores_follow_the_model():
    """The simulation is not a constant: higher ability means a higher expected score, lower difficulty too."""
    b = np.zeros(12)
    low, high = parallel_forms.expected_score(np.array([-1.0, 1.0]), b, 0.25)
    assert 3 < low < high < 12
    assert parallel_forms.expected_score(np.array([0.0]), b, 0.25)[0] == 12 * (0.25 + 0.75 * 0.5)
