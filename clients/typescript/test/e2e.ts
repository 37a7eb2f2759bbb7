/**
 * End to end, through the typed client only, against a live server whose origin is in
 * COACH_API_URL (`make ts-client-e2e` starts one on loopback with a scratch SQLite file):
 * sign up, add a client, a three-level contact tree (Kofi → Lars → Ingrid, each referred
 * by the one before), an informational interview with Kofi moved to held, then the
 * client's chain, tree and traction. Any wrong answer throws: the process exits non-zero.
 */
import { randomUUID } from "node:crypto";

import { createCoachClient } from "../src/index.js";

const baseUrl = process.env.COACH_API_URL;
if (baseUrl === undefined || baseUrl === "") {
  throw new Error("COACH_API_URL is not set (e.g. http://127.0.0.1:8123)");
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or an error naming the step, the status and the problem. */
function must<T>(answer: Answer<T>, step: string): T {
  if (answer.data === undefined) {
    const problem = JSON.stringify(answer.error ?? null);
    throw new Error(`${step}: HTTP ${answer.response.status} ${problem}`);
  }
  return answer.data;
}

function expect(condition: boolean, what: string): void {
  if (!condition) {
    throw new Error(`expected ${what}`);
  }
  console.log(`ok - ${what}`);
}

async function main(url: string): Promise<void> {
  const suffix = randomUUID().slice(0, 8);
  const anonymous = createCoachClient(url);
  const health = await anonymous.GET("/healthz");
  expect(health.response.status === 200, "GET /healthz answers 200");

  const signedUp = must(
    await anonymous.POST("/api/v1/auth/signup", {
      body: {
        organization_name: `Demo Coaching ${suffix}`,
        full_name: "Cameron Coach",
        email: `cameron.coach+${suffix}@demo-coaching.example.com`,
        password: "demo-coaching-2026",
      },
    }),
    "sign up",
  );
  expect(signedUp.role === "owner", "the sign-up's member owns the new organization");

  const coach = createCoachClient(url, signedUp.access_token);
  // No `status`: the server's default applies (the contract says so in the description).
  const client = must(
    await coach.POST("/api/v1/clients", {
      body: {
        full_name: "Sven Lindgren",
        headline: "Logistics planner",
        target_roles: ["Logistics Planner"],
        weekly_informational_goal: 1,
      },
    }),
    "create the client",
  );
  expect(client.status === "active", "a client created without a status is active");
  const clientPath = { path: { client_id: client.id } };

  const kofi = must(
    await coach.POST("/api/v1/clients/{client_id}/contacts", {
      params: clientPath,
      body: { full_name: "Kofi Mensah", company_name: "Fabrikam Logistics" },
    }),
    "add Kofi",
  );
  expect(kofi.depth === 0 && kofi.referred_by_id === null, "Kofi is a root (depth 0)");
  expect(kofi.relationship === "other", "a contact created without a relationship is `other`");
  const lars = must(
    await coach.POST("/api/v1/clients/{client_id}/contacts", {
      params: clientPath,
      body: {
        full_name: "Lars Eriksen",
        company_name: "Northwind Freight",
        relationship: "professional_association",
        referred_by_id: kofi.id,
      },
    }),
    "add Lars, referred by Kofi",
  );
  expect(lars.depth === 1 && lars.referred_by_id === kofi.id, "Lars hangs under Kofi");
  const ingrid = must(
    await coach.POST("/api/v1/clients/{client_id}/contacts", {
      params: clientPath,
      body: { full_name: "Ingrid Larsen", referred_by_id: lars.id },
    }),
    "add Ingrid, referred by Lars",
  );
  expect(ingrid.depth === 2 && ingrid.referred_by_id === lars.id, "Ingrid hangs under Lars");

  const chain = must(
    await coach.GET("/api/v1/contacts/{contact_id}/chain", {
      params: { path: { contact_id: ingrid.id } },
    }),
    "Ingrid's chain",
  );
  expect(
    JSON.stringify(chain.contacts.map((link) => [link.full_name, link.depth])) ===
      JSON.stringify([
        ["Kofi Mensah", 0],
        ["Lars Eriksen", 1],
        ["Ingrid Larsen", 2],
      ]),
    "Ingrid's chain is Kofi → Lars → Ingrid",
  );

  const tree = must(
    await coach.GET("/api/v1/clients/{client_id}/contact-tree", { params: clientPath }),
    "the contact tree",
  );
  const root = tree.roots[0];
  const middle = root?.children[0];
  const leaf = middle?.children[0];
  expect(
    tree.roots.length === 1 &&
      root?.id === kofi.id &&
      root.descendant_count === 2 &&
      middle?.id === lars.id &&
      leaf?.id === ingrid.id &&
      leaf.depth === 2 &&
      leaf.children.length === 0,
    "the tree is one branch three levels deep",
  );

  const interview = must(
    await coach.POST("/api/v1/clients/{client_id}/interviews", {
      params: clientPath,
      body: {
        kind: "informational",
        contact_id: kofi.id,
        agenda: "How Fabrikam plans its routes",
      },
    }),
    "create the informational interview",
  );
  expect(interview.stage === "requested", "a new informational interview is requested");
  const interviewPath = { path: { interview_id: interview.id } };
  for (const stage of ["scheduled", "held"] as const) {
    const moved = must(
      await coach.POST("/api/v1/interviews/{interview_id}/transitions", {
        params: interviewPath,
        body: { to_stage: stage },
      }),
      `move the interview to ${stage}`,
    );
    expect(moved.stage === stage, `the interview is ${stage}`);
  }

  const traction = must(
    await coach.GET("/api/v1/clients/{client_id}/traction", { params: clientPath }),
    "the client's traction",
  );
  const figures = traction.current.figures;
  expect(traction.client_id === client.id, "the traction is Sven's");
  expect(figures.informational_held >= 1, "traction counts the informational interview held");
  expect(figures.network_size === 3, "traction's network is the three contacts");
  expect(figures.new_contacts === 3, "traction's window added the three contacts");
  expect(figures.deepest_chain === 2, "traction's deepest chain is two introductions");
  expect(
    traction.current.score.score >= 0 && traction.current.score.score <= 100,
    "the traction score is 0 to 100",
  );
  console.log(`e2e passed against ${url}`);
}

main(baseUrl).catch((failure: unknown) => {
  console.error(`e2e FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
  process.exit(1);
});
