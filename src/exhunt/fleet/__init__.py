"""Hunting many hosts: one work queue for all of them, a Dask cluster when one machine is not
enough, and a store that keeps every hunt for comparison and resumption."""
