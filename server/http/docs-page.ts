import { html, raw } from "hono/html";

interface OpenApiDocument {
  info: { title: string; version: string };
  paths?: object;
}

/** The docs page's only stylesheet; the Content-Security-Policy allows it by its hash. */
export const DOCS_CSS = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
      code { font-size: .95em; }`;

type Operations = Record<string, { summary?: string }>;

/** A self-contained page (no CDN) listing every operation of the OpenAPI document. */
export function docsPage(document: OpenApiDocument) {
  const operations = (Object.entries(document.paths ?? {}) as [string, Operations][]).flatMap(
    ([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        path,
        method: method.toUpperCase(),
        ...operation,
      })),
  );
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${document.info.title} – API docs</title>
    <style>${raw(DOCS_CSS)}</style>
  </head>
  <body>
    <h1>${document.info.title} <small>${document.info.version}</small></h1>
    <p>The machine-readable OpenAPI 3.1 document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
      Authenticated operations take <code>Authorization: Bearer &lt;token&gt;</code> from sign-in.</p>
    <table>
      <thead><tr><th>Method</th><th>Path</th><th>Summary</th></tr></thead>
      <tbody>
        ${operations.map(
          (operation) =>
            html`<tr><td><code>${operation.method}</code></td><td><code>/api/v1${operation.path}</code></td><td>${operation.summary ?? ""}</td></tr>`,
        )}
      </tbody>
    </table>
  </body>
</html>`;
}
