"""Defence line: road/rail graph, corridors, chokepoints, rail-link assessment, obstacle parks, deployment plans."""
