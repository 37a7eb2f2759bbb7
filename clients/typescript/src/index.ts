/**
 * A typed client for the Coach API: openapi-fetch's `createClient` over the types
 * openapi-typescript generates from openapi/openapi.json (`npm run generate`).
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type CoachClient = Client<paths>;

/**
 * A client for the API at `baseUrl` (the server's origin, e.g. `http://127.0.0.1:8000`:
 * the paths already start with `/api/v1`). With `token` (a member's access token or an
 * API key, `ck_…`) every request carries `Authorization: Bearer <token>`; without one,
 * only the public operations (sign-up, sign-in, probes) answer other than 401.
 */
export function createCoachClient(baseUrl: string, token?: string): CoachClient {
  const client = createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, "") });
  if (token !== undefined && token !== "") {
    const bearer: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}
