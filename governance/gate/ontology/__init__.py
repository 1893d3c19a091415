"""Reading disease ontologies: parsers for MONDO JSON, OBO, SSSOM and ICD-10, and
the cross-vocabulary resolution the matcher uses."""
