"""Why a request is refused. Each error's ``code`` is the contract's error code."""


class QueueError(Exception):
    """A request the queue rules refuse; nothing changed."""
    code = "not_allowed"


class BadRequest(QueueError, ValueError):
    """The request itself is malformed."""
    code = "bad_request"


class UnknownCounter(QueueError, LookupError):
    """No counter with that id in the site TOML."""
    code = "unknown_counter"


class UnknownService(QueueError, LookupError):
    """No service with that id, or not one the kiosk or counter offers."""
    code = "unknown_service"


class UnknownTicket(QueueError, LookupError):
    """No such ticket today, or not one this counter may call."""
    code = "unknown_ticket"


class NotAllowed(QueueError):
    """The request does not fit the current state (no ticket to recall, counter closed...)."""
    code = "not_allowed"


class Stale(QueueError):
    """A press made for a ticket the counter no longer holds."""
    code = "stale"


class TooSoon(QueueError):
    """The same press again too soon (a recall inside the cooldown): nothing is announced."""
    code = "too_soon"


class Closed(QueueError):
    """The service takes no tickets now (hours, break, cutoff, quota, holiday)."""
    code = "closed"

    def __init__(self, text_en: str, text_id: str, reason: str = "closed"):
        super().__init__(text_en)
        self.text_id = text_id
        self.reason = reason
