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


class NotFound(PaperfeedError):
    """The thing asked for does not exist (an unknown paper id, an empty day)."""

