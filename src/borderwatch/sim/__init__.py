"""Scenarios and ground truth: target classes, motion models, raids, stray drones, civil traffic."""

from borderwatch.sim.catalogue import TargetCatalogue, TargetClass, load_catalogue
from borderwatch.sim.engine import simulate
from borderwatch.sim.scenario import Scenario, check_scenario, list_presets, load_scenario
from borderwatch.sim.truth import TargetInfo, TruthTable, read_truth, write_truth

__all__ = [
    "Scenario",
    "TargetCatalogue",
    "TargetClass",
    "TargetInfo",
    "TruthTable",
    "check_scenario",
    "list_presets",
    "load_catalogue",
    "load_scenario",
    "read_truth",
    "simulate",
    "write_truth",
]
