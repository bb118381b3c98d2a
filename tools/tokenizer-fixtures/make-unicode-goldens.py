#!/usr/bin/env python3
"""Writes tests/MoCo.Models.Tests/Tokenization/TestData/unicode-normalization.json: strings with their NFC, NFD, NFKC and
NFKD forms according to Python's unicodedata, the same source as the library's tables.

Every code point that has a decomposition or a non-zero combining class appears, in runs of 32 after a
base letter, plus Hangul and reordering cases. Deterministic: python3 make-unicode-goldens.py
"""
import json
import os
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "MoCo.Models.Tests", "Tokenization", "TestData", "unicode-normalization.json")


def main():
    interesting = [
        chr(cp) for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF
        and (unicodedata.decomposition(chr(cp)) or unicodedata.combining(chr(cp)))
    ]
    texts = ["a" + "".join(interesting[i:i + 32]) for i in range(0, len(interesting), 32)]
    texts += [
        "\uAC00\uAC01\u1100\u1161\u11A8 \u1100\u1161 \uD7A3",  # Hangul syllables and jamo
        "a\u0323\u0302 a\u0302\u0323 \u1E0B\u0323 q\u0307\u0323",  # canonical reordering then composition
        "\u0344 \u0F73 \u2126 \u212B \u0958",  # singletons, non-starter decompositions, exclusions
        "\u0301leading mark, e\u0301\u0301 double",
        "plain ASCII only",
    ]
    cases = [
        {
            "text": t,
            "nfc": unicodedata.normalize("NFC", t),
            "nfd": unicodedata.normalize("NFD", t),
            "nfkc": unicodedata.normalize("NFKC", t),
            "nfkd": unicodedata.normalize("NFKD", t),
        }
        for t in texts
    ]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"unicode": unicodedata.unidata_version, "cases": cases}, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
