"""Readers and writers for the formats other systems speak (GeoJSON, later ASTERIX, CoT, ADS-B, OSM)."""
