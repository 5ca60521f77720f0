"""Outputs a responder hands on: the HTML report, the forensic timeline and STIX indicators.

Every writer takes a `HuntResult` (direct from a hunt, or re-read from its `exhunt.hunt/1`
JSON) and treats every string that came from evidence as hostile.
"""
