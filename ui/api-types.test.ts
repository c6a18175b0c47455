import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { API_TYPES_PATH, apiTypes } from "./generate-api-types.ts";

test("ui/src/api-types.ts is what the API's OpenAPI document says (bun run api:types)", async () => {
  expect(readFileSync(API_TYPES_PATH, "utf8")).toBe(await apiTypes());
});
