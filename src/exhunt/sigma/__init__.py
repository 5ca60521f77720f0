"""Sigma rules on Windows event logs and on Exchange's web logs, evaluated in process."""
