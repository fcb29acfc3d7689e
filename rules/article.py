"""Verbatim article sentences and beyond-article citations that every rule must cite."""

from __future__ import annotations

SENTENCES: dict[str, str] = {
    "glycogen": (
        "After sustained effort, glycogen stores in skeletal muscle can plummet by 60–80%, "
        "especially in fast-twitch fibers responsible for explosive power."
    ),
    "lactate": (
        "Lactate, produced at a rate exceeding clearance during high-intensity efforts, "
        "accumulates in both blood and muscle tissue, contributing to pH shifts that impair "
        "contractile efficiency."
    ),
    "lactate_brake": (
        "This biochemical shift triggers a protective neural brake—motor neurons reduce firing "
        "frequency to prevent damage—leading to what we feel as heavy, sluggish legs."
    ),
    "safety": "It’s not laziness; it’s a safety mechanism wrapped in physical reality.",
    "central": (
        "prolonged exertion resets dopamine signaling in the prefrontal cortex, dampening "
        "motivation and perceived effort regulation."
    ),
    "disconnect": (
        "Athletes report not just heavier limbs, but a disconnect between intention and execution."
    ),
    "negotiation": (
        "heavy legs aren’t always a sign of physical failure, but a neural negotiation with "
        "limited energy reserves."
    ),
    "perception": (
        "In other words, the brain’s perception of effort became a dominant factor, overriding "
        "objective strength."
    ),
    "cascade": "Heavy legs post-workout are rarely isolated. They’re part of a systemic cascade.",
    "breathing": (
        "Even the respiratory system adjusts: breathing rate remains elevated not from oxygen "
        "debt alone, but from altered chemoreceptor sensitivity."
    ),
    "nonlinear": (
        "This systemic recalibration explains why recovery feels nonlinear: the body isn’t "
        "slowing down—it’s rebalancing."
    ),
    "nutrition": (
        "Prioritize nutrient timing: a 3:1 carb-to-protein ratio within 30–60 minutes "
        "post-exercise accelerates glycogen resynthesis."
    ),
    "sleep": "Prioritize sleep—deep sleep is when growth hormone peaks, driving tissue repair.",
    "persistent": (
        "persistent heaviness beyond 48 hours, especially with joint pain or sharp muscle "
        "twitching, warrants caution—signs that recovery isn’t just delayed, but compromised."
    ),
    "signal": "heavy legs post-workout are a signal, not a sentence.",
    "whole_system": "They demand attention—not to the muscles alone, but to the whole system.",
}

EXTERNAL_SOURCES: dict[str, str] = {
    "nutrient_timing": (
        "Kerksick CM, Arent S, Schoenfeld BJ, et al. International Society of Sports Nutrition "
        "position stand: nutrient timing. J Int Soc Sports Nutr. 2017;14:33. "
        "doi:10.1186/s12970-017-0189-4"
    ),
    "sleep_duration": (
        "Watson NF, Badr MS, Belenky G, et al. Recommended amount of sleep for a healthy adult: "
        "a joint consensus statement of the American Academy of Sleep Medicine and Sleep "
        "Research Society. Sleep. 2015;38(6):843–844. doi:10.5665/sleep.4716"
    ),
    "session_rpe": (
        "Foster C, Florhaug JA, Franklin J, et al. A new approach to monitoring exercise "
        "training. J Strength Cond Res. 2001;15(1):109–115."
    ),
    "acwr": (
        "Gabbett TJ. The training-injury prevention paradox: should athletes be training smarter "
        "and harder? Br J Sports Med. 2016;50(5):273–280. doi:10.1136/bjsports-2015-095788. "
        "Limitations: Impellizzeri FM, Tenan MS, Kempton T, et al. Acute:chronic workload ratio: "
        "conceptual issues and fundamental pitfalls. Int J Sports Physiol Perform. "
        "2020;15(6):907–913. doi:10.1123/ijspp.2019-0864"
    ),
    "monotony": (
        "Foster C. Monitoring training in athletes with reference to overtraining syndrome. "
        "Med Sci Sports Exerc. 1998;30(7):1164–1168. doi:10.1097/00005768-199807000-00023"
    ),
    "zscore": (
        "Thornton HR, Delaney JA, Duthie GM, Dascombe BJ. Developing athlete monitoring systems "
        "in team sports: data analysis and visualization. Int J Sports Physiol Perform. "
        "2019;14(6):698–705. doi:10.1123/ijspp.2018-0169"
    ),
    "overtraining": (
        "Meeusen R, Duclos M, Foster C, et al. Prevention, diagnosis, and treatment of the "
        "overtraining syndrome: joint consensus statement of the European College of Sport "
        "Science and the American College of Sports Medicine. Med Sci Sports Exerc. "
        "2013;45(1):186–205. doi:10.1249/MSS.0b013e318279a10a (recovery from overreaching takes "
        "days to about two weeks; longer unexplained fatigue calls for a medical check)"
    ),
    "warning_signs": (
        "American College of Sports Medicine. ACSM's Guidelines for Exercise Testing and "
        "Prescription. 11th ed. Wolters Kluwer; 2021, chapter 2: shortness of breath at rest or "
        "with mild exertion, chest pain and dizziness are signs that need medical evaluation"
    ),
    "injury_care": (
        "NHS. Sports injuries. https://www.nhs.uk/conditions/sports-injuries/ : get medical "
        "help for pain that is severe, a joint that is swollen or cannot take weight, or pain "
        "that does not get better with rest"
    ),
    "readiness": (
        "McLean BD, Coutts AJ, Kelly V, McGuigan MR, Cormack SJ. Neuromuscular, endocrine, and "
        "perceptual fatigue responses during different length between-match microcycles in "
        "professional rugby league players. Int J Sports Physiol Perform. 2010;5(3):367–383. "
        "doi:10.1123/ijspp.5.3.367"
    ),
}


def quote_for(key: str) -> str:
    """The article sentence or external citation stored under `key`."""
    return SENTENCES.get(key) or EXTERNAL_SOURCES[key]
