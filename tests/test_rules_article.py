"""The rules cite the article verbatim, and every source key resolves."""

import re
from pathlib import Path

import pytest

from rules.article import EXTERNAL_SOURCES, SENTENCES, quote_for
from rules.catalogue import RULES

ARTICLE = Path(__file__).parents[1] / "../shared/reference/heavy-legs-article.txt"
RULES_DIR = Path(__file__).parents[1] / "rules"


def _normalise(text: str) -> str:
    """Collapse whitespace only; punctuation and typography must match exactly."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def article() -> str:
    """The whitespace-normalised article text, or skip if the file is absent."""
    if not ARTICLE.is_file():
        pytest.skip(f"reference article not found at {ARTICLE.resolve()}")
    return _normalise(ARTICLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", sorted(SENTENCES))
def test_sentence_is_verbatim_in_article(article, key):
    assert _normalise(SENTENCES[key]) in article


def test_practical_claims_are_all_present():
    expected = {"glycogen", "lactate_brake", "safety", "central", "disconnect", "cascade"}
    expected |= {"breathing", "nonlinear", "perception", "nutrition", "sleep"}
    expected |= {"persistent", "signal", "lactate"}
    assert expected <= SENTENCES.keys()


def test_key_claims_are_in_the_quoted_text():
    assert "3:1 carb-to-protein ratio within 30–60 minutes" in SENTENCES["nutrition"]
    assert "growth hormone peaks" in SENTENCES["sleep"]
    assert "beyond 48 hours" in SENTENCES["persistent"]
    assert "joint pain or sharp muscle twitching" in SENTENCES["persistent"]
    assert "60–80%" in SENTENCES["glycogen"]


@pytest.mark.parametrize(
    ("key", "needles"),
    [
        ("nutrient_timing", ("Kerksick", "2017", "J Int Soc Sports Nutr", "14:33")),
        ("sleep_duration", ("Watson", "2015", "Sleep", "38(6)")),
        ("session_rpe", ("Foster", "2001", "J Strength Cond Res", "15(1)")),
    ],
)
def test_external_citations_are_full(key, needles):
    for needle in needles:
        assert needle in EXTERNAL_SOURCES[key]


def test_article_and_external_keys_do_not_clash():
    assert not SENTENCES.keys() & EXTERNAL_SOURCES.keys()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_sources_resolve(rule):
    table = EXTERNAL_SOURCES if rule.beyond_article else SENTENCES
    assert rule.sources
    assert all(key in table for key in rule.sources)
    assert all(quote_for(key) for key in rule.sources)
    assert all(note.source in EXTERNAL_SOURCES for note in rule.notes)


def test_rule_ids_and_priorities_are_unique():
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.priority for r in RULES}) == len(RULES)


def test_every_article_sentence_backs_some_rule():
    cited = {key for r in RULES for key in r.sources}
    assert set(SENTENCES) <= cited


def test_expected_rules_exist():
    ids = {r.id for r in RULES}
    assert {
        "red_flag_48h",
        "persistent_48h",
        "pain_watch",
        "breathing_check",
        "refuel_window",
        "heavy_after_hard_work",
        "central_fatigue",
        "breathing_settling",
        "deep_sleep",
    } <= ids
    assert max(RULES, key=lambda r: r.priority).id == "red_flag_48h"


@pytest.mark.parametrize("path", sorted(RULES_DIR.glob("*.py")), ids=lambda p: p.name)
def test_rules_package_never_imports_telegram(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+telegram\b", source, re.MULTILINE)
