"""The keyword index: BM25 over title and abstract, in tantivy.

Chosen by measurement (issue 3): at 1M documents on 2 cores tantivy answered
top-10 queries in 0.4 ms median against 27 ms for SQLite FTS5 and 43 ms for
bm25s, with a 274 MB index. The index is a derived directory beside the
database; :data:`SCHEMA_VERSION` changes force a rebuild.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import tantivy

from paperfeed.search.authors import author_keys, fold
from paperfeed.search.documents import plain_words
from paperfeed.search.query import SearchQuery

SCHEMA_VERSION = 3  # 2: authors (names, and their keys for exact lookups); 3: words as written, plain formulas
# The title's weight against the abstract's. Chosen on the SciFact train split and known-item queries
# (bench/search_levers.py: 0.25 and 0.5 alike on SciFact, 0.25 best for recalled papers, 1.0 worse on both).
TITLE_BOOST = 0.25
# Author names count a little in ordinary queries ("pfister tokenizer"); a query that *is* a
# name is looked up by its key instead (SearchService), which ranks that person's papers first.
AUTHORS_BOOST = 0.3
NAME_TOKENIZER = "name_fold"
WORD_TOKENIZER = "word_lower"
# Query by example (similar papers): how many distinctive terms, and how rare a term must not be
# (a word in a single paper says nothing about others). Chosen on CSFCube (bench/quality.py).
MLT_MAX_TERMS = 100
MLT_MIN_DOC_FREQUENCY = 2
_WRITER_HEAP_BYTES = 128 * 2**20

log = logging.getLogger(__name__)


class KeywordSearchFailed(Exception):
    """tantivy panicked twice on one query, once on a fresh searcher: the caller answers without
    the keyword half rather than with an error page."""


def _is_panic(error: BaseException) -> bool:
    # pyo3 raises a Rust panic as pyo3_runtime.PanicException, a BaseException made at run time
    # (no module to import it from), so it is recognised by name.
    return type(error).__name__ == "PanicException"


@dataclass(frozen=True, slots=True)
class KeywordDocument:
    """What the keyword index holds of a paper."""

    paper_id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    day: date | None  # the paper's date, for date filters
    authors: tuple[str, ...] = ()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("abstract", tokenizer_name="en_stem")
    builder.add_text_field("category", tokenizer_name="raw")
    builder.add_text_field("authors", tokenizer_name=NAME_TOKENIZER)
    builder.add_text_field("author_key", tokenizer_name="raw")  # authors.author_keys, one term each
    # Every word as written (lower case, not stemmed), for the spelling check: which words exist,
    # and the written form of a stem ("tokenizer", not "token"). Document ids only: never scored.
    builder.add_text_field("words", tokenizer_name=WORD_TOKENIZER, index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    return builder.build()


def stemming_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of tantivy's ``en_stem`` tokenizer, for highlighting the same terms it matches."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def name_analyzer() -> tantivy.TextAnalyzer:
    """Names as words, lower case, accents folded ("Wáng" matches "wang")."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build())


def word_analyzer() -> tantivy.TextAnalyzer:
    """Words as written, lower case: what the spelling check compares a typed word with."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .build())


def _day_number(day: date | None) -> int:
    return day.year * 10_000 + day.month * 100 + day.day if day else 0


class KeywordIndex:
    """A tantivy index in ``directory``; created empty if missing."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.schema = _schema()
        directory.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(directory), reuse=True)
        self.index.register_tokenizer(NAME_TOKENIZER, name_analyzer())
        self.index.register_tokenizer(WORD_TOKENIZER, word_analyzer())
        # What an ordinary query searches: each field with the analyzer it was indexed with, and its weight.
        stems = stemming_analyzer()
        self._fields = (("title", stems, TITLE_BOOST), ("abstract", stems, 1.0),
                        ("authors", name_analyzer(), AUTHORS_BOOST))

    @classmethod
    def recreate(cls, directory: Path) -> KeywordIndex:
        """An empty index in ``directory``, replacing whatever was there."""
        shutil.rmtree(directory, ignore_errors=True)
        return cls(directory)

    def upsert(self, documents: Iterable[KeywordDocument]) -> int:
        """Add or replace documents (matched on paper id) and commit. Returns how many."""
        writer = self.index.writer(heap_size=_WRITER_HEAP_BYTES, num_threads=1)
        count = 0
        for document in documents:
            writer.delete_documents_by_term("id", document.paper_id)
            # The plain forms of the formulas ("mvd2" for MVD$^2$) are a second value of the abstract:
            # a field of their own, a few words long where most papers have none, scored next to nothing
            # in BM25 (its length norm is against an average of almost 0).
            plain = plain_words(f"{document.title}\n{document.abstract}")
            fields = {"id": document.paper_id, "title": document.title,
                      "abstract": [document.abstract, plain] if plain else document.abstract,
                      "day": _day_number(document.day), "words": [document.title, document.abstract, plain]}
            if document.categories:
                fields["category"] = list(document.categories)
            if document.authors:
                fields["authors"] = list(document.authors)
                fields["author_key"] = sorted({key for name in document.authors for key in author_keys(name)})
            writer.add_document(tantivy.Document(**fields))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return count

    def by_author(self, key: str, *, limit: int, since: date | None = None, until: date | None = None,
                  categories: tuple[str, ...] = ()) -> list[str]:
        """Ids of the papers with an author of this key (:func:`authors.author_keys`) within the
        filters, newest first."""
        clauses = self._filter_clauses(since=since, until=until, categories=categories, author_key=key)
        query = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            result = searcher.search(query, limit, order_by_field="day", order=tantivy.Order.Desc)
            return [(searcher.doc(address)["id"][0], 1.0) for _score, address in result.hits]

        return [paper_id for paper_id, _ in self._guarded(run)]

    def stem_frequency(self, term: str) -> int:
        """How many papers hold this analysed term (a stem) in their title or abstract (formulas' plain
        forms included)."""
        searcher = self.index.searcher()
        return max(searcher.doc_freq(field, term) for field in ("title", "abstract"))

    def name_frequency(self, word: str) -> int:
        """How many papers have an author with this word in their name (accents and case folded)."""
        return self.index.searcher().doc_freq("authors", fold(word))

    def written_frequency(self, word: str) -> int:
        """How many papers hold ``word`` as written in any field: title, abstract, a formula's plain
        form (field ``words``), or an author's name (accents folded there); the larger count."""
        searcher = self.index.searcher()
        return max(searcher.doc_freq("words", word.lower()), searcher.doc_freq("authors", fold(word)))

    def words_starting(self, prefix: str) -> list[tuple[str, int]]:
        """The words papers hold as written (text and authors' names) that begin with ``prefix``, with
        how many papers hold each (the larger count where a word is in both)."""
        searcher = self.index.searcher()
        counts: dict[str, int] = {}
        for field, start in (("words", prefix.lower()), ("authors", fold(prefix))):
            for word, papers in searcher.terms_with_prefix(field, start):
                counts[word] = max(counts.get(word, 0), papers)
        return list(counts.items())

    def coverage(self, stems: Iterable[str], paper_ids: Sequence[str]) -> dict[str, int]:
        """How many of ``stems`` (analysed terms) each of ``paper_ids`` holds in its title or abstract;
        papers with none are left out. One query: within the papers' ids, a constant score of 1
        for each stem the paper holds, so a paper's score is its count."""
        stems, paper_ids = sorted(set(stems)), list(dict.fromkeys(paper_ids))
        if not stems or not paper_ids:
            return {}
        per_stem = [(tantivy.Occur.Should, tantivy.Query.const_score_query(tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, term))
             for field in ("title", "abstract")]), 1.0)) for term in stems]
        query = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.const_score_query(
                tantivy.Query.term_set_query(self.schema, "id", paper_ids), 0.0)),
            (tantivy.Occur.Must, tantivy.Query.boolean_query(per_stem))])

        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            return [(searcher.doc(address)["id"][0], score)
                    for score, address in searcher.search(query, len(paper_ids)).hits]

        return {paper_id: round(score) for paper_id, score in self._guarded(run)}

    def earliest_holders(self, words: Sequence[str], paper_ids: Sequence[str], *, rarest_share: float = 1.0) -> list[str]:
        """Those of ``paper_ids`` whose title or abstract holds ``words`` as a phrase (stemmed, in
        order), oldest first (undated papers last); [] when even the rarest of the words is in more
        than ``rarest_share`` of the papers (a phrase of common words: "large language models")."""
        terms = [term for word in words for term in stemming_analyzer().analyze(word)]
        paper_ids = list(dict.fromkeys(paper_ids))
        if len(terms) < 2 or not paper_ids:
            return []
        searcher = self.index.searcher()
        if min(self.stem_frequency(term) for term in terms) > rarest_share * searcher.num_docs:
            return []
        phrase = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.phrase_query(self.schema, field, terms))
                                              for field in ("title", "abstract")])
        query = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "id", paper_ids)),
            (tantivy.Occur.Must, phrase)])

        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            hits = searcher.search(query, len(paper_ids), order_by_field="day", order=tantivy.Order.Asc).hits
            return [(searcher.doc(address)["id"][0], float(day)) for day, address in hits]

        found = self._guarded(run)
        return [paper_id for paper_id, day in found if day > 0] + [paper_id for paper_id, day in found if day <= 0]

    def admitted(self, paper_ids: Sequence[str], *, since: date | None = None, until: date | None = None,
                 categories: tuple[str, ...] = (), author_key: str | None = None) -> set[str]:
        """Those of ``paper_ids`` that pass the filters, as :meth:`search` applies them (no database read)."""
        paper_ids = list(dict.fromkeys(paper_ids))
        filters = self._filter_clauses(since=since, until=until, categories=categories, author_key=author_key)
        if not paper_ids or not filters:
            return set(paper_ids)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "id", paper_ids))] + filters)

        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            return [(searcher.doc(address)["id"][0], 0.0) for _, address in searcher.search(query, len(paper_ids)).hits]

        return {paper_id for paper_id, _ in self._guarded(run)}

    def author_known(self, key: str) -> bool:
        """Whether any paper has an author of this key."""
        return self.index.searcher().doc_freq("author_key", key) > 0

    def count(self) -> int:
        """How many papers the index holds."""
        return self.index.searcher().num_docs

    def _filter_clauses(self, *, since: date | None, until: date | None, categories: tuple[str, ...],
                        author_key: str | None) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses = []
        if author_key:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "author_key", author_key)))
        if since or until:
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "day", tantivy.FieldType.Integer,
                _day_number(since) if since else None, _day_number(until) if until else None)))
        if categories:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "category",
                                                                             list(categories))))
        return clauses

    def _guarded(self, run: Callable[[tantivy.Searcher], list[tuple[str, float]]]) -> list[tuple[str, float]]:
        """``run(searcher)``; if tantivy panics, once more on a freshly reloaded searcher, then
        :class:`KeywordSearchFailed`. A panic is a BaseException, which no ``except Exception``
        and no error page would catch: the visitor would get a bare 500."""
        for attempt in (1, 2):
            try:
                return run(self.index.searcher())
            except BaseException as error:
                if not _is_panic(error):
                    raise
                log.warning("the keyword index panicked (attempt %d): %s", attempt, error)
                if attempt == 2:
                    raise KeywordSearchFailed(str(error)) from None
                self.index.reload()
        raise AssertionError("unreachable")

    def similar(self, title: str, abstract: str, *, limit: int, max_terms: int = MLT_MAX_TERMS) -> list[tuple[str, float]]:
        """Papers that share this text's most distinctive words, best first (query by example).

        Lucene's MoreLikeThis: the text is analysed like the indexed fields, and its
        ``max_terms`` terms with the highest tf·idf, with
        idf = ln(1 + (N − df + 0.5) / (df + 0.5)) as in BM25, form a query of
        term queries, each boosted by its weight over the best term's. Unlike the search box's parser it keeps
        the distinctive words of a long abstract, not its first words.

        tantivy's own More Like This (0.27) panics (``bm25.rs:53 "N >= df"``) once the
        index holds replaced papers: it counts N over live documents only, while a term's
        df still counts the replaced copies until a merge drops them (tantivy PR #2964).
        Here N is never below df.
        """
        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            query = self._example_query(searcher, {"title": title, "abstract": abstract}, max_terms)
            if query is None:
                return []
            return [(searcher.doc(address)["id"][0], score) for score, address in searcher.search(query, limit).hits]

        return self._guarded(run)

    def _example_query(self, searcher: tantivy.Searcher, fields: dict[str, str], max_terms: int):
        analyzer = stemming_analyzer()
        live = searcher.num_docs
        weighted = []
        for field, text in fields.items():
            for term, frequency in Counter(analyzer.analyze(text or "")).items():
                doc_frequency = searcher.doc_freq(field, term)
                if doc_frequency < MLT_MIN_DOC_FREQUENCY:
                    continue
                documents = max(live, doc_frequency)
                idf = math.log(1 + (documents - doc_frequency + 0.5) / (doc_frequency + 0.5))
                weighted.append((frequency * idf, field, term))
        weighted.sort(key=lambda item: (-item[0], item[1], item[2]))
        best = weighted[0][0] if weighted else 1.0
        clauses = [(tantivy.Occur.Should, tantivy.Query.boost_query(
            tantivy.Query.term_query(self.schema, field, term, index_option="basic"), weight / best))
            for weight, field, term in weighted[:max_terms] if weight > 0]
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def _words_query(self, query: SearchQuery) -> tantivy.Query | None:
        """BM25 of each word and phrase of ``query`` in each field, boosted, summed: what tantivy's
        query parser builds for the words (never operators) and quoted phrases over the same
        fields, but as one flat disjunction rather than one disjunction per word. The scores are the same sums; a flat
        disjunction of term queries lets tantivy skip the blocks of documents that cannot reach
        the top k (block-max WAND, Ding & Suel, SIGIR 2011): half the time at 1M papers
        (bench/search_speed_large.py). A word its field's analyzer splits ("gpt-4") is a phrase
        in that field, as with the parser. None when no word leaves a term."""
        clauses = []
        for field, analyzer, boost in self._fields:
            groups = [[word] for word in query.words] + [list(phrase) for phrase in query.phrases if len(phrase) > 1]
            for group in groups:
                terms = [term for word in group for term in analyzer.analyze(word)]
                if not terms:
                    continue
                if len(terms) == 1:
                    leaf = tantivy.Query.term_query(self.schema, field, terms[0], index_option="freq")
                else:
                    leaf = tantivy.Query.phrase_query(self.schema, field, terms)
                clauses.append((tantivy.Occur.Should, leaf if boost == 1 else tantivy.Query.boost_query(leaf, boost)))
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def search(
        self, query: SearchQuery, *, limit: int, since: date | None = None, until: date | None = None,
        categories: tuple[str, ...] = (), author_key: str | None = None,
    ) -> list[tuple[str, float]]:
        """``(paper_id, bm25_score)`` of the best matches, best first, within the filters (with
        ``author_key``, only that author's papers)."""
        words = self._words_query(query)
        if words is None:
            return []
        clauses = [(tantivy.Occur.Must, words)] + self._filter_clauses(
            since=since, until=until, categories=categories, author_key=author_key)
        final = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

        def run(searcher: tantivy.Searcher) -> list[tuple[str, float]]:
            return [(searcher.doc(address)["id"][0], score) for score, address in searcher.search(final, limit).hits]

        return self._guarded(run)
