"""The consent gate: ontologies, the DUO matcher and decisions.

``Decision`` is built only in this package; everything that reads personal data for
a purpose demands one.
"""
