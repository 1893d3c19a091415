"""Normalising disease names for lookup: case, punctuation and British spellings."""

from __future__ import annotations

import re
import unicodedata

# British to American spellings, applied to whole words or word parts, so that names such
# as "iron deficiency anaemia" find the ontology's "iron deficiency anemia".
_SPELLINGS = (
    ("oesophag", "esophag"),
    ("haemorrh", "hemorrh"),
    ("haemat", "hemat"),
    ("haemo", "hemo"),
    ("haem", "hem"),
    ("anaem", "anem"),
    ("aemia", "emia"),
    ("leukaem", "leukem"),
    ("oedema", "edema"),
    ("coeliac", "celiac"),
    ("paediatr", "pediatr"),
    ("foetal", "fetal"),
    ("diarrhoea", "diarrhea"),
    ("tumour", "tumor"),
    ("orthopaed", "orthoped"),
    ("gynaecolog", "gynecolog"),
    ("oestrogen", "estrogen"),
    ("ischaem", "ischem"),
    ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"),
    ("behaviour", "behavior"),
)
_PUNCTUATION = re.compile(r"[\s\-_/,;:()\[\]]+")


def normalise(text: str) -> str:
    """Lower case, ASCII apostrophes, American spelling, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    for british, american in _SPELLINGS:
        text = text.replace(british, american)
    return _PUNCTUATION.sub(" ", text).strip()
