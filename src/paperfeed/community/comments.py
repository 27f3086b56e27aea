"""Comments on papers: Markdown, sanitised; threaded replies; edit and delete your own; reports
and the moderators' queue (hide a comment, ban its author).

Rendering: markdown-it-py (CommonMark, raw HTML off, so ``<script>`` stays text), with TeX
formulas ($...$, \\(...\\), as in titles and abstracts) read before Markdown's emphasis and shown as
MathML (:func:`paperfeed.formatting.formula_mathml`); then nh3 (the ammonia sanitiser) keeps a small
set of tags and MathML's, only http(s)/mailto links, and marks every link
``rel="nofollow ugc noopener noreferrer"`` (user-generated content, as search engines ask).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from paperfeed.db import comments as repo
from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.users import UserRow
from paperfeed.errors import Forbidden, InvalidInput, NotFound
from paperfeed.formatting import MATHML_ATTRIBUTES, MATHML_TAGS, formula_at, formula_mathml

MAX_COMMENT_CHARS = 10_000
MAX_DEPTH = 6  # replies to deeper comments attach to the deepest allowed level
MODERATORS = ("moderator", "admin")
ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}} | {tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS}


def _math_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline rule for a formula that renders: one token, so that Markdown never reads
    its ``_`` and ``*`` as emphasis nor its ``\\(`` as an escaped parenthesis."""
    formula = formula_at(state.src, state.pos)
    if formula is None or formula.end > state.posMax or not formula_mathml(formula.latex, display=formula.display):
        return False
    if not silent:
        token = state.push("math", "", 0)
        token.content, token.meta = formula.latex, {"display": formula.display}
    state.pos = formula.end
    return True


def _render_math(self, tokens, index, options, env) -> str:
    return formula_mathml(tokens[index].content, display=tokens[index].meta["display"])


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_markdown.inline.ruler.before("escape", "math", _math_rule)
_markdown.add_render_rule("math", _render_math)


def render_markdown(text: str) -> str:
    """Safe HTML for a comment written in Markdown."""
    html = _markdown.render(text)
    return nh3.clean(html, tags=ALLOWED_TAGS | MATHML_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow ugc noopener noreferrer")


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("write something first", field="body")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"at most {MAX_COMMENT_CHARS:,} characters (this has {len(body):,})", field="body")
    return body


def is_moderator(user: UserRow | None) -> bool:
    return user is not None and user.role in MODERATORS


def add_comment(engine: sa.Engine, user: UserRow, paper_id: str, body: str, *, parent_id: int | None = None,
                now: datetime | None = None) -> int:
    body = _check_body(body)
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        if not papers_repo.get_papers(connection, [paper_id]):
            raise NotFound(f"no paper {paper_id}")
        if parent_id is not None:
            parent = repo.get_comment(connection, parent_id)
            if parent is None or parent["paper_id"] != paper_id:
                raise InvalidInput("the comment you reply to is not on this paper", field="parent_id")
        comment_id = repo.insert_comment(connection, paper_id=paper_id, user_id=user.id, parent_id=parent_id,
                                         body=body, body_html=render_markdown(body), now=now)
        repo.recount(connection, [paper_id])
        return comment_id


def edit_comment(engine: sa.Engine, user: UserRow, comment_id: int, body: str, *, now: datetime | None = None) -> str:
    """Change your own comment; returns its paper id."""
    body = _check_body(body)
    with write_transaction(engine) as connection:
        comment = _own(connection, user, comment_id)
        repo.update_comment(connection, comment_id, body=body, body_html=render_markdown(body),
                            edited_at=now or datetime.now(UTC))
        return comment["paper_id"]


def delete_comment(engine: sa.Engine, user: UserRow, comment_id: int, *, now: datetime | None = None) -> str:
    """Delete your own comment (moderators may delete any); replies stay. Returns the paper id."""
    with write_transaction(engine) as connection:
        comment = repo.get_comment(connection, comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}")
        if comment["user_id"] != user.id and not is_moderator(user):
            raise Forbidden("you can delete only your own comments")
        repo.update_comment(connection, comment_id, body="", body_html="", deleted_at=now or datetime.now(UTC))
        repo.recount(connection, [comment["paper_id"]])
        return comment["paper_id"]


def report_comment(engine: sa.Engine, user: UserRow, comment_id: int, reason: str, *,
                   now: datetime | None = None) -> str:
    reason = (reason or "").strip()[:1000] or "no reason given"
    with write_transaction(engine) as connection:
        comment = repo.get_comment(connection, comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}")
        repo.add_report(connection, comment_id, user.id, reason, now=now or datetime.now(UTC))
        return comment["paper_id"]


def moderate(engine: sa.Engine, moderator: UserRow, comment_id: int, *, action: str,
             now: datetime | None = None) -> None:
    """``hide`` the comment, ``ban`` its author (and hide it), or ``dismiss`` the reports."""
    if not is_moderator(moderator):
        raise Forbidden("only moderators can do this")
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        comment = repo.get_comment(connection, comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}")
        if action in ("hide", "ban"):
            repo.update_comment(connection, comment_id, hidden_at=now)
            repo.recount(connection, [comment["paper_id"]])
        if action == "ban":
            repo.ban(connection, comment["user_id"], now=now)
        repo.resolve_reports(connection, comment_id, now=now)


@dataclass(slots=True)
class CommentView:
    id: int
    author: str | None  # None once the author deleted their account
    html: str
    created_at: datetime
    edited: bool
    deleted: bool
    hidden: bool
    mine: bool
    body: str = ""  # the Markdown, for the author's edit form only
    children: list[CommentView] = field(default_factory=list)


def thread(connection: sa.Connection, paper_id: str, viewer: UserRow | None) -> list[CommentView]:
    """The paper's comments as a tree, oldest first. Hidden comments show only to moderators;
    deleted ones keep their place when they have replies."""
    moderator = is_moderator(viewer)
    views: dict[int, CommentView] = {}
    roots: list[CommentView] = []
    rows = repo.comments_of_paper(connection, paper_id)
    for row in rows:
        hidden = row["hidden_at"] is not None
        view = CommentView(row["id"], row["username"], "" if hidden and not moderator else row["body_html"],
                           _aware(row["created_at"]), row["edited_at"] is not None, row["deleted_at"] is not None,
                           hidden, mine := viewer is not None and row["user_id"] == viewer.id,
                           row["body"] if mine else "")
        views[row["id"]] = view
        parent = views.get(row["parent_id"]) if row["parent_id"] else None
        (parent.children if parent else roots).append(view)
    return [view for view in roots if _worth_showing(view, moderator)]


def _worth_showing(view: CommentView, moderator: bool) -> bool:
    view.children = [child for child in view.children if _worth_showing(child, moderator)]
    if view.hidden and not moderator:
        return bool(view.children)
    return not view.deleted or bool(view.children)


def _own(connection: sa.Connection, user: UserRow, comment_id: int) -> dict:
    comment = repo.get_comment(connection, comment_id)
    if comment is None or comment["deleted_at"] is not None:
        raise NotFound(f"no comment {comment_id}")
    if comment["user_id"] != user.id:
        raise Forbidden("you can edit only your own comments")
    return comment


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def count_visible(views: list[CommentView]) -> int:
    """Comments shown with their text; the replies under a deleted or hidden one count too (as the
    paper's stored count does)."""
    return sum((0 if view.deleted or view.hidden else 1) + count_visible(view.children) for view in views)
