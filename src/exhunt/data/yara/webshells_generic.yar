/*
  exhunt content rules: ASP.NET web shells by what they do, not by who wrote them.

  Written for exhunt. Each rule keys on a capability no genuine Exchange or ASP.NET page needs
  together with server-side code: evaluating request data, starting processes and returning
  their output, loading assemblies sent in a request, tunnelling sockets, and the "spy" shells
  that bundle all of it. The China Chopper facts come from the readme bundled with its client.
  `exhunt_id` names the catalog rule (exhunt/data/rules/files.toml) that explains each one.
*/

private rule exhunt_server_side_code
{
    strings:
        $open = "<%" ascii wide
        $runat = /runat[ \t]*=[ \t]*["']?server/ nocase ascii wide
    condition:
        any of them
}

rule exhunt_chopper_jscript_eval
{
    meta:
        exhunt_id = "EXH-WS-CHOPPER"
        description = "JScript page evaluating request data (China Chopper one-liner, padded or obfuscated)"
    strings:
        $dir_js = /<%@[^%]{0,300}language[ \t]*=[ \t]*["']?[ \t]*(jscript|javascript|js)\b/ nocase ascii wide
        $tag_js1 = /<script[^>]{0,200}language[ \t]*=[ \t]*["']?(jscript|javascript|js)\b[^>]{0,200}runat[ \t]*=[ \t]*["']?server/ nocase ascii wide
        $tag_js2 = /<script[^>]{0,200}runat[ \t]*=[ \t]*["']?server[^>]{0,200}language[ \t]*=[ \t]*["']?(jscript|javascript|js)\b/ nocase ascii wide
        // eval( with optional comment padding between name and parenthesis
        $eval = /\beval[ \t\r\n]*(\/\*[^*]{0,64}\*\/[ \t\r\n]*)*\(/ ascii wide
        $unsafe = /["']unsafe["']/ ascii wide
        $unsafe_hex = /\\x75\\x6e\\x73\\x61/ nocase ascii wide
        $request = /\bRequest[ \t]*(\.[ \t]*(Item|Form|QueryString|Params))?[ \t]*[\[(]/ ascii wide
        // strings assembled from single characters ("e"+"v"+"a"+"l"), with or without comment padding
        $char_split = /(["'][a-zA-Z(\[]["'][ \t]*(\/\*[^*]{0,16}\*\/[ \t]*)*\+[ \t]*(\/\*[^*]{0,16}\*\/[ \t]*)*){4}/ ascii wide
    condition:
        any of ($dir_js, $tag_js1, $tag_js2) and $eval and any of ($unsafe, $unsafe_hex, $request, $char_split)
}

rule exhunt_eval_of_request_data
{
    meta:
        exhunt_id = "EXH-WS-EVAL-REQUEST"
        description = "Server code handing request data to a script evaluator (JScriptEvaluate, eval/Execute of Request)"
    strings:
        $jse = /JScriptEvaluate[ \t]*\([^;]{0,200}Request/ ascii wide
        $eval_req = /\beval[ \t]*\([ \t]*(Context\.|HttpContext\.Current\.)?Request[ \t]*[\.\[(]/ ascii wide
        $asp_eval = /<%[ \t]*(eval|execute|executeglobal)[ \t]*\(?[ \t]*request[ \t]*[\.\[(]/ nocase ascii wide
        $vbs_exec = /\b(execute|executeglobal)[ \t]*\(?[ \t]*request[ \t]*\(/ nocase ascii wide
    condition:
        exhunt_server_side_code and any of them
}

rule exhunt_process_with_output
{
    meta:
        exhunt_id = "EXH-WS-PROCESS-EXEC"
        description = "Server page starting a process or command shell and handing its output back (command-execution web shell)"
    strings:
        $start1 = "ProcessStartInfo" nocase ascii wide
        $start2 = /Process[ \t]*\.[ \t]*Start[ \t]*\(/ nocase ascii wide
        $start3 = /new[ \t]+(System\.Diagnostics\.)?Process[ \t]*\(/ nocase ascii wide
        $start4 = "WScript.Shell" nocase ascii wide
        $start5 = "Shell.Application" nocase ascii wide
        $io1 = "RedirectStandardOutput" nocase ascii wide
        $io2 = /StandardOutput[ \t]*\.[ \t]*ReadToEnd/ nocase ascii wide
        $io3 = /StandardInput[ \t]*\.[ \t]*WriteLine/ nocase ascii wide
        $io4 = /\.StdOut\b/ nocase ascii wide
        $io5 = /\.Exec[ \t]*\(/ nocase ascii wide
        $shell1 = "cmd.exe" nocase ascii wide
        $shell2 = /cmd(\.exe)?[ \t]*\/c\b/ nocase ascii wide
        $shell3 = "powershell" nocase ascii wide
    condition:
        exhunt_server_side_code and any of ($start*) and (any of ($io*) or any of ($shell*))
}

rule exhunt_assembly_from_request
{
    meta:
        exhunt_id = "EXH-WS-ASSEMBLY-LOAD"
        description = "Server code loading a .NET assembly from request bytes (Behinder/Godzilla-style reflective loader)"
    strings:
        $load1 = /Assembly[ \t]*\.[ \t]*Load[ \t]*\(/ nocase ascii wide
        $load2 = /GetMethod[ \t]*\([ \t]*["']Load["']/ nocase ascii wide
        $load3 = /AppDomain\.CurrentDomain\.Load[ \t]*\(/ nocase ascii wide
        $req1 = /Request[ \t]*\.[ \t]*BinaryRead[ \t]*\(/ nocase ascii wide
        $req2 = /FromBase64String[ \t]*\([ \t]*(Context\.|HttpContext\.Current\.|this\.)?Request/ nocase ascii wide
        $req3 = /Request[ \t]*\.[ \t]*InputStream/ nocase ascii wide
        $req4 = /Request[ \t]*(\.[ \t]*(Form|Item|Params|QueryString))?[ \t]*\[/ ascii wide
        $crypt = /CreateDecryptor|TransformFinalBlock/ ascii wide
    condition:
        exhunt_server_side_code and any of ($load*) and (any of ($req1, $req2, $req3) or ($crypt and $req4))
}

rule exhunt_xslt_script_from_page
{
    meta:
        exhunt_id = "EXH-WS-XSLT-LOADER"
        description = "Server page running request-driven code through an XSLT stylesheet with scripting enabled"
    strings:
        $msxsl = "msxsl:script" nocase ascii wide
        $trusted = "XsltSettings.TrustedXslt" ascii wide
        $enable1 = /EnableScript[ \t]*=[ \t]*true/ ascii wide
        $enable2 = /new[ \t]+XsltSettings[ \t]*\([ \t]*(true|false)[ \t]*,[ \t]*true/ ascii wide
        $from_req = /LoadXml[ \t]*\([^;]{0,120}FromBase64String[ \t]*\([ \t]*(Context\.)?Request/ ascii wide
        $transform = /\.Transform[ \t]*\(/ ascii wide
        $drive1 = /eval[ \t]*\([ \t]*Request/ ascii wide
        $drive2 = /Request\.Item[ \t]*\[/ ascii wide
        $drive3 = "ActiveXObject" nocase ascii wide
    condition:
        exhunt_server_side_code and $transform and
        (($msxsl and any of ($trusted, $enable1, $enable2) and any of ($drive*)) or $from_req)
}

rule exhunt_socket_tunnel_page
{
    meta:
        exhunt_id = "EXH-WS-TUNNEL"
        description = "Server page relaying TCP connections for the client (reGeorg / Tunna / Neo-reGeorg-style tunnel)"
    strings:
        $sock1 = /new[ \t]+(System\.Net\.Sockets\.)?Socket[ \t]*\(/ nocase ascii wide
        $sock2 = /new[ \t]+(System\.Net\.Sockets\.)?TcpClient[ \t]*\(/ nocase ascii wide
        $connect = /\.Connect[ \t]*\(/ nocase ascii wide
        $in1 = /Request[ \t]*\.[ \t]*Headers/ nocase ascii wide
        $in2 = /Request[ \t]*\.[ \t]*(BinaryRead|InputStream)/ nocase ascii wide
        $in3 = /Request[ \t]*\.[ \t]*QueryString[ \t]*\[/ nocase ascii wide
        $verb1 = /["']X-(CMD|STATUS|TARGET|PORT|ERROR)["']/ nocase ascii wide
        $verb2 = /["'](CONNECT|DISCONNECT|FORWARD)["']/ ascii wide
        $session = /Session[ \t]*\[[^\]]{1,40}\][ \t]*=/ nocase ascii wide
    condition:
        exhunt_server_side_code and any of ($sock*) and $connect and any of ($in*) and
        (any of ($verb*) or ($in2 and $session))
}

rule exhunt_file_manager_page
{
    meta:
        exhunt_id = "EXH-WS-FILE-MANAGER"
        description = "Server page that stores uploads under the client's file name, or reads and lists paths named in the request"
    strings:
        $files = /Request[ \t]*\.[ \t]*Files/ nocase ascii wide
        $save = /\.SaveAs[ \t]*\(/ nocase ascii wide
        $stream = /new[ \t]+FileStream[ \t]*\(/ nocase ascii wide
        $dest = /(Server[ \t]*\.[ \t]*Map|Request[ \t]*\.[ \t]*Physical)Path|Path\.Combine/ nocase ascii wide
        $send = /Response[ \t]*\.[ \t]*(WriteFile|TransmitFile)[ \t]*\(/ nocase ascii wide
        $list = /Directory[ \t]*\.[ \t]*Get(Directories|Files)[ \t]*\(/ nocase ascii wide
        $delete = /(File|Directory)[ \t]*\.[ \t]*Delete[ \t]*\(/ nocase ascii wide
        $drives = /DriveInfo\.GetDrives|GetLogicalDrives/ nocase ascii wide
        $named = /Request[ \t]*(\.[ \t]*(Params|QueryString|Form|Item))?[ \t]*\[[ \t]*["'](file|filename|path|dir|folder|f|p|d)["'][ \t]*\]/ nocase ascii wide
    condition:
        exhunt_server_side_code and
        (
            ($files and ($save or $stream) and $dest) or
            ($named and ($send or $list)) or
            ($named and 2 of ($list, $delete, $drives, $send))
        )
}

rule exhunt_sql_client_page
{
    meta:
        exhunt_id = "EXH-WS-SQL-CLIENT"
        description = "Server page connecting to a database named by the visitor and running the visitor's SQL"
    strings:
        $conn = /(Sql|OleDb|Odbc)Connection/ nocase ascii wide
        $run = /Execute(Reader|NonQuery|Scalar)|SqlDataAdapter/ nocase ascii wide
        $cs1 = /ConnectionString[ \t]*=[ \t]*[^;\r\n]{0,60}\.Text\b/ nocase ascii wide
        $cs2 = /(server|data source|uid|user id|pwd|password)[ \t]*=[ \t]*["'][ \t]*\+/ nocase ascii wide
        $cs3 = /Sql(Connection)?[ \t]*\([ \t]*(Request|\w+\.Text\b)/ nocase ascii wide
        $cmdshell = "xp_cmdshell" nocase ascii wide
    condition:
        exhunt_server_side_code and $conn and $run and any of ($cs1, $cs2, $cs3, $cmdshell)
}

rule exhunt_multi_capability_shell
{
    meta:
        exhunt_id = "EXH-WS-MULTI-TOOL"
        description = "Server page bundling several attacker capabilities (ASPXSpy / WSO-class file, process, database, registry and network manager)"
    strings:
        $exec1 = "ProcessStartInfo" nocase ascii wide
        $exec2 = "WScript.Shell" nocase ascii wide
        $sql1 = "xp_cmdshell" nocase ascii wide
        $sql2 = "SqlConnection" nocase ascii wide
        $reg1 = "RegistryKey" nocase ascii wide
        $reg2 = /Registry\.(LocalMachine|CurrentUser|Users)/ nocase ascii wide
        $net1 = "System.Net.Sockets" nocase ascii wide
        $net2 = "TcpClient" nocase ascii wide
        $fs1 = /GetDirectories|GetLogicalDrives|DriveInfo/ nocase ascii wide
        $up1 = /Request[ \t]*\.[ \t]*Files|PostedFile/ nocase ascii wide
        $adsi = /WinNT:\/\/|IIS:\/\/|DirectoryEntry/ nocase ascii wide
        $stomp = /\.(LastWriteTime|CreationTime|LastAccessTime)[ \t]*=/ nocase ascii wide
    condition:
        exhunt_server_side_code and
        4 of (any of ($exec*), any of ($sql*), any of ($reg*), any of ($net*), $fs1, $up1, $adsi, $stomp)
}
