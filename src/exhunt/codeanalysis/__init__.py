"""What ASP.NET server code can do: parse it, fold away its obfuscation, follow request data.

`analyze_code(data, name)` is the entry point (see `analysis.py`); the file hunt calls it for
pages, handlers, services, Global.asax, code files and web.config that hold server code.
"""

from exhunt.codeanalysis.analysis import analyze_code
from exhunt.codeanalysis.report import Capability, CodeProblem, CodeReport

__all__ = ["Capability", "CodeProblem", "CodeReport", "analyze_code"]
