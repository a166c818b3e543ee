"""The templated requests behind the `over_refusal` prompt heads: balanced, paired, deterministic."""

from __future__ import annotations

from collections import Counter

from detectors.training.templates_refusal import GENERIC_REFUSALS, VERBS, refusal_pairs, template_prompts


def test_every_family_has_both_sides_and_no_text_is_on_both() -> None:
    prompts = template_prompts()
    sides = Counter((p.family, p.benign) for p in prompts)
    families = {p.family for p in prompts}
    assert len(families) >= 6
    for family in families:
        assert sides[(family, True)] >= 20 and sides[(family, False)] >= 10, family
    benign = {p.text for p in prompts if p.benign}
    harmful = {p.text for p in prompts if not p.benign}
    assert not benign & harmful
    assert len(benign) + len(harmful) == len(prompts)


def test_templates_are_deterministic_and_seeded() -> None:
    assert template_prompts() == template_prompts()
    assert [p.text for p in template_prompts(seed=1)] != [p.text for p in template_prompts(seed=2)]
    assert len(template_prompts(per_side=5)) <= 5 * 2 * len({p.family for p in template_prompts()})


def test_homonym_verbs_appear_on_both_sides() -> None:
    # The point of the templates: the same verb must not decide the label.
    prompts = template_prompts(per_side=10_000)
    for verb, benign_objects, harmful_objects in VERBS:
        assert benign_objects and harmful_objects, verb
        sides = {p.benign for p in prompts if p.family == "homonyms_targets" and f"{verb} " in p.text}
        assert sides == {True, False}, verb


def test_refusal_pairs_use_generic_refusals_after_both_kinds_of_request() -> None:
    pairs = refusal_pairs(200)
    assert len(pairs) == 200
    assert all(answer in GENERIC_REFUSALS for _, answer in pairs)
    kinds = Counter(prompt.benign for prompt, _ in pairs)
    assert kinds[True] > 50 and kinds[False] > 50
    assert refusal_pairs(200) == pairs
