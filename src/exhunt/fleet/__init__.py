"""Hunting many hosts: one work queue for all of them, a Dask cluster when one machine is not
enough, and a store that keeps every hunt for comparison and resumption."""

# A unit of work running longer than this (seconds) is stopped and its files reported as timed out.
DEFAULT_DEADLINE = 1800.0
