"""Company names and what is not one: legal forms ("GmbH", "b.v.", "a.G."), street lines, slogans.

Shared by the labelled values (a name after "Seller:") and the letterhead scan (a name by its layout).
"""

from __future__ import annotations

import re

from core.providers.local.normalize import fold
from core.providers.local.textlayer import Word


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Legal forms that end a company name. Short ones only count in capitals ("AS", not "as").
_LEGAL_FORMS_ANY_CASE = _words(
    "gmbh ltd limited inc llc llp plc corp corporation company sarl sas aps a/s oy oyj srl spa pty kgaa ohg"
)
_LEGAL_FORMS_CAPITALS = _words("AS ASA SA AB NV SE AG BV KG UG SL SPA")
# Written with dots, short forms count in any case ("bol.com b.v.", "a.G.", "e.V.").
_LEGAL_FORMS_DOTTED = _words("bv nv ag sa ev eg as se sl spa srl sarl plc ltd inc co kg pvtltd")


def ends_with_legal_form(words: list[Word]) -> bool:
    return is_legal_form(words[-1].text)


def is_legal_form(text: str) -> bool:
    last = text.strip(",;()")
    compact = last.replace(".", "")
    if len(compact) > 4 and compact.islower() and compact.isalpha():
        return False  # "their company", "limited time": words, not the legal form of a name
    return (
        fold(compact) in _LEGAL_FORMS_ANY_CASE
        or compact in _LEGAL_FORMS_CAPITALS
        or ("." in last and fold(compact) in _LEGAL_FORMS_DOTTED)
    )


def name_phrases(phrase: list[Word]) -> list[list[Word]]:
    """A phrase cut where a company name ends: at a lone dash ("Au bon moulin SARL - 1242 chemin ...")
    and after a legal form followed by more words ("Free SAS au capital de ...", "Hetzner Online GmbH
    Industriestr. 25"), and the pieces that end in a legal form."""
    pieces: list[list[Word]] = [[]]
    for word in phrase:
        if word.text in ("-", "–", "—", "−"):
            pieces.append([])
        else:
            pieces[-1].append(word)
    out: list[list[Word]] = []
    for piece in pieces:
        if not piece:
            continue
        cut = next((i for i, w in enumerate(piece) if i > 0 and is_legal_form(w.text)), None)
        while cut is not None and cut + 1 < len(piece):
            if is_legal_form(piece[cut + 1].text):
                cut += 1  # "Pvt. Ltd."
            elif (
                piece[cut + 1].text in ("&", "und")
                and cut + 2 < len(piece)
                and is_legal_form(piece[cut + 2].text)
            ):
                cut += 2  # "GmbH & Co. KG"
            else:
                break
        rest = piece[cut + 1 :] if cut is not None else []
        # Cut off what follows the legal form when it is not part of the name: an address or a clause.
        if (
            cut is not None
            and rest
            and (any(c.isdigit() for w in rest for c in w.text) or rest[0].text[:1].islower())
        ):
            out.append(piece[: cut + 1])
        else:
            out.append(piece)
    return out


def join_legal_forms(phrases: list[list[Word]]) -> list[list[Word]]:
    """A legal form set apart by a wide gap still ends the name before it ("MUSTERLIEFERANT   GMBH")."""
    out: list[list[Word]] = []
    for phrase in phrases:
        if out and all(is_legal_form(w.text) for w in phrase) and not ends_with_legal_form(out[-1]):
            out[-1] = [*out[-1], *phrase]
        else:
            out.append(phrase)
    return out


def looks_like_prose(words: list[Word]) -> bool:
    """A sentence or slogan ("Dat betaal ik zelf wel."), not a name: several lower-case words."""
    lower = sum(1 for w in words if w.text.isalpha() and w.text.islower())
    return len(words) >= 3 and lower >= 2


_STREET_ENDINGS = (
    "strasse",
    "straße",
    "str.",
    "street",
    "weg",
    "allee",
    "platz",
    "laan",
    "straat",
    "gasse",
    "road",
    "avenue",
)
_STREET_WORDS = frozenset({"rue", "chemin", "via", "calle", "avenida", "boulevard", "bd"})


_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}-)?\d{4,5}$")


def looks_like_address(words: list[Word]) -> bool:
    """A street line ("Lieferantenstraße 20", "27 rue Henri Rolland") or a postcode and town
    ("DE 80333 München", "D-63571 Gelnhausen", "3012 CN Rotterdam")."""
    folded = [w.text.casefold().strip(",") for w in words]
    street = any(t.endswith(_STREET_ENDINGS) or t in _STREET_WORDS for t in folded)
    numbered = any(t[:1].isdigit() and len(t) <= 5 for t in folded)
    town = len(words) <= 4 and any(_POSTCODE.match(w.text.strip(",")) for w in words)
    return (street and numbered) or town


def name_like(words: list[Word]) -> bool:
    """A name starts with a capital or digit, holds no "Label:", is no street and no sentence."""
    first = words[0].text.lstrip("(\"'")
    if not first or not (first[0].isupper() or first[0].isdigit()):
        return False
    if any(w.text.endswith(":") for w in words) or looks_like_address(words):
        return False
    lower = sum(1 for w in words if w.text.isalpha() and w.text.islower())
    return not (len(words) >= 3 and lower >= 2)


def only_legal_form(words: list[Word]) -> bool:
    """A legal form and nothing of a name: "GmbH", "GmbH & Co. KG"."""
    return all(is_legal_form(w.text) or w.text in ("&", "und") for w in words)
