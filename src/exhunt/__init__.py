"""exhunt: exposure checks and compromise hunting for on-premises Microsoft Exchange."""

__version__ = "0.1.0"
