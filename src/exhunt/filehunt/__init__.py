"""The file-system hunt's building blocks: where a file sits, what is known about it, what it holds.

`exhunt.analyzers.files` and `exhunt.analyzers.iisconfig` put these together; each module here
has one job (locations, indicator lists, allow-lists, content rules, heuristics, safe XML).
"""
