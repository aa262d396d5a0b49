"""Taiyuan demo data: a deterministic generator of regions, sites, deputies, units and accounts."""
