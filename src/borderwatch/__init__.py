"""borderwatch: decision support for the people who defend a land border."""

__version__ = "0.1.0"
