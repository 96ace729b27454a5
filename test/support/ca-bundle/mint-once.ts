// Mints once with a provider built in this process and prints one JSON line: the hosts it got, or
// the error's message (never a token). The CA-bundle tests start it with and without
// NODE_EXTRA_CA_CERTS, which Node reads only when a process starts.
import type { AcrSource, GarSource } from "../../../src/api/v1alpha1.js";
import {
  type AzureOptions,
  createAcrProvider,
  defaultAzureClientFactories,
} from "../../../src/providers/acr/provider.js";
import {
  createGarProvider,
  defaultGoogleClientFactories,
  type GoogleEndpoints,
} from "../../../src/providers/gar/provider.js";
import type { Provider } from "../../../src/providers/provider.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

/** What to mint, passed in REGCRED_MINT_REQUEST. */
export type MintRequest = { secrets: Record<string, Record<string, string>> } & (
  | { provider: "acr"; options: AzureOptions; spec: AcrSource }
  | { provider: "gar"; endpoints: GoogleEndpoints; spec: GarSource }
);

/** What the script prints. */
export type MintOutcome = { hosts: string[] } | { error: string };

async function mintOnce(request: MintRequest): Promise<MintOutcome> {
  const access = new FakeSourceAccess("tenant-a", false);
  for (const [name, data] of Object.entries(request.secrets)) access.putSecret(name, data);
  const [provider, spec] =
    request.provider === "acr"
      ? [createAcrProvider(defaultAzureClientFactories(request.options)) as Provider<unknown>, request.spec]
      : [
          createGarProvider(defaultGoogleClientFactories(request.endpoints)) as Provider<unknown>,
          request.spec,
        ];
  try {
    const tokens = await (await provider.resolve(spec, access)).mint();
    return { hosts: tokens.map((token) => token.host) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const outcome = await mintOnce(JSON.parse(process.env.REGCRED_MINT_REQUEST ?? "{}") as MintRequest);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
