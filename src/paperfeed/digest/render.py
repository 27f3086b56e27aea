"""The digest email: an HTML part (inline CSS, a dark-mode variant) and a plain-text part with
the same papers, and the headers of a list message (RFC 2369 ``List-Unsubscribe``, RFC 8058
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, RFC 2919 ``List-Id``, RFC 3834
``Auto-Submitted``).

Each paper's block is rendered once and shared by every digest that holds
it; a digest adds only its "why you see this" lines and its links.

The text part is what many mail clients, screen readers and archives show:
each paper starts a line of its own after a blank line, and every line fits
in 78 characters (RFC 5322 §2.1.1) except a link, which is never broken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from paperfeed.config import Settings
from paperfeed.digest.select import DigestContent
from paperfeed.ids import arxiv_pdf_url
from paperfeed.models import Paper
from paperfeed.digest.subscriptions import manage_token
from paperfeed.formatting import FILTERS, MAIL_WIDTH, counted, mail_lines, short_authors

TEMPLATES = Path(__file__).parent / "templates"
SUMMARY_CHARS = 420
_WHY = "[[WHY]]"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[“\"])")


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subscription_id: int
    period: str
    to: str
    subject: str
    html: str
    text: str
    unsubscribe_url: str  # the RFC 8058 one-click URL (List-Unsubscribe)
    papers: int


def summary(paper: Paper) -> str:
    """Two sentences: the paper's AI summary when it has one, else the abstract's first two."""
    text = " ".join((paper.ai_summary or paper.abstract or "").split())
    sentences = _SENTENCE_END.split(text)
    short = " ".join(sentences[:2])
    return short if len(short) <= SUMMARY_CHARS else short[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


class DigestRenderer:
    def __init__(self, settings: Settings, secret: str) -> None:
        self.settings, self.secret = settings, secret
        self.base_url = settings.public_url
        self.domain = (settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost")
        self.html_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                                    trim_blocks=True, lstrip_blocks=True)
        self.html_env.filters.update(FILTERS)
        self._blocks: dict[str, tuple[str, str]] = {}

    def render(self, content: DigestContent) -> RenderedDigest:
        subscription, period = content.subscription, content.period
        token = manage_token(self.secret, subscription)
        first = content.top[0] if content.top else content.picks[0].paper if content.picks else None
        kind = "Daily papers" if period.kind == "daily" else "Papers of the week"
        heading = f"{kind}: {period.label}"
        subject = f"{kind}, {period.label}" + (f": {_one_line(first.title, 90)}" if first else "")
        top_html, top_text = zip(*(self._block(paper, "") for paper in content.top)) if content.top else ((), ())
        pick_html, pick_text = (zip(*(self._block(pick.paper, pick.why) for pick in content.picks))
                                if content.picks else ((), ()))
        context = {
            "site_name": self.settings.site_name, "heading": heading, "subject": subject, "base_url": self.base_url,
            "listing_url": self.base_url + listing_path(period),
            "frequency": subscription.frequency, "email": subscription.email,
            "preferences_url": f"{self.base_url}/subscription/{token}",
            "unsubscribe_url": f"{self.base_url}/unsubscribe/{token}",
        }
        html = self.html_env.get_template("digest.html").render(
            top=[Markup(block) for block in top_html], picks=[Markup(block) for block in pick_html], **context)
        text = text_digest(top_text, pick_text, **context)
        return RenderedDigest(subscription.id, period.key, subscription.email, subject, html, text,
                              f"{self.base_url}/unsubscribe/{token}/one-click", content.paper_count)

    def _block(self, paper: Paper, why: str) -> tuple[str, str]:
        """The paper's HTML and text blocks, with this subscriber's reason."""
        if paper.id not in self._blocks:
            url, pdf = f"{self.base_url}/papers/{paper.id}", arxiv_pdf_url(paper.id)
            context = {"paper": paper, "url": url, "pdf": pdf, "summary": summary(paper)}
            self._blocks[paper.id] = (self.html_env.get_template("_paper.html").render(context),
                                      text_block(paper, url, pdf, context["summary"]))
        html, text = self._blocks[paper.id]
        why_html = (f'<div class="why" style="font-size:13px;color:#8a6100;margin-top:6px;">Why you see this: {escape(why)}</div>'
                    if why else "")
        why_text = "".join(f"{line}\n" for line in mail_lines(f"Why: {why}", indent="  ")) if why else ""
        return html.replace(_WHY, why_html), text.replace(_WHY, why_text)

    def message(self, rendered: RenderedDigest, *, now: datetime | None = None) -> EmailMessage:
        """The MIME message: multipart/alternative, text first (RFC 2046 §5.1.4: the preferred part last)."""
        message = EmailMessage(policy=SMTP)
        message["From"] = self.settings.mail_from
        message["To"] = rendered.to
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(now or datetime.now(UTC))
        message["Message-ID"] = f"<digest.{rendered.subscription_id}.{rendered.period.replace(':', '.')}@{self.domain}>"
        message["List-Id"] = f"{self.settings.site_name} digest <digest.{self.domain}>"
        message["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def listing_path(period) -> str:
    """The site's page that lists the papers of a digest's period."""
    if period.kind == "weekly":
        return f"/papers/week/{period.key.split(':', 1)[1]}"
    return f"/papers/date/{period.first_day.isoformat()}"


def text_block(paper: Paper, url: str, pdf: str | None, summary_text: str) -> str:
    """One paper in the text part: title, byline, summary, links; each line within
    :data:`MAIL_WIDTH` but the links. Ends with the place of the subscriber's reason."""
    byline = (f"{counted(paper.upvotes, 'upvote')} · " if paper.upvotes else "") + short_authors(paper.authors, 5)
    lines = [*mail_lines(f"* {paper.title}", indent="  "), *mail_lines(byline, indent="  ", first="  "),
             *mail_lines(summary_text, indent="  ", first="  "), f"  {url}"]
    if pdf:
        lines.append(f"  PDF: {pdf}")
    return "\n".join(lines) + "\n" + _WHY


def text_digest(top: Sequence[str], picks: Sequence[str], *, heading: str, listing_url: str, site_name: str,
                base_url: str, frequency: str, email: str, preferences_url: str, unsubscribe_url: str,
                **_unused) -> str:
    """The whole text part: heading, the sections of paper blocks (a blank line before each), the footer."""
    parts = [f"{heading}\n{'=' * min(len(heading), MAIL_WIDTH)}\n", *_lines(f"The full list: {listing_url}")]
    for title, blocks in (("TOP PAPERS", top), ("PICKED FOR YOU", picks)):
        if blocks:
            parts.append(f"\n{title}\n")
            parts.extend(f"\n{block}" for block in blocks)
    parts.append("\n-- \n")
    parts.extend(_lines(f"You get this {frequency} digest of {site_name} ({base_url}/) at {email}."))
    parts.extend(_lines(f"Change what you get or when: {preferences_url}"))
    parts.extend(_lines(f"Unsubscribe (one click): {unsubscribe_url}"))
    return "".join(parts)


def _lines(text: str) -> list[str]:
    return [f"{line}\n" for line in mail_lines(text)]
