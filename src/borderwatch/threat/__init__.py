"""Threat evaluation: identity, border-crossing prediction, threatened assets, alerts."""

from borderwatch.threat.alerts import Alert, AlertBook, AlertKind
from borderwatch.threat.assess import ThreatAssessor
from borderwatch.threat.config import ThreatConfig, load_threat_config
from borderwatch.threat.model import Assessment, Identity, TrackPoint

__all__ = [
    "Alert",
    "AlertBook",
    "AlertKind",
    "Assessment",
    "Identity",
    "ThreatAssessor",
    "ThreatConfig",
    "TrackPoint",
    "load_threat_config",
]
