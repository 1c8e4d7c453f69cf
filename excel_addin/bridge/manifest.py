"""The add-in's XML manifest (the add-in-only kind: the unified JSON manifest cannot declare custom
functions). One per install: its GUID, and every URL on https://localhost:PORT, the bridge's origin.

It declares the task pane, a shared runtime (the pane and the custom functions run in one page, so the
functions reach the bridge with the pane's token), the DOCRELAY custom functions and a ribbon button
on the Home tab that opens the pane.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from core._version import __version__

NAMESPACE = "DOCRELAY"  # =DOCRELAY.FIELD(...): at most 32 characters
PROVIDER_NAME = "docrelay"
DISPLAY_NAME = "docrelay"
DESCRIPTION = "Push documents to document-AI services and pull the predictions into this workbook."
ICONS = (16, 32, 64, 80)
GET_STARTED = "Open docrelay on the Home tab: push documents, pull the predictions."
TOOLTIP = "Open the docrelay pane: push documents and pull predictions into this workbook."


def manifest_version() -> str:
    """Office wants four numbers: the package version's first three, then 0."""
    parts = [p for p in __version__.replace("-", ".").split(".") if p.isdigit()][:3]
    parts += ["0"] * (3 - len(parts))
    return ".".join([*parts, "0"])


def render_manifest(addin_id: str, port: int) -> str:
    base = f"https://localhost:{port}"

    def url(path: str) -> str:
        return quoteattr(f"{base}/{path}")

    icon_images = "\n".join(
        f'        <bt:Image id="Icon.{n}" DefaultValue={url(f"assets/icon-{n}.png")}/>' for n in ICONS
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
           xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
           xsi:type="TaskPaneApp">
  <Id>{escape(addin_id)}</Id>
  <Version>{manifest_version()}</Version>
  <ProviderName>{PROVIDER_NAME}</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="{DISPLAY_NAME}"/>
  <Description DefaultValue="{DESCRIPTION}"/>
  <IconUrl DefaultValue={url("assets/icon-32.png")}/>
  <HighResolutionIconUrl DefaultValue={url("assets/icon-64.png")}/>
  <SupportUrl DefaultValue={url("taskpane.html")}/>
  <AppDomains>
    <AppDomain>{base}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1"/>
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={url("taskpane.html")}/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
                    xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long"/>
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url"/>
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url"/>
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url"/>
            </Metadata>
            <Namespace resid="Functions.Namespace"/>
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <GetStarted>
            <Title resid="GetStarted.Title"/>
            <Description resid="GetStarted.Description"/>
            <LearnMoreUrl resid="Taskpane.Url"/>
          </GetStarted>
          <FunctionFile resid="Taskpane.Url"/>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="DocRelay.Group">
                <Label resid="Group.Label"/>
                <Icon>
                  <bt:Image size="16" resid="Icon.16"/>
                  <bt:Image size="32" resid="Icon.32"/>
                  <bt:Image size="80" resid="Icon.80"/>
                </Icon>
                <Control xsi:type="Button" id="DocRelay.OpenPane">
                  <Label resid="Button.Label"/>
                  <Supertip>
                    <Title resid="Button.Label"/>
                    <Description resid="Button.Tooltip"/>
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16"/>
                    <bt:Image size="32" resid="Icon.32"/>
                    <bt:Image size="80" resid="Icon.80"/>
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>DocRelay.Pane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url"/>
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
{icon_images}
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue={url("taskpane.html")}/>
        <bt:Url id="Functions.Script.Url" DefaultValue={url("assets/functions.js")}/>
        <bt:Url id="Functions.Metadata.Url" DefaultValue={url("functions.json")}/>
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue="{NAMESPACE}"/>
        <bt:String id="GetStarted.Title" DefaultValue="docrelay is ready"/>
        <bt:String id="Group.Label" DefaultValue="docrelay"/>
        <bt:String id="Button.Label" DefaultValue="docrelay"/>
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="GetStarted.Description" DefaultValue="{GET_STARTED}"/>
        <bt:String id="Button.Tooltip" DefaultValue="{TOOLTIP}"/>
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
"""
