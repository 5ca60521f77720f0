"""Streaming, header-driven readers for the logs the hunt reads (README, "Log hunt", "Speed").

- `reader`: newline-aligned UTF-8 blocks from any file (BOM, UTF-16, NUL junk, huge lines).
- `prefilter`: many patterns over raw blocks in one pass (hyperscan).
- `scan`: one pass per file yielding only directive, candidate and edge lines, with numbers.
- `w3c`, `exchange_csv`, `oab`: the formats (IIS; HttpProxy, ECP Server, Rps_Http; OAB generator).
- `ecp`, `urls`, `rps_token`: decoding of ECP event data, URLs and ProxyShell's X-Rps-CAT.
"""
