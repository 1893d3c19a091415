"""Genomic vault models (files, subject keys, variant index)."""
