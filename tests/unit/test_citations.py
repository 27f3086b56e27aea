"""What the citation exports write for the titles, names and ids that real records carry (the
files themselves are read back by the parsers in tests/integration/test_citations.py)."""

from datetime import date

import pybtex.database
import pytest

from paperfeed.catalog.citations import Name, bibtex, bibtex_text, citation_key, plain_text, split_name
from paperfeed.models import Paper


@pytest.mark.parametrize(("title", "written"), [
    (r"Prefill \& Decode", r"Prefill \& Decode"),  # arXiv's escape stays (it became \textbackslash{}\&)
    ("PanGu-$π$: Enhancing", "PanGu-$π$: Enhancing"),  # math stays (it became PanGu-\$π\$)
    ("MVD$^2$ and $\\mathcal{O}(n^2)$ time", "MVD$^2$ and $\\mathcal{O}(n^2)$ time"),
    ("Q&A in 97.23% of #1 cases", r"Q\&A in 97.23\% of \#1 cases"),
    ("Earn $1 Million, $5 and $10", r"Earn \$1 Million, \$5 and \$10"),
    ("Fixing 7,400 Bugs for 1$: Cheap", r"Fixing 7,400 Bugs for 1\$: Cheap"),
    (r"\$OneMillion-Bench", r"\$OneMillion-Bench"),
    ("A Simple L_2 Norm for SL^{2}A", r"A Simple L\_2 Norm for SL\textasciicircum{}{2}A"),
    ("{BERT} and {\\em emphasis}", "{BERT} and {\\em emphasis}"),
    ("unbalanced { and } then }", r"unbalanced { and } then \textbraceright{}"),
    ("an open { brace", r"an open \textbraceleft{} brace"),
    ("math with a lone brace ${x$ here", r"math with a lone brace \$\textbraceleft{}x\$ here"),
    ("Fig.~1 is ~10x faster", r"Fig.~1 is \textasciitilde{}10x faster"),
    ("G\\\"odel, Network\\ for it", "G\\\"odel, Network\\ for it"),
    ("a trailing backslash \\", r"a trailing backslash \textbackslash{}"),
    ("  spaces\n\tcollapse  ", "spaces collapse"),
])
def test_bibtex_text_keeps_latex_and_escapes_the_rest(title, written):
    assert bibtex_text(title) == written
    entry = Paper(id="2401.00001", title=title, authors=["Ada Lovelace"])
    parsed = pybtex.database.parse_string(bibtex([entry]), "bibtex")  # BibTeX's brace rules hold
    assert parsed.entries[citation_key(entry)].fields["title"] == "{" + written + "}"


@pytest.mark.parametrize(("text", "plain"), [
    (r"Prefill \& Decode", "Prefill & Decode"),
    ("PanGu-$π$", "PanGu-$π$"),
    (r"G\"odel, {\'e}cole, \c{c}a, \v{s}", "Gödel, école, ça, š"),
    (r"\$5 and 100\% \_ \#1", "$5 and 100% _ #1"),
    ("Q&A", "Q&A"),
])
def test_plain_text_reads_escapes_back(text, plain):
    assert plain_text(text) == plain


@pytest.mark.parametrize(("authors", "title", "year", "key"), [
    (["Aleksandar Stanić"], "Towards Truly Zero-shot Compositional Visual Reasoning", 2024, "stanic2024towards"),
    (["Yudong Jin"], "4DAnyone: Create Anyone in 4D", 2026, "jin2026_4danyone"),
    (["Łukasz Staniszewski"], "TADA! Tuning Audio Diffusion Models", 2026, "staniszewski2026tada"),
    (["Yunhe Wang"], "PanGu-$π$: Enhancing Language Model Architectures", 2023, "wang2023pangu"),
    (["Sadeep Jayasumana"], "$λ$-ECLIPSE: Multi-Concept Personalized", 2024, "jayasumana2024eclipse"),
    (["Vincent van Gogh"], "The Starry Night", 1889, "gogh1889starry"),
    (["张三"], "A study of things", 2020, "zhangsan2020study"),
    ([], "On the Role of Discreteness", None, "anonrole"),
    (["Ada Lovelace"], "$x$", 2026, "lovelace2026paper"),
])
def test_citation_keys_are_ascii_family_year_word(authors, title, year, key):
    paper = Paper(id="2401.00001", title=title, authors=authors, published_on=date(year, 1, 2) if year else None)
    assert citation_key(paper) == key and key.isascii()


def test_keys_are_unique_within_a_file():
    same = [Paper(id=f"2401.0000{n}", title="Attention Is All You Need", authors=["Ashish Vaswani"],
                  published_on=date(2017, 6, 12)) for n in range(1, 4)]
    keys = list(pybtex.database.parse_string(bibtex(same), "bibtex").entries)
    assert keys == ["vaswani2017attention", "vaswani2017attentionb", "vaswani2017attentionc"]


@pytest.mark.parametrize(("name", "parts"), [
    ("Ada Lovelace", Name("Lovelace", "Ada")),
    ("Vincent van Gogh", Name("van Gogh", "Vincent")),
    ("Martin Luther King Jr.", Name("King", "Martin Luther", "Jr.")),
    ("Lovelace, Ada", Name("Lovelace", "Ada")),
    ("Plato", Name("Plato")),
    ("  Grace   Murray  Hopper ", Name("Hopper", "Grace Murray")),
])
def test_names_split_into_family_and_given(name, parts):
    assert split_name(name) == parts


def test_a_name_with_and_in_it_stays_one_author():
    paper = Paper(id="2401.00001", title="Team work", authors=["Research and Development", "Ada Lovelace"])
    persons = pybtex.database.parse_string(bibtex([paper]), "bibtex").entries[citation_key(paper)].persons["author"]
    assert [str(person) for person in persons] == ["{Research and Development}", "Lovelace, Ada"]
