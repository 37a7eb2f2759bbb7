"""Counts and kinds put into sentences, so that every message reads "1 interview",
"2 interviews", "an informational interview" and "a job interview"."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 interview`, `0 interviews`, `2 activities` (with `plural` for irregular ones)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def with_article(phrase: str, *, capital: bool = False) -> str:
    """`an informational interview`, `a job interview` (by the first letter: the words
    this API puts in sentences have no silent h or sounded u)."""
    article = "an" if phrase[:1].lower() in ("a", "e", "i", "o", "u") else "a"
    return f"{article.capitalize() if capital else article} {phrase}"
