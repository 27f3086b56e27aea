import pytest

from paperfeed.errors import InvalidInput
from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url, parse_paper_id


@pytest.mark.parametrize(
    ("raw", "canonical", "version"),
    [
        ("2406.01234", "2406.01234", None),
        ("2406.01234v2", "2406.01234", 2),
        ("arXiv:2406.01234v12", "2406.01234", 12),
        ("ARXIV:0704.0001", "0704.0001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v3", "hep-th/9901001", 3),
        ("math.GT/0309136", "math/0309136", None),
        ("cs/9301111", "cs/9301111", None),
        ("acl:2024.acl-long.1", "acl:2024.acl-long.1", None),
        ("arxiv:2301.00001", "2301.00001", None),
        ("  2406.01234  ", "2406.01234", None),
    ],
)
def test_accepted_ids_become_canonical(raw, canonical, version):
    parsed = parse_paper_id(raw)
    assert (parsed.canonical, parsed.version) == (canonical, version)


@pytest.mark.parametrize(
    "raw", ["", "foo", "foo bar", "2406.123", "24060.1234", "ACL:x", "acl:", "acl:has space", "../../etc/passwd",
            "<script>", "2406.01234v", "x" * 500]
)
def test_other_ids_are_refused_with_the_reason(raw):
    with pytest.raises(InvalidInput) as caught:
        parse_paper_id(raw)
    assert caught.value.field == "id"
    assert "neither an arXiv id" in caught.value.reason


def test_links_exist_only_for_arxiv_papers():
    assert arxiv_abs_url("hep-th/9901001") == "https://arxiv.org/abs/hep-th/9901001"
    assert arxiv_pdf_url("2406.01234") == "https://arxiv.org/pdf/2406.01234"
    assert arxiv_abs_url("acl:2024.acl-long.1") is None
