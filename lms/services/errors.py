"""The base of the domain errors that services raise and views turn into messages."""


class DomainError(Exception):
    """A rule of the domain said no; `str(error)` is safe to show once translated by the view."""
