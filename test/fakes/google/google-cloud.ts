// All Google fakes on one shared token ledger, started and closed together.
import type { GoogleEndpoints } from "../../../src/providers/gar/provider.js";
import { FakeIamCredentialsServer } from "./iam-credentials-server.js";
import { FakeMetadataServer } from "./metadata-server.js";
import { FakeOAuthTokenServer } from "./oauth-token-server.js";
import { FakeStsServer, type StsServerOptions } from "./sts-server.js";
import { TokenLedger } from "./token-ledger.js";

export interface FakeGoogleCloudOptions {
  /** Starts the STS fake for this pool provider and issuer; without it `sts` is undefined. */
  federation?: Omit<StsServerOptions, "ledger">;
  /** Lifetime of tokens from every fake, in seconds; default 3600. */
  tokenLifetimeSeconds?: number;
}

export interface FakeGoogleCloud {
  ledger: TokenLedger;
  metadata: FakeMetadataServer;
  oauth: FakeOAuthTokenServer;
  iam: FakeIamCredentialsServer;
  sts: FakeStsServer | undefined;
  /** Endpoints for defaultGoogleClientFactories that point at these fakes. */
  endpoints: GoogleEndpoints;
  close(): Promise<void>;
}

export async function startFakeGoogleCloud(options: FakeGoogleCloudOptions = {}): Promise<FakeGoogleCloud> {
  const ledger = new TokenLedger();
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds;
  const metadata = new FakeMetadataServer({ ledger, tokenLifetimeSeconds });
  const oauth = new FakeOAuthTokenServer({ ledger, tokenLifetimeSeconds });
  // IAM issues the lifetime the caller asks for (up to an hour), as Google does.
  const iam = new FakeIamCredentialsServer({ ledger });
  const sts = options.federation
    ? new FakeStsServer({ ledger, tokenLifetimeSeconds, ...options.federation })
    : undefined;
  const servers = [metadata, oauth, iam, ...(sts ? [sts] : [])];
  await Promise.all(servers.map((server) => server.start()));
  return {
    ledger,
    metadata,
    oauth,
    iam,
    sts,
    endpoints: {
      // Without federation, token exchanges go to a closed loopback port, never to Google.
      stsTokenUrl: sts?.tokenUrl ?? "http://127.0.0.1:9/v1/token",
      iamCredentialsUrl: iam.url,
      allowedTokenUris: [oauth.tokenUrl],
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
