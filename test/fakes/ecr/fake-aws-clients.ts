// Fake AWS SDK clients at the AwsClientFactories seam: they record every command sent (with the
// region and credentials of the client it went through) and answer from replaceable handlers.
import {
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandInput,
  type GetAuthorizationTokenCommandOutput,
} from "@aws-sdk/client-ecr";
import {
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput as GetPublicAuthorizationTokenCommandOutput,
} from "@aws-sdk/client-ecr-public";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandInput,
  type Credentials,
} from "@aws-sdk/client-sts";
import type {
  AwsClientFactories,
  AwsCredentialSource,
  AwsCredentials,
  EcrClient,
  EcrPublicClient,
  SendOptions,
  StsClient,
} from "../../../src/providers/ecr/clients.js";
import { recordIssued } from "../../support/leaks/ledger.js";

export type SentCommand =
  | { operation: "GetAuthorizationToken"; input: GetAuthorizationTokenCommandInput; client: ClientConfig }
  | { operation: "GetPublicAuthorizationToken"; input: object; client: ClientConfig }
  | { operation: "AssumeRole"; input: AssumeRoleCommandInput; client: ClientConfig }
  | {
      operation: "AssumeRoleWithWebIdentity";
      input: AssumeRoleWithWebIdentityCommandInput;
      client: ClientConfig;
    };

export interface ClientConfig {
  service: "ecr" | "ecr-public" | "sts";
  region: string;
  credentials: AwsCredentialSource | undefined;
  abortSignal: AbortSignal | undefined;
}

export class FakeAwsClients {
  readonly sent: SentCommand[] = [];
  readonly ambient: AwsCredentials = {
    accessKeyId: "AKIAAMBIENT000000001",
    secretAccessKey: "ambient-secret-key",
  };
  ambientRequests = 0;
  clientsCreated = 0;
  clientsDestroyed = 0;
  private issued = 0;

  /** Answers GetAuthorizationToken; default: one login per requested registry (or 111122223333), 12 h expiry. */
  ecrAnswer: (
    input: GetAuthorizationTokenCommandInput,
    client: ClientConfig,
  ) => GetAuthorizationTokenCommandOutput | Promise<GetAuthorizationTokenCommandOutput> = (
    input,
    client,
  ) => ({
    $metadata: {},
    authorizationData: (input.registryIds ?? ["111122223333"]).map((account) => ({
      authorizationToken: this.issueToken(),
      expiresAt: new Date("2030-01-01T12:00:00Z"),
      proxyEndpoint: `https://${account}.dkr.ecr.${client.region}.amazonaws.com`,
    })),
  });

  /** Answers ECR Public's GetAuthorizationToken; default: a fresh token with a 12 h expiry. */
  ecrPublicAnswer: (
    client: ClientConfig,
  ) => GetPublicAuthorizationTokenCommandOutput | Promise<GetPublicAuthorizationTokenCommandOutput> = () => ({
    $metadata: {},
    authorizationData: { authorizationToken: this.issueToken(), expiresAt: new Date("2030-01-01T12:00:00Z") },
  });

  /** Answers both STS operations; default: credentials named after the role ARN's last segment. */
  stsAnswer: (
    input: AssumeRoleCommandInput | AssumeRoleWithWebIdentityCommandInput,
    client: ClientConfig,
  ) => { Credentials?: Credentials } | Promise<{ Credentials?: Credentials }> = (input) => {
    const role = input.RoleArn?.split("/").pop() ?? "role";
    return {
      Credentials: {
        AccessKeyId: `ASIA-${role}`,
        SecretAccessKey: `secret-of-${role}`,
        SessionToken: `session-of-${role}`,
        Expiration: new Date("2030-01-01T01:00:00Z"),
      },
    };
  };

  /** A fresh authorization token (base64 of "AWS:<password>"), recorded for the suite's leak scan. */
  issueToken(): string {
    const password = `fake-aws-clients-password-${++this.issued}`;
    recordIssued("an ECR password of the fake AWS clients", password);
    return Buffer.from(`AWS:${password}`).toString("base64");
  }

  /** The commands sent for one operation, in order. */
  sentFor<Operation extends SentCommand["operation"]>(
    operation: Operation,
  ): Extract<SentCommand, { operation: Operation }>[] {
    return this.sent.filter(
      (command): command is Extract<SentCommand, { operation: Operation }> => command.operation === operation,
    );
  }

  factories(): AwsClientFactories {
    return {
      ecr: async ({ region, credentials }) => this.ecrClient(region, credentials),
      ecrPublic: async ({ region, credentials }) => this.ecrPublicClient(region, credentials),
      sts: async ({ region, credentials }) => this.stsClient(region, credentials),
      ambientCredentials: () => {
        this.ambientRequests++;
        return this.ambient;
      },
    };
  }

  private ecrClient(region: string, credentials: AwsCredentialSource): EcrClient {
    this.clientsCreated++;
    return {
      send: async (command: GetAuthorizationTokenCommand, options?: SendOptions) => {
        expectInstance(command, GetAuthorizationTokenCommand);
        const client: ClientConfig = {
          service: "ecr",
          region,
          credentials,
          abortSignal: options?.abortSignal,
        };
        this.sent.push({ operation: "GetAuthorizationToken", input: command.input, client });
        return this.ecrAnswer(command.input, client);
      },
      destroy: () => {
        this.clientsDestroyed++;
      },
    };
  }

  private ecrPublicClient(region: string, credentials: AwsCredentialSource): EcrPublicClient {
    this.clientsCreated++;
    return {
      send: async (command: GetPublicAuthorizationTokenCommand, options?: SendOptions) => {
        expectInstance(command, GetPublicAuthorizationTokenCommand);
        const client: ClientConfig = {
          service: "ecr-public",
          region,
          credentials,
          abortSignal: options?.abortSignal,
        };
        this.sent.push({ operation: "GetPublicAuthorizationToken", input: command.input, client });
        return this.ecrPublicAnswer(client);
      },
      destroy: () => {
        this.clientsDestroyed++;
      },
    };
  }

  private stsClient(region: string, credentials: AwsCredentialSource | undefined): StsClient {
    this.clientsCreated++;
    const send = async (
      command: AssumeRoleCommand | AssumeRoleWithWebIdentityCommand,
      options?: SendOptions,
    ): Promise<{ $metadata: object; Credentials?: Credentials }> => {
      const client: ClientConfig = { service: "sts", region, credentials, abortSignal: options?.abortSignal };
      if (command instanceof AssumeRoleCommand) {
        this.sent.push({ operation: "AssumeRole", input: command.input, client });
      } else {
        expectInstance(command, AssumeRoleWithWebIdentityCommand);
        this.sent.push({ operation: "AssumeRoleWithWebIdentity", input: command.input, client });
      }
      return { $metadata: {}, ...(await this.stsAnswer(command.input, client)) };
    };
    return {
      send,
      destroy: () => {
        this.clientsDestroyed++;
      },
    };
  }
}

function expectInstance(value: unknown, type: abstract new (...args: never[]) => unknown): void {
  if (!(value instanceof type))
    throw new Error(`fake AWS client received an unexpected command ${String(value)}`);
}

/** An SDK-shaped service error, as the real clients throw it. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode } });
}
