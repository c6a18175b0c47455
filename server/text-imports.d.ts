// Files the server imports as text (`with { type: "text" }`), so that `bun build` puts them into the Node bundle.
declare module "*.css" {
  const text: string;
  export default text;
}

declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const text: string;
  export default text;
}

declare module "swagger-ui-dist/swagger-ui.css" {
  const text: string;
  export default text;
}
