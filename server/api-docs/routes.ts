import { Hono } from "hono";
import { html } from "hono/html";
import { version as swaggerUiVersion } from "swagger-ui-dist/package.json" with { type: "json" };
import { packageAsset, textAsset, textAssetRoutes } from "../http/text-assets.ts";
import pageCss from "./api-docs.css" with { type: "text" };

const STATIC = "/api/docs/static";

/**
 * Starts Swagger UI on the page. A file of its own, not an inline script, because the Content-Security-Policy
 * runs scripts from this origin only. No validator badge: it would load an image from swagger.io. No deep links:
 * Swagger UI puts each operation's link inside the button that opens it, a control inside a control that screen
 * readers cannot reach (axe-core: nested-interactive). Light code colours, which reach 4.5:1. Controls Swagger UI
 * leaves unnamed or misnamed (the server chooser, the dialog's close and Authorize buttons) and code boxes that
 * scroll without taking the focus are mended as they appear (axe-core: select-name, button-name,
 * label-content-name-mismatch, scrollable-region-focusable).
 */
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  syntaxHighlight: { theme: "idea" },
});
const mend = (selector, change) => {
  for (const element of document.querySelectorAll(selector)) change(element);
};
new MutationObserver(() => {
  mend("select#servers:not([aria-label])", (select) => select.setAttribute("aria-label", "Server"));
  mend("button.close-modal:not([aria-label])", (button) => button.setAttribute("aria-label", "Close"));
  mend("button.modal-btn.authorize[aria-label]", (button) => button.removeAttribute("aria-label"));
  mend("pre.microlight:not([tabindex])", (code) => code.setAttribute("tabindex", "0"));
}).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
`;

const assets = {
  swaggerCss: packageAsset(STATIC, "swagger-ui.css", swaggerUiVersion, async () => {
    return (await import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } })).default;
  }),
  pageCss: textAsset(STATIC, "api-docs.css", pageCss),
  swaggerScript: packageAsset(STATIC, "swagger-ui-bundle.js", swaggerUiVersion, async () => {
    return (await import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } })).default;
  }),
  startScript: textAsset(STATIC, "start-swagger-ui.js", START_SCRIPT),
};

/**
 * `/api/docs`: the interactive API reference (Swagger UI from the installed `swagger-ui-dist`, so it works offline
 * and under the CSP), reading `/api/v1/openapi.json`; "Try it out" sends real requests to this server.
 */
export function apiDocsRoutes(title: string) {
  const routes = new Hono();
  routes.get("/api/docs", (c) =>
    c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} – API reference</title>
    <link rel="stylesheet" href="${assets.swaggerCss.path}" />
    <link rel="stylesheet" href="${assets.pageCss.path}" />
  </head>
  <body>
    <header class="intro">
      <h1>API reference</h1>
      <p>The machine-readable OpenAPI 3.1 document is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
        To try an authenticated operation, sign in with <code>POST /auth/login</code>, then press Authorize and
        paste the <code>token</code> it returned.</p>
    </header>
    <main id="swagger-ui"></main>
    <script src="${assets.swaggerScript.path}"></script>
    <script src="${assets.startScript.path}"></script>
  </body>
</html>`),
  );
  routes.route("/", textAssetRoutes(Object.values(assets)));
  return routes;
}
