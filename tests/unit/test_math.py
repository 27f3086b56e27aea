"""TeX math in titles, abstracts and comments as MathML (issue 16, item 2): which dollar signs open a
formula, that what does not render stays as typed, that nothing in a formula becomes markup, and how
search highlights and formulas combine. The pages themselves: tests/integration/test_math_pages.py."""

import re
import xml.etree.ElementTree as ElementTree

import pytest

from paperfeed.formatting import (MATHML_ATTRIBUTES, MATHML_TAGS, counted, formula_mathml, formulas, math_html,
                                  marked_math_html, short_authors)
from paperfeed.search.highlighting import highlight, query_stems


def _formula_sources(text: str) -> list[str]:
    return [text[formula.start:formula.end] for formula in formulas(text)]


@pytest.mark.parametrize(("text", "found"), [
    # Real titles and abstracts of the bundled sample and arXiv.
    ("PanGu-$π$: Enhancing Language Model Architectures", ["$π$"]),
    ("MVD$^2$: Efficient Multiview 3D Reconstruction", ["$^2$"]),
    (r"attention in $\mathcal{O}(n^2)$ time and memory", [r"$\mathcal{O}(n^2)$"]),
    (r"a learning rate of $10^{-3}$ and $\sim$50% fewer steps", [r"$10^{-3}$", r"$\sim$"]),
    (r"inline \(B_j(s) = \beta_j\) and displayed \[x^2\] and $$E = mc^2$$",
     [r"\(B_j(s) = \beta_j\)", r"\[x^2\]", "$$E = mc^2$$"]),
    # Prices and stray dollars are no formulas (Pandoc's rule).
    ("SWE-Lancer: Can Frontier LLMs Earn $1 Million from Real-World Freelance Software Engineering?", []),
    ("It costs $5 and $10 a month", []),
    ("from $5-$10 each", []),
    ("Fixing 7,400 Bugs for 1$: Cheap Crash-Site Program Repair", []),
    ("an unbalanced $x^2 sign", []),
    ("$ x$ has a space after the opening dollar", []),
    # An escaped dollar is a dollar sign, never a delimiter.
    (r"\$OneMillion-Bench: How Far are Language Agents from Human Experts?", []),
    (r"between \$5 and $k$ items", ["$k$"]),
])
def test_which_dollar_signs_open_a_formula(text, found):
    assert _formula_sources(text) == found


def test_formulas_render_as_mathml_with_their_tex_as_annotation():
    html = math_html(r"PanGu-$π$ in $\mathcal{O}(n^2)$ with lr $10^{-3}$")
    assert html.count('<math display="inline">') == 3
    assert "PanGu-<math" in html and "<mi>π</mi>" in html
    assert "<msup><mi>n</mi><mn>2</mn></msup>" in html and "<mi>𝒪</mi>" in html
    assert "<msup><mn>10</mn><mrow><mo>−</mo><mn>3</mn></mrow></msup>" in html
    assert r'<annotation encoding="application/x-tex">\mathcal{O}(n^2)</annotation>' in html
    assert '<math display="block">' in math_html("$$E = mc^2$$")


@pytest.mark.parametrize("text", [
    r"$\frac{a}{$ unbalanced braces",
    r"an $\unknowncommand x$ latex2mathml does not know",
    r"$\text{\foo}$ in text mode",
    "It costs $5 and $10 a month",
])
def test_what_does_not_render_stays_as_typed(text):
    html = math_html(text)
    assert "<math" not in html and html == text.replace("&", "&amp;")


def test_escaped_special_characters_show_as_the_characters():
    assert math_html(r"\$OneMillion-Bench") == "$OneMillion-Bench"
    assert math_html(r"about 10\% faster, R\&D, C\#, snake\_case; \aka stays") == (
        r"about 10% faster, R&amp;D, C#, snake_case; \aka stays")


@pytest.mark.parametrize("text", [
    r"$\text{<script>alert(1)</script>}$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\href{javascript:alert(1)}{x}$",
    r"$\color{red;background:url(x)}{x}$",
    r"$a<b$ <b>bold</b> & <script>alert(2)</script>",
    r"$\mathrm{<b>}$ \(</math><script>alert(3)</script>\)",
])
def test_nothing_in_a_formula_becomes_markup(text):
    html = str(math_html(text))
    # The whole output parses as XML whose elements are MathML's, with MathML's attributes only.
    root = ElementTree.fromstring(f"<root>{html}</root>")
    for element in root.iter():
        assert element.tag == "root" or element.tag in MATHML_TAGS
        assert set(element.attrib) <= MATHML_ATTRIBUTES
        assert "javascript" not in " ".join(element.attrib.values())
        assert ";" not in element.attrib.get("mathcolor", "")
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "href=" not in html


def test_a_formula_is_never_cut_by_a_highlight():
    title = "PanGu-$\\pi$: Enhancing Language Model Architectures via Nonlinearity Compensation"
    segments = highlight(title, query_stems(("pi", "language")))
    assert {"type": "highlight", "text": "pi"} in segments  # the highlighter itself marks inside the formula
    html = marked_math_html(segments)
    assert "<mark><math" in html and "</math></mark>" in html  # the formula is marked whole
    assert "<mark>Language</mark>" in html
    assert "\\pi" not in re.sub(r"<annotation.*?</annotation>", "", html)


def test_highlights_outside_formulas_are_kept():
    abstract = r"We cut attention from $\mathcal{O}(n^2)$ to linear time; attention stays exact."
    html = marked_math_html(highlight(abstract, query_stems(("attention",))))
    assert html.count("<mark>attention</mark>") == 2
    assert "<mark><math" not in html and "<math" in html


def test_one_mathml_per_formula_however_often_it_is_shown():
    formula_mathml.cache_clear()
    for _ in range(3):
        math_html("PanGu-$π$")
    assert formula_mathml.cache_info().misses == 1


@pytest.mark.parametrize(("count", "noun", "said"), [
    (0, "paper", "0 papers"), (1, "paper", "1 paper"), (2, "paper", "2 papers"), (1_234, "paper", "1,234 papers"),
    (1, "problem", "1 problem"), (3, "entry", "3 entries"), (2, "delivery", "2 deliveries"), (2, "day", "2 days"),
    (2, "match", "2 matches"), (1, "other", "1 other"), (5, "more problem", "5 more problems"),
])
def test_counts_agree_with_their_nouns(count, noun, said):
    assert counted(count, noun) == said


def test_long_author_lists_never_say_1_others():
    for length in range(1, 12):
        text = short_authors([f"Author {n}" for n in range(length)])
        assert "1 others" not in text
    assert short_authors([f"A{n}" for n in range(7)]) == "A0, A1, A2, A3 and 3 others"
    assert short_authors([f"A{n}" for n in range(5)]) == "A0, A1, A2, A3, A4"


LONG_ABSTRACT = ("Large language models are slow to decode. " * 6
                 + r"We bound the cost by $\mathcal{O}(n \log n)$ and show that speculative decoding "
                 + "with rejected drafts keeps the output distribution. " + "Experiments follow. " * 10)


def test_a_result_shows_the_sentence_of_its_first_highlight_not_the_whole_abstract():
    html = marked_math_html(highlight(LONG_ABSTRACT, query_stems(("speculative",))), snippet=200)
    text = re.sub(r"<math.*?</math>", "F", str(html))
    assert text.startswith("… We bound the cost by F and show that <mark>speculative</mark>")
    assert text.endswith(" …") and len(text) < 220 and "Experiments follow. Experiments" in text


def test_a_snippet_never_cuts_a_formula_and_a_short_text_is_shown_whole():
    for size in range(30, 360, 7):
        html = str(marked_math_html(highlight(LONG_ABSTRACT, query_stems(("bound",))), snippet=size))
        assert "$" not in re.sub(r"<annotation.*?</annotation>", "", html)  # whole formulas or none
    short = "Sparse attention, $O(n)$."
    assert marked_math_html(highlight(short, query_stems(("sparse",))), snippet=200) == marked_math_html(
        highlight(short, query_stems(("sparse",))))
    first = str(marked_math_html(highlight(LONG_ABSTRACT, query_stems(("large",))), snippet=120))
    assert first.startswith("<mark>Large</mark> language") and first.endswith(" …")
