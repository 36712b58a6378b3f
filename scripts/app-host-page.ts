// The browser side of the test host (scripts/app-host.ts): ext-apps' AppBridge over a
// PostMessageTransport to the app's iframe, as an MCP Apps host embeds a view. Tool calls the
// app makes go back to Node (window.hostCallTool), where a real MCP client makes them.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { McpUiHostContext } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/client";

declare global {
  interface Window {
    hostCallTool(params: CallToolRequest["params"]): Promise<CallToolResult>;
    host: {
      load(html: string, context: McpUiHostContext): Promise<void>;
      show(args: Record<string, unknown>, result: CallToolResult): Promise<void>;
      setContext(context: McpUiHostContext): void;
    };
  }
}

let bridge: AppBridge | undefined;

window.host = {
  async load(html, context) {
    const frame = document.createElement("iframe");
    // As hosts do: scripts run, in an origin of their own (no access to the host page).
    frame.setAttribute("sandbox", "allow-scripts");
    frame.title = "spend app";
    frame.style.cssText = "border:0;width:100%;display:block;height:200px";
    document.body.append(frame);
    bridge = new AppBridge(null, { name: "billing-mcp test host", version: "1" }, { serverTools: {}, updateModelContext: {} }, { hostContext: context });
    // As a host does: the name and arguments go to the server, the app's own request metadata does not.
    bridge.oncalltool = ({ name, arguments: args }) => window.hostCallTool({ name, arguments: args });
    bridge.onsizechange = ({ height }) => {
      if (height !== undefined) frame.style.height = `${Math.ceil(height)}px`;
    };
    const ready = new Promise<void>((resolve) => (bridge!.oninitialized = () => resolve()));
    // Listening before the page loads, so its ui/initialize is not missed (the iframe's
    // WindowProxy stays the same across the navigation to srcdoc).
    await bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
    frame.srcdoc = html;
    await ready;
  },
  async show(args, result) {
    await bridge!.sendToolInput({ arguments: args });
    await bridge!.sendToolResult(result);
  },
  setContext(context) {
    bridge!.setHostContext(context);
  },
};
