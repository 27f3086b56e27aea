"""One exception hierarchy; the CLI and the web layer turn these into clear messages."""


class PaperfeedError(Exception):
    """Base of every error paperfeed raises on purpose."""


class ConfigError(PaperfeedError):
    """A setting is missing or invalid."""


class InvalidInput(PaperfeedError):
    """User input (a CLI argument, an API parameter, a URL part) is malformed.

    ``field`` names the offending parameter so the message can point at it.
    """

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class RecordError(InvalidInput):
    """A record in an input file cannot be loaded; the rest of the file still is."""


class AlreadyListed(InvalidInput):
    """The paper is on the daily page already."""


class NotFound(PaperfeedError):
    """The thing asked for does not exist (an unknown paper id, an empty day)."""


class NotSignedIn(PaperfeedError):
    """The page or action needs a signed-in member."""


class Forbidden(PaperfeedError):
    """Not allowed: a member without the role this needs, or changing what is not theirs (or banned)."""


class CsrfError(PaperfeedError):
    """A form arrived without the token of the session that showed it."""


class TooManyRequests(PaperfeedError):
    """Over a rate limit: ``retry_after`` seconds until the next request may pass."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"Too many {what} attempts: try again in {retry_after} seconds.")
        self.retry_after = retry_after


class FetchError(PaperfeedError):
    """A request failed for good (after its retries): the URL, and why."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


class UpstreamUnavailable(PaperfeedError):
    """arXiv did not answer (after retries); nothing was stored."""


class MailError(PaperfeedError):
    """The SMTP server refused the message or could not be reached."""


class BackupError(PaperfeedError):
    """The backup or restore could not be made."""


class TransferError(PaperfeedError):
    """The target is not empty, or the counts differ after the copy."""

