/*
  exhunt content rules: web.config files that make the server run files that are not pages.

  Written for exhunt. ASP.NET compiles and runs a file as a page when its extension is mapped to
  the page handler factories or build providers, and IIS hands a file to the classic ASP script
  processor when a handler mapping says so (a mapping to ASP.NET's own ISAPI only routes the file
  into ASP.NET, as Exchange does for .xml, and is left alone). Mapped for an image, text, log,
  data or configuration extension, a later upload of such a harmless-looking file is a web
  shell, and a web.config mapping `.config` itself runs the code written after its XML.
  `exhunt_id` names the catalog rule (exhunt/data/rules/files.toml) that explains each one.
*/

rule exhunt_webconfig_runs_other_files
{
    meta:
        exhunt_id = "EXH-WS-CONFIG-HANDLER"
        description = "web.config mapping image, text, data or config extensions to page compilation or a script processor"
    strings:
        $config = /<configuration[\s>]/ nocase ascii wide
        // <add extension=".jpg" type="System.Web.Compilation.PageBuildProvider" />, either attribute first
        $build1 = /<add\s[^>]{0,300}extension\s*=\s*["']\.(jpe?g|png|gif|bmp|ico|txt|log|config|xml|css|js|json|pdf|zip|rar|dat|bak|tmp)["'][^>]{0,300}(Page|WebHandler|WebService|UserControl)BuildProvider/ nocase ascii wide
        $build2 = /<add\s[^>]{0,300}(Page|WebHandler|WebService|UserControl)BuildProvider[^>]{0,300}extension\s*=\s*["']\.(jpe?g|png|gif|bmp|ico|txt|log|config|xml|css|js|json|pdf|zip|rar|dat|bak|tmp)["']/ nocase ascii wide
        // <add path="*.jpg" ... type="System.Web.UI.PageHandlerFactory" />, either attribute first
        $handler1 = /<add\s[^>]{0,300}path\s*=\s*["']\*\.(jpe?g|png|gif|bmp|ico|txt|log|config|xml|css|js|json|pdf|zip|rar|dat|bak|tmp)["'][^>]{0,300}(PageHandlerFactory|SimpleHandlerFactory|WebServiceHandlerFactory|asp\.dll)/ nocase ascii wide
        $handler2 = /<add\s[^>]{0,300}(PageHandlerFactory|SimpleHandlerFactory|WebServiceHandlerFactory|asp\.dll)[^>]{0,300}path\s*=\s*["']\*\.(jpe?g|png|gif|bmp|ico|txt|log|config|xml|css|js|json|pdf|zip|rar|dat|bak|tmp)["']/ nocase ascii wide
    condition:
        $config and any of ($build*, $handler*)
}
