import type { CredentialSource } from "../api/v1alpha1.js";
import { acrInfo } from "./acr/info.js";
import { type AzureClientFactories, createAcrProvider } from "./acr/provider.js";
import { basicInfo } from "./basic/info.js";
import { createBasicProvider } from "./basic/provider.js";
import { dockerConfigInfo } from "./docker-config/info.js";
import { createDockerConfigProvider } from "./docker-config/provider.js";
import { ecrInfo } from "./ecr/info.js";
import { type AwsClientFactories, createEcrProvider } from "./ecr/provider.js";
import { ecrPublicInfo } from "./ecr-public/info.js";
import { createEcrPublicProvider } from "./ecr-public/provider.js";
import { garInfo } from "./gar/info.js";
import { createGarProvider, type GoogleClientFactories } from "./gar/provider.js";
import type { Provider, ProviderInfo, PullFailureAdvice, ResolvedSource, SourceAccess } from "./provider.js";

// Adding a provider: its block in the API (src/api) and the CRDs, its folder, and one line in each
// of the two maps below. The mapped types make the compiler reject a missing entry.

/**
 * The fields of a source that are no provider block: they apply to whichever provider it sets
 * (the CRD's one-provider-block rule leaves them out the same way, x-one-of-except).
 */
const sourceOptionNames = [
  "aliases",
  "aliasesAcknowledgement",
  "verify",
] as const satisfies readonly (keyof CredentialSource)[];

/** The name of each provider block of a source, e.g. "ecr". */
export type ProviderName = Exclude<keyof CredentialSource, (typeof sourceOptionNames)[number]>;

type SpecOf<Name extends ProviderName> = NonNullable<CredentialSource[Name]>;

/**
 * What each provider is without calling a cloud: validation, messages, CLI plans, audit patterns.
 */
export const providerInfo: { [Name in ProviderName]-?: ProviderInfo<SpecOf<Name>> } = {
  ecr: ecrInfo,
  ecrPublic: ecrPublicInfo,
  gar: garInfo,
  acr: acrInfo,
  basic: basicInfo,
  dockerConfig: dockerConfigInfo,
};

/** One implementation for every provider block of the API. */
export type Providers = { [Name in ProviderName]-?: Provider<SpecOf<Name>> };

export interface ProviderDependencies {
  aws: AwsClientFactories;
  google: GoogleClientFactories;
  azure: AzureClientFactories;
}

export function createProviders(dependencies: ProviderDependencies): Providers {
  return {
    ecr: createEcrProvider(dependencies.aws),
    ecrPublic: createEcrPublicProvider(dependencies.aws),
    gar: createGarProvider(dependencies.google),
    acr: createAcrProvider(dependencies.azure),
    basic: createBasicProvider(),
    dockerConfig: createDockerConfigProvider(),
  };
}

/**
 * Every provider name, for messages ("ecr, ecrPublic, gar, acr, basic or dockerConfig").
 */
export const providerNames = Object.keys(providerInfo) as ProviderName[];

/** "a, b or c". */
export function providerList(): string {
  const names = [...providerNames];
  const last = names.pop();
  return names.length > 0 ? `${names.join(", ")} or ${last}` : (last ?? "");
}

/** The provider block set in a source, or undefined when none or several are set. */
function providerOf(source: CredentialSource): ProviderName | undefined {
  const set = providerNames.filter((name) => source[name] !== undefined);
  return set.length === 1 ? set[0] : undefined;
}

/** A source's provider bound to that source's spec. */
export interface BoundSource {
  name: ProviderName;
  validate(): string[];
  describe(): string;
  referenceNamespace(): string | undefined;
  referencedSecrets(): string[];
  plannedLogins(): { hosts: string[]; username: string };
  resolve(access: SourceAccess): Promise<ResolvedSource>;
}

/**
 * Binds a source to its provider (or, for the static parts, its ProviderInfo); undefined when the
 * source does not set exactly one provider block. `resolve` throws when only info was given.
 */
export function bindSource(
  source: CredentialSource,
  providers: { [Name in ProviderName]-?: ProviderInfo<SpecOf<Name>> } = providerInfo,
): BoundSource | undefined {
  const name = providerOf(source);
  if (!name) return undefined;
  // The maps pair each name with the provider of that name's spec type, so this pairing is sound.
  const provider = providers[name] as ProviderInfo<unknown> & Partial<Provider<unknown>>;
  const spec = source[name];
  return {
    name,
    validate: () => provider.validate(spec),
    describe: () => provider.describe(spec),
    referenceNamespace: () => provider.referenceNamespace(spec),
    referencedSecrets: () => provider.referencedSecrets(spec),
    plannedLogins: () => provider.plannedLogins(spec),
    resolve: (access) => {
      if (!provider.resolve) throw new Error(`internal error: ${name} was bound without its implementation`);
      return provider.resolve(spec, access);
    },
  };
}

/** The namespace a source's references name, if any (see ProviderInfo.referenceNamespace). */
export function referenceNamespaceOf(source: CredentialSource): string | undefined {
  return bindSource(source)?.referenceNamespace();
}

/** Whether the host is a registry some provider mints logins for. */
export function isProviderHost(host: string): boolean {
  return Object.values<ProviderInfo<never>>(providerInfo).some((info) =>
    info.hostPatterns.some((pattern) => pattern.test(host)),
  );
}

/** The pull-failure advice of the provider whose host patterns claim the host; undefined when none does. */
export function pullFailureAdviceFor(host: string): PullFailureAdvice | undefined {
  return Object.values<ProviderInfo<never>>(providerInfo).find(
    (info) => info.pullFailureAdvice && info.hostPatterns.some((pattern) => pattern.test(host)),
  )?.pullFailureAdvice;
}
