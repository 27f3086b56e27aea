"""arXiv's taxonomy: its archives, their categories, and the OAI-PMH set that holds each.

The one list of arXiv categories in paperfeed. It is arXiv's category taxonomy
(https://arxiv.org/category_taxonomy), the active archives and categories of
arxiv-base's ``arxiv/taxonomy/definitions.py`` as of 2026. An *archive* (``cs``,
``math``, ``hep-th``, ``physics``) holds *categories* (``cs.CL``, ``physics.optics``);
an archive without subject classes (``hep-th``, ``quant-ph``) is its own single category.

A user names archives and categories alike (``paperfeed fetch arxiv --categories cs,hep-th,math.AG``):
an archive means all of its categories, as arXiv's own OAI-PMH sets do. The sets
(``verb=ListSets``) are groups and, inside the physics group, its archives: ``cs``, ``math``,
``q-bio``, ``stat`` ..., ``physics:hep-th``, ``physics:astro-ph``, and ``physics:physics`` for
the archive named physics (the set ``physics`` alone is the whole physics group).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from paperfeed.errors import InvalidInput

# archive -> its subject classes (empty: the archive is a category of its own)
ARCHIVES: dict[str, tuple[str, ...]] = {
    "astro-ph": ("CO", "EP", "GA", "HE", "IM", "SR"),
    "cond-mat": ("dis-nn", "mes-hall", "mtrl-sci", "other", "quant-gas", "soft", "stat-mech", "str-el",
                 "supr-con"),
    "cs": ("AI", "AR", "CC", "CE", "CG", "CL", "CR", "CV", "CY", "DB", "DC", "DL", "DM", "DS", "ET", "FL", "GL",
           "GR", "GT", "HC", "IR", "IT", "LG", "LO", "MA", "MM", "MS", "NA", "NE", "NI", "OH", "OS", "PF", "PL",
           "RO", "SC", "SD", "SE", "SI", "SY"),
    "econ": ("EM", "GN", "TH"),
    "eess": ("AS", "IV", "SP", "SY"),
    "gr-qc": (),
    "hep-ex": (),
    "hep-lat": (),
    "hep-ph": (),
    "hep-th": (),
    "math": ("AC", "AG", "AP", "AT", "CA", "CO", "CT", "CV", "DG", "DS", "FA", "GM", "GN", "GR", "GT", "HO", "IT",
             "KT", "LO", "MG", "MP", "NA", "NT", "OA", "OC", "PR", "QA", "RA", "RT", "SG", "SP", "ST"),
    "math-ph": (),
    "nlin": ("AO", "CD", "CG", "PS", "SI"),
    "nucl-ex": (),
    "nucl-th": (),
    "physics": ("acc-ph", "ao-ph", "app-ph", "atm-clus", "atom-ph", "bio-ph", "chem-ph", "class-ph", "comp-ph",
                "data-an", "ed-ph", "flu-dyn", "gen-ph", "geo-ph", "hist-ph", "ins-det", "med-ph", "optics",
                "plasm-ph", "pop-ph", "soc-ph", "space-ph"),
    "q-bio": ("BM", "CB", "GN", "MN", "NC", "OT", "PE", "QM", "SC", "TO"),
    "q-fin": ("CP", "EC", "GN", "MF", "PM", "PR", "RM", "ST", "TR"),
    "quant-ph": (),
    "stat": ("AP", "CO", "ME", "ML", "OT", "TH"),
}
# The archives that are groups of their own; every other archive is in the physics group.
_GROUP_ARCHIVES = frozenset({"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"})


def categories_of(archive: str) -> tuple[str, ...]:
    """``cs`` -> ``("cs.AI", ..., "cs.SY")``; ``hep-th`` -> ``("hep-th",)``."""
    subjects = ARCHIVES[archive]
    return tuple(f"{archive}.{subject}" for subject in subjects) if subjects else (archive,)


CATEGORIES = tuple(category for archive in ARCHIVES for category in categories_of(archive))
# What a user may type, in any case: archives and categories, to their spelling at arXiv.
_NAMES = {name.lower(): name for name in (*ARCHIVES, *CATEGORIES)}


def archive_of(category: str) -> str:
    """``cs.CL`` -> ``cs``; ``hep-th`` -> ``hep-th``; a paper's old category ``astro-ph`` -> ``astro-ph``."""
    return category.split(".", 1)[0]


def oai_set_of(name: str) -> str:
    """The OAI set holding an archive or category: ``cs.CL`` and ``cs`` -> ``cs``, ``hep-th`` ->
    ``physics:hep-th``, ``astro-ph.CO`` -> ``physics:astro-ph``, ``physics.optics`` -> ``physics:physics``."""
    archive = archive_of(name)
    return archive if archive in _GROUP_ARCHIVES else f"physics:{archive}"


def parse_categories(text: str, *, field: str = "categories") -> list[str]:
    """``"cs, hep-th math.ag"`` -> ``["cs", "hep-th", "math.AG"]``: archives and categories, separated by
    commas or spaces, in arXiv's spelling. An unknown name is an :class:`InvalidInput` that lists
    the valid ones."""
    names = [part for part in re.split(r"[,\s]+", text) if part]
    if not names:
        raise InvalidInput("name at least one arXiv archive or category, e.g. cs or cs.CL,cs.LG", field=field)
    chosen = []
    for name in names:
        known = _NAMES.get(name.lower())
        if known is None:
            raise InvalidInput(_unknown(name), field=field)
        chosen.append(known)
    return list(dict.fromkeys(chosen))


def selects(wanted: Iterable[str], categories: Sequence[str] | None) -> bool:
    """Whether a paper in ``categories`` is in the archives and categories ``wanted``."""
    names = set(wanted)
    return any(category in names or archive_of(category) in names for category in categories or ())


def _unknown(name: str) -> str:
    shown = repr(name[:40])
    archive = _NAMES.get(archive_of(name).lower())
    if archive in ARCHIVES and ARCHIVES[archive]:
        return (f"{shown} is not an arXiv category; {archive} has {', '.join(categories_of(archive))} "
                f"(or {archive} for all of them)")
    lines = [f"{archive}: {' '.join(categories_of(archive))}" if ARCHIVES[archive] else archive
             for archive in ARCHIVES]
    return (f"{shown} is neither an arXiv archive nor a category. The archives, each with its categories "
            "(an archive means all of them):\n  " + "\n  ".join(lines))
