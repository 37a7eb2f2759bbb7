"""The normal form of a company name, to tell that a contact's free-text employer is a
target company ("Acme, Inc." and "ACME" are one company)."""

import re
import unicodedata

# Legal forms a name may end with; they say nothing about which company it is.
LEGAL_SUFFIXES = frozenset(
    {
        "ab",
        "ag",
        "aps",
        "as",
        "asa",
        "bv",
        "co",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pte",
        "pty",
        "sa",
        "sarl",
        "sas",
        "se",
        "spa",
        "srl",
    }
)

# Dots and apostrophes join what they separate ("S.A." is "sa", "O'Brien" is "obrien");
# anything else that is not a letter or a digit separates words.
_JOINERS = re.compile(r"[.'\u2019]")
_WORDS = re.compile(r"[^\W_]+")


def normalise_company_name(name: str | None) -> str | None:
    """`"  Acmé, Inc. "` → `"acme"`; None when no word is left.

    Lower case (case-folded), accents removed, punctuation dropped, spaces collapsed and
    trailing legal suffixes removed, though never the last word: a company called
    "Limited" keeps its name.
    """
    if name is None:
        return None
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = _WORDS.findall(_JOINERS.sub("", bare))
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None
