"""caresim: a discrete-event simulator of integrated health and social care."""

__version__ = "0.2.0"
