"""Windows event logs: readers for `.evtx` files and JSON exports, one normalised record for
all of them (`EventRecord`), and the detectors that run over those records."""

from exhunt.events.evtx_file import read_evtx
from exhunt.events.jsonl import read_event_json
from exhunt.events.normalise import normalise
from exhunt.events.record import EventRecord

__all__ = ["EventRecord", "normalise", "read_event_json", "read_evtx"]
