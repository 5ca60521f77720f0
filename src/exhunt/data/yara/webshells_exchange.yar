/*
  exhunt content rules: web shells Exchange itself was tricked into writing.

  Written for exhunt from the published structure of these files (exhunt's detection notes:
  docs/detection/proxyshell.md). Each rule's `exhunt_id` names the catalog
  rule (exhunt/data/rules/files.toml) that explains it.
*/

rule exhunt_oab_config_dump_with_script
{
    meta:
        exhunt_id = "EXH-WS-OAB-CONFIG"
        description = "OAB virtual directory property dump whose ExternalUrl/InternalUrl holds server code (CVE-2021-27065 / CVE-2021-26858)"
        evidence = "$url_code"
    strings:
        $prop1 = "OfflineAddressBooks" nocase ascii wide
        $prop2 = "PollInterval" nocase ascii wide
        $prop3 = "InternalAuthenticationMethods" nocase ascii wide
        $prop4 = "ExtendedProtectionTokenChecking" nocase ascii wide
        $prop5 = "ExternalAuthenticationMethods" nocase ascii wide
        // the URL value itself carries the script tag or page code
        $url_code = /(External|Internal)Url[ \t]*[:=][^\r\n]{0,600}(<[ \t]*script|<%|runat[ \t]*=|eval[ \t]*\()/ nocase ascii wide
        $url_word = /(External|Internal)Url/ nocase ascii wide
        $code1 = /<script[^>]{0,200}runat[ \t]*=[ \t]*["']?server/ nocase ascii wide
        $code2 = /function[ \t]+Page_Load[ \t]*\(/ nocase ascii wide
        $code3 = /eval[ \t]*\([ \t]*Request/ nocase ascii wide
    condition:
        filesize < 4MB and
        (
            (2 of ($prop*) and $url_code) or
            ($prop3 and $prop4 and $url_word and any of ($code*))
        )
}

rule exhunt_pst_container_with_page_code
{
    meta:
        exhunt_id = "EXH-WS-PST-ASPX"
        description = "Outlook PST file (!BDN) carrying ASP.NET page code: a mailbox export written as a web page (ProxyShell)"
    strings:
        $page = /<%@[ \t]*(page|webhandler|webservice)\b/ nocase
        $lang = /Page[ \t]+Language[ \t]*=/ nocase
        $script = /<script[^>]{0,200}runat[ \t]*=[ \t]*["']?server/ nocase
        $eval = /eval[ \t]*(\/\*[^*]{0,40}\*\/[ \t]*)*\([ \t]*Request/ nocase
        $b64 = /FromBase64String[ \t]*\([ \t]*(Context\.|HttpContext\.Current\.)?Request/ nocase
        $wide_script = "runat=\"server\"" nocase wide
    condition:
        uint32(0) == 0x4E444221 and any of them
}

rule exhunt_der_request_with_page_code
{
    meta:
        exhunt_id = "EXH-WS-DER-ASPX"
        description = "DER certificate request (0x30 0x82) carrying ASP.NET page code: New-ExchangeCertificate -RequestFile written as a web page (ProxyShell)"
    strings:
        $page = /<%@[ \t]*(page|webhandler|webservice)\b/ nocase
        $lang = /Page[ \t]+Language[ \t]*=/ nocase
        $script = /<script[^>]{0,200}runat[ \t]*=[ \t]*["']?server/ nocase
        $eval = /eval[ \t]*\([ \t]*Request/ nocase
    condition:
        uint16be(0) == 0x3082 and filesize < 256KB and any of them
}
