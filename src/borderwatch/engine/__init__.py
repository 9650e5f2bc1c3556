"""The engine: one stepper for batch runs and the live service (see :mod:`borderwatch.engine.stepper`).

Import the drivers from their modules (``borderwatch.engine.batch``); this package exports the core only.
"""

from borderwatch.engine.stepper import DecisionRefused, Delta, Engine, Frame, RunConfig, TrackLog, World

__all__ = ["DecisionRefused", "Delta", "Engine", "Frame", "RunConfig", "TrackLog", "World"]
