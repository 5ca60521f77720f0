"""A page that enumerates the server it runs on: the drives a shell's file manager starts from,
the environment variables and network interfaces of its "server info" tab (T1082, T1083, T1016).
Medium on its own, high in the Exchange sign-in folders. Kept quiet: a method of the site's own
that happens to share a name, a page reporting its own process or one environment variable, a
monitoring page listing processes and services, and administration code in source files."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page
from exhunt.model import Severity
from files_support import OWA_AUTH, by_rule, hunt, server_file

RULE = "EXH-WS-CODE-HOST-RECON"

SHELLS = [
    (
        "drives.aspx",
        cs_page("foreach (string d in Environment.GetLogicalDrives()) Response.Write(d);"),
        "GetLogicalDrives",
    ),
    (
        "drives_vb.aspx",
        vb_page("For Each d As String In System.IO.Directory.GetLogicalDrives()\nResponse.Write(d)\nNext"),
        "Directory.GetLogicalDrives",
    ),
    (
        "driveinfo.aspx",
        cs_page('foreach (var d in System.IO.DriveInfo.GetDrives()) Response.Write(d.Name + " " + d.TotalFreeSpace);'),
        "DriveInfo.GetDrives",
    ),
    (
        "env.aspx",
        cs_page(
            "foreach (System.Collections.DictionaryEntry v in Environment.GetEnvironmentVariables()) "
            'Response.Write(v.Key + "=" + v.Value);'
        ),
        "Environment.GetEnvironmentVariables",
    ),
    (
        "nic.aspx",
        cs_page(
            "foreach (var n in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()) "
            "Response.Write(n.Name);"
        ),
        "NetworkInterface.GetAllNetworkInterfaces",
    ),
]


@pytest.mark.parametrize(("name", "code", "api"), SHELLS, ids=[s[0] for s in SHELLS])
def test_page_enumerating_the_server(name: str, code: str, api: str) -> None:
    assert_found(name, code, RULE, ["enumerates the server it runs on", api])


BENIGN = [
    ("store.aspx", cs_page("foreach (var d in Store.GetDrives()) Response.Write(d);")),
    (
        "status.aspx",
        cs_page(
            "Label1.Text = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64.ToString() + "
            'Environment.MachineName + Environment.GetEnvironmentVariable("COMPUTERNAME");'
        ),
    ),
    (
        "monitor.aspx",
        cs_page(
            "foreach (var p in System.Diagnostics.Process.GetProcesses()) Response.Write(p.ProcessName);\n"
            "foreach (var s in System.ServiceProcess.ServiceController.GetServices()) Response.Write(s.Status);"
        ),
    ),
    (
        "DriveMonitor.cs",
        "public class DriveMonitor {\n    public long Free() { long n = 0; foreach (var d in System.IO.DriveInfo.GetDrives()) "
        "n += d.AvailableFreeSpace; return n; }\n}",
    ),
    (
        "ServiceMonitor.cs",
        "using System.ServiceProcess;\npublic class ServiceMonitor {\n"
        "    public int Running() { int n = 0; foreach (var s in ServiceController.GetServices()) "
        "if (s.Status == ServiceControllerStatus.Running) n++; return n; }\n}",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_own_methods_own_process_and_code_files_are_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


def test_recon_is_medium_in_a_site_and_high_in_owa_auth(tmp_path: Path) -> None:
    code = SHELLS[0][1].encode()
    site = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\drives.aspx", code)))
    auth = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\drives.aspx", code)))
    assert site[RULE].severity is Severity.MEDIUM
    assert auth[RULE].severity is Severity.HIGH
