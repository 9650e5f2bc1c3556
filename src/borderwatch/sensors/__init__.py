"""Sensors: acoustic nodes (signal chain + fast report model), radars, ADS-B; coverage and Pd maps."""
