"""Likely-duplicate detection: same birth date with a similar name, or a shared identifier."""

import unicodedata
from difflib import SequenceMatcher

NAME_SIMILARITY_THRESHOLD = 0.85


def normalize_name(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    letters = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in "".join(letters).casefold() if ch.isalnum())


def names_similar(given_a: str, family_a: str, given_b: str, family_b: str) -> bool:
    ga, fa, gb, fb = map(normalize_name, (given_a, family_a, given_b, family_b))
    if not (ga and fa and gb and fb):
        return False
    if (ga, fa) == (gb, fb) or (ga, fa) == (fb, gb):
        return True
    # Shortened given names ("Rob" / "Robert") with the same family name.
    if fa == fb and (ga.startswith(gb) or gb.startswith(ga)):
        return True
    # Hyphenated or double family names ("Garcia" / "Garcia Lopez").
    if ga == gb and (fa.startswith(fb) or fb.startswith(fa)):
        return True
    return SequenceMatcher(None, ga + fa, gb + fb).ratio() >= NAME_SIMILARITY_THRESHOLD
